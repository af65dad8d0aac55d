// Subcommands of the `vigil` program. Each Add*Command registers its options on `app` and a
// callback that runs it and stores the process exit code in `exit_code`:
// 0 success, 1 failure (reason on stderr), 2 bad usage (CLI11 reports those itself).
#pragma once

namespace CLI {
class App;
}

namespace vigil::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

void AddGenerateCommand(CLI::App& app, int& exit_code);
void AddIngestCommand(CLI::App& app, int& exit_code);
void AddScoreCommand(CLI::App& app, int& exit_code);
void AddEvalCommand(CLI::App& app, int& exit_code);
void AddOutliersCommand(CLI::App& app, int& exit_code);
void AddScreenCommand(CLI::App& app, int& exit_code);
void AddServeCommand(CLI::App& app, int& exit_code);
void AddUserCommand(CLI::App& app, int& exit_code);
void AddAuditCommand(CLI::App& app, int& exit_code);
void AddTrainCommand(CLI::App& app, int& exit_code);
void AddBenchCommand(CLI::App& app, int& exit_code);
void AddUpgradeCommand(CLI::App& app, int& exit_code);

// Makes every integer option of `app` and its subcommands take plain decimal digits only (a
// sign where the type is signed) within 64 bits: CLI11 reads "010" as octal, "0x10" as hex and
// wraps "-1" or a number past 2^64 without a word. Call after every command is added.
void RequireDecimalIntegers(CLI::App& app);

}  // namespace vigil::cli

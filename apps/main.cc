// The `vigil` program: one binary, one subcommand per job of the data contract.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "commands.h"

namespace {

int Run(int argc, char** argv) {
  CLI::App app{"vigil: proof of life and fund-fraud detection for a public pension fund", "vigil"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "vigil 0.1.0");
  int exit_code = vigil::cli::kExitOk;
  vigil::cli::AddGenerateCommand(app, exit_code);
  vigil::cli::AddIngestCommand(app, exit_code);
  vigil::cli::AddScoreCommand(app, exit_code);
  vigil::cli::AddEvalCommand(app, exit_code);
  vigil::cli::AddOutliersCommand(app, exit_code);
  vigil::cli::AddScreenCommand(app, exit_code);
  vigil::cli::AddServeCommand(app, exit_code);
  vigil::cli::AddUserCommand(app, exit_code);
  vigil::cli::AddAuditCommand(app, exit_code);
  vigil::cli::AddTrainCommand(app, exit_code);
  vigil::cli::AddBenchCommand(app, exit_code);
  vigil::cli::AddUpgradeCommand(app, exit_code);
  vigil::cli::RequireDecimalIntegers(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    // CLI11 returns 0 for --help/--version and its own codes for usage errors: map those to 2.
    return code == 0 ? vigil::cli::kExitOk : vigil::cli::kExitUsage;
  }
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  // The commands report their failures as Status; what still throws (out of memory, a
  // library's own exception) ends the run with its reason, as the contract's exit code 1.
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fputs("vigil: ", stderr);
    std::fputs(e.what(), stderr);
    std::fputs("\n", stderr);
  } catch (...) {
    std::fputs("vigil: unknown exception\n", stderr);
  }
  return vigil::cli::kExitFailure;
}

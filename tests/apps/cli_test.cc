// The command-line contract: every subcommand is registered with --help, usage errors exit 2,
// and failures exit 1 with the reason on stderr.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "vigil/store.h"

namespace {

struct CommandRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `shell_command` through the shell, stderr joined to stdout.
CommandRun RunCommand(const std::string& shell_command) {
  const std::string command = shell_command + " 2>&1";
  CommandRun run;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    run.output.append(buffer.data(), n);
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

CommandRun RunVigil(const std::string& args) {
  return RunCommand(std::string(VIGIL_EXE) + " " + args);
}

class CliTest : public testing::TestWithParam<const char*> {};

TEST_P(CliTest, EveryContractSubcommandHasHelp) {
  const CommandRun run = RunVigil(std::string(GetParam()) + " --help");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find(GetParam()), std::string::npos) << run.output;
}

INSTANTIATE_TEST_SUITE_P(Subcommands, CliTest,
                         testing::Values("generate", "ingest", "score", "eval", "outliers",
                                         "screen", "serve", "user", "audit", "train", "bench"));

TEST(CliContractTest, NoSubcommandIsAUsageError) { EXPECT_EQ(RunVigil("").exit_code, 2); }

TEST(CliContractTest, UnknownSubcommandIsAUsageError) {
  EXPECT_EQ(RunVigil("frobnicate").exit_code, 2);
}

TEST(CliContractTest, IntegerOptionsTakeDecimalDigitsOnly) {
  // Hex, a wrapped negative and a seed past 64 bits are usage errors naming the value, not a
  // silently different number.
  CommandRun run = RunVigil("generate --out /nonexistent/x --persons 0x10 --seed 1");
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("--persons: 0x10 is not a whole number in decimal digits"),
            std::string::npos)
      << run.output;
  run = RunVigil("generate --out /nonexistent/x --persons 10 --seed -1");
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("--seed: -1 is not a whole number in decimal digits"),
            std::string::npos)
      << run.output;
  run = RunVigil("outliers --csv /nonexistent.csv --seed 99999999999999999999");
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("--seed: 99999999999999999999 is out of range"), std::string::npos)
      << run.output;
  // A leading zero is decimal, not octal: 08 is eight and passes the usage check (the run then
  // fails on the missing file, exit 1).
  run = RunVigil("outliers --csv /nonexistent.csv --trees 08");
  EXPECT_EQ(run.exit_code, 1) << run.output;
}

TEST(CliContractTest, VersionPrintsTheVersion) {
  const CommandRun run = RunVigil("--version");
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_NE(run.output.find("vigil 0."), std::string::npos);
}

// A store holding part of a delivery, the way a killed vigil ingest leaves it: scoring names the
// folder to load again (exit 1), the console opens with a warning, the same folder whose files
// changed since is refused until the interrupted load is acknowledged, and then scoring runs.
TEST(CliContractTest, AnInterruptedDeliveryIsNamedUntilLoadedAgainOrAcknowledged) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "vigil-cli-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  const std::string dir = std::filesystem::weakly_canonical(tmpl).string();
  ASSERT_EQ(RunVigil("generate --out " + dir + "/city --persons 40 --seed 2").exit_code, 0);
  ASSERT_EQ(RunVigil("generate --out " + dir + "/later --persons 40 --seed 3").exit_code, 0);
  ASSERT_EQ(RunVigil("ingest --quiet --db " + dir + "/db " + dir + "/city").exit_code, 0);
  {
    vigil::StoreOptions options;
    options.path = dir + "/db";
    auto store = vigil::Store::Open(options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    vigil::DeliveryOptions delivery;
    delivery.load_id = "0123456789abcdef";  // not the folder's own: its files changed since
    delivery.source = dir + "/later";
    ASSERT_TRUE((*store)->BeginDelivery(delivery).ok());  // dropped unended, as by a kill
  }
  const std::string named = "(load id 0123456789abcdef from " + dir + "/later)";
  const std::string score = "score --db " + dir + "/db --as-of 2026-10-31 --out " + dir + "/cases";
  CommandRun run = RunVigil(score);
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_EQ(run.output,
            "vigil score: FailedPrecondition: the store holds part of an interrupted "
            "delivery " +
                named + ": run vigil ingest on that folder again before scoring\n");
  // The console is not refused (it shows the last run's cases), but says what the store holds.
  run = RunCommand("timeout 2 " + std::string(VIGIL_EXE) + " serve --port 0 --db " + dir + "/db");
  EXPECT_NE(run.output.find("vigil serve: warning: the store holds part of an interrupted "
                            "delivery " +
                            named +
                            ": histories may show part of it; run vigil ingest on that folder "
                            "again\n"),
            std::string::npos)
      << run.output;
  run = RunVigil("ingest --quiet --db " + dir + "/db " + dir + "/later");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  // The refusal names both load ids; the folder's own is a hash of its files.
  const std::string before_id =
      "vigil ingest: FailedPrecondition: the store holds part of an interrupted delivery from " +
      dir +
      "/later (load id 0123456789abcdef) and that folder's files have changed since (load id ";
  const std::string after_id =
      " now): acknowledge the interrupted one to load the folder as it is now (vigil ingest "
      "--discard-interrupted-load; the rows it wrote stay)\n";
  EXPECT_EQ(run.output.size(), before_id.size() + 16 + after_id.size()) << run.output;
  EXPECT_TRUE(run.output.starts_with(before_id)) << run.output;
  EXPECT_TRUE(run.output.ends_with(after_id)) << run.output;
  run = RunVigil("ingest --quiet --discard-interrupted-load --db " + dir + "/db " + dir + "/later");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  run = RunVigil(score);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace

// The command-line contract: every subcommand is registered with --help, usage errors exit 2,
// and failures exit 1 with the reason on stderr.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace {

struct CommandRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

CommandRun RunVigil(const std::string& args) {
  const std::string command = std::string(VIGIL_EXE) + " " + args + " 2>&1";
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

TEST(CliContractTest, VersionPrintsTheVersion) {
  const CommandRun run = RunVigil("--version");
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_NE(run.output.find("vigil 0."), std::string::npos);
}

}  // namespace

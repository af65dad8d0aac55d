// `vigil screen` end to end: a payroll with good and bad rows, screened in several batches
// (some read while the state is being built), screened again (every decision repeated), and
// the audit log printed by `vigil audit show --all` as JSON lines.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "screen_test_util.h"

namespace vigil {
namespace {

using testing::TempDir;

struct CommandRun {
  int exit_code = -1;
  std::string out;
};

CommandRun RunVigil(const std::string& args) {
  const std::string command = std::string(VIGIL_EXE) + " " + args + " 2>&1";
  CommandRun run;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) run.out.append(buf, n);
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(ScreenCommandTest, ScreensAPayrollRejectsBadRowsAndRepeatsOnASecondRun) {
  TempDir dir;
  const std::string alive = testing::Id("37020219500301101");
  const std::string dead = testing::Id("37020319520815103");
  {
    auto store = Store::Open(testing::StoreAt(dir / "db"));
    ASSERT_TRUE(store.ok());
    RecordBatch batch;
    batch.Add(testing::Person(alive, 3702, 342150, "6222000011112222"));
    batch.Add(testing::Person(dead, 3702, 342150, "6222000033334444"));
    batch.Add(testing::Registry(dead, RegistryEvent::kDeath, "2024-02-10", "2024-03-01"));
    ASSERT_TRUE((*store)->Write(batch).ok());
    ASSERT_TRUE((*store)->PutMeta("last_score_run", "2024-06-30/default-1/cli").ok());
  }
  {
    std::ofstream payroll(dir / "payroll.csv");
    payroll << "payment_id,person_id,region,benefit,period,amount,bank_account,channel\n"
            << "A1," << alive << ",3702,PENSION,2024-07,3421.50,6222000011112222,BANK\n"
            << "A2," << dead << ",3702,PENSION,2024-07,3421.50,6222000033334444,BANK\n"
            << "A3," << alive << ",3702,PENSION,2024-07,not-money,6222000011112222,BANK\n"
            << "A4," << alive << ",3702,PENSION,2024-08,3421.50,6299999999999999,BANK\n";
  }
  const std::string screen = "screen --db " + dir / "db" + " " + dir / "payroll.csv" + " --out " +
                             dir / "decisions.csv" + " --batch 1";
  CommandRun run = RunVigil(screen);
  ASSERT_EQ(run.exit_code, 0) << run.out;
  std::vector<std::string> decisions = Lines(dir / "decisions.csv");
  ASSERT_EQ(decisions.size(), 4u) << run.out;  // header + 3 screened rows, in input order
  EXPECT_EQ(decisions[1].rfind("A1,", 0), 0u);
  EXPECT_NE(decisions[1].find(",PAY,"), std::string::npos) << decisions[1];
  EXPECT_NE(decisions[2].find(",BLOCK,"), std::string::npos) << decisions[2];
  EXPECT_NE(decisions[2].find("DECEASED_PAID"), std::string::npos) << decisions[2];
  EXPECT_NE(decisions[3].find(",HOLD,"), std::string::npos) << decisions[3];
  EXPECT_EQ(decisions[3].back(), '0');
  const std::vector<std::string> rejects = Lines(dir / "decisions.csv.rejects.csv");
  ASSERT_EQ(rejects.size(), 2u);
  EXPECT_NE(rejects[1].find("A3"), std::string::npos) << rejects[1];

  // Again: the same decisions, each marked repeated.
  run = RunVigil(screen);
  ASSERT_EQ(run.exit_code, 0) << run.out;
  const std::vector<std::string> again = Lines(dir / "decisions.csv");
  ASSERT_EQ(again.size(), decisions.size());
  for (size_t i = 1; i < again.size(); ++i) {
    EXPECT_EQ(again[i].substr(0, again[i].size() - 1),
              decisions[i].substr(0, decisions[i].size() - 1));
    EXPECT_EQ(again[i].back(), '1') << again[i];
  }

  // The audit log reads as JSON lines: 3 first decisions, then 3 repeats.
  run = RunVigil("audit show --all --db " + dir / "db");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  std::istringstream lines(run.out);
  int first = 0, repeated = 0;
  for (std::string line; std::getline(lines, line);) {
    const auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << line;
    EXPECT_EQ(j.value("kind", ""), "screen");
    (j.value("repeated", false) ? repeated : first)++;
  }
  EXPECT_EQ(first, 3);
  EXPECT_EQ(repeated, 3);
  // verify checks the journal's entries too and counts them.
  run = RunVigil("audit verify --db " + dir / "db");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find("screening journal: 6 entries"), std::string::npos) << run.out;

  // A secondary screener's audit folder holds the journal and no store: both commands read it.
  const std::string audit_only = dir / "audit-only";
  std::filesystem::create_directories(audit_only);
  std::filesystem::copy(dir / "db/screen-audit", audit_only + "/screen-audit");
  run = RunVigil("audit show --all --db " + audit_only);
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_EQ(std::count(run.out.begin(), run.out.end(), '\n'), 6) << run.out;
  run = RunVigil("audit verify --db " + audit_only);
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find("screening journal intact"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find(": 6 entries"), std::string::npos) << run.out;
  // A folder with neither a store nor a journal is still an error.
  run = RunVigil("audit verify --db " + dir / "nothing-here");
  EXPECT_NE(run.exit_code, 0) << run.out;
}

TEST(ScreenCommandTest, ARowWithAnExtraFieldIsRejectedAndAColumnNamedLikePaidDateIsIgnored) {
  TempDir dir;
  const std::string alive = testing::Id("37020219500301101");
  {
    auto store = Store::Open(testing::StoreAt(dir / "db"));
    ASSERT_TRUE(store.ok());
    RecordBatch batch;
    batch.Add(testing::Person(alive, 3702, 342150, "6222000011112222"));
    ASSERT_TRUE((*store)->Write(batch).ok());
  }
  {
    // No paid_date column; paid_date_planned is an unknown column, not paid_date.
    std::ofstream payroll(dir / "payroll.csv");
    payroll << "payment_id,person_id,region,benefit,period,amount,bank_account,channel,"
               "paid_date_planned\n"
            << "B1," << alive << ",3702,PENSION,2024-07,3421.50,6222000011112222,BANK,x\n"
            << "B2," << alive
            << ",3702,PENSION,2024-08,3421.50,6222000011112222,BANK,x,"
               "2024-08-05\n";
  }
  const CommandRun run = RunVigil("screen --db " + dir / "db" + " " + dir / "payroll.csv" +
                                  " --out " + dir / "decisions.csv");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  const std::vector<std::string> decisions = Lines(dir / "decisions.csv");
  ASSERT_EQ(decisions.size(), 2u) << run.out;
  EXPECT_EQ(decisions[1].rfind("B1,", 0), 0u) << decisions[1];
  const std::vector<std::string> rejects = Lines(dir / "decisions.csv.rejects.csv");
  ASSERT_EQ(rejects.size(), 2u) << run.out;
  EXPECT_EQ(rejects[1].rfind("payroll.csv,3,,\"FIELD_COUNT: row has 10 fields, header has 9\"", 0),
            0u)
      << rejects[1];
  // Both files went through a temporary name; none is left.
  EXPECT_FALSE(std::filesystem::exists(dir / "decisions.csv.tmp"));
  EXPECT_FALSE(std::filesystem::exists(dir / "decisions.csv.rejects.csv.tmp"));
}

}  // namespace
}  // namespace vigil

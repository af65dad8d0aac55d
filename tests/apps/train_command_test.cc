// `vigil train` from the reviewers' decisions: each person's latest CONFIRM_FRAUD or CLEAR
// recorded in the console's audit log on or before --as-of is a label; later ones are not, so a
// model fitted for an earlier date learns nothing from later reviews.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "console/audit_log.h"
#include "shell_command.h"
#include "vigil/store.h"

namespace vigil::cli {
namespace {

// The distinct person ids (first column) of a CSV's data rows, in file order.
std::vector<std::string> Ids(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header
  std::vector<std::string> ids;
  std::set<std::string> seen;
  while (std::getline(in, line)) {
    std::string id = line.substr(0, line.find(','));
    if (seen.insert(id).second) ids.push_back(std::move(id));
  }
  return ids;
}

class TrainCommandTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir() + "/vigil_train_" + std::to_string(getpid());
    std::filesystem::remove_all(dir_);
    std::string out;
    ASSERT_TRUE(GenerateAndIngestSmallCity(Vigil(), dir_, Db(), &out)) << out;
    ASSERT_EQ(
        RunShellCommand(
            Vigil() + " score --db " + Db() + " --as-of 2026-10-31 --out " + dir_ + "/out", &out),
        0)
        << out;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static std::string Vigil() { return VIGIL_EXE; }
  std::string Db() const { return dir_ + "/db"; }

  // Records `decision` on `person` in the console's audit log at local time `time`.
  static void Decide(console::AuditLog& log, const std::string& person, const char* decision,
                     const char* time) {
    auto entry = log.Append({{"type", "decision"},
                             {"user", "reviewer"},
                             {"person_id", person},
                             {"decision", decision},
                             {"comment", "checked"},
                             {"time", time}});
    ASSERT_TRUE(entry.ok()) << entry.status().ToString();
  }

  std::string dir_;
};

TEST_F(TrainCommandTest, LearnsFromTheDecisionsRecordedByItsDate) {
  std::vector<std::string> flagged = Ids(dir_ + "/out/cases.csv");
  const std::set<std::string> cases(flagged.begin(), flagged.end());
  ASSERT_GE(flagged.size(), 40u);
  flagged.resize(40);
  std::vector<std::string> cleared;
  for (const std::string& id : Ids(dir_ + "/out/certification.csv")) {
    if (cases.count(id) == 0 && cleared.size() < 30) cleared.push_back(id);
  }
  ASSERT_EQ(cleared.size(), 30u);
  {
    StoreOptions options;
    options.path = Db();
    auto store = Store::Open(options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto log = console::AuditLog::Open(**store);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    for (size_t i = 0; i < 30; ++i)
      Decide(**log, flagged[i], "CONFIRM_FRAUD", "2026-10-20T09:00:00");
    for (const std::string& id : cleared) Decide(**log, id, "CLEAR", "2026-10-31T23:59:59");
    Decide(**log, flagged[0], "NEEDS_ACTIVE", "2026-10-21T09:00:00");  // not a label
    // Reviewed in November: not known on 2026-10-31.
    for (size_t i = 30; i < 40; ++i) {
      Decide(**log, flagged[i], "CONFIRM_FRAUD", "2026-11-02T09:00:00");
    }
    Decide(**log, flagged[1], "CLEAR", "2026-11-03T09:00:00");  // a later change of mind
  }
  std::string out;
  ASSERT_EQ(RunShellCommand(Vigil() + " train --db " + Db() + " --as-of 2026-10-31", &out), 0)
      << out;
  EXPECT_NE(out.find("fitted the fusion model on 60 labelled persons (30 positive)"),
            std::string::npos)
      << out;
  ASSERT_EQ(RunShellCommand(Vigil() + " train --db " + Db() + " --as-of 2026-11-30", &out), 0)
      << out;
  EXPECT_NE(out.find("fitted the fusion model on 70 labelled persons (39 positive)"),
            std::string::npos)
      << out;
  // Nothing decided by then.
  EXPECT_EQ(RunShellCommand(Vigil() + " train --db " + Db() + " --as-of 2026-10-19", &out), 1);
  EXPECT_NE(out.find("no reviewer decision (CONFIRM_FRAUD or CLEAR) recorded on or before "
                     "2026-10-19 (71 recorded after it)"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace vigil::cli

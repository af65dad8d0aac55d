// `vigil upgrade --db DB` through the real program: a small city loaded, its store forged back
// to schema 1 (as an older vigil leaves it), upgraded in place, and scored: the outputs equal
// those of the schema-1 store, byte for byte.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "shell_command.h"
#include "tests/storage/raw_db.h"

namespace vigil::cli {
namespace {

int RunVigil(const std::string& args, std::string* output = nullptr) {
  return RunShellCommand(std::string(VIGIL_EXE) + " " + args, output);
}

TEST(UpgradeCommandTest, UpgradesASchemaOneStoreInPlaceAndScoringIsUnchanged) {
  const std::string dir = ::testing::TempDir() + "/vigil_upgrade_" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  std::string out;
  ASSERT_EQ(RunVigil("generate --out " + dir + "/city --persons 400 --seed 23", &out), 0) << out;
  ASSERT_EQ(RunVigil("ingest --db " + dir + "/db " + dir + "/city", &out), 0) << out;
  ASSERT_EQ(RunVigil("upgrade --db " + dir + "/db", &out), 0) << out;
  EXPECT_NE(out.find("already at schema version 2"), std::string::npos) << out;

  testing::RawDb(dir + "/db").MakeSchemaOne();
  std::filesystem::copy(dir + "/db", dir + "/old", std::filesystem::copy_options::recursive);
  ASSERT_EQ(RunVigil("upgrade --db " + dir + "/db", &out), 0) << out;
  EXPECT_NE(out.find("packed histories built for "), std::string::npos) << out;
  EXPECT_NE(out.find("; schema version 2"), std::string::npos) << out;
  ASSERT_EQ(RunVigil("upgrade --db " + dir + "/db", &out), 0) << out;
  EXPECT_NE(out.find("already at schema version 2"), std::string::npos) << out;

  for (const char* db : {"db", "old"}) {
    ASSERT_EQ(
        RunVigil("score --db " + dir + "/" + db + " --as-of 2026-10-31 --out " + dir + "/out-" + db,
                 &out),
        0)
        << out;
  }
  for (const char* file : {"cases.csv", "cases.jsonl", "certification.csv"}) {
    const std::string upgraded = ReadWholeFile(dir + "/out-db/" + file);
    EXPECT_FALSE(upgraded.empty()) << file;
    EXPECT_TRUE(upgraded == ReadWholeFile(dir + "/out-old/" + file)) << file << " differs";
  }

  EXPECT_EQ(RunVigil("upgrade --db " + dir + "/nothing-here", &out), 1) << out;
  EXPECT_FALSE(std::filesystem::exists(dir + "/nothing-here"));
  EXPECT_EQ(RunVigil("upgrade", &out), 2) << out;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vigil::cli

// SyncAndRename and SyncDirectory (include/vigil/durable_file.h). A power loss cannot be made
// in a test; what is checked is the replacement itself and the errors' wording.
#include "vigil/durable_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "test_util.h"

namespace vigil {
namespace {

using testing::TempDir;

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

TEST(DurableFileTest, SyncAndRenameReplacesTheEarlierFileAndLeavesNoTemporary) {
  TempDir dir;
  const std::string final_path = dir.path("cases.csv");
  WriteFile(final_path, "earlier run\n");
  WriteFile(final_path + ".tmp", "this run\n");

  ASSERT_TRUE(SyncAndRename(final_path + ".tmp", final_path).ok());
  ASSERT_TRUE(SyncDirectory(DirectoryOf(final_path)).ok());

  EXPECT_EQ(ReadFile(final_path), "this run\n");
  EXPECT_FALSE(std::filesystem::exists(final_path + ".tmp"));
}

TEST(DurableFileTest, AMissingTemporaryIsAnIoErrorNamingItAndTheEarlierFileStays) {
  TempDir dir;
  const std::string final_path = dir.path("cases.csv");
  WriteFile(final_path, "earlier run\n");

  const Status s = SyncAndRename(final_path + ".tmp", final_path);

  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_EQ(s.message(), final_path + ".tmp: cannot open to sync: No such file or directory");
  EXPECT_EQ(ReadFile(final_path), "earlier run\n");
}

TEST(DurableFileTest, ARenameIntoAMissingDirectoryIsAnIoErrorNamingTheTarget) {
  TempDir dir;
  const std::string temp_path = dir.path("cases.csv.tmp");
  WriteFile(temp_path, "this run\n");
  const std::string final_path = dir.path("gone") + "/cases.csv";

  const Status s = SyncAndRename(temp_path, final_path);

  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_EQ(s.message(), final_path + ": rename failed: No such file or directory");
  EXPECT_EQ(ReadFile(temp_path), "this run\n");
}

TEST(DurableFileTest, SyncingAMissingDirectoryIsAnIoErrorNamingIt) {
  TempDir dir;
  const Status s = SyncDirectory(dir.path("gone"));
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_EQ(s.message(), dir.path("gone") + ": cannot open to sync: No such file or directory");
}

TEST(DurableFileTest, TheDirectoryOfABareNameIsTheWorkingDirectory) {
  EXPECT_EQ(DirectoryOf("cases.csv"), ".");
  EXPECT_EQ(DirectoryOf("out/cases.csv"), "out");
  EXPECT_EQ(DirectoryOf("/srv/vigil/out/cases.csv"), "/srv/vigil/out");
}

}  // namespace
TEST(DurableFileTest, ADeviceOrPipeIsWrittenInPlaceAndAFileThroughATemporary) {
  EXPECT_EQ(TempPathFor("/dev/null"), "/dev/null");
  EXPECT_EQ(TempPathFor("out/decisions.csv"), "out/decisions.csv.tmp");  // not there yet
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("vigil-temp-path-" + std::to_string(::getpid()));
  std::ofstream(file) << "earlier";
  EXPECT_EQ(TempPathFor(file.string()), file.string() + ".tmp");
  std::filesystem::remove(file);
}

}  // namespace vigil

// The score outputs' commit (core/case_output.h): the run manifest is removed before the first
// rename and written after the last, so a commit that stops between them leaves no manifest
// vouching for a mixed set of files.
#include "../../core/case_output.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace vigil {
namespace {

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class CaseOutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "vigil-case-output-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    options_.out_dir = dir_.string();
    options_.as_of = Date(std::chrono::year(2026), std::chrono::month(10), std::chrono::day(31));
    options_.policy_version = "default-1";
    options_.model_id = "iforest-test";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // One run's outputs: no case, one certification row.
  Status Run(const std::string& certification_row) {
    auto writer = OutputWriter::Open(dir_.string());
    if (!writer.ok()) return writer.status();
    VIGIL_RETURN_IF_ERROR((*writer)->AppendCertification(certification_row));
    ScoreSummary summary;
    VIGIL_RETURN_IF_ERROR((*writer)->WriteCases(options_, {}, &summary));
    return (*writer)->Commit(options_, nullptr);
  }

  std::filesystem::path dir_;
  CaseWriterOptions options_;
};

TEST_F(CaseOutputTest, TheManifestNamesTheRunAndTheSizesOfItsFiles) {
  ASSERT_TRUE(Run("1,3701,CERTIFIED,,,,,\n").ok());
  const nlohmann::json manifest = nlohmann::json::parse(ReadFile(dir_ / "run.json"));
  EXPECT_EQ(manifest.at("run"), "2026-10-31/default-1/iforest-test");
  for (const char* file : {"cases.csv", "cases.jsonl", "certification.csv"}) {
    EXPECT_EQ(manifest.at("files").at(file).at("bytes").get<uintmax_t>(),
              std::filesystem::file_size(dir_ / file))
        << file;
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ / "run.json.tmp"));
}

TEST_F(CaseOutputTest, ACommitStoppedBetweenTheRenamesLeavesNoManifest) {
  ASSERT_TRUE(Run("1,3701,CERTIFIED,,,,,\n").ok());
  ASSERT_TRUE(std::filesystem::exists(dir_ / "run.json"));
  // The third rename fails (a directory stands at certification.csv's name) after cases.csv
  // and cases.jsonl were replaced by the new run's.
  std::filesystem::remove(dir_ / "certification.csv");
  std::filesystem::create_directory(dir_ / "certification.csv");
  std::ofstream(dir_ / "certification.csv" / "keep") << "x";
  options_.model_id = "iforest-second";
  const Status failed = Run("2,3702,NEEDS_ACTIVE,,,,,\n");
  EXPECT_EQ(failed.code(), StatusCode::kIoError) << failed.ToString();
  EXPECT_FALSE(std::filesystem::exists(dir_ / "run.json"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "run.json.tmp"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "certification.csv.tmp"));
}

}  // namespace
}  // namespace vigil

// `vigil outliers` on the shapes public outlier benchmarks come in: missing values imputed and
// said on stderr, text labels, a label column that is not last, spreadsheet quirks; and clear
// failures (exit 1, file, line and column on stderr) for what cannot be scored.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

namespace {

namespace fs = std::filesystem;

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class OutliersCommandTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(testing::TempDir()) / ("vigil-outliers-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
  }

  // Runs `vigil outliers ARGS`, keeping stdout and stderr apart in stdout_ and stderr_.
  int RunOutliers(const std::string& args) {
    const fs::path out = dir_ / "stdout.txt";
    const fs::path err = dir_ / "stderr.txt";
    const std::string command =
        std::string(VIGIL_EXE) + " outliers " + args + " > " + out.string() + " 2> " + err.string();
    const int status = std::system(command.c_str());
    stdout_ = ReadText(out);
    stderr_ = ReadText(err);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  // Forty ordinary rows (many of them duplicates) near the origin and two far out, with a
  // constant column: the two far rows are the obvious outliers, so the AUC is 1. `label` is
  // the text written for outlier / inlier and `row_end` ends each line.
  static std::string Clustered(const std::string& outlier, const std::string& inlier,
                               const std::string& row_end) {
    std::string text = "\"kind\",\"x\",\"y\",\"constant\"" + row_end;
    for (int i = 0; i < 40; ++i) {
      text +=
          inlier + "," + std::to_string(i % 4) + "e-1,-" + std::to_string(i % 3) + ",7" + row_end;
    }
    text += outlier + ",-5E3,1.5e+3,7" + row_end;
    text += outlier + ",4e3,-2e3,7" + row_end;
    return text;
  }

  fs::path dir_;
  std::string stdout_;
  std::string stderr_;
};

TEST_F(OutliersCommandTest, MissingCellsAreImputedAndSaidOnStderr) {
  std::string text = "a,b,label\n";
  for (int i = 0; i < 20; ++i) text += std::to_string(i % 5) + "," + std::to_string(i % 3) + ",0\n";
  text += "?,NA,0\n,nan,0\n900,-900,1\n";
  const std::string csv = Write("missing.csv", text);
  ASSERT_EQ(RunOutliers("--csv " + csv + " --label label --out " + (dir_ / "s.csv").string()), 0)
      << stderr_;
  EXPECT_EQ(stderr_, "vigil outliers: " + csv +
                         ": imputed 4 missing cells in 2 columns with the column median\n");
  EXPECT_NE(stdout_.find("rows=23 features=2 "), std::string::npos) << stdout_;
  EXPECT_NE(stdout_.find("\nauc=1.000000\n"), std::string::npos) << stdout_;
}

TEST_F(OutliersCommandTest, CompleteFileWritesNothingOnStderr) {
  const std::string csv = Write("complete.csv", Clustered("1", "0", "\n"));
  ASSERT_EQ(RunOutliers("--csv " + csv + " --label kind"), 0) << stderr_;
  EXPECT_EQ(stderr_, "");
  // Header, 42 scores, then the AUC.
  EXPECT_EQ(std::count(stdout_.begin(), stdout_.end(), '\n'), 44);
  EXPECT_TRUE(stdout_.starts_with("score\n")) << stdout_;
  EXPECT_TRUE(stdout_.ends_with("\nauc=1.000000\n")) << stdout_;
}

TEST_F(OutliersCommandTest, TextLabelsFirstColumnBomCrlfQuotesAndTrailingBlankLine) {
  for (const auto& [outlier, inlier] : {std::pair{"o", "n"}, std::pair{"Yes", "no"},
                                        std::pair{"TRUE", "false"}, std::pair{"1.0", "0.0"}}) {
    const std::string csv =
        Write("quirks.csv", "\xEF\xBB\xBF" + Clustered(outlier, inlier, "\r\n") + "\r\n");
    ASSERT_EQ(RunOutliers("--csv " + csv + " --label kind --out " + (dir_ / "s.csv").string()), 0)
        << outlier << "/" << inlier << ": " << stderr_;
    EXPECT_NE(stdout_.find("rows=42 features=3 "), std::string::npos) << stdout_;
    EXPECT_TRUE(stdout_.ends_with("\nauc=1.000000\n")) << outlier << "/" << inlier << stdout_;
    EXPECT_EQ(stderr_, "");
  }
}

TEST_F(OutliersCommandTest, MissingLabelFailsWithFileLineAndColumn) {
  const std::string csv = Write("missing_label.csv", "x,label\n1,0\n2,NA\n3,1\n");
  EXPECT_EQ(RunOutliers("--csv " + csv + " --label label"), 1);
  EXPECT_EQ(stderr_, "vigil outliers: " + csv + " line 3, column 2 (label): missing label\n");
  EXPECT_EQ(stdout_, "");
}

TEST_F(OutliersCommandTest, UnknownLabelFailsWithFileLineAndColumn) {
  const std::string csv = Write("bad_label.csv", "label,x\n0,1\n-1,2\n1,3\n");
  EXPECT_EQ(RunOutliers("--csv " + csv + " --label label"), 1);
  EXPECT_EQ(stderr_, "vigil outliers: " + csv +
                         " line 3, column 1 (label): not an outlier label (0/1, true/false, "
                         "yes/no or o/n)\n");
}

TEST_F(OutliersCommandTest, InfinityFailsWithFileLineAndColumn) {
  const std::string csv = Write("inf.csv", "a,b\n1,2\n3,4\n-inf,5\n");
  EXPECT_EQ(RunOutliers("--csv " + csv), 1);
  EXPECT_EQ(stderr_, "vigil outliers: " + csv +
                         " line 4, column 1 (a): not a finite float value (infinite or beyond "
                         "3.4e38)\n");
}

TEST_F(OutliersCommandTest, AllConstantColumnsScoreEveryRowAlike) {
  const std::string csv = Write("constant.csv", "a,b,label\n1,2,0\n1,2,0\n1,2,1\n1,2,0\n");
  ASSERT_EQ(RunOutliers("--csv " + csv + " --label label"), 0) << stderr_;
  std::istringstream lines(stdout_);
  std::string header, first, line;
  ASSERT_TRUE(std::getline(lines, header) && std::getline(lines, first)) << stdout_;
  EXPECT_EQ(header, "score");
  // Nothing sets any row apart: one score for all (0.5 up to float rounding), AUC one half.
  for (int row = 1; row < 4; ++row) {
    ASSERT_TRUE(std::getline(lines, line)) << stdout_;
    EXPECT_EQ(line, first) << stdout_;
  }
  EXPECT_NEAR(std::stod(first), 0.5, 1e-6);
  ASSERT_TRUE(std::getline(lines, line)) << stdout_;
  EXPECT_EQ(line, "auc=0.500000");
}

}  // namespace

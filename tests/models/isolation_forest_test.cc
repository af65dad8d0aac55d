#include "vigil/isolation_forest.h"

#include <gtest/gtest.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace vigil {
namespace {

// A 2-D Gaussian cluster of `n` rows with one far outlier appended at (8, -8).
std::vector<float> ClusterWithOutlier(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> normal(0.0F, 1.0F);
  std::vector<float> rows;
  for (size_t i = 0; i < n; ++i) {
    rows.push_back(normal(gen));
    rows.push_back(normal(gen));
  }
  rows.push_back(8.0F);
  rows.push_back(-8.0F);
  return rows;
}

IsolationForest FitOrDie(const std::vector<float>& rows, size_t cols,
                         const IsolationForestOptions& options) {
  auto forest = IsolationForest::Fit(rows.data(), rows.size() / cols, cols, options);
  EXPECT_TRUE(forest.ok()) << forest.status().ToString();
  return std::move(forest).value();
}

std::vector<float> ScoreAll(const IsolationForest& forest, const std::vector<float>& rows) {
  std::vector<float> scores(rows.size() / forest.num_features());
  forest.Score(rows.data(), scores.size(), scores.data());
  return scores;
}

TEST(AveragePathLengthTest, MatchesThePaper) {
  EXPECT_DOUBLE_EQ(AveragePathLength(0), 0.0);
  EXPECT_DOUBLE_EQ(AveragePathLength(1), 0.0);
  EXPECT_DOUBLE_EQ(AveragePathLength(2), 1.0);
  // 2 (ln 255 + gamma) - 2 * 255 / 256.
  EXPECT_NEAR(AveragePathLength(256), 10.244770920119917, 1e-9);
}

TEST(IsolationForestTest, ObviousOutlierScoresHighest) {
  const std::vector<float> rows = ClusterWithOutlier(500, 7);
  const IsolationForest forest = FitOrDie(rows, 2, {});
  const std::vector<float> scores = ScoreAll(forest, rows);
  const size_t outlier = scores.size() - 1;
  EXPECT_EQ(std::max_element(scores.begin(), scores.end()) - scores.begin(),
            static_cast<std::ptrdiff_t>(outlier));
  EXPECT_GT(scores[outlier], 0.7F);
  std::vector<float> inliers(scores.begin(), scores.end() - 1);
  std::nth_element(inliers.begin(), inliers.begin() + inliers.size() / 2, inliers.end());
  EXPECT_LT(inliers[inliers.size() / 2], 0.5F);
}

TEST(IsolationForestTest, ScoresLieInUnitInterval) {
  const std::vector<float> rows = ClusterWithOutlier(300, 3);
  const IsolationForest forest = FitOrDie(rows, 2, {});
  for (float s : ScoreAll(forest, rows)) {
    EXPECT_GT(s, 0.0F);
    EXPECT_LE(s, 1.0F);
  }
}

TEST(IsolationForestTest, IdenticalPointsScoreOneHalf) {
  // No split can separate identical rows: every tree is one leaf holding psi rows, whose path
  // length is c(psi), so s = 2^-1 exactly (up to float rounding).
  const std::vector<float> rows(3 * 400, 1.5F);
  const IsolationForest forest = FitOrDie(rows, 3, {});
  for (float s : ScoreAll(forest, rows)) EXPECT_NEAR(s, 0.5F, 1e-6F);
  const float other[3] = {100.0F, -3.0F, 0.0F};
  EXPECT_NEAR(forest.ScoreOne(other), 0.5F, 1e-6F);
}

TEST(IsolationForestTest, SampleSizeIsCappedAtRowCount) {
  const std::vector<float> rows = ClusterWithOutlier(49, 1);
  const IsolationForest forest = FitOrDie(rows, 2, {});
  EXPECT_EQ(forest.sample_size(), 50U);
  EXPECT_EQ(forest.num_trees(), 100U);
  EXPECT_EQ(forest.num_features(), 2U);
  EXPECT_DOUBLE_EQ(forest.average_path_length(), AveragePathLength(50));
}

TEST(IsolationForestTest, SameSeedGivesIdenticalForestAcrossThreadCounts) {
  const std::vector<float> rows = ClusterWithOutlier(3000, 11);
  IsolationForestOptions options;
  options.seed = 42;
  std::string one_thread_bytes;
  std::vector<float> one_thread_scores;
  {
    tbb::global_control one(tbb::global_control::max_allowed_parallelism, 1);
    const IsolationForest forest = FitOrDie(rows, 2, options);
    one_thread_bytes = forest.Serialize();
    one_thread_scores = ScoreAll(forest, rows);
  }
  tbb::task_arena four(4);
  four.execute([&] {
    const IsolationForest forest = FitOrDie(rows, 2, options);
    EXPECT_EQ(forest.Serialize(), one_thread_bytes) << "seed " << options.seed;
    const std::vector<float> scores = ScoreAll(forest, rows);
    ASSERT_EQ(scores.size(), one_thread_scores.size());
    for (size_t i = 0; i < scores.size(); ++i) {
      ASSERT_EQ(scores[i], one_thread_scores[i]) << "row " << i << " seed " << options.seed;
    }
  });
}

TEST(IsolationForestTest, DifferentSeedsGiveDifferentForests) {
  const std::vector<float> rows = ClusterWithOutlier(500, 5);
  IsolationForestOptions a;
  a.seed = 1;
  IsolationForestOptions b;
  b.seed = 2;
  EXPECT_NE(FitOrDie(rows, 2, a).model_id(), FitOrDie(rows, 2, b).model_id());
  EXPECT_EQ(FitOrDie(rows, 2, a).model_id(), FitOrDie(rows, 2, a).model_id());
}

TEST(IsolationForestTest, ScoreOneMatchesBatchScore) {
  const std::vector<float> rows = ClusterWithOutlier(777, 9);
  const IsolationForest forest = FitOrDie(rows, 2, {});
  const std::vector<float> scores = ScoreAll(forest, rows);
  for (size_t i = 0; i < scores.size(); ++i) {
    ASSERT_EQ(forest.ScoreOne(rows.data() + 2 * i), scores[i]) << "row " << i;
    const double from_path =
        std::exp2(-forest.MeanPathLength(rows.data() + 2 * i) / forest.average_path_length());
    ASSERT_NEAR(from_path, scores[i], 1e-5) << "row " << i;
  }
}

TEST(IsolationForestTest, TreesDeeperThanTheCompiledLayoutScoreLikeScoreOne) {
  // A depth limit of 30 on 4000 rows grows trees deeper than the perfect-tree scoring layout
  // takes (12 levels), so Score falls back to walking the node array.
  const std::vector<float> rows = ClusterWithOutlier(4000, 21);
  IsolationForestOptions deep;
  deep.samples = 4096;
  deep.max_depth = 30;
  deep.trees = 20;
  const IsolationForest forest = FitOrDie(rows, 2, deep);
  const std::vector<float> scores = ScoreAll(forest, rows);
  for (size_t i = 0; i < scores.size(); ++i) {
    ASSERT_EQ(forest.ScoreOne(rows.data() + 2 * i), scores[i]) << "row " << i;
  }
  EXPECT_EQ(std::max_element(scores.begin(), scores.end()) - scores.begin(),
            static_cast<std::ptrdiff_t>(scores.size() - 1));
}

TEST(IsolationForestTest, DepthLimitOfOneLeavesAtMostTwoScoresPerTree) {
  // With a depth limit of 1 every path is 1 + c(leaf size): far fewer distinct scores.
  const std::vector<float> rows = ClusterWithOutlier(1000, 2);
  IsolationForestOptions shallow;
  shallow.max_depth = 1;
  shallow.trees = 1;
  const std::vector<float> scores = ScoreAll(FitOrDie(rows, 2, shallow), rows);
  std::vector<float> distinct = scores;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  EXPECT_LE(distinct.size(), 2U);
}

TEST(IsolationForestTest, ExplainCreditsTheFeatureThatIsolates) {
  std::mt19937 gen(4);
  std::normal_distribution<float> normal(0.0F, 1.0F);
  std::vector<float> rows;
  for (int i = 0; i < 1000; ++i) {
    for (int f = 0; f < 4; ++f) rows.push_back(normal(gen));
  }
  const IsolationForest forest = FitOrDie(rows, 4, {});
  const float odd[4] = {0.1F, -0.2F, 9.0F, 0.0F};  // unusual only in feature 2
  const std::vector<FeatureContribution> top = forest.Explain(odd, 4);
  ASSERT_FALSE(top.empty());
  EXPECT_EQ(top[0].feature, 2U);
  EXPECT_GT(top[0].contribution, 0.0);
  EXPECT_LE(forest.Explain(odd, 1).size(), 1U);
  // Contributions telescope to c(psi) - E[h(x)].
  double total = 0;
  for (const FeatureContribution& c : top) total += c.contribution;
  EXPECT_NEAR(total, forest.average_path_length() - forest.MeanPathLength(odd), 1e-4);
}

TEST(IsolationForestTest, SaveLoadRoundTripGivesIdenticalScores) {
  const std::vector<float> rows = ClusterWithOutlier(2000, 13);
  IsolationForestOptions options;
  options.seed = 77;
  options.trees = 50;
  const IsolationForest forest = FitOrDie(rows, 2, options);
  const std::string path = testing::TempDir() + "/iforest_roundtrip.model";
  ASSERT_TRUE(forest.Save(path).ok());
  auto loaded = IsolationForest::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->model_id(), forest.model_id());
  EXPECT_EQ(loaded->num_trees(), 50U);
  EXPECT_EQ(loaded->Serialize(), forest.Serialize());
  EXPECT_EQ(ScoreAll(*loaded, rows), ScoreAll(forest, rows));
  const float probe[2] = {3.0F, 3.0F};
  EXPECT_EQ(loaded->Explain(probe, 2).size(), forest.Explain(probe, 2).size());
  std::remove(path.c_str());
}

TEST(IsolationForestTest, FlippedByteIsCorruption) {
  const std::vector<float> rows = ClusterWithOutlier(300, 1);
  std::string bytes = FitOrDie(rows, 2, {}).Serialize();
  bytes[bytes.size() / 2] ^= 0x10;
  auto loaded = IsolationForest::Deserialize(bytes);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kCorruption);
}

TEST(IsolationForestTest, TruncatedModelIsCorruption) {
  const std::vector<float> rows = ClusterWithOutlier(300, 1);
  const std::string bytes = FitOrDie(rows, 2, {}).Serialize();
  auto loaded = IsolationForest::Deserialize(std::string_view(bytes).substr(0, bytes.size() - 20));
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kCorruption);
}

TEST(IsolationForestTest, OtherFormatVersionIsFailedPrecondition) {
  const std::vector<float> rows = ClusterWithOutlier(300, 1);
  std::string bytes = FitOrDie(rows, 2, {}).Serialize();
  bytes[4] = 9;  // version field follows the 4-byte magic
  auto loaded = IsolationForest::Deserialize(bytes);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kFailedPrecondition);
}

TEST(IsolationForestTest, LoadOfMissingFileIsNotFound) {
  auto loaded = IsolationForest::Load(testing::TempDir() + "/no_such_iforest.model");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kNotFound);
}

TEST(IsolationForestTest, RejectsBadInput) {
  const std::vector<float> rows = ClusterWithOutlier(10, 1);
  IsolationForestOptions no_trees;
  no_trees.trees = 0;
  EXPECT_EQ(IsolationForest::Fit(rows.data(), 11, 2, no_trees).status().code(),
            StatusCode::kInvalidArgument);
  IsolationForestOptions one_sample;
  one_sample.samples = 1;
  EXPECT_EQ(IsolationForest::Fit(rows.data(), 11, 2, one_sample).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(IsolationForest::Fit(rows.data(), 1, 2, {}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(IsolationForest::Fit(rows.data(), 11, 0, {}).status().code(),
            StatusCode::kInvalidArgument);
  std::vector<float> with_nan = rows;
  with_nan[5] = std::nanf("");
  auto fit = IsolationForest::Fit(with_nan.data(), 11, 2, {});
  ASSERT_FALSE(fit.ok());
  EXPECT_EQ(fit.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(fit.status().message().find("row 2, column 1"), std::string::npos)
      << fit.status().message();
}

}  // namespace
}  // namespace vigil

#include <gtest/gtest.h>

#include <vector>

#include "vigil/isolation_forest.h"

namespace vigil {
namespace {

double Auc(const std::vector<float>& scores, const std::vector<float>& labels) {
  auto auc = RocAuc(scores, labels);
  EXPECT_TRUE(auc.ok()) << auc.status().ToString();
  return auc.value_or(-1.0);
}

TEST(RocAucTest, PerfectRankingIsOne) {
  EXPECT_DOUBLE_EQ(Auc({0.1F, 0.2F, 0.8F, 0.9F}, {0, 0, 1, 1}), 1.0);
}

TEST(RocAucTest, ReversedRankingIsZero) {
  EXPECT_DOUBLE_EQ(Auc({0.9F, 0.8F, 0.2F, 0.1F}, {0, 0, 1, 1}), 0.0);
}

TEST(RocAucTest, AllTiedIsOneHalf) {
  EXPECT_DOUBLE_EQ(Auc({0.5F, 0.5F, 0.5F, 0.5F, 0.5F}, {0, 1, 0, 1, 0}), 0.5);
}

TEST(RocAucTest, TiesBetweenClassesCountHalf) {
  // Pairs (positive, negative): (0.5 vs 0.1) win, (0.5 vs 0.5) tie, (0.9 vs both) win:
  // (1 + 0.5 + 1 + 1) / 4.
  EXPECT_DOUBLE_EQ(Auc({0.1F, 0.5F, 0.5F, 0.9F}, {0, 0, 1, 1}), 0.875);
}

TEST(RocAucTest, HandComputedMixedCase) {
  // Positives 0.4 and 0.8; negatives 0.1, 0.6, 0.7. 0.4 beats 1 of 3, 0.8 beats 3 of 3.
  EXPECT_DOUBLE_EQ(Auc({0.1F, 0.4F, 0.6F, 0.7F, 0.8F}, {0, 1, 0, 0, 1}), 4.0 / 6.0);
}

TEST(RocAucTest, AnyNonZeroLabelIsPositive) { EXPECT_DOUBLE_EQ(Auc({0.1F, 0.9F}, {0, 2}), 1.0); }

TEST(RocAucTest, OneClassOnlyIsInvalidArgument) {
  auto auc = RocAuc(std::vector<float>{0.1F, 0.2F}, std::vector<float>{1, 1});
  ASSERT_FALSE(auc.ok());
  EXPECT_EQ(auc.status().code(), StatusCode::kInvalidArgument);
}

TEST(RocAucTest, SizeMismatchIsInvalidArgument) {
  auto auc = RocAuc(std::vector<float>{0.1F, 0.2F}, std::vector<float>{1});
  ASSERT_FALSE(auc.ok());
  EXPECT_EQ(auc.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vigil

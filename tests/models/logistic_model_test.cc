#include "vigil/logistic_model.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace vigil {
namespace {

TEST(LogisticModelTest, SeparatesASeparableToySetWithConfidentProbabilities) {
  // Label 1 exactly when x0 + x1 > 1; x2 is noise.
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(0, 1);
  std::vector<float> rows;
  std::vector<uint8_t> labels;
  for (int i = 0; i < 400; ++i) {
    const float a = u(rng), b = u(rng), noise = u(rng);
    if (std::abs(a + b - 1) < 0.1f) continue;  // a margin keeps the set cleanly separable
    rows.insert(rows.end(), {a, b, noise});
    labels.push_back(a + b > 1 ? 1 : 0);
  }
  auto model = LogisticModel::Fit(rows.data(), labels.size(), 3, labels.data(), {.l2 = 0.01});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  size_t correct = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    correct += (model->Predict(&rows[i * 3]) > 0.5) == (labels[i] == 1) ? 1 : 0;
  }
  EXPECT_EQ(correct, labels.size());
  const float clear_positive[] = {0.95f, 0.9f, 0.5f};
  const float clear_negative[] = {0.05f, 0.1f, 0.5f};
  EXPECT_GT(model->Predict(clear_positive), 0.95);
  EXPECT_LT(model->Predict(clear_negative), 0.05);
  // The noise feature matters far less than the two real ones.
  EXPECT_LT(std::abs(model->weights()[2]), 0.2 * std::abs(model->weights()[0]));
}

TEST(LogisticModelTest, ContributionsSumToTheLogOdds) {
  auto model = LogisticModel::FromWeights({2.0, -1.0}, 0.5);
  const float row[] = {1.0f, 3.0f};
  const auto terms = model.Contributions(row);
  EXPECT_DOUBLE_EQ(terms[0], 2.0);
  EXPECT_DOUBLE_EQ(terms[1], -3.0);
  EXPECT_NEAR(model.Predict(row), 1.0 / (1.0 + std::exp(0.5)), 1e-12);
}

TEST(LogisticModelTest, RecoversTheBaseRateWithoutInformativeFeatures) {
  std::vector<float> rows(1000, 1.0f);
  std::vector<uint8_t> labels(1000, 0);
  for (size_t i = 0; i < 250; ++i) labels[i] = 1;
  auto model = LogisticModel::Fit(rows.data(), rows.size(), 1, labels.data());
  ASSERT_TRUE(model.ok());
  EXPECT_NEAR(model->Predict(rows.data()), 0.25, 1e-6);
}

TEST(LogisticModelTest, SerialisesAndRejectsOtherVersions) {
  auto model = LogisticModel::FromWeights({0.125, -3.5}, 1.0 / 3.0);
  auto back = LogisticModel::Deserialize(model.Serialize());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->weights(), model.weights());
  EXPECT_EQ(back->intercept(), model.intercept());
  EXPECT_EQ(LogisticModel::Deserialize("vigil-logistic 2\n0\n0\n").status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(LogisticModel::Deserialize("garbage").status().code(), StatusCode::kCorruption);
}

TEST(LogisticModelTest, RefusesOneClassAndBadValues) {
  std::vector<float> rows = {1, 2, 3};
  std::vector<uint8_t> ones = {1, 1, 1};
  EXPECT_EQ(LogisticModel::Fit(rows.data(), 3, 1, ones.data()).status().code(),
            StatusCode::kInvalidArgument);
  std::vector<float> bad = {1, std::numeric_limits<float>::quiet_NaN(), 3};
  std::vector<uint8_t> mixed = {0, 1, 0};
  EXPECT_EQ(LogisticModel::Fit(bad.data(), 3, 1, mixed.data()).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vigil

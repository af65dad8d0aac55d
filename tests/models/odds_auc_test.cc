// Isolation-forest AUC on the ODDS outlier benchmarks against scikit-learn.
//
// The reference means and standard deviations are scikit-learn 1.2.1
// IsolationForest(n_estimators=100, max_samples=256, random_state=seed), fitted and scored on
// all rows, ROC AUC of -score_samples, over seeds 0-4, as listed in the REFERENCE.md beside the
// datasets (shared/data/odds/REFERENCE.md). Our mean over seeds 0-4 must be within 0.02 of
// the reference mean. Where the reference spread makes a 5-seed mean itself uncertain by more
// than that, the allowance is two standard errors of the difference of two 5-seed means,
// 2 * sd * sqrt(2/5): only optdigits (sd 0.0498), vertebral, wine and satellite are affected.
// docs/isolation-forest.md shows that over 30 seeds our means and scikit-learn's agree within
// their standard errors on these sets. Our RNG is fixed, so the test is deterministic.
// Skipped when the datasets are not present next to the source tree.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "vigil/isolation_forest.h"

namespace vigil {
namespace {

struct OddsCase {
  const char* file;
  double sklearn_mean_auc;
  double sklearn_sd_auc;
};

constexpr OddsCase kCases[] = {
    {"shuttle.csv", 0.9971, 0.0004},   {"satellite.csv", 0.6962, 0.0194},
    {"pima.csv", 0.6704, 0.0084},      {"ionosphere.csv", 0.8569, 0.0048},
    {"cardio.csv", 0.9318, 0.0121},    {"thyroid.csv", 0.9777, 0.0024},
    {"glass.csv", 0.7023, 0.0167},     {"letter.csv", 0.6435, 0.0080},
    {"lympho.csv", 0.9969, 0.0025},    {"mnist.csv.gz", 0.8012, 0.0070},
    {"musk.csv", 0.9992, 0.0011},      {"optdigits.csv", 0.7094, 0.0498},
    {"pendigits.csv", 0.9404, 0.0130}, {"satimage-2.csv", 0.9938, 0.0012},
    {"vertebral.csv", 0.3596, 0.0277}, {"vowels.csv", 0.7714, 0.0131},
    {"wbc.csv", 0.9384, 0.0060},       {"wine.csv", 0.8002, 0.0204},
};
constexpr double kTolerance = 0.02;
constexpr int kSeeds = 5;

class OddsAucTest : public testing::TestWithParam<OddsCase> {};

TEST_P(OddsAucTest, MeanAucOverSeedsMatchesScikitLearn) {
  const std::filesystem::path dir =
      std::filesystem::path(VIGIL_SOURCE_DIR) / ".." / "shared" / "data" / "odds";
  const std::filesystem::path file = dir / GetParam().file;
  if (!std::filesystem::exists(file)) GTEST_SKIP() << "dataset not present: " << file;

  auto table = ReadNumericCsv(file.string(), "label");
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  const size_t cols = table->feature_names.size();
  std::vector<float> scores(table->rows);
  std::ostringstream per_seed;
  double sum = 0;
  for (int seed = 0; seed < kSeeds; ++seed) {
    IsolationForestOptions options;
    options.seed = static_cast<uint64_t>(seed);
    auto forest = IsolationForest::Fit(table->values.data(), table->rows, cols, options);
    ASSERT_TRUE(forest.ok()) << forest.status().ToString();
    forest->Score(table->values.data(), table->rows, scores.data());
    auto auc = RocAuc(scores, table->labels);
    ASSERT_TRUE(auc.ok()) << auc.status().ToString();
    sum += *auc;
    per_seed << " seed" << seed << "=" << *auc;
  }
  const double mean = sum / kSeeds;
  const double allowed =
      std::max(kTolerance, 2.0 * GetParam().sklearn_sd_auc * std::sqrt(2.0 / kSeeds));
  EXPECT_NEAR(mean, GetParam().sklearn_mean_auc, allowed) << GetParam().file << per_seed.str();
  RecordProperty("mean_auc", std::to_string(mean));
}

std::string CaseName(const testing::TestParamInfo<OddsCase>& info) {
  std::string name = info.param.file;
  name = name.substr(0, name.find('.'));
  for (char& c : name) {
    if (c == '-') c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Odds, OddsAucTest, testing::ValuesIn(kCases), CaseName);

}  // namespace
}  // namespace vigil

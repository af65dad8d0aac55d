// Isolation-forest fit and scoring throughput.
//
// Data: the ODDS shuttle set (49097 rows x 9 features) when it sits next to the source tree,
// else a synthetic Gaussian set of the same shape with 7% far outliers. Every benchmark first
// checks the forest's answer (AUC against the labels) and fails if it is wrong, so a fast
// wrong scorer cannot post a figure. Baselines in the same binary: scoring one row at a time
// (ScoreOne in a loop, the plain walk) beside the blocked batch scorer, on 1 thread and on all.
// The scikit-learn baseline is bench/models/compare_sklearn.py, on the same files.
#include <benchmark/benchmark.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/task_arena.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "vigil/isolation_forest.h"

namespace vigil {
namespace {

struct Dataset {
  std::string name;
  size_t rows = 0;
  size_t cols = 0;
  std::vector<float> values;
  std::vector<float> labels;
};

Dataset Synthetic() {
  Dataset d;
  d.name = "synthetic";
  d.rows = 49097;
  d.cols = 9;
  std::mt19937 gen(1);
  std::normal_distribution<float> normal(0.0F, 1.0F);
  for (size_t i = 0; i < d.rows; ++i) {
    const bool outlier = i % 14 == 0;
    for (size_t f = 0; f < d.cols; ++f) d.values.push_back(normal(gen) + (outlier ? 6.0F : 0.0F));
    d.labels.push_back(outlier ? 1.0F : 0.0F);
  }
  return d;
}

const Dataset& Data() {
  static const Dataset data = [] {
    const std::filesystem::path shuttle =
        std::filesystem::path(VIGIL_SOURCE_DIR) / ".." / "shared" / "data" / "odds" / "shuttle.csv";
    if (std::filesystem::exists(shuttle)) {
      auto table = ReadNumericCsv(shuttle.string(), "label");
      if (table.ok()) {
        Dataset d;
        d.name = "shuttle";
        d.rows = table->rows;
        d.cols = table->feature_names.size();
        d.values = std::move(table->values);
        d.labels = std::move(table->labels);
        return d;
      }
    }
    return Synthetic();
  }();
  return data;
}

const IsolationForest& Forest() {
  static const IsolationForest forest = [] {
    const Dataset& d = Data();
    return IsolationForest::Fit(d.values.data(), d.rows, d.cols, {}).value();
  }();
  return forest;
}

// Shuttle's scikit-learn AUC is 0.997; anything below 0.99 means the scorer is broken.
constexpr double kMinAuc = 0.99;

bool CheckScores(benchmark::State& state, const std::vector<float>& scores) {
  auto auc = RocAuc(scores, Data().labels);
  if (!auc.ok() || *auc < kMinAuc) {
    state.SkipWithError("wrong answer: AUC below 0.99");
    return false;
  }
  state.counters["auc"] = *auc;
  return true;
}

void BM_IsolationForestScoreBatch(benchmark::State& state) {
  const Dataset& d = Data();
  const IsolationForest& forest = Forest();
  tbb::task_arena arena(static_cast<int>(state.range(0)));
  std::vector<float> scores(d.rows);
  for (auto _ : state) {
    arena.execute([&] { forest.Score(d.values.data(), d.rows, scores.data()); });
    benchmark::DoNotOptimize(scores.data());
    benchmark::ClobberMemory();
  }
  if (!CheckScores(state, scores)) return;
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * d.rows));
  state.SetLabel(d.name);
}

void BM_IsolationForestScoreOneLoop(benchmark::State& state) {
  const Dataset& d = Data();
  const IsolationForest& forest = Forest();
  std::vector<float> scores(d.rows);
  for (auto _ : state) {
    for (size_t i = 0; i < d.rows; ++i) scores[i] = forest.ScoreOne(d.values.data() + i * d.cols);
    benchmark::DoNotOptimize(scores.data());
    benchmark::ClobberMemory();
  }
  if (!CheckScores(state, scores)) return;
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * d.rows));
  state.SetLabel(d.name);
}

void BM_IsolationForestFit(benchmark::State& state) {
  const Dataset& d = Data();
  tbb::task_arena arena(static_cast<int>(state.range(0)));
  std::vector<float> scores(d.rows);
  for (auto _ : state) {
    arena.execute([&] {
      auto forest = IsolationForest::Fit(d.values.data(), d.rows, d.cols, {});
      benchmark::DoNotOptimize(forest);
    });
  }
  Forest().Score(d.values.data(), d.rows, scores.data());
  if (!CheckScores(state, scores)) return;
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 100);  // trees
  state.SetLabel(d.name);
}

void ThreadArgs(benchmark::internal::Benchmark* b) {
  b->Arg(1);
  const int all = tbb::info::default_concurrency();
  if (all > 1) b->Arg(all);
}

BENCHMARK(BM_IsolationForestScoreBatch)
    ->Apply(ThreadArgs)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_IsolationForestScoreOneLoop)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_IsolationForestFit)->Apply(ThreadArgs)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace vigil

BENCHMARK_MAIN();

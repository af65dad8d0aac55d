// `vigil outliers`: isolation-forest scores for every row of a numeric CSV.
//
// Fits on all rows and scores the same rows (unsupervised outlier detection, as in the
// isolation-forest paper's evaluation). Output, per the data contract:
//   SCORES: header `score`, then one score per input row in input order (higher = more
//           anomalous); without --out the scores go to stdout.
//   stdout: with --out, one summary line (sizes, fit time, fastest of --repeat scoring runs,
//           model id); with --label, `auc=<value>` as the last line.
//   stderr: one line when missing cells were imputed (how many, in how many columns).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "vigil/isolation_forest.h"

namespace vigil::cli {
namespace {

struct OutliersArgs {
  std::string csv;
  std::string label;
  int trees = 100;
  int samples = 256;
  uint64_t seed = 0;
  std::string out;
  int repeat = 1;
};

// Shortest text that reads back to the same float, so the file loses nothing.
void WriteScores(std::ostream& out, const std::vector<float>& scores) {
  std::string text = "score\n";
  text.reserve(scores.size() * 12 + 8);
  char buf[32];
  for (float s : scores) {
    const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), s);
    text.append(buf, ec == std::errc() ? end : buf);
    text.push_back('\n');
  }
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

int RunOutliers(const OutliersArgs& args) {
  using Clock = std::chrono::steady_clock;
  auto fail = [](const Status& status) {
    std::cerr << "vigil outliers: " << status.message() << "\n";
    return kExitFailure;
  };

  auto table = ReadNumericCsv(args.csv, args.label);
  if (!table.ok()) return fail(table.status());
  // Imputation changes what is scored, so it is said, on stderr to keep stdout's contract.
  if (table->imputed_cells > 0) {
    std::cerr << "vigil outliers: " << args.csv << ": imputed " << table->imputed_cells
              << " missing cell" << (table->imputed_cells == 1 ? "" : "s") << " in "
              << table->imputed_columns << " column" << (table->imputed_columns == 1 ? "" : "s")
              << " with the column median\n";
  }
  const size_t cols = table->feature_names.size();
  if (cols == 0) return fail(Status::InvalidArgument(args.csv + ": no feature columns"));

  IsolationForestOptions options;
  options.trees = args.trees;
  options.samples = args.samples;
  options.seed = args.seed;
  const auto fit_start = Clock::now();
  auto forest = IsolationForest::Fit(table->values.data(), table->rows, cols, options);
  if (!forest.ok()) return fail(forest.status().WithContext(args.csv));
  const auto fit_end = Clock::now();
  std::vector<float> scores(table->rows);
  // Scoring is deterministic, so repeats only refine the timing: the fastest run is the one
  // least disturbed by other work on the machine.
  double score_s = 0;
  for (int run = 0; run < args.repeat; ++run) {
    const auto score_start = Clock::now();
    forest->Score(table->values.data(), table->rows, scores.data());
    const double seconds = std::chrono::duration<double>(Clock::now() - score_start).count();
    score_s = run == 0 ? seconds : std::min(score_s, seconds);
  }

  if (args.out.empty()) {
    WriteScores(std::cout, scores);
  } else {
    std::ofstream out(args.out, std::ios::binary | std::ios::trunc);
    if (out) WriteScores(out, scores);
    out.close();
    if (!out) return fail(Status::IoError("cannot write " + args.out));
    const double fit_s = std::chrono::duration<double>(fit_end - fit_start).count();
    char line[320];
    std::snprintf(line, sizeof(line),
                  "rows=%zu features=%zu trees=%zu samples=%zu seed=%llu fit_ms=%.3f "
                  "score_ms=%.3f score_rows_per_s=%.0f model=%s",
                  table->rows, cols, forest->num_trees(), forest->sample_size(),
                  static_cast<unsigned long long>(args.seed), fit_s * 1e3, score_s * 1e3,
                  score_s > 0 ? static_cast<double>(table->rows) / score_s : 0.0,
                  forest->model_id().c_str());
    std::cout << line << "\n";
  }

  if (!args.label.empty()) {
    auto auc = RocAuc(scores, table->labels);
    if (!auc.ok()) return fail(auc.status().WithContext(args.csv));
    char line[64];
    std::snprintf(line, sizeof(line), "auc=%.6f", *auc);
    std::cout << line << "\n";
  }
  std::cout.flush();
  if (!std::cout) return fail(Status::IoError("cannot write to standard output"));
  return kExitOk;
}

}  // namespace

void AddOutliersCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<OutliersArgs>();
  CLI::App* cmd = app.add_subcommand(
      "outliers", "Fit an isolation forest on every row of a numeric CSV and score those rows");
  cmd->add_option(
         "--csv", args->csv,
         "Numeric CSV with a header row (.csv.gz accepted; a missing cell gets its column median)")
      ->required();
  cmd->add_option(
      "--label", args->label,
      "Column of outlier labels (1/0, true/false, yes/no, o/n): left out of the features, used "
      "for the AUC");
  cmd->add_option("--trees", args->trees, "Number of trees")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--samples", args->samples, "Rows drawn to grow each tree")
      ->capture_default_str()
      ->check(CLI::Range(2, 1 << 30));
  cmd->add_option("--seed", args->seed, "Random seed (same seed, same scores)")
      ->capture_default_str();
  cmd->add_option("--out", args->out, "Where to write the scores (default: standard output)");
  cmd->add_option("--repeat", args->repeat,
                  "Score this many times and report the fastest in the summary line (benchmarking)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  cmd->callback([args, &exit_code] { exit_code = RunOutliers(*args); });
}

}  // namespace vigil::cli

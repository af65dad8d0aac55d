// Isolation forest: unsupervised outlier scores for numeric rows.
//
// Implements Liu, Ting and Zhou, "Isolation Forest" (ICDM 2008). Each tree is grown on a random
// subsample of `samples` rows drawn without replacement: a node picks a random feature that is
// not constant among its rows and splits at a threshold drawn uniformly between that feature's
// minimum and maximum; it stops at the depth limit or when its rows cannot be separated. A row's
// path length h(x) is the depth of the leaf it reaches plus c(n), the average path length of an
// unbuilt tree over the n training rows left in that leaf. The anomaly score is
// s(x) = 2^(-E[h(x)] / c(psi)) in (0, 1]: near 1 is anomalous, at or below 0.5 is ordinary.
// These semantics follow scikit-learn's IsolationForest, so AUCs are comparable with it.
//
// Rows are row-major float arrays of `num_features()` values. NaN goes to the left child at every
// split (it compares false), so it is scored but not meaningfully; callers should impute first.
//
// Thread-safety: an IsolationForest is immutable once built. All const methods may be called
// concurrently from any number of threads. Copies are cheap (they share the trees).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/status.h"

namespace vigil {

struct IsolationForestOptions {
  // Number of trees. Default: 100. Must be in [1, 100000].
  int trees = 100;
  // Rows drawn (without replacement) to grow each tree, psi in the paper. Capped at the number of
  // rows given to Fit. Default: 256. Must be >= 2.
  int samples = 256;
  // Seed of the random streams. Tree t draws from a stream derived from (seed, t) only, so the
  // same seed gives an identical forest whatever the number of threads. Default: 0.
  uint64_t seed = 0;
  // Depth limit of each tree. 0 means ceil(log2(max(psi, 2))), the paper's choice, where psi is
  // the effective sample size. Default: 0. Must be in [0, 64].
  int max_depth = 0;

  // InvalidArgument naming the first field out of range.
  Status Validate() const;
};

// One feature's share of a row's isolation, from IsolationForest::Explain.
struct FeatureContribution {
  size_t feature = 0;       // column index in the rows given to Fit
  double contribution = 0;  // path length saved by this feature's splits, averaged over trees
};

class IsolationForest {
 public:
  // Grows the forest on `n_rows` row-major rows of `n_cols` floats (copied as needed; the caller
  // keeps ownership). Uses all cores through TBB. InvalidArgument for bad options, fewer than 2
  // rows, no columns or a non-finite value; Internal if memory runs out.
  static Result<IsolationForest> Fit(const float* rows, size_t n_rows, size_t n_cols,
                                     const IsolationForestOptions& options);

  // Writes the anomaly score s(x) in (0, 1] of each of `n_rows` row-major rows to `scores`.
  // Parallel over blocks of rows; the result does not depend on the number of threads.
  void Score(const float* rows, size_t n_rows, float* scores) const;

  // Score of one row. Allocates nothing; meant for scoring single records on a hot path.
  float ScoreOne(const float* row) const;

  // E[h(x)]: the mean path length of one row over the trees (the score before normalisation).
  float MeanPathLength(const float* row) const;

  // Which features made `row` easy to isolate. At each split on the row's path, the feature
  // split on is credited c(n_parent) - 1 - c(n_child): how much shorter the remaining path
  // became than an average row's would be. Summed over the path this telescopes to
  // c(psi) - h(x), so the contributions of all features add up to c(psi) - E[h(x)] (positive
  // exactly when s(x) > 0.5). Returns up to `top_k` features with non-zero contribution,
  // largest first (ties by feature index).
  std::vector<FeatureContribution> Explain(const float* row, size_t top_k) const;

  // Versioned little-endian binary model format ("VGIF", version 1, trailing checksum).
  // Changing it bumps kFormatVersion; Load rejects other versions with FailedPrecondition.
  static constexpr uint32_t kFormatVersion = 1;
  std::string Serialize() const;
  // Corruption if the bytes are truncated, fail the checksum or describe an invalid tree.
  static Result<IsolationForest> Deserialize(std::string_view bytes);
  // Writes to `path` through a temporary file and a rename, so readers never see half a model.
  Status Save(const std::string& path) const;
  static Result<IsolationForest> Load(const std::string& path);

  size_t num_features() const;
  size_t num_trees() const;
  // psi: rows per tree after capping at the training row count.
  size_t sample_size() const;
  // c(psi): the normalising average path length.
  double average_path_length() const;
  // Stable identifier of the fitted model ("iforest-" + 16 hex digits of a hash of its bytes),
  // recorded beside every decision it contributes to so the decision can be replayed.
  const std::string& model_id() const;

  struct Model;  // defined in models/; public only so the implementation can name it

 private:
  explicit IsolationForest(std::shared_ptr<const Model> model) : model_(std::move(model)) {}
  std::shared_ptr<const Model> model_;
};

// c(n): average path length of an unsuccessful search in a binary search tree of n points,
// 2 H(n-1) - 2 (n-1) / n, with c(1) = 0 and c(2) = 1 (the paper's equation 1).
double AveragePathLength(double n);

// Area under the ROC curve of `scores` (higher = more positive) against `labels` (non-zero =
// positive). Tied scores count half, as the average-rank (Mann-Whitney) formula does.
// InvalidArgument if the sizes differ or either class is empty.
Result<double> RocAuc(std::span<const float> scores, std::span<const float> labels);

// A numeric CSV loaded for outlier detection: every column is a feature except the label.
struct NumericTable {
  std::vector<std::string> feature_names;
  size_t rows = 0;
  std::vector<float> values;  // rows x feature_names.size(), row-major, no NaN
  std::vector<float> labels;  // 1 (outlier) or 0, one per row when a label column was named
  // Missing feature cells replaced by their column's median, and the columns they were in.
  // Zero for a complete file. Callers should say so: imputation changes what is scored.
  size_t imputed_cells = 0;
  size_t imputed_columns = 0;
};

// Reads a CSV with one header row (RFC 4180 quoting allowed on names and cells; LF, CRLF or CR;
// a UTF-8 byte order mark and blank or whitespace-only lines are skipped; gzip-compressed files
// are recognised by content). Cells are decimal numbers (sign, exponent and surrounding spaces
// allowed). A missing feature cell (empty, `?`, `NA`, `N/A`, `#N/A`, `#NA`, `NaN`, `null`,
// `None`, `<NA>`, any case) is imputed with the median of its column's present values (0 if the
// column has none) and counted in imputed_cells / imputed_columns. `label_column`, if not empty,
// names the column returned in `labels` instead of `values` (exact name, else the first matching it
// ignoring case); its cells must be 0/1 (also 0.0/1.0), true/false, yes/no or o/n (outlier/normal),
// any case. Errors name the file, line and column: NotFound / IoError for the file, InvalidArgument
// for a missing label column, a non-numeric or infinite (or beyond float range) cell, a missing or
// unrecognised label, or a row with the wrong number of fields. Thread-safe (no shared state).
Result<NumericTable> ReadNumericCsv(const std::string& path, std::string_view label_column);

}  // namespace vigil

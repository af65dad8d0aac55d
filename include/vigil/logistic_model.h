// L2-regularised logistic regression: the learned fusion of rule hits, anomaly score and
// certification features into one calibrated risk.
//
// Fit() standardises each feature (mean 0, unit variance on the training rows), then runs
// iteratively reweighted least squares (Newton's method) on the penalised log-likelihood; the
// sigmoid output is a calibrated probability on data like the training data. Contributions()
// splits a row's log-odds into per-feature terms, which order the reasons shown to people.
//
// Thread-safety: immutable after Fit/Deserialize; const methods may be called concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/status.h"

namespace vigil {

struct LogisticOptions {
  // L2 penalty on the standardised weights (not the intercept). Default: 1.0. Must be >= 0.
  double l2 = 1.0;
  // Newton iterations at most; stops earlier when the log-likelihood improves by < tolerance.
  // Defaults: 50 and 1e-8.
  int max_iterations = 50;
  double tolerance = 1e-8;
};

class LogisticModel {
 public:
  LogisticModel() = default;

  // `rows`: n_rows x n_cols row-major; `labels`: 0 or 1 per row. InvalidArgument when sizes
  // disagree, a value is not finite, or only one class is present.
  static Result<LogisticModel> Fit(const float* rows, size_t n_rows, size_t n_cols,
                                   const uint8_t* labels, const LogisticOptions& options = {});
  // A model with given raw weights (on unstandardised features) and intercept.
  static LogisticModel FromWeights(std::vector<double> weights, double intercept);

  // Probability of the positive class for one row of num_features() values.
  double Predict(const float* row) const;
  // Per-feature terms of the log-odds (weight x value, on the raw scale); they sum with
  // intercept() to the log-odds.
  std::vector<double> Contributions(const float* row) const;

  size_t num_features() const { return weights_.size(); }
  const std::vector<double>& weights() const { return weights_; }
  double intercept() const { return intercept_; }
  int iterations() const { return iterations_; }

  // Text format: "vigil-logistic 1\n<n>\n<intercept>\n<w_1>\n...". Versioned; Deserialize
  // rejects other versions with FailedPrecondition and malformed text with Corruption.
  std::string Serialize() const;
  static Result<LogisticModel> Deserialize(std::string_view text);

 private:
  std::vector<double> weights_;  // on the raw feature scale
  double intercept_ = 0;
  int iterations_ = 0;
};

}  // namespace vigil

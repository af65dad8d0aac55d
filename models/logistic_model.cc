#include "vigil/logistic_model.h"

#include <Eigen/Dense>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace vigil {
namespace {

double Sigmoid(double z) {
  // Split by sign so exp never overflows.
  if (z >= 0) return 1.0 / (1.0 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1.0 + e);
}

}  // namespace

Result<LogisticModel> LogisticModel::Fit(const float* rows, size_t n_rows, size_t n_cols,
                                         const uint8_t* labels, const LogisticOptions& options) {
  if (n_rows == 0 || n_cols == 0) return Status::InvalidArgument("logistic: no rows or no columns");
  if (!(options.l2 >= 0)) return Status::InvalidArgument("logistic: l2 must be >= 0");
  if (options.max_iterations < 1) {
    return Status::InvalidArgument("logistic: max_iterations must be >= 1");
  }
  size_t positives = 0;
  for (size_t i = 0; i < n_rows; ++i) {
    if (labels[i] > 1) return Status::InvalidArgument("logistic: labels must be 0 or 1");
    positives += labels[i];
  }
  if (positives == 0 || positives == n_rows) {
    return Status::InvalidArgument("logistic: both classes are needed to fit");
  }
  using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> raw(
      rows, static_cast<Eigen::Index>(n_rows), static_cast<Eigen::Index>(n_cols));
  if (!raw.allFinite()) return Status::InvalidArgument("logistic: a feature value is not finite");

  // Standardise so one penalty fits all features; constant columns keep scale 1.
  Matrix x = raw.cast<double>();
  const Eigen::RowVectorXd mean = x.colwise().mean();
  x.rowwise() -= mean;
  Eigen::RowVectorXd scale = (x.colwise().squaredNorm() / static_cast<double>(n_rows)).cwiseSqrt();
  for (Eigen::Index j = 0; j < scale.size(); ++j) {
    if (scale[j] < 1e-12) scale[j] = 1.0;
  }
  x.array().rowwise() /= scale.array();
  // Design matrix with the intercept as the last column.
  Matrix design(x.rows(), x.cols() + 1);
  design.leftCols(x.cols()) = x;
  design.col(x.cols()).setOnes();
  Eigen::VectorXd y(static_cast<Eigen::Index>(n_rows));
  for (size_t i = 0; i < n_rows; ++i) y[static_cast<Eigen::Index>(i)] = labels[i];

  const Eigen::Index p = design.cols();
  Eigen::VectorXd beta = Eigen::VectorXd::Zero(p);
  Eigen::VectorXd penalty = Eigen::VectorXd::Constant(p, options.l2);
  penalty[p - 1] = 0;  // the intercept is not penalised
  double previous = -std::numeric_limits<double>::infinity();
  int iteration = 0;
  for (; iteration < options.max_iterations; ++iteration) {
    const Eigen::VectorXd z = design * beta;
    Eigen::VectorXd mu(z.size()), w(z.size());
    double log_likelihood = 0;
    for (Eigen::Index i = 0; i < z.size(); ++i) {
      mu[i] = Sigmoid(z[i]);
      w[i] = std::max(mu[i] * (1 - mu[i]), 1e-10);
      // log(1 + e^z) computed stably.
      const double softplus =
          z[i] > 0 ? z[i] + std::log1p(std::exp(-z[i])) : std::log1p(std::exp(z[i]));
      log_likelihood += y[i] * z[i] - softplus;
    }
    log_likelihood -= 0.5 * (penalty.array() * beta.array().square()).sum();
    if (std::abs(log_likelihood - previous) < options.tolerance * (1 + std::abs(log_likelihood))) {
      break;
    }
    previous = log_likelihood;
    const Eigen::VectorXd gradient = design.transpose() * (y - mu) - penalty.cwiseProduct(beta);
    Eigen::MatrixXd hessian = design.transpose() * w.asDiagonal() * design;
    hessian.diagonal() += penalty;
    hessian.diagonal().array() += 1e-9;  // keeps a separable set solvable
    beta += hessian.ldlt().solve(gradient);
  }
  LogisticModel model;
  model.iterations_ = iteration;
  model.weights_.resize(n_cols);
  double intercept = beta[p - 1];
  for (size_t j = 0; j < n_cols; ++j) {
    const auto jj = static_cast<Eigen::Index>(j);
    model.weights_[j] = beta[jj] / scale[jj];
    intercept -= model.weights_[j] * mean[jj];
  }
  model.intercept_ = intercept;
  return model;
}

LogisticModel LogisticModel::FromWeights(std::vector<double> weights, double intercept) {
  LogisticModel model;
  model.weights_ = std::move(weights);
  model.intercept_ = intercept;
  return model;
}

double LogisticModel::Predict(const float* row) const {
  double z = intercept_;
  for (size_t j = 0; j < weights_.size(); ++j) z += weights_[j] * row[j];
  return Sigmoid(z);
}

std::vector<double> LogisticModel::Contributions(const float* row) const {
  std::vector<double> out(weights_.size());
  for (size_t j = 0; j < weights_.size(); ++j) out[j] = weights_[j] * row[j];
  return out;
}

std::string LogisticModel::Serialize() const {
  std::string out = "vigil-logistic 1\n" + std::to_string(weights_.size()) + "\n";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g\n", intercept_);
  out += buf;
  for (double w : weights_) {
    std::snprintf(buf, sizeof buf, "%.17g\n", w);
    out += buf;
  }
  return out;
}

Result<LogisticModel> LogisticModel::Deserialize(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string magic;
  int version = 0;
  size_t n = 0;
  if (!(in >> magic >> version) || magic != "vigil-logistic") {
    return Status::Corruption("logistic model: not a vigil-logistic model");
  }
  if (version != 1) {
    return Status::FailedPrecondition("logistic model: format version " + std::to_string(version) +
                                      " is not supported (this build reads version 1)");
  }
  if (!(in >> n) || n > 100000) return Status::Corruption("logistic model: bad feature count");
  LogisticModel model;
  if (!(in >> model.intercept_)) return Status::Corruption("logistic model: missing intercept");
  model.weights_.resize(n);
  for (size_t j = 0; j < n; ++j) {
    if (!(in >> model.weights_[j]) || !std::isfinite(model.weights_[j])) {
      return Status::Corruption("logistic model: bad weight " + std::to_string(j));
    }
  }
  return model;
}

}  // namespace vigil

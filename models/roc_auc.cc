// ROC AUC by the rank-sum (Mann-Whitney U) formula: AUC is the probability that a random
// positive scores above a random negative, ties counting half. Giving tied scores their
// average rank is what makes ties count half, and it matches scikit-learn's roc_auc_score.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "vigil/isolation_forest.h"

namespace vigil {

Result<double> RocAuc(std::span<const float> scores, std::span<const float> labels) {
  if (scores.size() != labels.size()) {
    return Status::InvalidArgument("roc auc: " + std::to_string(scores.size()) + " scores but " +
                                   std::to_string(labels.size()) + " labels");
  }
  for (float s : scores) {
    if (std::isnan(s)) return Status::InvalidArgument("roc auc: a score is NaN");
  }
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });

  double positive_rank_sum = 0;
  size_t positives = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) ++j;
    // Ranks i+1 .. j share their mean.
    const double rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
    for (size_t k = i; k < j; ++k) {
      if (labels[order[k]] != 0) {
        positive_rank_sum += rank;
        ++positives;
      }
    }
    i = j;
  }
  const size_t negatives = scores.size() - positives;
  if (positives == 0 || negatives == 0) {
    return Status::InvalidArgument("roc auc: needs both classes, got " + std::to_string(positives) +
                                   " positive and " + std::to_string(negatives) + " negative");
  }
  const auto p = static_cast<double>(positives);
  const auto n = static_cast<double>(negatives);
  return (positive_rank_sum - p * (p + 1) / 2.0) / (p * n);
}

}  // namespace vigil

// Internal: the small tests of significance that certification and the rules share.
// Thread-safety: pure functions.
#pragma once

#include <algorithm>
#include <cmath>

namespace vigil {

// P(X >= k) for X ~ Binomial(n, p), summed in log space (n may be large).
inline double BinomialUpperTail(int n, int k, double p) {
  if (k <= 0) return 1.0;
  if (k > n || p <= 0.0) return 0.0;
  if (p >= 1.0) return 1.0;
  double tail = 0.0;
  for (int i = k; i <= n; ++i) {
    tail += std::exp(std::lgamma(n + 1.0) - std::lgamma(i + 1.0) - std::lgamma(n - i + 1.0) +
                     i * std::log(p) + (n - i) * std::log1p(-p));
  }
  return std::min(1.0, tail);
}

// P(X <= k) for X ~ Binomial(n, p).
inline double BinomialLowerTail(int n, int k, double p) {
  if (k < 0) return 0.0;
  if (k >= n) return 1.0;
  return std::max(0.0, 1.0 - BinomialUpperTail(n, k + 1, p));
}

}  // namespace vigil

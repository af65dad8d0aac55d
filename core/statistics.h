// Internal: the small tests of significance that certification and the rules share.
// Thread-safety: pure functions.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>

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

// log(n!), from a table for the small n that month counts take (built once, thread-safe
// static initialisation), lgamma beyond it.
inline double LogFactorial(int n) {
  constexpr int kTableSize = 1024;
  static const std::array<double, kTableSize> table = [] {
    std::array<double, kTableSize> t{};
    for (int i = 1; i < kTableSize; ++i) {
      t[static_cast<size_t>(i)] = t[static_cast<size_t>(i - 1)] + std::log(static_cast<double>(i));
    }
    return t;
  }();
  return n < kTableSize ? table[static_cast<size_t>(n)] : std::lgamma(n + 1.0);
}

// P(X <= k) for X ~ Hypergeometric: `draws` of `population` items without replacement,
// `successes` of them marked.
inline double HypergeometricLowerTail(int population, int successes, int draws, int k) {
  auto log_choose = [](int a, int b) {
    return LogFactorial(a) - LogFactorial(b) - LogFactorial(a - b);
  };
  const double log_total = log_choose(population, draws);
  double tail = 0.0;
  for (int x = std::max(0, draws - (population - successes)); x <= std::min(k, successes); ++x) {
    tail += std::exp(log_choose(successes, x) + log_choose(population - successes, draws - x) -
                     log_total);
  }
  return std::min(1.0, tail);
}

}  // namespace vigil

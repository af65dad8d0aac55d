// Counter-seeded pseudo-random streams for the synthetic city.
//
// Every person (and every block-level decision) gets its own stream derived from (seed, key)
// with SplitMix64, then drawn with xoshiro256**. Streams never depend on thread scheduling, so
// the same seed gives byte-identical output whatever the thread count.
// Thread-safety: a Rng is a value; use one per thread of work.
#pragma once

#include <cmath>
#include <cstdint>

namespace vigil::sim {

inline uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Mixes a seed and up to two keys into one 64-bit value (stable across platforms).
inline uint64_t MixKey(uint64_t seed, uint64_t a, uint64_t b = 0) {
  uint64_t s = seed ^ 0x6A09E667F3BCC909ULL;
  uint64_t h = SplitMix64(s);
  s = h ^ (a * 0xD1B54A32D192ED03ULL);
  h = SplitMix64(s);
  s = h ^ (b * 0x8CB92BA72F3D8DD7ULL);
  return SplitMix64(s);
}

class Rng {
 public:
  explicit Rng(uint64_t key) {
    uint64_t s = key;
    for (auto& word : state_) word = SplitMix64(s);
  }
  Rng(uint64_t seed, uint64_t a, uint64_t b = 0) : Rng(MixKey(seed, a, b)) {}

  uint64_t Next() {
    const uint64_t result = Rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = Rotl(state_[3], 45);
    return result;
  }
  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  bool Chance(double p) { return Uniform() < p; }
  // Uniform integer in [lo, hi] (inclusive); lo <= hi.
  int64_t Int(int64_t lo, int64_t hi) {
    const auto span = static_cast<uint64_t>(hi - lo) + 1;
    return lo + static_cast<int64_t>(Bounded(span));
  }
  uint64_t Bounded(uint64_t n) {
    // Modulo of a 64-bit draw: the bias (n / 2^64) is irrelevant for synthetic data.
    return Next() % n;
  }
  // Standard normal (Box-Muller, one value per call for simplicity).
  double Normal() {
    double u1 = Uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    const double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  double LogNormal(double median, double sigma) { return median * std::exp(sigma * Normal()); }
  double Exponential(double mean) { return -mean * std::log(1.0 - Uniform()); }
  // Poisson by inversion: fine for the small means used here (< 30).
  int Poisson(double mean) {
    if (mean <= 0) return 0;
    const double limit = std::exp(-mean);
    double p = Uniform();
    int k = 0;
    while (p > limit && k < 200) {
      p *= Uniform();
      ++k;
    }
    return k;
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t state_[4];
};

}  // namespace vigil::sim

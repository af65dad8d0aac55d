// Small, fully specified random number generation for model fitting.
//
// The standard <random> distributions are implementation-defined, so the same seed could give
// different forests under different standard libraries. These are defined bit for bit here:
// xoshiro256** (Blackman and Vigna) seeded through SplitMix64, with our own integer and real
// mappings. Thread-compatible: one generator per thread or per tree.
#pragma once

#include <cstdint>

namespace vigil::models {

inline uint64_t SplitMix64(uint64_t& state) {
  state += 0x9E3779B97F4A7C15ULL;
  uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

class Xoshiro256 {
 public:
  // Stream `stream` of seed `seed`: distinct (seed, stream) pairs give unrelated sequences, so
  // tree t can draw from stream t without coordinating with the other trees.
  Xoshiro256(uint64_t seed, uint64_t stream) {
    uint64_t mix = stream;
    uint64_t state = seed ^ SplitMix64(mix);
    for (uint64_t& word : s_) word = SplitMix64(state);
  }

  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, n) for n >= 1, without modulo bias (rejects the short last bucket).
  uint64_t Below(uint64_t n) {
    const uint64_t reject_below = (0 - n) % n;  // 2^64 mod n
    uint64_t r = Next();
    while (r < reject_below) r = Next();
    return r % n;
  }

  // Uniform in [0, 1) with 53 random bits.
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace vigil::models

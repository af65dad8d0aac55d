// FormatFixed (core/certification_text.h) must write exactly what printf("%.*f") writes: every
// reason text and certification row in the outputs goes through it.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "../../core/certification_text.h"

namespace vigil {
namespace {

std::string Printf(double v, int decimals) {
  std::string out(static_cast<size_t>(std::snprintf(nullptr, 0, "%.*f", decimals, v)) + 1, '\0');
  out.resize(static_cast<size_t>(std::snprintf(out.data(), out.size(), "%.*f", decimals, v)));
  return out;
}

TEST(FormatFixedTest, WritesWhatPrintfWrites) {
  std::vector<double> values = {0.0,  -0.0,   0.125, 0.135, 2.5,    -2.5,  0.005, 1.005,
                                1e-9, 123.45, 1e20,  1e300, -1e300, 0.999, 9.995, 3421.0};
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> unit(-2.0, 2.0);
  std::uniform_int_distribution<int> exponent(-12, 30);
  for (int i = 0; i < 20000; ++i) values.push_back(unit(rng) * std::pow(10.0, exponent(rng)));
  for (const double v : values) {
    for (int decimals = 0; decimals <= 4; ++decimals) {
      ASSERT_EQ(FormatFixed(v, decimals), Printf(v, decimals)) << v << " " << decimals;
    }
  }
  EXPECT_EQ(FormatFixed(1.25), "1.25");  // two decimals unless told
  // Longer than the fast path's buffer: the same text all the same.
  EXPECT_EQ(FormatFixed(-1e300, 120), Printf(-1e300, 120));
  EXPECT_EQ(FormatFixed(std::numeric_limits<double>::infinity(), 2), Printf(INFINITY, 2));
}

}  // namespace
}  // namespace vigil

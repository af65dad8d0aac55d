// StableSortIfNeeded (core/sorting.h) must give exactly std::stable_sort's order, on the nearly
// ordered rows it is made for and on any other.
#include "../../core/sorting.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <utility>
#include <vector>

namespace vigil {
namespace {

using Row = std::pair<int, int>;  // (sort key, arrival order): equal keys show stability

bool ByKey(const Row& a, const Row& b) { return a.first < b.first; }

std::vector<Row> Rows(const std::vector<int>& keys) {
  std::vector<Row> rows;
  for (size_t i = 0; i < keys.size(); ++i) rows.emplace_back(keys[i], static_cast<int>(i));
  return rows;
}

void ExpectSameAsStableSort(std::vector<Row> rows) {
  std::vector<Row> want = rows;
  std::stable_sort(want.begin(), want.end(), ByKey);
  StableSortIfNeeded(rows, ByKey);
  EXPECT_EQ(rows, want);
}

TEST(StableSortIfNeeded, LeavesOrderedRowsAlone) {
  ExpectSameAsStableSort(Rows({}));
  ExpectSameAsStableSort(Rows({1}));
  ExpectSameAsStableSort(Rows({1, 1, 2, 3, 3, 3, 9}));
}

TEST(StableSortIfNeeded, MovesALateRowBehindItsEquals) {
  // A back payment for month 2 paid after month 4's: it goes after the month-2 rows already there.
  std::vector<Row> rows = Rows({1, 2, 2, 3, 4, 2});
  StableSortIfNeeded(rows, ByKey);
  EXPECT_EQ(rows, (std::vector<Row>{{1, 0}, {2, 1}, {2, 2}, {2, 5}, {3, 3}, {4, 4}}));
}

TEST(StableSortIfNeeded, MatchesStableSortOnRandomRows) {
  std::mt19937 rng(7);
  for (size_t n : {2u, 5u, 40u, 256u, 257u, 1000u}) {
    for (int round = 0; round < 20; ++round) {
      std::vector<int> keys(n);
      for (size_t i = 0; i < n; ++i) keys[i] = static_cast<int>(i / 3);  // ordered, with ties
      // A few rows out of place, or (every fourth round) everything shuffled.
      if (round % 4 == 3) {
        std::shuffle(keys.begin(), keys.end(), rng);
      } else {
        std::uniform_int_distribution<size_t> at(0, n - 1);
        for (int k = 0; k < 3; ++k) std::swap(keys[at(rng)], keys[at(rng)]);
      }
      ExpectSameAsStableSort(Rows(keys));
    }
  }
}

}  // namespace
}  // namespace vigil

// Internal: sorting rows that arrive nearly in order.
// Thread-safety: pure functions.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace vigil {

// Sorts `v` stably by `less`, for rows that are mostly in order already (a person's rows come in
// event-time order; a back payment or a late report is the odd one out). An ordered vector is
// only checked; otherwise insertion moves just the rows out of place, where std::stable_sort
// would allocate a buffer and merge every row, for every person of a scoring run.
template <typename T, typename Less>
void StableSortIfNeeded(std::vector<T>& v, Less less) {
  constexpr size_t kInsertionMax = 256;  // beyond it, the quadratic worst case would show
  const auto unsorted = std::is_sorted_until(v.begin(), v.end(), less);
  if (unsorted == v.end()) return;
  if (v.size() > kInsertionMax) {
    std::stable_sort(v.begin(), v.end(), less);
    return;
  }
  for (auto it = unsorted; it != v.end(); ++it) {
    // After every row that is not greater: equal rows keep their order.
    const auto slot = std::upper_bound(v.begin(), it, *it, less);
    std::rotate(slot, it, it + 1);
  }
}

}  // namespace vigil

#include "id_registry.h"

#include <algorithm>
#include <bit>

namespace vigil::sim {

IdRegistry::IdRegistry(uint64_t expected_ids) {
  const uint64_t slots = std::bit_ceil(std::max<uint64_t>(64, 2 * expected_ids));
  slots_.assign(slots, 0);
  mask_ = slots - 1;
}

uint64_t IdRegistry::Key(std::string_view body) {
  // Seventeen decimal digits are below 10^17 < 2^57: the value itself is an exact key.
  uint64_t key = 0;
  for (size_t i = 0; i < 17 && i < body.size(); ++i) {
    key = key * 10 + static_cast<uint64_t>(body[i] - '0');
  }
  return key;
}

bool IdRegistry::InsertKey(uint64_t key) {
  // Fibonacci hashing spreads the neighbouring sequence numbers of one birth date.
  uint64_t i = ((key * 0x9E3779B97F4A7C15ULL) >> 20) & mask_;
  while (slots_[i] != 0) {
    if (slots_[i] == key) return false;
    i = (i + 1) & mask_;
  }
  slots_[i] = key;
  ++size_;
  return true;
}

void IdRegistry::Grow() {
  std::vector<uint64_t> old = std::move(slots_);
  slots_.assign(old.size() * 2, 0);
  mask_ = slots_.size() - 1;
  size_ = 0;
  for (uint64_t key : old) {
    if (key != 0) InsertKey(key);
  }
}

bool IdRegistry::Insert(std::string_view body) {
  if (2 * (size_ + 1) > slots_.size()) Grow();
  return InsertKey(Key(body));
}

}  // namespace vigil::sim

// The resident ids issued so far in one synthetic city, so that no two people share one.
//
// A real id is unique because one police station hands out the sequence numbers of each
// (address code, birth date) in order. The generator draws persons in parallel blocks, so a
// random sequence number can repeat across blocks; the serial stage of the pipeline registers
// every id in block order and re-sequences the later of two equal ones (City::ResolveIds).
// Thread-safety: not thread-safe; used by the single serial stage.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace vigil::sim {

class IdRegistry {
 public:
  // Room for `expected_ids` ids at a load factor of at most one half (8 bytes per slot, so
  // 16 to 32 bytes per id); more ids still fit, the table doubles.
  explicit IdRegistry(uint64_t expected_ids);

  // Registers the id whose first 17 characters (address code, birth date, sequence) are
  // `body`, all digits. Returns false if that body is already registered. The check character
  // is left out, so a forged id with a failing check character cannot reuse a real body either.
  bool Insert(std::string_view body);

  uint64_t size() const { return size_; }

 private:
  static uint64_t Key(std::string_view body);
  void Grow();
  bool InsertKey(uint64_t key);

  std::vector<uint64_t> slots_;  // 0 = empty: an address code never starts with 0
  uint64_t mask_ = 0;
  uint64_t size_ = 0;
};

}  // namespace vigil::sim

// Internal representation of a RecordBatch: rows already encoded into their key, value and
// payment id, so that Store::Write only compares bytes inside its critical section.
//
// The bytes of all rows live in a chunked arena owned by the batch (chunks never move, so the
// views of a row stay valid while later rows are added, and after a move of the batch). One
// batch of 15,000 rows thus costs a handful of allocations, not three per row.
// Thread-safety: thread-compatible.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/store.h"

namespace vigil {

struct RecordBatch::Impl {
  struct Row {
    bool is_person = false;
    EventKind kind = EventKind::kSignal;
    uint64_t person_key = 0;
    uint64_t payment_hash = 0;    // payments only: Hash64(payment_id), for the lock stripe
    uint64_t key_hash = 0;        // Hash64(key): the bulk writer's duplicate index
    int32_t known_month = 0;      // events only: month number of known-at
    std::string_view key;         // persons or events key (in the arena)
    std::string_view value;       // (in the arena)
    std::string_view payment_id;  // payments only (in the arena)
  };
  std::vector<Row> rows;
  size_t bytes = 0;

  // Copies `data` into the arena; the view stays valid until Clear or destruction.
  std::string_view Keep(std::string_view data);
  void ClearArena();

  std::string scratch;  // reused encoding buffer

 private:
  static constexpr size_t kChunkBytes = size_t{256} << 10;
  std::vector<std::unique_ptr<char[]>> chunks_;
  size_t chunk_used_ = 0;
  size_t chunk_size_ = 0;
};

}  // namespace vigil

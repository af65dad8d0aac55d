// Internal representation of a RecordBatch: rows already encoded into their key, value and
// aggregate delta, so that Store::Write only compares bytes inside its critical section.
// Thread-safety: thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vigil/store.h"

namespace vigil {

struct RecordBatch::Impl {
  struct Row {
    bool is_person = false;
    EventKind kind = EventKind::kSignal;
    uint64_t person_key = 0;
    uint64_t payment_hash = 0;  // payments only: Hash64(payment_id), for the lock stripe
    int32_t known_month = 0;    // events only: month number of known-at
    std::string key;            // persons or events key
    std::string value;
    std::string payment_id;     // payments only
    MonthAggregate delta;       // events only: this row's contribution to its bucket
  };
  std::vector<Row> rows;
  size_t bytes = 0;
};

}  // namespace vigil

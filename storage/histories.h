// The `histories` column family (docs/storage.md "Packed histories"): one value per person
// holding that person's events, so that a scan over many persons reads one RocksDB entry per
// person instead of one per event (per-entry iterator work dominated the events-family scan).
// It is a second copy of `events`, kept equal to it in the same atomic write.
//
//   key    person key (8, big-endian), as every per-person prefix
//   value  format byte (kPackedHistoryFormat), then per event, in events-key order:
//          events-key suffix (17: time, kind, natural-key hash) | varint value size | value
//
// An empty value, or the format byte alone, is an empty history (every event of the person was
// moved away by payment corrections).
//
// Store::Write maintains it with merge operands: format byte (kHistoryEditsFormat), then edits
//   kUpsert: suffix (17) | varint value size | value      kDelete: suffix (17)
// applied in order (a later edit of the same suffix wins). Concatenating operands therefore
// combines them (associative), which is the partial merge.
//
// Every decoder checks every length and answers false on bad bytes; the callers turn that into
// Corruption without personal data. Thread-safety: pure functions; a reader or an edits builder
// is used by one thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "keys.h"
#include "vigil/status.h"

namespace vigil::storage {

inline constexpr uint8_t kPackedHistoryFormat = 1;
inline constexpr uint8_t kHistoryEditsFormat = 1;
inline constexpr size_t kHistorySuffixSize = kEventKeySize - kPersonPrefixSize;

enum class HistoryEditOp : uint8_t { kUpsert = 1, kDelete = 2 };

// Appends one event to a packed value whose format byte is already in `out`. The caller keeps
// the events-key order.
void AppendPackedEvent(std::string* out, std::string_view suffix, std::string_view value);

// Packs the events of consecutive persons as they stream by in events-key order (the bulk
// loads): Add starts a new packed value when the person changes, handing the finished one to
// `emit(person_key, packed)` first; Finish hands over the last. Thread-compatible.
class PackedHistoryBuilder {
 public:
  // `key` is the 25-byte events key, `value` the events value.
  template <typename Emit>
  Status Add(std::string_view key, std::string_view value, const Emit& emit) {
    const uint64_t person = PersonKeyOf(key);
    if (!packed_.empty() && person != person_) VIGIL_RETURN_IF_ERROR(Finish(emit));
    if (packed_.empty()) {
      packed_.assign(1, static_cast<char>(kPackedHistoryFormat));
      person_ = person;
    }
    AppendPackedEvent(&packed_, key.substr(kPersonPrefixSize), value);
    return Status::Ok();
  }
  // Emits the person being packed, if any.
  template <typename Emit>
  Status Finish(const Emit& emit) {
    if (packed_.empty()) return Status::Ok();
    Status emitted = emit(person_, std::string_view(packed_));
    packed_.clear();
    return emitted;
  }

 private:
  std::string packed_;  // empty between persons
  uint64_t person_ = 0;
};

// Reads the events of one packed value, front to back; the views point into the value.
class PackedHistoryReader {
 public:
  // False when `packed` is neither empty nor starts with the format byte.
  bool Start(std::string_view packed) {
    p_ = packed.data();
    end_ = p_ + packed.size();
    if (packed.empty()) return true;
    if (static_cast<uint8_t>(*p_) != kPackedHistoryFormat) return false;
    ++p_;
    return true;
  }
  bool done() const { return p_ == end_; }
  // The next event; false (and the reader stays put) when the bytes end early or a length
  // runs past the end. Precondition: !done().
  bool Next(std::string_view* suffix, std::string_view* value) {
    const char* p = p_;
    if (static_cast<size_t>(end_ - p) < kHistorySuffixSize + 1) return false;
    const char* s = p;
    p += kHistorySuffixSize;
    uint64_t n = 0;
    for (int shift = 0;; shift += 7) {
      if (p == end_ || shift > 28) return false;  // values are far below 2^35 bytes
      const auto b = static_cast<uint8_t>(*p++);
      n |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) break;
    }
    if (n > static_cast<uint64_t>(end_ - p)) return false;
    *suffix = std::string_view(s, kHistorySuffixSize);
    *value = std::string_view(p, static_cast<size_t>(n));
    p_ = p + n;
    return true;
  }

 private:
  const char* p_ = nullptr;
  const char* end_ = nullptr;
};

// Builds one merge operand. Thread-compatible.
class HistoryEdits {
 public:
  HistoryEdits() { Clear(); }
  void Clear() { bytes_.assign(1, static_cast<char>(kHistoryEditsFormat)); }
  void Upsert(std::string_view suffix, std::string_view value);
  void Delete(std::string_view suffix);
  bool empty() const { return bytes_.size() == 1; }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

// Applies the edits of `operands` (oldest first) to `base` (nullptr: no value yet) and writes
// the resulting packed value to `out`. False when the base or an operand is malformed (the
// base's events must also be in strictly ascending suffix order).
bool ApplyHistoryEdits(const std::string_view* base, std::span<const std::string_view> operands,
                       std::string* out);

// Combines operands (oldest first) into one operand with the same effect. False on bad bytes.
bool ConcatHistoryEdits(std::span<const std::string_view> operands, std::string* out);

}  // namespace vigil::storage

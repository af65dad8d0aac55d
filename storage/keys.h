// Key formats of every column family (docs/storage.md). All keys are fixed-width, big-endian
// and byte-comparable, so RocksDB's default bytewise order is the logical order:
//   events      person_key(8) | time(8, sign-flipped) | kind(1) | natural_key_hash(8)  = 25
//   persons     person_key(8) | region(2)                                              = 10
//   aggregates  person_key(8) | month number(4, sign-flipped)                          = 12
//   audit       sequence(8)
// The 8-byte person key prefix is what the prefix extractor and the prefix bloom filters use.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "vigil/store.h"

namespace vigil::storage {

inline constexpr size_t kPersonPrefixSize = 8;
inline constexpr size_t kEventKeySize = 25;
inline constexpr size_t kPersonsKeySize = 10;
inline constexpr size_t kAggregateKeySize = 12;
inline constexpr size_t kAuditKeySize = 8;

// XXH3 64-bit of arbitrary bytes.
uint64_t Hash64(std::string_view bytes);

// Builds the canonical bytes of a natural key (each field length-prefixed, so ("ab","c") and
// ("a","bc") differ) and hashes them.
// The bytes stay in an inline buffer (no allocation per row) unless they outgrow it.
class NaturalKey {
 public:
  NaturalKey& Text(std::string_view s);
  NaturalKey& Int(int64_t v);
  uint64_t Hash() const;

 private:
  void Append(const char* p, size_t n);
  static constexpr size_t kInline = 256;
  char inline_[kInline];
  size_t size_ = 0;
  std::string overflow_;  // used once the bytes exceed kInline
};

std::string PersonPrefix(uint64_t person_key);

void AppendEventKey(std::string* out, uint64_t person_key, int64_t time_seconds, EventKind kind,
                    uint64_t natural_key_hash);
std::string EventKey(uint64_t person_key, int64_t time_seconds, EventKind kind,
                     uint64_t natural_key_hash);

struct ParsedEventKey {
  uint64_t person_key = 0;
  int64_t time_seconds = 0;
  EventKind kind = EventKind::kSignal;
  uint64_t natural_key_hash = 0;
};
// False when `key` is not a well-formed events key (wrong size or unknown kind).
bool ParseEventKey(std::string_view key, ParsedEventKey* out);

std::string PersonsKey(uint64_t person_key, uint16_t region);
std::string AggregateKey(uint64_t person_key, int32_t month_number);
// False when `key` is not a well-formed aggregates key.
bool ParseAggregateKey(std::string_view key, uint64_t* person_key, int32_t* month_number);
std::string AuditKey(uint64_t sequence);

uint64_t PersonKeyOf(std::string_view key);  // first 8 bytes; precondition: size >= 8

inline bool IsValidEventKind(uint8_t kind) {
  return kind >= static_cast<uint8_t>(EventKind::kContribution) &&
         kind <= static_cast<uint8_t>(EventKind::kAppraisal);
}

}  // namespace vigil::storage

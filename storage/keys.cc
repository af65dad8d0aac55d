#include "keys.h"

#include <xxhash.h>

#include <cstring>

#include "coding.h"

namespace vigil {

uint64_t PersonKey(std::string_view person_id) { return storage::Hash64(person_id); }

std::string_view EventKindName(EventKind kind) {
  switch (kind) {
    case EventKind::kContribution:
      return "contribution";
    case EventKind::kPayment:
      return "payment";
    case EventKind::kSignal:
      return "signal";
    case EventKind::kRegistry:
      return "registry";
    case EventKind::kAppraisal:
      return "appraisal";
  }
  return "?";
}

namespace storage {

uint64_t Hash64(std::string_view bytes) { return XXH3_64bits(bytes.data(), bytes.size()); }

void NaturalKey::Append(const char* p, size_t n) {
  if (overflow_.empty() && size_ + n <= kInline) {
    std::memcpy(inline_ + size_, p, n);
    size_ += n;
    return;
  }
  if (overflow_.empty()) overflow_.assign(inline_, size_);
  overflow_.append(p, n);
}

NaturalKey& NaturalKey::Text(std::string_view s) {
  char len[10];
  size_t n = 0;
  uint64_t v = s.size();
  while (v >= 0x80) {
    len[n++] = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  len[n++] = static_cast<char>(v);
  Append(len, n);
  Append(s.data(), s.size());
  return *this;
}

NaturalKey& NaturalKey::Int(int64_t v) {
  char b[8];
  const auto u = static_cast<uint64_t>(v);
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(u >> (56 - 8 * i));
  Append(b, 8);
  return *this;
}

uint64_t NaturalKey::Hash() const {
  return overflow_.empty() ? XXH3_64bits(inline_, size_) : Hash64(overflow_);
}

std::string PersonPrefix(uint64_t person_key) {
  std::string out;
  PutFixed64BE(&out, person_key);
  return out;
}

void AppendEventKey(std::string* out, uint64_t person_key, int64_t time_seconds, EventKind kind,
                    uint64_t natural_key_hash) {
  out->reserve(out->size() + kEventKeySize);
  PutFixed64BE(out, person_key);
  PutFixed64BE(out, FlipSign64(time_seconds));
  out->push_back(static_cast<char>(kind));
  PutFixed64BE(out, natural_key_hash);
}

std::string EventKey(uint64_t person_key, int64_t time_seconds, EventKind kind,
                     uint64_t natural_key_hash) {
  std::string out;
  AppendEventKey(&out, person_key, time_seconds, kind, natural_key_hash);
  return out;
}

bool ParseEventKey(std::string_view key, ParsedEventKey* out) {
  if (key.size() != kEventKeySize) return false;
  const auto kind = static_cast<uint8_t>(key[16]);
  if (!IsValidEventKind(kind)) return false;
  out->person_key = DecodeFixed64BE(key.data());
  out->time_seconds = UnflipSign64(DecodeFixed64BE(key.data() + 8));
  out->kind = static_cast<EventKind>(kind);
  out->natural_key_hash = DecodeFixed64BE(key.data() + 17);
  return true;
}

std::string PersonsKey(uint64_t person_key, uint16_t region) {
  std::string out;
  out.reserve(kPersonsKeySize);
  PutFixed64BE(&out, person_key);
  PutFixed16BE(&out, region);
  return out;
}

std::string AggregateKey(uint64_t person_key, int32_t month_number) {
  std::string out;
  out.reserve(kAggregateKeySize);
  PutFixed64BE(&out, person_key);
  PutFixed32BE(&out, FlipSign32(month_number));
  return out;
}

bool ParseAggregateKey(std::string_view key, uint64_t* person_key, int32_t* month_number) {
  if (key.size() != kAggregateKeySize) return false;
  *person_key = DecodeFixed64BE(key.data());
  *month_number = UnflipSign32(DecodeFixed32BE(key.data() + 8));
  return true;
}

std::string AuditKey(uint64_t sequence) {
  std::string out;
  PutFixed64BE(&out, sequence);
  return out;
}

uint64_t PersonKeyOf(std::string_view key) { return DecodeFixed64BE(key.data()); }

}  // namespace storage
}  // namespace vigil

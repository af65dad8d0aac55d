// Byte-level helpers of the storage formats: big-endian fixed ints (byte-comparable keys),
// varints and zigzag varints (compact values), length-prefixed strings, and a bounds-checked
// reader whose every accessor reports truncation instead of reading past the end.
// Thread-safety: pure functions; a Reader is a cursor used by one thread.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace vigil::storage {

inline void PutFixed64BE(std::string* out, uint64_t v) {
  char buf[8];
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  out->append(buf, 8);
}

inline void PutFixed32BE(std::string* out, uint32_t v) {
  char buf[4];
  for (int i = 3; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  out->append(buf, 4);
}

inline void PutFixed16BE(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v & 0xff));
}

// One load and one byte swap: every key of every scan goes through these, and GCC does not
// fold the byte-by-byte loop into that.
inline uint64_t DecodeFixed64BE(const char* p) {
  uint64_t v = 0;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
  return v;
}

inline uint32_t DecodeFixed32BE(const char* p) {
  uint32_t v = 0;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap32(v);
  return v;
}

inline uint16_t DecodeFixed16BE(const char* p) {
  return static_cast<uint16_t>((static_cast<uint8_t>(p[0]) << 8) | static_cast<uint8_t>(p[1]));
}

// Signed values in keys: flipping the sign bit makes two's complement order equal unsigned
// (byte) order, so -1 sorts before 0 and 0 before 1.
inline uint64_t FlipSign64(int64_t v) { return static_cast<uint64_t>(v) ^ (uint64_t{1} << 63); }
inline int64_t UnflipSign64(uint64_t v) { return static_cast<int64_t>(v ^ (uint64_t{1} << 63)); }
inline uint32_t FlipSign32(int32_t v) { return static_cast<uint32_t>(v) ^ (uint32_t{1} << 31); }
inline int32_t UnflipSign32(uint32_t v) { return static_cast<int32_t>(v ^ (uint32_t{1} << 31)); }

inline void PutVarint64(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

inline uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t UnZigZag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

inline void PutSigned(std::string* out, int64_t v) { PutVarint64(out, ZigZag(v)); }

inline void PutString(std::string* out, std::string_view s) {
  PutVarint64(out, s.size());
  out->append(s.data(), s.size());
}

// Bounds-checked cursor over encoded bytes. Each accessor returns false (and leaves the
// output unspecified) when the bytes end early or are malformed.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : data_(bytes) {}

  bool Byte(uint8_t* out) {
    if (pos_ >= data_.size()) return false;
    *out = static_cast<uint8_t>(data_[pos_++]);
    return true;
  }
  bool Fixed64BE(uint64_t* out) {
    if (data_.size() - pos_ < 8) return false;
    *out = DecodeFixed64BE(data_.data() + pos_);
    pos_ += 8;
    return true;
  }
  bool Varint(uint64_t* out) {
    uint64_t v = 0;
    for (int shift = 0; shift <= 63; shift += 7) {
      if (pos_ >= data_.size()) return false;
      const auto b = static_cast<uint8_t>(data_[pos_++]);
      // The tenth byte may only carry the top bit of a 64-bit value.
      if (shift == 63 && b > 1) return false;
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        *out = v;
        return true;
      }
    }
    return false;
  }
  bool Signed(int64_t* out) {
    uint64_t v = 0;
    if (!Varint(&v)) return false;
    *out = UnZigZag(v);
    return true;
  }
  bool String(std::string_view* out) {
    uint64_t n = 0;
    if (!Varint(&n) || n > data_.size() - pos_) return false;
    *out = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }

  bool done() const { return pos_ == data_.size(); }
  size_t offset() const { return pos_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

}  // namespace vigil::storage

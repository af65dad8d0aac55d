#include "fields.h"

#include <cstdint>
#include <cstring>

namespace vigil::ingest_internal {

SplitResult SplitFields(std::string_view record, std::vector<std::string_view>* fields,
                        std::string* arena) {
  fields->clear();
  SplitResult result;
  const char* data = record.data();
  const size_t size = record.size();
  if (std::memchr(data, '"', size) == nullptr) {
    // Fast path: no quoting anywhere, fields are plain slices.
    size_t start = 0;
    while (true) {
      const auto* comma = static_cast<const char*>(std::memchr(data + start, ',', size - start));
      if (comma == nullptr) {
        fields->emplace_back(data + start, size - start);
        return result;
      }
      const size_t end = static_cast<size_t>(comma - data);
      fields->emplace_back(data + start, end - start);
      start = end + 1;
    }
  }

  arena->clear();
  arena->reserve(size);  // unescaped text is never longer than the record: views stay valid
  size_t i = 0;
  while (true) {
    if (i < size && data[i] == '"') {
      // Quoted field.
      ++i;
      const size_t arena_start = arena->size();
      size_t run_start = i;
      bool escaped = false;
      bool closed = false;
      while (i < size) {
        if (data[i] == '"') {
          if (i + 1 < size && data[i + 1] == '"') {
            arena->append(data + run_start, i + 1 - run_start);  // keep one quote
            i += 2;
            run_start = i;
            escaped = true;
            continue;
          }
          closed = true;
          break;
        }
        ++i;
      }
      if (!closed) {
        result.error = FieldError::kUnterminatedQuote;
        result.field = fields->size();
        return result;
      }
      if (escaped) {
        arena->append(data + run_start, i - run_start);
        fields->emplace_back(arena->data() + arena_start, arena->size() - arena_start);
      } else {
        fields->emplace_back(data + run_start, i - run_start);
      }
      ++i;  // closing quote
      if (i == size) return result;
      if (data[i] != ',') {
        result.error = FieldError::kStrayQuote;  // text after the closing quote
        result.field = fields->size() - 1;
        return result;
      }
      ++i;
      if (i == size) {
        fields->emplace_back(data + i, 0);
        return result;
      }
      continue;
    }
    // Unquoted field: runs to the next comma; a quote inside it breaks RFC 4180.
    const size_t start = i;
    while (i < size && data[i] != ',') {
      if (data[i] == '"') {
        result.error = FieldError::kStrayQuote;
        result.field = fields->size();
        return result;
      }
      ++i;
    }
    fields->emplace_back(data + start, i - start);
    if (i == size) return result;
    ++i;
    if (i == size) {
      fields->emplace_back(data + i, 0);
      return result;
    }
  }
}

namespace {

// Length of the well-formed UTF-8 sequence at text[i], or 0 when it is malformed.
size_t Utf8SequenceLength(std::string_view text, size_t i) {
  const auto b0 = static_cast<uint8_t>(text[i]);
  if (b0 < 0x80) return 1;
  auto cont = [&](size_t k) {
    return i + k < text.size() && (static_cast<uint8_t>(text[i + k]) & 0xC0) == 0x80;
  };
  if (b0 >= 0xC2 && b0 <= 0xDF) return cont(1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    const auto b1 = static_cast<uint8_t>(text[i + 1]);
    if (b0 == 0xE0 && b1 < 0xA0) return 0;   // overlong
    if (b0 == 0xED && b1 >= 0xA0) return 0;  // UTF-16 surrogate
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const auto b1 = static_cast<uint8_t>(text[i + 1]);
    if (b0 == 0xF0 && b1 < 0x90) return 0;   // overlong
    if (b0 == 0xF4 && b1 >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  const size_t size = text.size();
  while (i < size) {
    // Skip ASCII eight bytes at a time: feeds are mostly ASCII.
    while (i + 8 <= size) {
      uint64_t word;
      std::memcpy(&word, text.data() + i, 8);
      if ((word & 0x8080808080808080ULL) != 0) break;
      i += 8;
    }
    if (i >= size) break;
    const size_t n = Utf8SequenceLength(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string EscapeInvalidUtf8(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const size_t n = Utf8SequenceLength(text, i);
    if (n == 0) {
      const auto b = static_cast<uint8_t>(text[i]);
      out += "\\x";
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string_view TrimBlanks(std::string_view text) {
  size_t b = 0;
  size_t e = text.size();
  while (b < e && (text[b] == ' ' || text[b] == '\t')) ++b;
  while (e > b && (text[e - 1] == ' ' || text[e - 1] == '\t')) --e;
  return text.substr(b, e - b);
}

}  // namespace vigil::ingest_internal

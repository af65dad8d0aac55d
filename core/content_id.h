#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace vigil {

// A short, stable name for a piece of configuration (a policy without a version, a fitted
// model): 16 hex digits of FNV-1a over the text, stable across builds and machines as a
// recorded version must be. Not a security hash: it tells versions apart in run ids and logs.
inline std::string ContentId(std::string_view text) {
  uint64_t h = 14695981039346656037ULL;
  for (char c : text) {
    h ^= static_cast<uint8_t>(c);
    h *= 1099511628211ULL;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

}  // namespace vigil

// PRC resident identity number, GB 11643-1999.
//
// 18 characters: 6-digit address code, 8-digit birth date YYYYMMDD, 3-digit sequence (odd =
// male, even = female), ISO 7064 MOD 11-2 check character ('0'-'9' or 'X'; 'x' accepted and
// normalised to 'X').
// Thread-safety: value type; functions are pure.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "vigil/codes.h"
#include "vigil/status.h"
#include "vigil/time.h"

namespace vigil {

class ResidentId {
 public:
  static constexpr size_t kLength = 18;

  // Strict: structure and check character must be right. Errors name the rule broken, e.g.
  // "resident id check character is '3', expected '7'".
  static Result<ResidentId> Parse(std::string_view text);
  // Lenient: the structure (length, digits, a real birth date) must be right, the check
  // character may be wrong; checksum_ok() tells. Used for the fund's own ledgers, where a
  // forged identity is evidence to keep, not a parse error.
  static Result<ResidentId> ParseLenient(std::string_view text);

  // The check character for the first 17 characters (which must be digits).
  static char ComputeCheckChar(std::string_view first17);

  std::string_view text() const { return {chars_.data(), chars_.size()}; }
  std::string str() const { return std::string(text()); }
  uint32_t address_code() const;
  Date birth_date() const { return birth_date_; }
  uint16_t sequence() const;
  Sex sex() const { return sequence() % 2 == 1 ? Sex::kMale : Sex::kFemale; }
  bool checksum_ok() const { return checksum_ok_; }

  friend bool operator==(const ResidentId& a, const ResidentId& b) { return a.chars_ == b.chars_; }

 private:
  ResidentId() = default;
  static Result<ResidentId> ParseImpl(std::string_view text, bool require_checksum);

  std::array<char, kLength> chars_{};
  Date birth_date_{};
  bool checksum_ok_ = false;
};

}  // namespace vigil

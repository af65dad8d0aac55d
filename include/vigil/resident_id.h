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

// ---- implementation (header-only: every target uses these, see docs/architecture.md) ----

namespace resident_id_detail {

// ISO 7064 MOD 11-2 weights: 2^(17-i) mod 11 for positions 0..16.
constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
constexpr char kCheckChars[11] = {'1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'};

inline Status Reject(std::string why) {
  return Status::InvalidArgument("resident id " + std::move(why));
}

}  // namespace resident_id_detail

inline char ResidentId::ComputeCheckChar(std::string_view first17) {
  int sum = 0;
  for (size_t i = 0; i < 17 && i < first17.size(); ++i)
    sum += (first17[i] - '0') * resident_id_detail::kWeights[i];
  return resident_id_detail::kCheckChars[sum % 11];
}

inline Result<ResidentId> ResidentId::Parse(std::string_view text) { return ParseImpl(text, true); }

inline Result<ResidentId> ResidentId::ParseLenient(std::string_view text) {
  return ParseImpl(text, false);
}

inline Result<ResidentId> ResidentId::ParseImpl(std::string_view text, bool require_checksum) {
  if (text.size() != kLength) {
    return resident_id_detail::Reject("has " + std::to_string(text.size()) +
                                      " characters, expected 18");
  }
  for (size_t i = 0; i < 17; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return resident_id_detail::Reject("has a non-digit at position " + std::to_string(i + 1));
    }
  }
  char check = text[17];
  if (check == 'x') check = 'X';
  if (!(check == 'X' || (check >= '0' && check <= '9'))) {
    return resident_id_detail::Reject("check character '" + std::string(1, text[17]) +
                                      "' is not 0-9 or X");
  }
  if (text[0] == '0') return resident_id_detail::Reject("address code starts with 0");
  const std::string birth_text = std::string(text.substr(6, 4)) + "-" +
                                 std::string(text.substr(10, 2)) + "-" +
                                 std::string(text.substr(12, 2));
  auto birth = ParseDate(birth_text);
  if (!birth.ok() || birth->year() < std::chrono::year(1880)) {
    return resident_id_detail::Reject("birth date '" + std::string(text.substr(6, 8)) +
                                      "' is not a real date");
  }
  ResidentId id;
  for (size_t i = 0; i < 17; ++i) id.chars_[i] = text[i];
  id.chars_[17] = check;
  id.birth_date_ = *birth;
  const char expected = ComputeCheckChar(text.substr(0, 17));
  id.checksum_ok_ = expected == check;
  if (require_checksum && !id.checksum_ok_) {
    return resident_id_detail::Reject("check character is '" + std::string(1, check) +
                                      "', expected '" + std::string(1, expected) + "'");
  }
  return id;
}

inline uint32_t ResidentId::address_code() const {
  uint32_t v = 0;
  for (size_t i = 0; i < 6; ++i) v = v * 10 + static_cast<uint32_t>(chars_[i] - '0');
  return v;
}

inline uint16_t ResidentId::sequence() const {
  return static_cast<uint16_t>((chars_[14] - '0') * 100 + (chars_[15] - '0') * 10 +
                               (chars_[16] - '0'));
}

}  // namespace vigil

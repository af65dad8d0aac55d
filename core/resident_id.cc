#include "vigil/resident_id.h"

#include <string>

namespace vigil {
namespace {

// ISO 7064 MOD 11-2 weights: 2^(17-i) mod 11 for positions 0..16.
constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
constexpr char kCheckChars[11] = {'1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'};

Status Reject(std::string why) {
  return Status::InvalidArgument("resident id " + std::move(why));
}

}  // namespace

char ResidentId::ComputeCheckChar(std::string_view first17) {
  int sum = 0;
  for (size_t i = 0; i < 17 && i < first17.size(); ++i) sum += (first17[i] - '0') * kWeights[i];
  return kCheckChars[sum % 11];
}

Result<ResidentId> ResidentId::Parse(std::string_view text) { return ParseImpl(text, true); }

Result<ResidentId> ResidentId::ParseLenient(std::string_view text) {
  return ParseImpl(text, false);
}

Result<ResidentId> ResidentId::ParseImpl(std::string_view text, bool require_checksum) {
  if (text.size() != kLength) {
    return Reject("has " + std::to_string(text.size()) + " characters, expected 18");
  }
  for (size_t i = 0; i < 17; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return Reject("has a non-digit at position " + std::to_string(i + 1));
    }
  }
  char check = text[17];
  if (check == 'x') check = 'X';
  if (!(check == 'X' || (check >= '0' && check <= '9'))) {
    return Reject("check character '" + std::string(1, text[17]) + "' is not 0-9 or X");
  }
  if (text[0] == '0') return Reject("address code starts with 0");
  const std::string birth_text = std::string(text.substr(6, 4)) + "-" +
                                 std::string(text.substr(10, 2)) + "-" +
                                 std::string(text.substr(12, 2));
  auto birth = ParseDate(birth_text);
  if (!birth.ok() || birth->year() < std::chrono::year(1880)) {
    return Reject("birth date '" + std::string(text.substr(6, 8)) + "' is not a real date");
  }
  ResidentId id;
  for (size_t i = 0; i < 17; ++i) id.chars_[i] = text[i];
  id.chars_[17] = check;
  id.birth_date_ = *birth;
  const char expected = ComputeCheckChar(text.substr(0, 17));
  id.checksum_ok_ = expected == check;
  if (require_checksum && !id.checksum_ok_) {
    return Reject("check character is '" + std::string(1, check) + "', expected '" +
                  std::string(1, expected) + "'");
  }
  return id;
}

uint32_t ResidentId::address_code() const {
  uint32_t v = 0;
  for (size_t i = 0; i < 6; ++i) v = v * 10 + static_cast<uint32_t>(chars_[i] - '0');
  return v;
}

uint16_t ResidentId::sequence() const {
  return static_cast<uint16_t>((chars_[14] - '0') * 100 + (chars_[15] - '0') * 10 +
                               (chars_[16] - '0'));
}

}  // namespace vigil

// Integer options in plain decimal (commands.h: RequireDecimalIntegers).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <climits>
#include <cstdint>
#include <string>
#include <string_view>

#include "commands.h"

namespace vigil::cli {
namespace {

// CLI11 reads integers with strtoll/strtoull in base 0 and no overflow check: "010" was 8,
// "0x10" 16, "-1" for an unsigned option its wrap-around, and a seed past 2^64 silently the
// largest one. Every integer option therefore takes plain decimal digits only (a sign where the
// type is signed), leading zeros dropped, within 64 bits; its own range check then applies.
template <bool kSigned>
std::string ToPlainDecimal(std::string& value) {
  std::string_view digits = value;
  const bool negative = kSigned && !digits.empty() && digits.front() == '-';
  if (negative) digits.remove_prefix(1);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) {
    return value + " is not a whole number in decimal digits";
  }
  digits.remove_prefix(std::min(digits.find_first_not_of('0'), digits.size() - 1));
  uint64_t parsed = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), parsed);
  const uint64_t limit = kSigned ? uint64_t{INT64_MAX} + (negative ? 1 : 0) : UINT64_MAX;
  if (error != std::errc() || end != digits.data() + digits.size() || parsed > limit) {
    return value + " is out of range";
  }
  value = (negative ? "-" : "") + std::string(digits);
  return {};
}

}  // namespace

void RequireDecimalIntegers(CLI::App& app) {
  for (CLI::Option* option : app.get_options()) {
    const std::string type = option->get_type_name();
    const bool is_unsigned = type.rfind("UINT", 0) == 0;
    if (is_unsigned) {
      option->transform(CLI::Validator(ToPlainDecimal<false>, "", "decimal integer"));
    } else if (type.rfind("INT", 0) == 0) {
      option->transform(CLI::Validator(ToPlainDecimal<true>, "", "decimal integer"));
    }
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    RequireDecimalIntegers(*sub);
  }
}

}  // namespace vigil::cli

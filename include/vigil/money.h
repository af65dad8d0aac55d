// Money as integer fen (1 yuan = 100 fen). No floating point ever touches an amount.
// Thread-safety: value type.
#pragma once

#include <charconv>
#include <compare>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "vigil/status.h"

namespace vigil {

class Money {
 public:
  constexpr Money() = default;
  static constexpr Money FromFen(int64_t fen) { return Money(fen); }
  static constexpr Money FromYuan(int64_t yuan) { return Money(yuan * 100); }

  constexpr int64_t fen() const { return fen_; }
  // For statistics only (means, ratios): never for bookkeeping.
  constexpr double yuan() const { return static_cast<double>(fen_) / 100.0; }

  constexpr Money operator+(Money o) const { return Money(fen_ + o.fen_); }
  constexpr Money operator-(Money o) const { return Money(fen_ - o.fen_); }
  constexpr Money operator*(int64_t k) const { return Money(fen_ * k); }
  constexpr Money& operator+=(Money o) {
    fen_ += o.fen_;
    return *this;
  }
  constexpr Money& operator-=(Money o) {
    fen_ -= o.fen_;
    return *this;
  }
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads the defaulted <=>.
  constexpr auto operator<=>(const Money&) const = default;

 private:
  constexpr explicit Money(int64_t fen) : fen_(fen) {}
  int64_t fen_ = 0;
};

// Parses "3421.50", "3421.5", "3421", "-12.00"; at most 2 decimals; rejects "1e3", "1,000",
// "12.345" and empty text with a reason naming the text.
Result<Money> ParseMoney(std::string_view text);
// "3421.50" (always two decimals, no grouping).
std::string FormatMoney(Money m);
// "13,684.00": grouped, for reasons shown to people.
std::string FormatMoneyGrouped(Money m);

// ---- implementation (header-only: every target uses these, see docs/architecture.md) ----

inline Result<Money> ParseMoney(std::string_view text) {
  auto bad = [&](std::string_view why) {
    std::string m = "bad amount '";
    m += text;
    m += "': ";
    m += why;
    return Status::InvalidArgument(std::move(m));
  };
  if (text.empty()) return bad("empty");
  size_t pos = 0;
  const bool negative = text[0] == '-';
  if (negative) pos = 1;
  int64_t whole = 0;
  size_t digits = 0;
  constexpr int64_t kMaxWhole = std::numeric_limits<int64_t>::max() / 100 - 1;
  for (; pos < text.size() && text[pos] != '.'; ++pos, ++digits) {
    const char c = text[pos];
    if (c < '0' || c > '9') return bad("not a decimal number");
    // Checked with the digit, so whole * 100 + 99 cannot overflow (found by fuzzing).
    if (whole > (kMaxWhole - (c - '0')) / 10) return bad("too large");
    whole = whole * 10 + (c - '0');
  }
  if (digits == 0) return bad("no digits before the decimal point");
  int64_t fraction = 0;
  if (pos < text.size()) {  // at '.'
    const std::string_view frac = text.substr(pos + 1);
    if (frac.empty()) return bad("no digits after the decimal point");
    if (frac.size() > 2) return bad("more than 2 decimals");
    for (char c : frac) {
      if (c < '0' || c > '9') return bad("not a decimal number");
      fraction = fraction * 10 + (c - '0');
    }
    if (frac.size() == 1) fraction *= 10;
  }
  const int64_t fen = whole * 100 + fraction;
  return Money::FromFen(negative ? -fen : fen);
}

inline std::string FormatMoney(Money m) {
  const int64_t fen = m.fen();
  const uint64_t abs = fen < 0 ? static_cast<uint64_t>(-(fen + 1)) + 1 : static_cast<uint64_t>(fen);
  std::string out;
  if (fen < 0) out += '-';
  out += std::to_string(abs / 100);
  out += '.';
  const auto cents = static_cast<unsigned>(abs % 100);
  out += static_cast<char>('0' + cents / 10);
  out += static_cast<char>('0' + cents % 10);
  return out;
}

inline std::string FormatMoneyGrouped(Money m) {
  const std::string plain = FormatMoney(m);
  const size_t sign = plain[0] == '-' ? 1 : 0;
  const size_t dot = plain.find('.');
  std::string out = plain.substr(0, sign);
  const std::string_view whole(plain.data() + sign, dot - sign);
  for (size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) out += ',';
    out += whole[i];
  }
  out += plain.substr(dot);
  return out;
}

}  // namespace vigil

// Money as integer fen (1 yuan = 100 fen). No floating point ever touches an amount.
// Thread-safety: value type.
#pragma once

#include <compare>
#include <cstdint>
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
  constexpr Money& operator+=(Money o) { fen_ += o.fen_; return *this; }
  constexpr Money& operator-=(Money o) { fen_ -= o.fen_; return *this; }
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

}  // namespace vigil

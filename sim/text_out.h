// Fast CSV field formatting into a std::string buffer (std::to_chars and precomputed date
// text; no iostreams). Dates are day numbers since 1970-01-01 (vigil::DayNumber), months are
// vigil::MonthNumber values, timestamps are (day number, second of day).
// Thread-safety: the date table is built once (thread-safe static); appends touch only the
// caller's buffer.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace vigil::sim {

// Text of every date from 1890-01-01 to 2109-12-31, 10 characters each.
class DateText {
 public:
  static const DateText& Get();
  // Precondition: day within the table's range.
  std::string_view Day(int32_t day_number) const {
    return {text_.data() + static_cast<size_t>(day_number - first_day_) * 10, 10};
  }
  int32_t first_day() const { return first_day_; }
  int32_t last_day() const { return last_day_; }

 private:
  DateText();
  std::string text_;
  int32_t first_day_ = 0;
  int32_t last_day_ = 0;
};

class Out {
 public:
  explicit Out(std::string& buffer) : buf_(buffer) {}

  Out& Str(std::string_view s) {
    buf_.append(s);
    return *this;
  }
  Out& Ch(char c) {
    buf_.push_back(c);
    return *this;
  }
  Out& Comma() { return Ch(','); }
  Out& End() { return Ch('\n'); }
  Out& Int(int64_t v) {
    char tmp[24];
    auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
    buf_.append(tmp, r.ptr);
    return *this;
  }
  // Zero-padded unsigned integer of exactly `width` digits (value must fit).
  Out& Padded(uint64_t v, int width) {
    char tmp[24];
    for (int i = width - 1; i >= 0; --i) {
      tmp[i] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
    buf_.append(tmp, static_cast<size_t>(width));
    return *this;
  }
  // "1234.56" from fen (two decimals always, as the fund's systems print them).
  Out& Money(int64_t fen) {
    if (fen < 0) {
      Ch('-');
      fen = -fen;
    }
    Int(fen / 100).Ch('.');
    return Padded(static_cast<uint64_t>(fen % 100), 2);
  }
  Out& Date(int32_t day) {
    buf_.append(DateText::Get().Day(day));
    return *this;
  }
  Out& MonthText(int32_t month_number) {
    Padded(static_cast<uint64_t>(month_number / 12), 4).Ch('-');
    return Padded(static_cast<uint64_t>(month_number % 12 + 1), 2);
  }
  Out& Timestamp(int32_t day, int32_t second_of_day) {
    Date(day).Ch('T');
    Padded(static_cast<uint64_t>(second_of_day / 3600), 2).Ch(':');
    Padded(static_cast<uint64_t>(second_of_day / 60 % 60), 2).Ch(':');
    return Padded(static_cast<uint64_t>(second_of_day % 60), 2);
  }

 private:
  std::string& buf_;
};

}  // namespace vigil::sim

// Calendar types used throughout vigil, on std::chrono.
//
// Feeds carry local time (Asia/Shanghai) without a zone; vigil keeps them as naive local
// values and never converts, so a timestamp is "seconds since 1970-01-01T00:00:00 local".
// Thread-safety: pure functions and value types.
#pragma once

#include <charconv>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "vigil/status.h"

namespace vigil {

using Date = std::chrono::year_month_day;
using Month = std::chrono::year_month;
using Timestamp = std::chrono::sys_seconds;  // naive local time, see above
using Days = std::chrono::sys_days;

// Parses "YYYY-MM-DD"; rejects impossible dates (2023-02-29) with the offending text.
Result<Date> ParseDate(std::string_view text);
// Parses "YYYY-MM".
Result<Month> ParseMonth(std::string_view text);
// Parses "YYYY-MM-DDTHH:MM:SS" (also accepts a space instead of 'T').
Result<Timestamp> ParseTimestamp(std::string_view text);

std::string FormatDate(Date date);
std::string FormatMonth(Month month);
std::string FormatTimestamp(Timestamp ts);

// Day number since 1970-01-01 (negative before): compact storage form of a date.
inline int32_t DayNumber(Date d) {
  return static_cast<int32_t>(Days(d).time_since_epoch().count());
}
inline Date DateFromDayNumber(int32_t n) { return Date(Days(std::chrono::days(n))); }
// Month number: year * 12 + (month - 1).
inline int32_t MonthNumber(Month m) {
  return static_cast<int32_t>(m.year()) * 12 + static_cast<int32_t>(unsigned(m.month())) - 1;
}
inline Month MonthFromNumber(int32_t n) {
  return Month(std::chrono::year(n / 12), std::chrono::month(static_cast<unsigned>(n % 12 + 1)));
}
inline Month MonthOf(Date d) { return Month(d.year(), d.month()); }
inline Date DateOf(Timestamp ts) { return Date(std::chrono::floor<std::chrono::days>(ts)); }
inline Timestamp StartOfDay(Date d) { return Timestamp(Days(d).time_since_epoch()); }
// The first second of the day after `d`: `ts >= StartOfNextDay(d)` says DateOf(ts) > d, and a
// scan over many timestamps compares with it instead of converting each to a calendar date.
inline Timestamp StartOfNextDay(Date d) { return StartOfDay(d) + std::chrono::days(1); }
// DayNumber(DateOf(ts)) without the round trip through the calendar.
inline int32_t DayNumberOf(Timestamp ts) {
  return static_cast<int32_t>(std::chrono::floor<std::chrono::days>(ts).time_since_epoch().count());
}
// Seconds since epoch, for storage.
inline int64_t Seconds(Timestamp ts) { return ts.time_since_epoch().count(); }
inline Timestamp TimestampFromSeconds(int64_t s) { return Timestamp(std::chrono::seconds(s)); }

// Whole years from `from` to `to` (age on date `to` of someone born on `from`).
int WholeYearsBetween(Date from, Date to);
// Months from a to b (b - a), counting calendar months.
inline int MonthsBetween(Month a, Month b) { return MonthNumber(b) - MonthNumber(a); }

// ---- implementation (header-only: every target uses these, see docs/architecture.md) ----

namespace time_detail {

// Parses exactly `width` ASCII digits at text[pos..]; false on anything else.
inline bool ParseDigits(std::string_view text, size_t pos, size_t width, int& out) {
  if (pos + width > text.size()) return false;
  int value = 0;
  for (size_t i = pos; i < pos + width; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  out = value;
  return true;
}

inline Status BadText(std::string_view what, std::string_view format, std::string_view text) {
  std::string m = "bad ";
  m += what;
  m += " '";
  m += text;
  m += "' (expected ";
  m += format;
  m += ")";
  return Status::InvalidArgument(std::move(m));
}

inline void AppendPadded(std::string& out, int value, int width) {
  char buf[16];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value < 0 ? -value : value);
  (void)ec;
  const int len = static_cast<int>(end - buf);
  if (value < 0) out += '-';
  for (int i = len; i < width; ++i) out += '0';
  out.append(buf, end);
}

}  // namespace time_detail

inline Result<Date> ParseDate(std::string_view text) {
  int y = 0, m = 0, d = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' ||
      !time_detail::ParseDigits(text, 0, 4, y) || !time_detail::ParseDigits(text, 5, 2, m) ||
      !time_detail::ParseDigits(text, 8, 2, d)) {
    return time_detail::BadText("date", "YYYY-MM-DD", text);
  }
  const Date date{std::chrono::year(y), std::chrono::month(static_cast<unsigned>(m)),
                  std::chrono::day(static_cast<unsigned>(d))};
  if (!date.ok()) return time_detail::BadText("date", "a real calendar date", text);
  return date;
}

inline Result<Month> ParseMonth(std::string_view text) {
  int y = 0, m = 0;
  if (text.size() != 7 || text[4] != '-' || !time_detail::ParseDigits(text, 0, 4, y) ||
      !time_detail::ParseDigits(text, 5, 2, m) || m < 1 || m > 12) {
    return time_detail::BadText("month", "YYYY-MM", text);
  }
  return Month(std::chrono::year(y), std::chrono::month(static_cast<unsigned>(m)));
}

inline Result<Timestamp> ParseTimestamp(std::string_view text) {
  if (text.size() != 19 || (text[10] != 'T' && text[10] != ' ') || text[13] != ':' ||
      text[16] != ':') {
    return time_detail::BadText("timestamp", "YYYY-MM-DDTHH:MM:SS", text);
  }
  auto date = ParseDate(text.substr(0, 10));
  if (!date.ok()) return time_detail::BadText("timestamp", "YYYY-MM-DDTHH:MM:SS", text);
  int hh = 0, mm = 0, ss = 0;
  if (!time_detail::ParseDigits(text, 11, 2, hh) || !time_detail::ParseDigits(text, 14, 2, mm) ||
      !time_detail::ParseDigits(text, 17, 2, ss) || hh > 23 || mm > 59 || ss > 59) {
    return time_detail::BadText("timestamp", "a real time of day HH:MM:SS", text);
  }
  return StartOfDay(*date) + std::chrono::hours(hh) + std::chrono::minutes(mm) +
         std::chrono::seconds(ss);
}

inline std::string FormatDate(Date date) {
  std::string out;
  out.reserve(10);
  time_detail::AppendPadded(out, static_cast<int>(date.year()), 4);
  out += '-';
  time_detail::AppendPadded(out, static_cast<int>(unsigned(date.month())), 2);
  out += '-';
  time_detail::AppendPadded(out, static_cast<int>(unsigned(date.day())), 2);
  return out;
}

inline std::string FormatMonth(Month month) {
  std::string out;
  out.reserve(7);
  time_detail::AppendPadded(out, static_cast<int>(month.year()), 4);
  out += '-';
  time_detail::AppendPadded(out, static_cast<int>(unsigned(month.month())), 2);
  return out;
}

inline std::string FormatTimestamp(Timestamp ts) {
  const auto day = std::chrono::floor<std::chrono::days>(ts);
  const std::chrono::hh_mm_ss tod(ts - day);
  std::string out = FormatDate(Date(day));
  out += 'T';
  time_detail::AppendPadded(out, static_cast<int>(tod.hours().count()), 2);
  out += ':';
  time_detail::AppendPadded(out, static_cast<int>(tod.minutes().count()), 2);
  out += ':';
  time_detail::AppendPadded(out, static_cast<int>(tod.seconds().count()), 2);
  return out;
}

inline int WholeYearsBetween(Date from, Date to) {
  int years = static_cast<int>(to.year()) - static_cast<int>(from.year());
  if (to.month() < from.month() || (to.month() == from.month() && to.day() < from.day())) {
    --years;
  }
  return years;
}

}  // namespace vigil

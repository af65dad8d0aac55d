// Calendar types used throughout vigil, on std::chrono.
//
// Feeds carry local time (Asia/Shanghai) without a zone; vigil keeps them as naive local
// values and never converts, so a timestamp is "seconds since 1970-01-01T00:00:00 local".
// Thread-safety: pure functions and value types.
#pragma once

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
// Seconds since epoch, for storage.
inline int64_t Seconds(Timestamp ts) { return ts.time_since_epoch().count(); }
inline Timestamp TimestampFromSeconds(int64_t s) { return Timestamp(std::chrono::seconds(s)); }

// Whole years from `from` to `to` (age on date `to` of someone born on `from`).
int WholeYearsBetween(Date from, Date to);
// Months from a to b (b - a), counting calendar months.
inline int MonthsBetween(Month a, Month b) { return MonthNumber(b) - MonthNumber(a); }

}  // namespace vigil

#include "vigil/time.h"

#include <charconv>
#include <cstdio>

namespace vigil {
namespace {

// Parses exactly `width` ASCII digits at text[pos..]; false on anything else.
bool ParseDigits(std::string_view text, size_t pos, size_t width, int& out) {
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

Status BadText(std::string_view what, std::string_view format, std::string_view text) {
  std::string m = "bad ";
  m += what;
  m += " '";
  m += text;
  m += "' (expected ";
  m += format;
  m += ")";
  return Status::InvalidArgument(std::move(m));
}

void AppendPadded(std::string& out, int value, int width) {
  char buf[16];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value < 0 ? -value : value);
  (void)ec;
  const int len = static_cast<int>(end - buf);
  if (value < 0) out += '-';
  for (int i = len; i < width; ++i) out += '0';
  out.append(buf, end);
}

}  // namespace

Result<Date> ParseDate(std::string_view text) {
  int y = 0, m = 0, d = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !ParseDigits(text, 0, 4, y) ||
      !ParseDigits(text, 5, 2, m) || !ParseDigits(text, 8, 2, d)) {
    return BadText("date", "YYYY-MM-DD", text);
  }
  const Date date{std::chrono::year(y), std::chrono::month(static_cast<unsigned>(m)),
                  std::chrono::day(static_cast<unsigned>(d))};
  if (!date.ok()) return BadText("date", "a real calendar date", text);
  return date;
}

Result<Month> ParseMonth(std::string_view text) {
  int y = 0, m = 0;
  if (text.size() != 7 || text[4] != '-' || !ParseDigits(text, 0, 4, y) ||
      !ParseDigits(text, 5, 2, m) || m < 1 || m > 12) {
    return BadText("month", "YYYY-MM", text);
  }
  return Month(std::chrono::year(y), std::chrono::month(static_cast<unsigned>(m)));
}

Result<Timestamp> ParseTimestamp(std::string_view text) {
  if (text.size() != 19 || (text[10] != 'T' && text[10] != ' ') || text[13] != ':' ||
      text[16] != ':') {
    return BadText("timestamp", "YYYY-MM-DDTHH:MM:SS", text);
  }
  auto date = ParseDate(text.substr(0, 10));
  if (!date.ok()) return BadText("timestamp", "YYYY-MM-DDTHH:MM:SS", text);
  int hh = 0, mm = 0, ss = 0;
  if (!ParseDigits(text, 11, 2, hh) || !ParseDigits(text, 14, 2, mm) ||
      !ParseDigits(text, 17, 2, ss) || hh > 23 || mm > 59 || ss > 59) {
    return BadText("timestamp", "a real time of day HH:MM:SS", text);
  }
  return StartOfDay(*date) + std::chrono::hours(hh) + std::chrono::minutes(mm) +
         std::chrono::seconds(ss);
}

std::string FormatDate(Date date) {
  std::string out;
  out.reserve(10);
  AppendPadded(out, static_cast<int>(date.year()), 4);
  out += '-';
  AppendPadded(out, static_cast<int>(unsigned(date.month())), 2);
  out += '-';
  AppendPadded(out, static_cast<int>(unsigned(date.day())), 2);
  return out;
}

std::string FormatMonth(Month month) {
  std::string out;
  out.reserve(7);
  AppendPadded(out, static_cast<int>(month.year()), 4);
  out += '-';
  AppendPadded(out, static_cast<int>(unsigned(month.month())), 2);
  return out;
}

std::string FormatTimestamp(Timestamp ts) {
  const auto day = std::chrono::floor<std::chrono::days>(ts);
  const std::chrono::hh_mm_ss tod(ts - day);
  std::string out = FormatDate(Date(day));
  out += 'T';
  AppendPadded(out, static_cast<int>(tod.hours().count()), 2);
  out += ':';
  AppendPadded(out, static_cast<int>(tod.minutes().count()), 2);
  out += ':';
  AppendPadded(out, static_cast<int>(tod.seconds().count()), 2);
  return out;
}

int WholeYearsBetween(Date from, Date to) {
  int years = static_cast<int>(to.year()) - static_cast<int>(from.year());
  if (to.month() < from.month() || (to.month() == from.month() && to.day() < from.day())) {
    --years;
  }
  return years;
}

}  // namespace vigil

#include "date_masking.h"

#include <algorithm>
#include <array>
#include <optional>

namespace vigil::console {
namespace {

constexpr int kMinYear = 1800;
constexpr int kMaxYear = 2199;
constexpr std::string_view kYearMark = "年";
constexpr std::string_view kMonthMark = "月";
constexpr std::array<std::string_view, 2> kDayMarks = {"日", "号"};
constexpr std::array<std::string_view, 5> kClauseEnds = {";", "|", "\n", "；", "。"};
constexpr std::array<std::string_view, 3> kBirthWordsAscii = {"birth", "born", "dob"};
constexpr std::array<std::string_view, 3> kBirthWords = {"出生", "生日", "生于"};
// Codes written by vigil: a run this long can hold a district (6 digits) or an address code.
constexpr size_t kMinCodeRun = 6;
// Numbers typed by people: anything longer than a region code (4 digits) can be a piece of an
// id, a district or a date.
constexpr size_t kMinTypedNumber = 5;
// A resident id: 17 digits and a check character (a digit or X); auditors see its last four.
constexpr size_t kIdLength = 18;
constexpr size_t kIdTail = 4;
// A trailing X belongs to a number this long (an id's check character).
constexpr size_t kMinDigitsBeforeCheck = 14;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsCheckX(char c) { return c == 'X' || c == 'x'; }
bool IsAsciiAlnum(char c) { return IsDigit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

bool StartsWithAt(std::string_view text, size_t pos, std::string_view prefix) {
  return text.substr(pos, prefix.size()) == prefix;
}

unsigned Number(std::string_view digits) {
  unsigned n = 0;
  for (char c : digits) n = n * 10 + static_cast<unsigned>(c - '0');
  return n;
}

// One or two digits at `*pos` (not a third after them); advances `*pos` past them.
std::optional<unsigned> OneOrTwoDigits(std::string_view text, size_t* pos) {
  size_t end = *pos;
  while (end < text.size() && IsDigit(text[end]) && end - *pos < 3) ++end;
  if (end == *pos || end - *pos > 2) return std::nullopt;
  const unsigned n = Number(text.substr(*pos, end - *pos));
  *pos = end;
  return n;
}

// A date (day != 0) or a month (day == 0) written in text[begin, end).
struct DateToken {
  size_t begin = 0;
  size_t end = 0;
  int year = 0;
  unsigned month = 0;
  unsigned day = 0;
  // The day-first notations (1/3/2024) read month-first too when both readings are dates: the
  // other reading, tested as well.
  std::optional<Date> other;
  bool compact = false;  // 20240301

  Date date() const {
    return Date(std::chrono::year(year), std::chrono::month(month), std::chrono::day(day));
  }
  Month month_of_year() const { return Month(std::chrono::year(year), std::chrono::month(month)); }
};

// The day of a date whose month ends at `*pos`, written after `separator` ("" after 月, where
// the day may carry 日 or 号); advances `*pos` past it. Nullopt when no day follows.
std::optional<unsigned> DayAfter(std::string_view text, std::string_view separator, size_t* pos) {
  size_t at = *pos;
  if (!separator.empty()) {
    if (!StartsWithAt(text, at, separator)) return std::nullopt;
    at += separator.size();
  }
  auto day = OneOrTwoDigits(text, &at);
  if (!day) return std::nullopt;
  if (separator.empty()) {
    for (std::string_view mark : kDayMarks) {
      if (StartsWithAt(text, at, mark)) {
        at += mark.size();
        break;
      }
    }
  }
  *pos = at;
  return day;
}

bool IsValidDate(int year, unsigned month, unsigned day) {
  return Date(std::chrono::year(year), std::chrono::month(month), std::chrono::day(day)).ok();
}

// A date written day first, 1/3/2024, 01.03.2024, 1-3-2024 (the same separator twice), whose
// day begins at `pos`; month first (3/17/2024) when the first number cannot be a month.
std::optional<DateToken> DayFirstTokenAt(std::string_view text, size_t pos) {
  size_t at = pos;
  const auto first = OneOrTwoDigits(text, &at);
  if (!first || at >= text.size()) return std::nullopt;
  const char separator = text[at];
  if (separator != '-' && separator != '/' && separator != '.') return std::nullopt;
  ++at;
  const auto second = OneOrTwoDigits(text, &at);
  if (!second || at >= text.size() || text[at] != separator) return std::nullopt;
  ++at;
  size_t year_end = at;
  while (year_end < text.size() && IsDigit(text[year_end])) ++year_end;
  if (year_end - at != 4) return std::nullopt;
  const int year = static_cast<int>(Number(text.substr(at, 4)));
  if (year < kMinYear || year > kMaxYear) return std::nullopt;
  const bool day_first = IsValidDate(year, *second, *first);
  const bool month_first = IsValidDate(year, *first, *second);
  if (!day_first && !month_first) return std::nullopt;
  DateToken t;
  t.begin = pos;
  t.end = year_end;
  t.year = year;
  t.month = day_first ? *second : *first;
  t.day = day_first ? *first : *second;
  if (day_first && month_first && *first != *second) {
    t.other = Date(std::chrono::year(year), std::chrono::month(*first), std::chrono::day(*second));
  }
  return t;
}

// The date or month whose year begins at `pos`, the first digit of a digit run.
std::optional<DateToken> TokenAt(std::string_view text, size_t pos) {
  size_t run_end = pos;
  while (run_end < text.size() && IsDigit(text[run_end])) ++run_end;
  const size_t run = run_end - pos;
  if (run == 1 || run == 2) return DayFirstTokenAt(text, pos);
  if (run != 4 && run != 8) return std::nullopt;
  DateToken t;
  t.begin = pos;
  t.year = static_cast<int>(Number(text.substr(pos, 4)));
  if (t.year < kMinYear || t.year > kMaxYear) return std::nullopt;
  if (run == 8) {
    // A compact date standing alone (runs of 7 or more digits inside a resident id are masked
    // by the caller's id masking).
    t.month = Number(text.substr(pos + 4, 2));
    t.day = Number(text.substr(pos + 6, 2));
    t.end = run_end;
    t.compact = true;
    return t.date().ok() ? std::optional(t) : std::nullopt;
  }
  size_t at = run_end;
  std::string_view separator;
  if (at < text.size() && (text[at] == '-' || text[at] == '/' || text[at] == '.')) {
    separator = text.substr(at, 1);
  } else if (StartsWithAt(text, at, kYearMark)) {
    separator = kYearMark;
  } else {
    return std::nullopt;
  }
  const bool chinese = separator == kYearMark;
  at += separator.size();
  const auto month = OneOrTwoDigits(text, &at);
  if (!month || *month < 1 || *month > 12) return std::nullopt;
  t.month = *month;
  if (chinese) {
    if (!StartsWithAt(text, at, kMonthMark)) return std::nullopt;
    at += kMonthMark.size();
  }
  size_t day_end = at;
  if (auto day = DayAfter(text, chinese ? std::string_view() : separator, &day_end)) {
    t.day = *day;
    if (!t.date().ok()) return std::nullopt;
    at = day_end;
  } else if (separator == ".") {
    return std::nullopt;  // 2024.05 is more likely an amount than a month
  }
  if (at < text.size() && IsDigit(text[at])) return std::nullopt;
  t.end = at;
  return t;
}

// Calls `visit` for each date or month in `text`, in order.
template <typename Visit>
void ForEachToken(std::string_view text, Visit visit) {
  size_t pos = 0;
  while (pos < text.size()) {
    if (!IsDigit(text[pos])) {
      ++pos;
      continue;
    }
    if (auto t = TokenAt(text, pos)) {
      visit(*t);
      pos = t->end;
      continue;
    }
    while (pos < text.size() && IsDigit(text[pos])) ++pos;
  }
}

bool SpeaksOfBirth(std::string_view clause) {
  std::string lower(clause);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  for (std::string_view word : kBirthWordsAscii) {
    if (lower.find(word) != std::string::npos) return true;
  }
  for (std::string_view word : kBirthWords) {
    if (clause.find(word) != std::string_view::npos) return true;
  }
  return false;
}

// Where the clause starting at `from` ends: the start of the next clause end mark and its
// length, or (text.size(), 0).
std::pair<size_t, size_t> ClauseEnd(std::string_view text, size_t from) {
  std::pair<size_t, size_t> end{text.size(), 0};
  for (std::string_view mark : kClauseEnds) {
    const size_t at = text.find(mark, from);
    if (at < end.first) end = {at, mark.size()};
  }
  return end;
}

// `text` cut into clauses, each passed with the output to `map`, which appends what the clause
// becomes; the clause end marks are copied.
template <typename Map>
std::string MapClauses(std::string_view text, Map map) {
  std::string out;
  out.reserve(text.size());
  size_t from = 0;
  while (from <= text.size()) {
    const auto [end, mark] = ClauseEnd(text, from);
    map(text.substr(from, end - from), out);
    if (mark == 0) break;
    out += text.substr(end, mark);
    from = end + mark;
  }
  return out;
}

// `text` with its digits (and a trailing check X) replaced by '*', but for its last `keep`
// characters that are not separators.
std::string MaskDigits(std::string_view text, size_t keep) {
  std::string out(text);
  size_t kept = 0;
  for (size_t i = out.size(); i-- > 0;) {
    const bool masks = IsDigit(out[i]) || IsCheckX(out[i]);
    if (!masks) continue;
    if (kept < keep) {
      ++kept;
    } else {
      out[i] = '*';
    }
  }
  return out;
}

// Separators people put between the digit groups of one number.
bool IsJoiner(char c) { return c == ' ' || c == '-' || c == '/' || c == '.'; }

// A number as a person types it: digit groups joined by single joiners, and a check X after
// kMinDigitsBeforeCheck digits or more.
struct TypedNumber {
  size_t end = 0;
  std::vector<std::string_view> groups;
  bool check_x = false;
  // Its digits, but for cents after a decimal point (the only dot, before the last group of
  // one or two digits).
  size_t counted_digits = 0;

  // Characters that are digits or the check X: an id's length.
  size_t length() const {
    size_t n = check_x ? 1 : 0;
    for (std::string_view g : groups) n += g.size();
    return n;
  }
};

TypedNumber TypedNumberAt(std::string_view text, size_t pos) {
  TypedNumber n;
  size_t at = pos;
  size_t digits = 0;
  size_t dots = 0;
  char last_joiner = 0;
  while (true) {
    const size_t group_start = at;
    while (at < text.size() && IsDigit(text[at])) ++at;
    n.groups.push_back(text.substr(group_start, at - group_start));
    digits += at - group_start;
    if (at + 1 < text.size() && IsJoiner(text[at]) && IsDigit(text[at + 1])) {
      last_joiner = text[at];
      if (last_joiner == '.') ++dots;
      ++at;
      continue;
    }
    break;
  }
  if (digits >= kMinDigitsBeforeCheck && at < text.size() && IsCheckX(text[at]) &&
      (at + 1 == text.size() || !IsAsciiAlnum(text[at + 1]))) {
    n.check_x = true;
    ++at;
  }
  n.end = at;
  n.counted_digits = digits;
  if (dots == 1 && last_joiner == '.' && n.groups.back().size() <= 2 && !n.check_x) {
    n.counted_digits -= n.groups.back().size();
  }
  return n;
}

// What a masked number reads as when it is a date or a month in any grouping (19640223,
// 1964 02 23, 23 2 1964, 1964 2): kMaskedDate or kMaskedMonth; nullopt otherwise.
std::optional<std::string_view> ReadsAsDate(const TypedNumber& n) {
  if (n.check_x) return std::nullopt;
  auto year = [](std::string_view g) {
    const int y = g.size() == 4 ? static_cast<int>(Number(g)) : 0;
    return y >= kMinYear && y <= kMaxYear ? y : 0;
  };
  auto small = [](std::string_view g) { return g.size() == 1 || g.size() == 2 ? Number(g) : 0u; };
  const auto& g = n.groups;
  if (g.size() == 1 && g[0].size() == 8 && year(g[0].substr(0, 4)) != 0 &&
      IsValidDate(year(g[0].substr(0, 4)), Number(g[0].substr(4, 2)), Number(g[0].substr(6, 2)))) {
    return kMaskedDate;
  }
  if (g.size() == 2 && year(g[0]) != 0 && small(g[1]) >= 1 && small(g[1]) <= 12) {
    return kMaskedMonth;
  }
  if (g.size() != 3) return std::nullopt;
  if (year(g[0]) != 0 && IsValidDate(year(g[0]), small(g[1]), small(g[2]))) return kMaskedDate;
  if (year(g[2]) != 0 && (IsValidDate(year(g[2]), small(g[1]), small(g[0])) ||
                          IsValidDate(year(g[2]), small(g[0]), small(g[1])))) {
    return kMaskedDate;
  }
  return std::nullopt;
}

// True when the date or month `t` (in either of its readings) tells a birth date of `dates`.
bool TellsBirth(const DateToken& t, const PersonDates& dates) {
  if (t.day == 0) return dates.TellsBirth(t.month_of_year());
  return dates.TellsBirth(t.date()) || (t.other && dates.TellsBirth(*t.other));
}

}  // namespace

bool PersonDates::TellsBirth(Date date) const {
  for (const Date& b : births) {
    if (b.month() == date.month() && b.day() == date.day()) return true;
  }
  return std::find(retirements.begin(), retirements.end(), date) != retirements.end();
}

bool PersonDates::TellsBirth(Month month) const {
  for (const Date& b : births) {
    if (b.month() == month.month()) return true;
  }
  for (const Date& r : retirements) {
    if (MonthOf(r) == month) return true;
  }
  return false;
}

std::string MaskBirthLinkedDates(std::string_view text, const PersonDates& dates) {
  return MapClauses(text, [&](std::string_view clause, std::string& out) {
    const bool about_birth = SpeaksOfBirth(clause);
    size_t copied = 0;
    ForEachToken(clause, [&](const DateToken& t) {
      if (!about_birth && !TellsBirth(t, dates)) return;
      out += clause.substr(copied, t.begin - copied);
      out += t.day != 0 ? kMaskedDate : kMaskedMonth;
      copied = t.end;
    });
    out += clause.substr(copied);
  });
}

std::string MaskCodes(std::string_view text, const PersonDates& dates) {
  const std::string dated = MaskBirthLinkedDates(text, dates);
  std::string out;
  out.reserve(dated.size());
  size_t i = 0;
  while (i < dated.size()) {
    if (!IsDigit(dated[i])) {
      out += dated[i++];
      continue;
    }
    size_t end = i;
    while (end < dated.size() && IsDigit(dated[end])) ++end;
    if (end - i == kIdLength - 1 && end < dated.size() && IsCheckX(dated[end]) &&
        (end + 1 == dated.size() || !IsAsciiAlnum(dated[end + 1]))) {
      ++end;
    }
    const std::string_view run = std::string_view(dated).substr(i, end - i);
    out += run.size() >= kMinCodeRun ? MaskDigits(run, run.size() == kIdLength ? kIdTail : 0)
                                     : std::string(run);
    i = end;
  }
  return out;
}

std::string MaskTyped(std::string_view text, const PersonDates& dates) {
  return MapClauses(text, [&](std::string_view clause, std::string& out) {
    const bool about_birth = SpeaksOfBirth(clause);
    size_t i = 0;
    while (i < clause.size()) {
      if (!IsDigit(clause[i])) {
        out += clause[i++];
        continue;
      }
      const TypedNumber n = TypedNumberAt(clause, i);
      // A date in a notation with separators, standing alone: what the reviewer cites.
      if (auto t = TokenAt(clause, i); t && !t->compact && t->end >= n.end) {
        const bool masked = about_birth || TellsBirth(*t, dates);
        out += masked ? (t->day != 0 ? kMaskedDate : kMaskedMonth) : clause.substr(i, t->end - i);
        i = t->end;
        continue;
      }
      const std::string_view number = clause.substr(i, n.end - i);
      if (!about_birth && n.counted_digits < kMinTypedNumber) {
        out += number;
      } else if (auto kind = ReadsAsDate(n)) {
        out += *kind;
      } else {
        out += MaskDigits(number, !about_birth && n.length() == kIdLength ? kIdTail : 0);
      }
      i = n.end;
    }
  });
}

std::vector<Date> DatesIn(std::string_view text) {
  std::vector<Date> out;
  ForEachToken(text, [&](const DateToken& t) {
    if (t.day == 0) return;
    out.push_back(t.date());
    if (t.other) out.push_back(*t.other);
  });
  return out;
}

}  // namespace vigil::console

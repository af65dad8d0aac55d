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
constexpr std::array<std::string_view, 2> kBirthWordsAscii = {"birth", "born"};
constexpr std::array<std::string_view, 2> kBirthWords = {"出生", "生日"};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

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

// The date or month whose year begins at `pos`, the first digit of a digit run.
std::optional<DateToken> TokenAt(std::string_view text, size_t pos) {
  size_t run_end = pos;
  while (run_end < text.size() && IsDigit(text[run_end])) ++run_end;
  const size_t run = run_end - pos;
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
  std::string out;
  out.reserve(text.size());
  size_t from = 0;
  while (from <= text.size()) {
    const auto [end, mark] = ClauseEnd(text, from);
    const std::string_view clause = text.substr(from, end - from);
    const bool about_birth = SpeaksOfBirth(clause);
    size_t copied = 0;
    ForEachToken(clause, [&](const DateToken& t) {
      const bool is_date = t.day != 0;
      const bool masked = about_birth || (is_date ? dates.TellsBirth(t.date())
                                                  : dates.TellsBirth(t.month_of_year()));
      if (!masked) return;
      out += clause.substr(copied, t.begin - copied);
      out += is_date ? kMaskedDate : kMaskedMonth;
      copied = t.end;
    });
    out += clause.substr(copied);
    if (mark == 0) break;
    out += text.substr(end, mark);
    from = end + mark;
  }
  return out;
}

std::vector<Date> DatesIn(std::string_view text) {
  std::vector<Date> out;
  ForEachToken(text, [&](const DateToken& t) {
    if (t.day != 0) out.push_back(t.date());
  });
  return out;
}

}  // namespace vigil::console

// What auditors may not read of a person's dates: the birth date, and any date or month from
// which it follows (docs/console.md, "What auditors see"). With the resident id's last four
// characters, a birth date and a district spell out most of the id.
//
// Thread-safety: pure functions and value types.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "vigil/time.h"

namespace vigil::console {

// What replaces a masked date and a masked month, whatever their notation.
inline constexpr std::string_view kMaskedDate = "****-**-**";
inline constexpr std::string_view kMaskedMonth = "****-**";

// One person's dates that tell the birth date.
struct PersonDates {
  // Every birth date on record: the persons rows', the one inside the resident id, both sides
  // of each birth-date ID_CHANGE.
  std::vector<Date> births;
  // The persons rows' retirement dates: a retirement date less the retirement age is the birth
  // date (pensions start on reaching the age).
  std::vector<Date> retirements;

  // A birth or retirement date, or a birthday in another year (a birth date plus whole years:
  // the day an age is reached).
  bool TellsBirth(Date date) const;
  // A birth month in any year (the month an age is reached, as in "paid before normal age
  // (2024-03)"), or a retirement month.
  bool TellsBirth(Month month) const;
};

// `text` with every date and month that tells a birth date of `dates` replaced by kMaskedDate or
// kMaskedMonth, and every date and month of a clause that speaks of birth (one containing
// "birth", "born", "出生" or "生日"; clauses end at ';', '|', a line break, '；' or '。') replaced
// whatever its value. Notations read: 2024-03-01, 2024/3/1, 2024.03.01, 2024年3月1日, 20240301
// (eight digits standing alone), and the months 2024-03, 2024/3, 2024年3月; years 1800..2199.
std::string MaskBirthLinkedDates(std::string_view text, const PersonDates& dates);

// The dates (not the months) written in `text`, in the notations above, in order.
std::vector<Date> DatesIn(std::string_view text);

}  // namespace vigil::console

// What auditors may not read of a person (docs/console.md, "What auditors see"): the birth date,
// any date or month from which it follows, and the district, which place codes, employer ids
// and typed numbers can carry. With the resident id's last four characters, a birth date and a
// district spell out most of the id.
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
// "birth", "born", "dob", "出生", "生日" or "生于", in any case; clauses end at ';', '|', a line
// break, '；' or '。') replaced whatever its value. Notations read: 2024-03-01, 2024/3/1,
// 2024.03.01, 2024年3月1日, 20240301 (eight digits standing alone), the day first 1/3/2024,
// 1.3.2024, 1-3-2024 (or the month first when the first number cannot be a month, 3/17/2024;
// when either reading is possible both are tested), and the months 2024-03, 2024/3, 2024年3月;
// years 1800..2199.
std::string MaskBirthLinkedDates(std::string_view text, const PersonDates& dates);

// A text written by vigil (a rule's reason, an evidence note, a timeline event's detail, a
// linked employer's or doctor's id) as an auditor reads it: MaskBirthLinkedDates, then every
// run of 6 or more digits replaced by '*' digit for digit, since a district (6 digits) or an
// address code can sit inside any code (a community office "SQ370203014", a hospital
// "H37020203", an employer's credit code "91370203..."). A run of a resident id's shape (17
// digits and a digit or X) keeps its last four characters, as resident ids do everywhere.
// Dates, months, grouped amounts ("20,000.00") and counts have shorter runs and stay.
std::string MaskCodes(std::string_view text, const PersonDates& dates);

// A text typed by a person (a decision's or a policy change's comment, a failed login's name,
// an export's filter) as an auditor reads it. People group numbers as they like, so digit
// groups joined by one space, hyphen, slash or dot are read as one number ("370284 19660106
// 4931", "0532-8888-1234"; a trailing X after 14 or more digits belongs to it), and:
// - a number that is one date or month in a notation of MaskBirthLinkedDates other than eight
//   digits (2024-03-01, 23/2/1964, 1964年2月23日, ...) is a date: masked as there, kept
//   otherwise (a death or payment date the reviewer cites);
// - in a clause that speaks of birth, every number is masked, whatever its notation
//   ("born 23 Feb 1964" reads "born ** Feb ****");
// - elsewhere, a number of 5 or more digits (it could hold a district, a date or part of an
//   id) reads as '*' digit for digit, separators kept; one of a resident id's shape (18
//   characters) keeps its last four characters; eight digits that read as a date read
//   kMaskedDate. Numbers of at most 4 digits stay: a region code, a year, a count, an amount
//   under 10,000 (a decimal point and its cents do not count).
std::string MaskTyped(std::string_view text, const PersonDates& dates);

// The dates (not the months) written in `text`, in the notations above, in order.
std::vector<Date> DatesIn(std::string_view text);

}  // namespace vigil::console

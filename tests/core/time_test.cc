#include "vigil/time.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

using std::chrono::day;
using std::chrono::month;
using std::chrono::year;

TEST(TimeTest, ParsesAndFormatsDatesMonthsAndTimestamps) {
  EXPECT_EQ(FormatDate(*ParseDate("2024-02-29")), "2024-02-29");
  EXPECT_EQ(FormatMonth(*ParseMonth("2024-12")), "2024-12");
  EXPECT_EQ(FormatTimestamp(*ParseTimestamp("2024-03-02T07:05:09")), "2024-03-02T07:05:09");
  EXPECT_EQ(FormatTimestamp(*ParseTimestamp("1955-03-02 23:59:59")), "1955-03-02T23:59:59");
}

TEST(TimeTest, RejectsImpossibleDatesWithTheText) {
  const auto r = ParseDate("2023-02-29");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "bad date '2023-02-29' (expected a real calendar date)");
  EXPECT_FALSE(ParseDate("2023-2-01").ok());
  EXPECT_FALSE(ParseDate("2023/02/01").ok());
  EXPECT_FALSE(ParseMonth("2023-13").ok());
  EXPECT_FALSE(ParseMonth("2023-00").ok());
  EXPECT_FALSE(ParseTimestamp("2024-03-02T24:00:00").ok());
  EXPECT_FALSE(ParseTimestamp("2024-03-02").ok());
}

TEST(TimeTest, DayAndMonthNumbersRoundTripAndOrder) {
  const Date d = year(1950) / month(1) / day(1);
  EXPECT_LT(DayNumber(d), 0);
  EXPECT_EQ(DateFromDayNumber(DayNumber(d)), d);
  EXPECT_EQ(MonthFromNumber(MonthNumber(Month(year(2024), month(12)))),
            Month(year(2024), month(12)));
  EXPECT_EQ(MonthsBetween(Month(year(2023), month(11)), Month(year(2024), month(2))), 3);
}

TEST(TimeTest, ScansCompareTimestampsWithTheNextDaysStartAsDateOfWould) {
  // The last second of a day, midnight and the first second after it, on both sides of 1970
  // (floor, not truncation, below zero).
  for (const char* text : {"2026-10-31", "1969-12-31", "1970-01-01", "1950-03-01"}) {
    const Date d = *ParseDate(text);
    const Timestamp next = StartOfNextDay(d);
    for (int64_t offset : {-86401, -86400, -1, 0, 1, 86399}) {
      const Timestamp ts = next + std::chrono::seconds(offset);
      EXPECT_EQ(ts >= next, DateOf(ts) > d) << text << " " << offset;
      EXPECT_EQ(DayNumberOf(ts), DayNumber(DateOf(ts))) << text << " " << offset;
    }
  }
  EXPECT_EQ(DayNumberOf(*ParseTimestamp("1969-12-31T23:59:59")), -1);
  EXPECT_EQ(StartOfNextDay(*ParseDate("2024-02-28")), *ParseTimestamp("2024-02-29T00:00:00"));
}

TEST(TimeTest, WholeYearsCountsBirthdays) {
  const Date born = year(1964) / month(3) / day(1);
  EXPECT_EQ(WholeYearsBetween(born, year(2024) / month(2) / day(29)), 59);
  EXPECT_EQ(WholeYearsBetween(born, year(2024) / month(3) / day(1)), 60);
}

}  // namespace
}  // namespace vigil

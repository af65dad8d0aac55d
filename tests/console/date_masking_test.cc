// Which dates an auditor may not read (apps/console/date_masking.h): the birth date, the dates
// and months that follow from it, and every date of a clause that speaks of birth.
#include "console/date_masking.h"

#include <gtest/gtest.h>

namespace vigil::console {
namespace {

Date D(int y, unsigned m, unsigned d) {
  return Date(std::chrono::year(y), std::chrono::month(m), std::chrono::day(d));
}

// Born 1958-03-17 by the fund, 1960-03-17 by the id; retired 2008-04-01.
PersonDates Dates() { return PersonDates{{D(1958, 3, 17), D(1960, 3, 17)}, {D(2008, 4, 1)}}; }

TEST(DateMaskingTest, MasksBirthAndRetirementDatesAndBirthdaysKeepsOtherDates) {
  EXPECT_EQ(MaskBirthLinkedDates("died 2026-06-01 (reported 2026-06-05)", Dates()),
            "died 2026-06-01 (reported 2026-06-05)");
  EXPECT_EQ(MaskBirthLinkedDates("face certification on 2026-03-17 at bank 12", Dates()),
            "face certification on ****-**-** at bank 12")
      << "a birthday in another year is the birth date plus whole years";
  EXPECT_EQ(MaskBirthLinkedDates("special-job retirement on 2008-04-01: no spell", Dates()),
            "special-job retirement on ****-**-**: no spell");
  EXPECT_EQ(MaskBirthLinkedDates("seen on 2026-03-16 and 2026-04-17", Dates()),
            "seen on 2026-03-16 and 2026-04-17");
}

TEST(DateMaskingTest, MasksBirthMonthsAndTheRetirementMonthKeepsOtherMonths) {
  EXPECT_EQ(MaskBirthLinkedDates("3,000.00 paid before normal age (2018-03)", Dates()),
            "3,000.00 paid before normal age (****-**)");
  EXPECT_EQ(MaskBirthLinkedDates("first 2008-04, then 2009-04 and 2025-07..2025-09", Dates()),
            "first ****-**, then 2009-04 and 2025-07..2025-09");
}

TEST(DateMaskingTest, MasksEveryDateOfAClauseThatSpeaksOfBirth) {
  const PersonDates none;
  EXPECT_EQ(MaskBirthLinkedDates("birth date changed 1962-03-01 -> 1960-03-01 on 2019-05-10, 8 "
                                 "months before retirement; paid 2025-07 after death on 2025-06-30",
                                 none),
            "birth date changed ****-**-** -> ****-**-** on ****-**-**, 8 months before "
            "retirement; paid 2025-07 after death on 2025-06-30");
  EXPECT_EQ(MaskBirthLinkedDates("Born 1950-01-01 | 出生于1950年1月1日。死亡2025年6月30日", none),
            "Born ****-**-** | 出生于****-**-**。死亡2025年6月30日");
}

TEST(DateMaskingTest, ReadsTheNotationsPeopleType) {
  EXPECT_EQ(MaskBirthLinkedDates(
                "fund: 1958/3/17, 1958.03.17, 1958年3月17日, 1958年3月17号, 19580317", Dates()),
            "fund: ****-**-**, ****-**-**, ****-**-**, ****-**-**, ****-**-**");
  EXPECT_EQ(MaskBirthLinkedDates("pension from 2008年4月", Dates()), "pension from ****-**");
}

TEST(DateMaskingTest, LeavesNumbersThatAreNoDatesAlone) {
  const std::string text =
      "paid 2003.05 yuan; id 370202195803171004; 12,000.00; region 3702-03; 2008-13-01; "
      "2023-02-29; 0958-03-17";
  EXPECT_EQ(MaskBirthLinkedDates(text, Dates()), text);
}

TEST(DateMaskingTest, FindsTheDatesOfAnIdChange) {
  EXPECT_EQ(DatesIn("birth_date:1960-03-17->1958-03-17"),
            (std::vector<Date>{D(1960, 3, 17), D(1958, 3, 17)}));
  EXPECT_EQ(DatesIn("name:王秀英->王秀瑛"), std::vector<Date>{});
}

}  // namespace
}  // namespace vigil::console

// What an auditor may not read (apps/console/date_masking.h): the birth date, the dates and
// months that follow from it, every date of a clause that speaks of birth, and the digit runs
// of codes and typed numbers that can hold a district or a piece of a resident id.
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

TEST(DateMaskingTest, ReadsDayFirstDatesAndTestsBothReadingsOfAnAmbiguousOne) {
  EXPECT_EQ(MaskBirthLinkedDates("card: 17/3/1958, 17.03.1958, 17-3-1958, 3/17/1958", Dates()),
            "card: ****-**-**, ****-**-**, ****-**-**, ****-**-**");
  // Born on 4 March: 4/3/2026 read day first and 3/4/2026 read month first are birthdays.
  const PersonDates march_4{{D(1950, 3, 4)}, {}};
  EXPECT_EQ(MaskBirthLinkedDates("seen 4/3/2026, 3/4/2026 and 5/4/2026", march_4),
            "seen ****-**-**, ****-**-** and 5/4/2026");
  EXPECT_EQ(DatesIn("3/4/1950"), (std::vector<Date>{D(1950, 4, 3), D(1950, 3, 4)}));
}

TEST(DateMaskingTest, DobAndShengYuSpeakOfBirth) {
  const PersonDates none;
  EXPECT_EQ(MaskBirthLinkedDates("DOB 1950-01-01; 生于1950年1月1日; died 2025-06-30", none),
            "DOB ****-**-**; 生于****-**-**; died 2025-06-30");
}

TEST(DateMaskingTest, FindsTheDatesOfAnIdChange) {
  EXPECT_EQ(DatesIn("birth_date:1960-03-17->1958-03-17"),
            (std::vector<Date>{D(1960, 3, 17), D(1958, 3, 17)}));
  EXPECT_EQ(DatesIn("name:王秀英->王秀瑛"), std::vector<Date>{});
}

// Codes in vigil's own texts (timeline details, reasons, evidence notes, linked employers and
// doctors): a district can sit in any run of 6 or more digits.
TEST(DateMaskingCodesTest, MasksEveryRunOfSixOrMoreDigitsAndKeepsAnIdShapesTail) {
  const PersonDates none;
  EXPECT_EQ(MaskCodes("SEEN @ SQ370203014", none), "SEEN @ SQ*********");
  EXPECT_EQ(MaskCodes("CURED @ H37020302", none), "CURED @ H********");
  EXPECT_EQ(MaskCodes("grade 3, doctor D37020012, hospital H37020101", none),
            "grade 3, doctor D********, hospital H********");
  EXPECT_EQ(MaskCodes("2025-01..2025-12 91370203MA3C7Q8X5P NORMAL", none),
            "2025-01..2025-12 ********MA3C7Q8X5P NORMAL");
  EXPECT_EQ(MaskCodes("employer 913702031234567850; id 37020219500101100X", none),
            "employer **************7850; id **************100X");
}

TEST(DateMaskingCodesTest, KeepsDatesAmountsCountsAndShortCodesAndMasksBirthLinkedDatesFirst) {
  const std::string text =
      "paid 3 months after death on 2025-06-30: 20,000.00 (12345.67 in all); bank 0532; "
      "region 3702; 48 < 50";
  EXPECT_EQ(MaskCodes(text, PersonDates{}), text);
  EXPECT_EQ(MaskCodes("PASS on 2026-03-17 at DV000012345678", Dates()),
            "PASS on ****-**-** at DV************");
}

// Numbers typed by people: no piece of an id, no district, no date of birth, however grouped.
TEST(DateMaskingTypedTest, AReviewersCommentKeepsNoDistrictNorIdPieceNorBirthDate) {
  EXPECT_EQ(MaskTyped("checked at the hall of district 370213; birthday 23/2/1964 per the card; "
                      "id 370284 19660106 4931; dob 1964 02 23",
                      PersonDates{}),
            "checked at the hall of district ******; birthday ****-**-** per the card; "
            "id ****** ******** 4931; dob ****-**-**");
}

TEST(DateMaskingTypedTest, NumbersOfFiveOrMoreDigitsAreMaskedHoweverGrouped) {
  EXPECT_EQ(MaskTyped("phone 0532-8888-1234, account 6222 0000 1111 2222, 12345 yuan, SQ370203014, "
                      "3702 03, 370202195001011002, 37020219500101100x, 19660106, 1966 1 6",
                      PersonDates{}),
            "phone ****-****-****, account **** **** **** ****, ***** yuan, SQ*********, "
            "**** **, **************1002, **************100x, ****-**-**, ****-**-**");
  // A date glued to other digits is read as a piece of them (an id typed in groups).
  EXPECT_EQ(MaskTyped("id 370284 1966-01-06 4931; died 2025-06-30 3 months ago", PersonDates{}),
            "id ****** ****-**-** 4931; died ****-**-** * months ago");
}

TEST(DateMaskingTypedTest, KeepsTheDatesRegionsCountsAndAmountsAReviewerCites) {
  const std::string text =
      "died 2025-06-30, paid 2025-07 and 2025/8/1, 1/9/2025 (3 payments, 9124.11 yuan, "
      "1,234.00); region 3702; 2024.05";
  EXPECT_EQ(MaskTyped(text, PersonDates{}), text);
}

TEST(DateMaskingTypedTest, MasksEveryNumberOfAClauseAboutBirthAndTheDatesThatTellIt) {
  EXPECT_EQ(MaskTyped("born 23 Feb 1964 in ward 3; seen 2026-02-24", PersonDates{}),
            "born ** Feb **** in ward *; seen 2026-02-24");
  EXPECT_EQ(MaskTyped("出生于1964年2月23日，3702", PersonDates{}), "出生于****-**-**，****");
  EXPECT_EQ(MaskTyped("seen 2026-03-17 and 17/3/2026, pension from 2008年4月", Dates()),
            "seen ****-**-** and ****-**-**, pension from ****-**");
}

}  // namespace
}  // namespace vigil::console

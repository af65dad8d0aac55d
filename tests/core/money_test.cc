#include "vigil/money.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(MoneyTest, ParsesUpToTwoDecimalsIntoFen) {
  EXPECT_EQ(ParseMoney("3421.50")->fen(), 342150);
  EXPECT_EQ(ParseMoney("3421.5")->fen(), 342150);
  EXPECT_EQ(ParseMoney("3421")->fen(), 342100);
  EXPECT_EQ(ParseMoney("0.07")->fen(), 7);
  EXPECT_EQ(ParseMoney("-12.00")->fen(), -1200);
}

TEST(MoneyTest, RejectsMalformedAmountsWithTheReason) {
  EXPECT_EQ(ParseMoney("12.345").status().message(), "bad amount '12.345': more than 2 decimals");
  EXPECT_FALSE(ParseMoney("").ok());
  EXPECT_FALSE(ParseMoney("1e3").ok());
  EXPECT_FALSE(ParseMoney("1,000").ok());
  EXPECT_FALSE(ParseMoney(".5").ok());
  EXPECT_FALSE(ParseMoney("5.").ok());
  EXPECT_FALSE(ParseMoney("99999999999999999999").ok());
}

// 17 digits just above int64 max / 100 overflowed the fen computation (tests/fuzz found it).
TEST(MoneyTest, RefusesAmountsBeyondTheFenRangeInsteadOfOverflowing) {
  EXPECT_EQ(ParseMoney("92233720368547759.99").status().message(),
            "bad amount '92233720368547759.99': too large");
  EXPECT_EQ(ParseMoney("-92233720368547758").status().message(),
            "bad amount '-92233720368547758': too large");
  EXPECT_EQ(ParseMoney("92233720368547757.99")->fen(), INT64_C(9223372036854775799));
  EXPECT_EQ(ParseMoney("-92233720368547757.99")->fen(), -INT64_C(9223372036854775799));
}

TEST(MoneyTest, FormatsPlainAndGrouped) {
  EXPECT_EQ(FormatMoney(Money::FromFen(1368400)), "13684.00");
  EXPECT_EQ(FormatMoney(Money::FromFen(-5)), "-0.05");
  EXPECT_EQ(FormatMoneyGrouped(Money::FromFen(1368400)), "13,684.00");
  EXPECT_EQ(FormatMoneyGrouped(Money::FromFen(123456789)), "1,234,567.89");
  EXPECT_EQ(FormatMoneyGrouped(Money::FromFen(-100000)), "-1,000.00");
}

}  // namespace
}  // namespace vigil

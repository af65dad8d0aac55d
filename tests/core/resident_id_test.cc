#include "vigil/resident_id.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

using std::chrono::day;
using std::chrono::month;
using std::chrono::year;

TEST(ResidentIdTest, ExtractsAddressBirthDateAndSex) {
  auto id = ResidentId::Parse("370202196403011236");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->address_code(), 370202u);
  EXPECT_EQ(id->birth_date(), year(1964) / month(3) / day(1));
  EXPECT_EQ(id->sequence(), 123);
  EXPECT_EQ(id->sex(), Sex::kMale);
  EXPECT_TRUE(id->checksum_ok());
}

TEST(ResidentIdTest, AcceptsUpperAndLowerCaseXAndNormalisesIt) {
  auto upper = ResidentId::Parse("11010519491231002X");
  auto lower = ResidentId::Parse("11010519491231002x");
  ASSERT_TRUE(upper.ok());
  ASSERT_TRUE(lower.ok());
  EXPECT_EQ(lower->text(), "11010519491231002X");
  EXPECT_EQ(lower->sex(), Sex::kFemale);
}

TEST(ResidentIdTest, ComputesTheIso7064CheckCharacter) {
  EXPECT_EQ(ResidentId::ComputeCheckChar("11010519491231002"), 'X');
  EXPECT_EQ(ResidentId::ComputeCheckChar("37070219550715004"), '9');
}

TEST(ResidentIdTest, StrictParseRejectsAWrongCheckCharacterNamingBoth) {
  auto r = ResidentId::Parse("370202196403011237");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "resident id check character is '7', expected '6'");
}

TEST(ResidentIdTest, LenientParseKeepsAWrongCheckCharacterFlagged) {
  auto r = ResidentId::ParseLenient("370202196403011237");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->checksum_ok());
  EXPECT_EQ(r->birth_date(), year(1964) / month(3) / day(1));
}

TEST(ResidentIdTest, RejectsStructuralErrorsEvenWhenLenient) {
  EXPECT_EQ(ResidentId::ParseLenient("37020219640301123").status().message(),
            "resident id has 17 characters, expected 18");
  EXPECT_EQ(ResidentId::ParseLenient("3702021964O3011236").status().message(),
            "resident id has a non-digit at position 11");
  EXPECT_EQ(ResidentId::ParseLenient("37020219640230123X").status().message(),
            "resident id birth date '19640230' is not a real date");
  EXPECT_EQ(ResidentId::ParseLenient("37020219640301123Y").status().message(),
            "resident id check character 'Y' is not 0-9 or X");
  EXPECT_FALSE(ResidentId::ParseLenient("").ok());
  EXPECT_FALSE(ResidentId::ParseLenient("070202196403011236").ok());
}

}  // namespace
}  // namespace vigil

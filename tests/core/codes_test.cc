#include "vigil/codes.h"

#include <gtest/gtest.h>

#include "vigil/records.h"

namespace vigil {
namespace {

template <typename E>
void ExpectRoundTrip() {
  for (E value : AllCodes<E>()) {
    auto parsed = ParseCode<E>(CodeName(value));
    ASSERT_TRUE(parsed.ok()) << CodeName(value);
    EXPECT_EQ(*parsed, value);
  }
}

TEST(CodesTest, EveryContractCodeRoundTrips) {
  ExpectRoundTrip<Sex>();
  ExpectRoundTrip<Scheme>();
  ExpectRoundTrip<Category>();
  ExpectRoundTrip<RetirementType>();
  ExpectRoundTrip<PersonStatus>();
  ExpectRoundTrip<JobType>();
  ExpectRoundTrip<ContributionKind>();
  ExpectRoundTrip<Benefit>();
  ExpectRoundTrip<Channel>();
  ExpectRoundTrip<SignalSource>();
  ExpectRoundTrip<RegistryEvent>();
  ExpectRoundTrip<Conclusion>();
  ExpectRoundTrip<Certification>();
  ExpectRoundTrip<Action>();
  ExpectRoundTrip<Pattern>();
  ExpectRoundTrip<Feed>();
  EXPECT_EQ(CodeCount<Pattern>(), 15u);
  EXPECT_EQ(CodeCount<SignalSource>(), 12u);
}

TEST(CodesTest, UnknownCodeNamesTheTextAndTheChoices) {
  auto r = ParseCode<Scheme>("employee");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "unknown Scheme 'employee' (expected one of EMPLOYEE, PUBLIC, RESIDENT)");
}

TEST(CodesTest, OnlyTheFourInPersonSourcesAreInPerson) {
  int in_person = 0;
  for (SignalSource s : AllCodes<SignalSource>()) in_person += IsInPerson(s) ? 1 : 0;
  EXPECT_EQ(in_person, 4);
  EXPECT_TRUE(IsInPerson(SignalSource::kBankCounter));
  EXPECT_FALSE(IsInPerson(SignalSource::kBankActivity));
}

}  // namespace
}  // namespace vigil

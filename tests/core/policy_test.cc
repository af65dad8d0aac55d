#include "vigil/policy.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(PolicyTest, DefaultsFollowTheContract) {
  const Policy p = Policy::Defaults();
  EXPECT_EQ(p.NormalRetirementAge(Sex::kMale, Category::kWorker), 60);
  EXPECT_EQ(p.NormalRetirementAge(Sex::kFemale, Category::kCadre), 55);
  EXPECT_EQ(p.NormalRetirementAge(Sex::kFemale, Category::kWorker), 50);
  EXPECT_EQ(p.retirement.special_job_age_male, 55);
  EXPECT_EQ(p.retirement.special_job_age_female, 45);
  EXPECT_EQ(p.retirement.special_job_min_years[static_cast<size_t>(JobType::kHeavyLabour)], 10);
  EXPECT_EQ(p.retirement.special_job_min_years[static_cast<size_t>(JobType::kHighAltitude)], 10);
  EXPECT_EQ(p.retirement.special_job_min_years[static_cast<size_t>(JobType::kUnderground)], 9);
  EXPECT_EQ(p.retirement.special_job_min_years[static_cast<size_t>(JobType::kHighTemperature)], 9);
  EXPECT_EQ(p.retirement.special_job_min_years[static_cast<size_t>(JobType::kToxic)], 8);
  EXPECT_EQ(p.retirement.disability_age_male, 50);
  EXPECT_EQ(p.retirement.disability_age_female, 45);
  EXPECT_EQ(p.retirement.min_contribution_years, 15);
  EXPECT_EQ(p.certification.window_months, 12);
}

TEST(PolicyTest, PartialJsonOverridesOnlyTheGivenKeys) {
  auto p = Policy::FromJson(
      R"({"version": "2027.1", "retirement": {"normal_age": {"male": 63},
          "special_job_min_years": {"TOXIC": 9}},
          "certification": {"source_weight": {"TELECOM": 0.05}}})");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->version, "2027.1");
  EXPECT_EQ(p->retirement.normal_age_male, 63);
  EXPECT_EQ(p->retirement.normal_age_female_cadre, 55);
  EXPECT_EQ(p->retirement.special_job_min_years[static_cast<size_t>(JobType::kToxic)], 9);
  EXPECT_DOUBLE_EQ(p->certification.source_weight[static_cast<size_t>(SignalSource::kTelecom)],
                   0.05);
}

TEST(PolicyTest, UnknownKeyIsAnErrorNamingTheKey) {
  auto p = Policy::FromJson(R"({"retirement": {"normal_age": {"males": 60}}})", "policy.json");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(), "policy.json: retirement.normal_age.males: unknown key");
}

TEST(PolicyTest, AKeyGivenTwiceIsAnErrorNamingIt) {
  // The parser alone keeps the last one: the supervisor's 0.95 would be dropped silently.
  auto twice = Policy::FromJson(R"({"rules": {"block_risk": 0.95, "block_risk": 0.5}})", "p");
  EXPECT_EQ(twice.status().message(), "p: block_risk: key given twice in one object");
  auto sections = Policy::FromJson(R"({"rules": {"block_risk": 0.95}, "rules": {}})", "p");
  EXPECT_EQ(sections.status().message(), "p: rules: key given twice in one object");
  // The same name in two objects is no repeat.
  EXPECT_TRUE(Policy::FromJson(R"({"retirement": {"normal_age": {"male": 61}},
                                   "rules": {"block_risk": 0.9}})")
                  .ok());
}

TEST(PolicyTest, ChangedThresholdsWithoutAVersionAreNotCalledTheDefault) {
  auto unnamed = Policy::FromJson(R"({"rules": {"block_risk": 0.95}})");
  ASSERT_TRUE(unnamed.ok()) << unnamed.status().ToString();
  EXPECT_EQ(unnamed->version.substr(0, 7), "custom-");
  EXPECT_EQ(unnamed->version.size(), 7u + 16u);
  // The name follows the settings: the same thresholds, the same name; others, another.
  EXPECT_EQ(Policy::FromJson(R"({"rules": {"block_risk": 0.95}})")->version, unnamed->version);
  EXPECT_NE(Policy::FromJson(R"({"rules": {"block_risk": 0.96}})")->version, unnamed->version);
  // Nothing changed: still the default; a version given is kept.
  EXPECT_EQ(Policy::FromJson(R"({"rules": {"block_risk": 0.85}})")->version, "default-1");
  EXPECT_EQ(Policy::FromJson(R"({"version": "fund-7", "rules": {"block_risk": 0.95}})")->version,
            "fund-7");
}

TEST(PolicyTest, AHoldLevelEqualToTheBlockLevelIsRefused) {
  EXPECT_EQ(Policy::FromJson(R"({"rules": {"hold_risk": 0.5, "block_risk": 0.5}})", "p")
                .status()
                .message(),
            "p: rules.hold_risk must be below rules.block_risk");
}

TEST(PolicyTest, OutOfRangeValueIsAnErrorNamingKeyAndRange) {
  auto p = Policy::FromJson(R"({"retirement": {"normal_age": {"male": 200}}})", "policy.json");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(),
            "policy.json: retirement.normal_age.male: 200 is out of range [40, 80]");
}

TEST(PolicyTest, WrongTypesAndBadJsonAreErrors) {
  EXPECT_EQ(Policy::FromJson(R"({"retirement": {"min_contribution_years": 15.5}})", "p")
                .status()
                .message(),
            "p: retirement.min_contribution_years: must be a whole number");
  EXPECT_EQ(Policy::FromJson(R"({"rules": {"hold_risk": "high"}})", "p").status().message(),
            "p: rules.hold_risk: must be a number");
  EXPECT_FALSE(Policy::FromJson("{", "p").ok());
  EXPECT_FALSE(Policy::FromJson("[]", "p").ok());
}

// nlohmann throws out_of_range, not parse_error, for a number beyond double range; it escaped
// FromJson and ended the process (tests/fuzz/policy_fuzz found it).
TEST(PolicyTest, NumberBeyondDoubleRangeIsAnErrorNotAnException) {
  auto policy = Policy::FromJson(R"({"rules": {"hold_risk": 1e999}})", "p");
  EXPECT_EQ(policy.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(policy.status().message().starts_with("p: not valid JSON: "))
      << policy.status().message();
}

TEST(PolicyTest, ToJsonRoundTripsEveryKey) {
  Policy p;
  p.rules.amount_anomaly_ratio = 2.25;
  p.retirement.min_contribution_years = 20;
  auto back = Policy::FromJson(p.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->ToJson(), p.ToJson());
  EXPECT_EQ(back->retirement.min_contribution_years, 20);
}

}  // namespace
}  // namespace vigil

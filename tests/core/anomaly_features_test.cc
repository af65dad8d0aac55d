// The anomaly model's peer-relative features and its review-budget threshold.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>
#include <vector>

#include "../../core/person_features.h"
#include "history_builder.h"

namespace vigil {
namespace {

PeerKey Key(uint64_t scheme, uint64_t region, uint64_t band) {
  return (scheme + 1) << 48 | region << 16 | band;
}

TEST(RelateToPeersTest, BenefitIsJudgedAgainstItsOwnPeerGroup) {
  Policy policy;
  policy.rules.anomaly_min_peer_group = 5;
  // Two peer groups with benefits an order of magnitude apart: the same raw value is ordinary
  // in one and extreme in the other.
  std::vector<PeerKey> peers;
  std::vector<float> matrix;
  auto add = [&](PeerKey key, float log_benefit) {
    peers.push_back(key);
    std::vector<float> row(kPersonFeatureCount, 0.0f);
    row[kBenefitVsPeersColumn] = log_benefit;
    matrix.insert(matrix.end(), row.begin(), row.end());
  };
  for (int i = 0; i < 20; ++i) add(Key(0, 1, 3), 8.0f + 0.01f * static_cast<float>(i % 5));
  for (int i = 0; i < 20; ++i) add(Key(1, 1, 3), 5.0f + 0.01f * static_cast<float>(i % 5));
  add(Key(1, 1, 3), 8.0f);  // a high-group benefit in the low group
  add(Key(0, 1, 3), 8.02f);
  RelateToPeers(policy, peers, peers.size(), matrix.data());
  const auto z = [&](size_t row) {
    return matrix[row * kPersonFeatureCount + kBenefitVsPeersColumn];
  };
  EXPECT_GT(z(40), 20.0f);
  EXPECT_NEAR(z(41), 0.0f, 0.01f);
  EXPECT_NEAR(z(2), 0.0f, 0.01f);
}

TEST(RelateToPeersTest, SmallGroupFallsBackToCoarserPeers) {
  Policy policy;
  policy.rules.anomaly_min_peer_group = 10;
  std::vector<PeerKey> peers;
  std::vector<float> matrix;
  for (int i = 0; i < 30; ++i) {
    peers.push_back(Key(0, 2, static_cast<uint64_t>(i % 3)));  // bands of 10 persons
    std::vector<float> row(kPersonFeatureCount, 0.0f);
    row[kBenefitVsPeersColumn] = 6.0f + 0.1f * static_cast<float>(i % 7);
    matrix.insert(matrix.end(), row.begin(), row.end());
  }
  peers.push_back(Key(0, 2, 9));  // alone in its band: judged against scheme and region
  std::vector<float> row(kPersonFeatureCount, 0.0f);
  row[kBenefitVsPeersColumn] = 6.3f;
  matrix.insert(matrix.end(), row.begin(), row.end());
  RelateToPeers(policy, peers, peers.size(), matrix.data());
  EXPECT_NEAR(matrix[30 * kPersonFeatureCount + kBenefitVsPeersColumn], 0.0f, 0.01f);
}

// 1,000 people without a hit, the first 20 with falling scores above the floor (0.5), the
// rest at 0.55; a budget of 1%.
struct BudgetCase {
  Policy policy;
  std::vector<PersonOutcome> outcomes = std::vector<PersonOutcome>(1000);
  std::vector<float> anomaly = std::vector<float>(1000, 0.55f);
  BudgetCase() {
    policy.rules.anomaly_flag_score = 0.5;
    policy.rules.anomaly_contamination = 0.01;
    for (size_t i = 0; i < 20; ++i) anomaly[i] = 0.9f - 0.01f * static_cast<float>(i);
  }
  // Persons [from, to) get one hit of `pattern` at `strength`.
  void Hit(size_t from, size_t to, Pattern pattern, double strength) {
    for (size_t i = from; i < to; ++i) {
      outcomes[i].hits.push_back(RuleHit{});
      outcomes[i].hits.back().pattern = pattern;
      outcomes[i].hits.back().strength = strength;
    }
  }
  // How many of persons [from, to) score at or above `cut`.
  size_t FlaggedAmong(size_t from, size_t to, double cut) const {
    size_t flagged = 0;
    for (size_t i = from; i < to; ++i) flagged += anomaly[i] >= cut ? 1 : 0;
    return flagged;
  }
};

TEST(AnomalyThresholdTest, FlagsAtMostTheBudgetOfUnexplainedPeople) {
  BudgetCase c;
  // Explained persons (a pattern's hit) do not use the budget.
  c.Hit(0, 10, Pattern::kDeceasedPaid, 1.0);
  EXPECT_EQ(JudgeByRules(c.policy, c.outcomes[0].hits), RuleJudgement::kExplained);
  const double cut = AnomalyThreshold(c.policy, c.outcomes, c.anomaly);
  EXPECT_EQ(c.FlaggedAmong(10, c.anomaly.size(), cut), 9u);  // 1% of the 990 unexplained
  EXPECT_GE(cut, 0.5);
}

// A person a rule reports as ANOMALY (a pension rotating through single-use accounts) is
// reported whatever the budget, and uses the budget first: the model flags only what is left.
TEST(AnomalyThresholdTest, PeopleARuleReportsAsAnomalyUseTheBudgetFirst) {
  BudgetCase c;
  c.Hit(990, 994, Pattern::kAnomaly, 0.6);
  EXPECT_EQ(JudgeByRules(c.policy, c.outcomes[990].hits), RuleJudgement::kAnomaly);
  double cut = AnomalyThreshold(c.policy, c.outcomes, c.anomaly);
  // 1% of the 1,000 people no pattern explains, less the rule's 4.
  EXPECT_EQ(c.FlaggedAmong(0, 990, cut), 6u);
  // Fourteen reported by the rule: more than the budget, and the model flags nobody.
  c.Hit(980, 990, Pattern::kAnomaly, 0.6);
  cut = AnomalyThreshold(c.policy, c.outcomes, c.anomaly);
  EXPECT_GT(cut, 1.0);
}

TEST(AnomalyThresholdTest, TiesAtTheCutAreLeftOutAndTheFloorHolds) {
  Policy policy;
  policy.rules.anomaly_flag_score = 0.6;
  policy.rules.anomaly_contamination = 0.01;
  std::vector<PersonOutcome> outcomes(1000);
  std::vector<float> anomaly(1000, 0.7f);  // everyone tied
  EXPECT_GT(AnomalyThreshold(policy, outcomes, anomaly), static_cast<double>(0.7f));
  std::fill(anomaly.begin(), anomaly.end(), 0.3f);
  anomaly[0] = 0.55f;  // the highest, yet below the floor
  EXPECT_GE(AnomalyThreshold(policy, outcomes, anomaly), 0.6);
}

// An unexplained outlier becomes ANOMALY with a reason that names the features and its basis in
// the policy, like every rule's reason; a person a rule explains is not also an ANOMALY.
// Months paid far below the benefit are an anomaly where they are rare; where more than the
// policy's share of pensioners have them, they are the payroll's deductions: context.
TEST(RoutineUnderpaymentTest, UnderpaymentIsContextWhereItIsTheRule) {
  const Policy policy = Policy::Defaults();
  auto hit = [](Pattern pattern, const char* overpaid) {
    RuleHit h;
    h.pattern = pattern;
    h.strength = 0.7;
    h.overpaid = testing::Y(overpaid);
    h.reason = "r";
    return h;
  };
  std::vector<PersonOutcome> outcomes(3);
  outcomes[0].hits = {hit(Pattern::kAmountAnomaly, "0.00")};    // underpaid only
  outcomes[1].hits = {hit(Pattern::kAmountAnomaly, "100.00")};  // overpaid too
  outcomes[2].hits = {hit(Pattern::kDeceasedPaid, "0.00")};
  // 1 of 100 pensioners: at the share, still rare.
  EXPECT_EQ(DemoteRoutineUnderpayments(policy, 100, &outcomes), 1u);
  EXPECT_DOUBLE_EQ(outcomes[0].hits[0].strength, 0.7);
  // 1 of 99: beyond it, routine.
  EXPECT_EQ(DemoteRoutineUnderpayments(policy, 99, &outcomes), 1u);
  EXPECT_LT(outcomes[0].hits[0].strength, policy.rules.pattern_min_strength);
  EXPECT_NE(outcomes[0].hits[0].reason.find("amount_underpaid_routine_share"), std::string::npos);
  EXPECT_DOUBLE_EQ(outcomes[1].hits[0].strength, 0.7);
  EXPECT_DOUBLE_EQ(outcomes[2].hits[0].strength, 0.7);
}

TEST(FusePersonTest, AnAnomalyReasonNamesItsFeaturesAndItsPolicyBasis) {
  Policy policy;
  PersonOutcome outcome;
  const std::vector<FeatureContribution> top = {{kBenefitVsPeersColumn, 2.0}};
  FusePerson(policy, 0.95F, top, &outcome);
  ASSERT_EQ(outcome.patterns, std::vector<Pattern>{Pattern::kAnomaly});
  ASSERT_EQ(outcome.reasons.size(), 1u);
  EXPECT_NE(outcome.reasons[0].find(PersonFeatureNames()[kBenefitVsPeersColumn]), std::string::npos)
      << outcome.reasons[0];
  EXPECT_NE(outcome.reasons[0].find("policy: rules.anomaly"), std::string::npos)
      << outcome.reasons[0];
  EXPECT_NE(outcome.action, Action::kBlock);

  PersonOutcome below;
  FusePerson(policy, static_cast<float>(policy.rules.anomaly_flag_score) - 0.01F, top, &below);
  EXPECT_TRUE(below.patterns.empty());
}

// The learned fusion's log_overpaid input is what the case recovers (FusePerson's overpaid): a
// payment that two hits claim (paid after a death and by a second region) counts once, two
// hits' separate payments add up, and a hit below rules.pattern_min_strength, which makes no
// pattern of the case, recovers nothing.
TEST(FusionInputsTest, OverpaidIsTheCasesAmountEachPaymentOnce) {
  auto hit = [](Pattern pattern, double strength, std::vector<PaymentClaim> claims) {
    RuleHit h;
    h.pattern = pattern;
    h.strength = strength;
    int64_t fen = 0;
    for (const PaymentClaim& c : claims) fen += c.fen;
    h.overpaid = Money::FromFen(fen);
    h.claims = std::move(claims);
    return h;
  };
  Policy policy;
  policy.rules.pattern_min_strength = 0.5;
  PersonOutcome outcome;
  outcome.hits.push_back(hit(Pattern::kDeceasedPaid, 0.9, {{1, 300000}, {2, 300000}}));
  outcome.hits.push_back(hit(Pattern::kDuplicateReceipt, 0.9, {{2, 300000}, {3, 250000}}));
  outcome.hits.push_back(hit(Pattern::kPrisonPaid, 0.9, {{4, 100000}}));
  outcome.hits.push_back(hit(Pattern::kAmountAnomaly, 0.3, {{5, 800000}}));  // below the level
  std::array<float, kFusionInputCount> x{};
  ComputeFusionInputs(outcome, 0.2F, x.data(), policy.rules.pattern_min_strength);
  const size_t log_overpaid = kFusionInputCount - 1;
  ASSERT_EQ(FusionInputs()[log_overpaid], "log_overpaid");
  // Payments 1-4 once each: 3,000 + 3,000 + 2,500 + 1,000 yuan.
  EXPECT_FLOAT_EQ(x[log_overpaid], static_cast<float>(std::log1p(9500.0)));
  EXPECT_FLOAT_EQ(x[static_cast<size_t>(Pattern::kDeceasedPaid)], 0.9F);
  EXPECT_FLOAT_EQ(x[static_cast<size_t>(Pattern::kAmountAnomaly)], 0.3F);
  // The same amount as the case's.
  PersonOutcome fused = outcome;
  FusePerson(policy, 0.2F, {}, &fused);
  EXPECT_EQ(fused.overpaid, Money::FromFen(950000));
}

// A rule's ANOMALY (a pension rotating through single-use accounts) is a review like the
// model's outliers: HOLD with the rule's reason, counted once however many registrations show
// it, below BLOCK even where the policy's BLOCK level is low, and kept by a fitted fusion model,
// which has no input for it.
TEST(FusePersonTest, ARulesAnomalyIsAReviewNeverABlockOnItsOwn) {
  Policy policy;
  PersonOutcome outcome;
  for (int region = 0; region < 3; ++region) {
    RuleHit rotation;
    rotation.pattern = Pattern::kAnomaly;
    rotation.strength = 0.6;
    rotation.reason = "rotates through single-use accounts " + std::to_string(region);
    outcome.hits.push_back(rotation);
  }
  FusePerson(policy, 0.1F, {}, &outcome);
  ASSERT_EQ(outcome.patterns, std::vector<Pattern>{Pattern::kAnomaly});
  EXPECT_EQ(outcome.reasons.front().rfind("rotates through", 0), 0u) << outcome.reasons.front();
  EXPECT_DOUBLE_EQ(outcome.risk, 0.6);
  EXPECT_EQ(outcome.action, Action::kHold);
  Policy low_block = policy;
  low_block.rules.block_risk = 0.55;
  FusePerson(low_block, 0.1F, {}, &outcome);
  EXPECT_EQ(outcome.action, Action::kHold);
  // A fitted model that rates everyone as safe.
  const LogisticModel safe =
      LogisticModel::FromWeights(std::vector<double>(kFusionInputCount, 0.0), -10.0);
  FuseLearned(policy, safe, 0.1F, {}, &outcome);
  EXPECT_EQ(outcome.patterns, std::vector<Pattern>{Pattern::kAnomaly});
  EXPECT_EQ(outcome.action, Action::kHold);
}

// The features of one history, by name.
float FeatureOf(PersonHistory h, std::string_view name) {
  using namespace vigil::testing;  // NOLINT(google-build-using-namespace)
  Finish(h);
  const Date as_of = D("2026-10-31");
  const Policy policy = Policy::Defaults();
  const CrossPersonFacts facts;
  const CertificationResult cert = Certify(h, policy, as_of, &facts);
  std::vector<float> row(kPersonFeatureCount);
  PeerKey peer = 0;
  ComputePersonFeatures(h, facts, cert, {}, policy, as_of, row.data(), &peer);
  const auto& names = PersonFeatureNames();
  const auto it = std::find(names.begin(), names.end(), name);
  EXPECT_NE(it, names.end()) << name;
  return it == names.end() ? -1.0f : row[static_cast<size_t>(it - names.begin())];
}

// Payments off the payroll's pattern (one account, each month paid in that month): further
// accounts and periods paid two or more months ahead, over the year to as_of, counted together
// in the column the forest sees.
TEST(PersonFeaturesTest, OffPayrollPaymentsCountFurtherAccountsAndPeriodsPaidAhead) {
  using namespace vigil::testing;  // NOLINT(google-build-using-namespace)
  EXPECT_EQ(FeatureOf(Pensioner(), "off_payroll_payments_12m"), 0.0f);

  PersonHistory rotating = Pensioner();  // a fresh wallet each month from 2026-05: 6 more
  int n = 0;
  for (PaymentRecord& p : rotating.payments) {
    if (MonthNumber(p.period) >= MonthNumber(M("2026-05"))) {
      p.bank_account = "00210000000000" + std::to_string(1000 + n++);
    }
  }
  EXPECT_EQ(FeatureOf(rotating, "extra_payee_accounts_12m"), 6.0f);
  EXPECT_EQ(FeatureOf(rotating, "off_payroll_payments_12m"), 6.0f);

  PersonHistory switched = Pensioner();  // one honest change of account
  for (PaymentRecord& p : switched.payments) {
    if (MonthNumber(p.period) >= MonthNumber(M("2026-05"))) p.bank_account = "6217999900001111";
  }
  EXPECT_EQ(FeatureOf(switched, "off_payroll_payments_12m"), 1.0f);

  // A year paid at once on 2025-11-15: December is a month ahead (a holiday advance is the
  // payroll's habit), January to October 2026 are ten periods paid two or more months ahead.
  PersonHistory prepaid = Pensioner();
  for (PaymentRecord& p : prepaid.payments) {
    if (MonthNumber(p.period) >= MonthNumber(M("2025-11"))) p.paid_date = D("2025-11-15");
  }
  EXPECT_EQ(FeatureOf(prepaid, "periods_paid_ahead_12m"), 10.0f);
  EXPECT_EQ(FeatureOf(prepaid, "off_payroll_payments_12m"), 10.0f);
}

// A benefit below the peers' costs the fund nothing: only the high side is kept.
TEST(RelateToPeersTest, BenefitBelowPeersIsNotAnOutlier) {
  Policy policy;
  policy.rules.anomaly_min_peer_group = 5;
  constexpr size_t kRows = 21;
  const std::vector<PeerKey> peers(kRows, Key(0, 1, 3));
  std::vector<float> matrix(kRows * kPersonFeatureCount, 0.0f);
  for (size_t i = 0; i < kRows; ++i) {
    matrix[i * kPersonFeatureCount + kBenefitVsPeersColumn] =
        8.0f + 0.01f * static_cast<float>(i % 5);
  }
  matrix[20 * kPersonFeatureCount + kBenefitVsPeersColumn] = 2.0f;  // far below its peers
  RelateToPeers(policy, peers, kRows, matrix.data());
  EXPECT_EQ(matrix[20 * kPersonFeatureCount + kBenefitVsPeersColumn], 0.0f);
}

// The forest sees the payment profile only: every model column is one of the features, and the
// columns a rule or certification judges (months paid, age, retirement age) are not among them.
TEST(AnomalyModelColumnsTest, ProfileColumnsOnly) {
  std::vector<std::string_view> names;
  for (size_t column : AnomalyModelColumns()) {
    ASSERT_LT(column, kPersonFeatureCount);
    names.push_back(PersonFeatureNames()[column]);
  }
  const std::vector<std::string_view> expected = {"benefit_vs_peers", "pay_day_spread_days",
                                                  "off_payroll_payments_12m"};
  EXPECT_EQ(names, expected);
}

// An ANOMALY driven by the off-payroll count names its parts: which payments to look at.
TEST(FusePersonTest, OffPayrollReasonNamesItsParts) {
  const auto& names = PersonFeatureNames();
  auto column = [&](std::string_view name) {
    return static_cast<size_t>(std::find(names.begin(), names.end(), name) - names.begin());
  };
  std::vector<float> row(kPersonFeatureCount, 0.0f);
  row[column("extra_payee_accounts_12m")] = 11;
  row[column("off_payroll_payments_12m")] = 11;
  PersonOutcome outcome;
  FusePerson(Policy{}, 0.95F, {{column("off_payroll_payments_12m"), 2.0}}, &outcome, row.data());
  ASSERT_EQ(outcome.reasons.size(), 1u);
  EXPECT_NE(outcome.reasons[0].find("off_payroll_payments_12m 11 (11 payee accounts beyond the "
                                    "first, 0 periods paid two or more months ahead)"),
            std::string::npos)
      << outcome.reasons[0];
}

}  // namespace
}  // namespace vigil

// The anomaly model's peer-relative features and its review-budget threshold.
#include <gtest/gtest.h>

#include <vector>

#include "../../core/person_features.h"

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

TEST(AnomalyThresholdTest, FlagsAtMostTheBudgetOfUnexplainedPeople) {
  Policy policy;
  policy.rules.anomaly_flag_score = 0.5;
  policy.rules.anomaly_contamination = 0.01;
  std::vector<PersonOutcome> outcomes(1000);
  std::vector<float> anomaly(1000, 0.55f);
  for (size_t i = 0; i < 20; ++i) anomaly[i] = 0.9f - 0.01f * static_cast<float>(i);
  // An explained person does not use the budget.
  outcomes[0].hits.push_back(RuleHit{});
  outcomes[0].hits.back().strength = 1.0;
  const double cut = AnomalyThreshold(policy, outcomes, anomaly);
  size_t flagged = 0;
  for (size_t i = 1; i < anomaly.size(); ++i) flagged += anomaly[i] >= cut ? 1 : 0;
  EXPECT_EQ(flagged, 9u);  // 1% of the 999 unexplained
  EXPECT_GE(cut, 0.5);
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

}  // namespace
}  // namespace vigil

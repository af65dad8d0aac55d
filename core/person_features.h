// Per-person results of a scoring run, the model features, and the default fusion.
// Internal to core/ (the scoring pipeline and, later, the screener).
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/certification.h"
#include "vigil/history.h"
#include "vigil/isolation_forest.h"
#include "vigil/logistic_model.h"
#include "vigil/policy.h"
#include "vigil/rules.h"

namespace vigil {

// What the run keeps per person between the pass and the outputs.
struct PersonOutcome {
  std::string person_id;
  CertificationResult certification;
  std::vector<RuleHit> hits;
  Money monthly_benefit;  // largest approved benefit over the person's registrations
  uint16_t primary_region = 0;
  // Fusion outputs.
  float anomaly = 0;  // isolation-forest score, 0..1 (0.5 is ordinary)
  double risk = 0;    // 0..1
  Action action = Action::kPay;
  std::vector<Pattern> patterns;     // strongest first
  std::vector<std::string> reasons;  // most important first
  Money overpaid;
  uint16_t case_region = 0;
  bool flagged() const { return !patterns.empty(); }
};

// The anomaly model's view of a person: behaviour of signals, payments and contributions.
inline constexpr size_t kPersonFeatureCount = CertificationFeatures::kCount + 12;
const std::array<std::string_view, kPersonFeatureCount>& PersonFeatureNames();

// Writes kPersonFeatureCount finite floats to `out`.
void ComputePersonFeatures(const PersonHistory& history, const CrossPersonFacts& facts,
                           const CertificationResult& certification,
                           const std::vector<RuleHit>& hits, const Policy& policy, Date as_of,
                           float* out);

// Fills monthly_benefit and primary_region from the registrations.
void SummarisePerson(const PersonHistory& history, PersonOutcome* outcome);

// The default fusion, used until a fitted model exists: rule hits at or above
// rules.pattern_min_strength combine as independent evidence (noisy-OR of their strengths); an
// unexplained outlier (anomaly >= rules.anomaly_flag_score and no rule hit) becomes ANOMALY with
// its top features as the reason; SUSPEND with money at stake blocks.
void FusePerson(const Policy& policy, float anomaly,
                const std::vector<FeatureContribution>& top_features, PersonOutcome* outcome);

// Inputs of the learned fusion: the strongest hit per rule pattern, the anomaly score and the
// certification outcome and doubts.
inline constexpr size_t kFusionInputCount = CodeCount<Pattern>() - 1 + 5;
const std::array<std::string, kFusionInputCount>& FusionInputs();
void ComputeFusionInputs(const PersonOutcome& outcome, float anomaly, float* out);

// The learned fusion: risk from the fitted model; a person is a case when the risk reaches
// rules.hold_risk, explained by the patterns of their hits (or ANOMALY) and reasons ordered by
// each input's contribution to the log-odds.
void FuseLearned(const Policy& policy, const LogisticModel& model, float anomaly,
                 const std::vector<FeatureContribution>& top_features, PersonOutcome* outcome);

}  // namespace vigil

// Per-person results of a scoring run, the model features, and the default fusion.
// Internal to core/ (the scoring pipeline and, later, the screener).
#pragma once

#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rules_internal.h"
#include "vigil/certification.h"
#include "vigil/history.h"
#include "vigil/isolation_forest.h"
#include "vigil/logistic_model.h"
#include "vigil/policy.h"
#include "vigil/rules.h"
#include "vigil/store.h"

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
inline constexpr size_t kPersonFeatureCount = CertificationFeatures::kCount + 17;
const std::array<std::string_view, kPersonFeatureCount>& PersonFeatureNames();

// Column of the monthly benefit: log of the benefit as ComputePersonFeatures writes it, the
// robust z-score of that log among the person's peers once RelateToPeers has run.
inline constexpr size_t kBenefitVsPeersColumn = CertificationFeatures::kCount + 12;

// Who a person is compared with (scheme, region, band of contribution years), packed so that
// coarser groups are masks of it: see RelateToPeers. 0 = no pension registration.
using PeerKey = uint64_t;

// Writes kPersonFeatureCount finite floats to `out` and the person's peer group to `peer`.
void ComputePersonFeatures(const PersonHistory& history, const CrossPersonFacts& facts,
                           const CertificationResult& certification,
                           const std::vector<RuleHit>& hits, const Policy& policy, Date as_of,
                           float* out, PeerKey* peer);

// Re-expresses the peer-relative columns of a rows x kPersonFeatureCount matrix as robust
// z-scores ((x - median) / (1.4826 MAD)) within each row's peer group, falling back to a
// coarser group below rules.anomaly_min_peer_group, so that the anomaly model sees "unusual for
// someone like this" rather than magnitudes set by scheme, region and career length.
// Not thread-safe on `matrix`; reads `peers` only.
void RelateToPeers(const Policy& policy, const std::vector<PeerKey>& peers, size_t rows,
                   float* matrix);

// The columns the anomaly model is fitted on: the payment profile (benefit above peers, pay-day
// spread, payments off the payroll's pattern). The certification features are left out: they
// describe proof of life, which certification already judges, and are heavy-tailed for honest
// people (long silences, few signals), which would drown the profile's outliers.
const std::vector<size_t>& AnomalyModelColumns();

// Whether CrossPersonFactsBuilder::Add reads events of `kind` for its facts, for a person with
// these registrations (defined beside Add, which it must follow). Add also asks whether any
// other agency knows the person: the first pass of vigil score decodes what
// CrossPersonFactsFilter lets through, which adds one such event per person.
bool CrossPersonFactsReads(EventKind kind, std::span<const PersonRecord> registrations);
// Whether Add reads signals of `source` (when it reads signals at all): where faces certified,
// who lives in a care home, and the visits that can change a payee account.
inline bool CrossPersonFactsReadsSignal(SignalSource source) {
  return source == SignalSource::kFaceCert || source == SignalSource::kCareHome ||
         rules::SwitchVisitSource(source);
}

// Which of one scan's events (person by person, each person's in key order, all known by the
// date) CrossPersonFactsBuilder::Add needs: the kinds and sources above, and, since Add asks
// whether any other agency knows the person (rules::KnownToOtherAgencies), the first registry
// event or footprint signal of each person; the rest of those are skipped.
// Not thread-safe: one per scan.
class CrossPersonFactsFilter {
 public:
  // `source` is read only when `kind` is a signal. Inline: it is asked of every event.
  bool Reads(uint64_t person_key, EventKind kind, SignalSource source,
             std::span<const PersonRecord> registrations) {
    if (kind == EventKind::kSignal) {
      if (CrossPersonFactsReadsSignal(source)) return true;
      if (!rules::FootprintSource(source)) return false;
    } else if (kind != EventKind::kRegistry) {
      return CrossPersonFactsReads(kind, registrations);
    }
    // A registry event or a footprint signal: the first of the person's is read.
    if (known_person_ == person_key) return false;
    known_person_ = person_key;
    return true;
  }

 private:
  std::optional<uint64_t> known_person_;  // the person whose footprint event was taken
};

// Fills monthly_benefit and primary_region from the registrations.
void SummarisePerson(const PersonHistory& history, PersonOutcome* outcome);

// The default fusion, used until a fitted model exists: rule hits at or above
// rules.pattern_min_strength combine as independent evidence (noisy-OR of their strengths); an
// unexplained outlier (anomaly >= rules.anomaly_flag_score and no rule hit) becomes ANOMALY with
// its top features as the reason; SUSPEND with money at stake blocks.
// `features` (may be null) is the person's row of the feature matrix, for the values in the
// reason; top_features index its columns.
void FusePerson(const Policy& policy, float anomaly,
                const std::vector<FeatureContribution>& top_features, PersonOutcome* outcome,
                const float* features = nullptr);

// The score at and above which an unexplained person becomes ANOMALY. The review budget is
// rules.anomaly_contamination of the people no pattern rule explains; the people a rule already
// made ANOMALY (an account rotation) use it first, and the rest goes to the highest scores of the
// others: the (1 - budget share) quantile of their scores, never below rules.anomaly_flag_score.
double AnomalyThreshold(const Policy& policy, const std::vector<PersonOutcome>& outcomes,
                        const std::vector<float>& anomaly);
// How the rules judged a person, for the budget (one byte per person, so that a run need not
// hold every person's outcome).
enum class RuleJudgement : uint8_t {
  kNone = 0,       // no hit at or above rules.pattern_min_strength
  kExplained = 1,  // a pattern's hit at or above it
  kAnomaly = 2,    // only ANOMALY hits at or above it (a rule's unexplained outlier)
};
RuleJudgement JudgeByRules(const Policy& policy, const std::vector<RuleHit>& hits);
double AnomalyThreshold(const Policy& policy, const std::vector<RuleJudgement>& judged,
                        const std::vector<float>& anomaly);

// An AMOUNT_ANOMALY hit that recovers nothing (only months paid far below the benefit) is
// context, not a case, when more than rules.amount_underpaid_routine_share of the `pensioners`
// have one: such underpayment is the payroll's practice (deductions), not an anomaly. Lowers
// those hits below rules.pattern_min_strength in `outcomes`, saying why in their reasons, and
// returns how many persons had one.
size_t DemoteRoutineUnderpayments(const Policy& policy, size_t pensioners,
                                  std::vector<PersonOutcome>* outcomes);

// Inputs of the learned fusion: the strongest hit per rule pattern, the anomaly score, the
// certification outcome and doubts, and log_overpaid: what the case recovers, each payment once
// over the hits at or above `pattern_min_strength` (policy: rules.pattern_min_strength), as
// FusePerson takes the case's overpaid.
inline constexpr size_t kFusionInputCount = CodeCount<Pattern>() - 1 + 5;
const std::array<std::string, kFusionInputCount>& FusionInputs();
void ComputeFusionInputs(const PersonOutcome& outcome, float anomaly, float* out,
                         double pattern_min_strength);

// The learned fusion: risk from the fitted model; a person is a case when the risk reaches
// rules.hold_risk, explained by the patterns of their hits (or ANOMALY) and reasons ordered by
// each input's contribution to the log-odds.
void FuseLearned(const Policy& policy, const LogisticModel& model, float anomaly,
                 const std::vector<FeatureContribution>& top_features, PersonOutcome* outcome,
                 const float* features = nullptr);

}  // namespace vigil

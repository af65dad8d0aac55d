#include "person_features.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <unordered_map>

#include "certification_text.h"
#include "rules_internal.h"

namespace vigil {
namespace {

constexpr std::array<std::string_view, 17> kOwnFeatureNames = {
    "pension_months_paid_12m",
    "max_paid_to_benefit_ratio",
    "payment_accounts",
    "persons_on_account",
    "regions_registered",
    "contribution_years",
    "special_job_years",
    "back_payment_years",
    "age",
    "retirement_age",
    "rule_hits",
    "strongest_rule",
    "benefit_vs_peers",
    "pay_day_spread_days",
    "extra_payee_accounts_12m",
    "periods_paid_ahead_12m",
    "off_payroll_payments_12m",
};

// Robust z-scores are capped: beyond this the person is plainly isolated, and an unbounded value
// (a peer group with no spread) would only stretch the forest's cut range.
constexpr double kMaxPeerZ = 50.0;

// The off-payroll column and its two parts (ComputePersonFeatures writes them side by side).
constexpr size_t kExtraAccountsColumn = CertificationFeatures::kCount + 14;
constexpr size_t kPaidAheadColumn = CertificationFeatures::kCount + 15;
constexpr size_t kOffPayrollColumn = CertificationFeatures::kCount + 16;

double Median(std::vector<float>& v) {
  if (v.empty()) return 0;
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  return v[mid];
}

float Finite(double v) { return std::isfinite(v) ? static_cast<float>(v) : 0.0f; }

}  // namespace

const std::array<std::string_view, kPersonFeatureCount>& PersonFeatureNames() {
  static const auto names = [] {
    std::array<std::string_view, kPersonFeatureCount> all{};
    const auto& cert = CertificationFeatures::Names();
    std::copy(cert.begin(), cert.end(), all.begin());
    std::copy(kOwnFeatureNames.begin(), kOwnFeatureNames.end(), all.begin() + cert.size());
    return all;
  }();
  return names;
}

void SummarisePerson(const PersonHistory& history, PersonOutcome* outcome) {
  for (const PersonRecord& r : history.registrations) {
    if (r.monthly_benefit > outcome->monthly_benefit || outcome->primary_region == 0) {
      outcome->monthly_benefit = std::max(outcome->monthly_benefit, r.monthly_benefit);
    }
    if (outcome->primary_region == 0) outcome->primary_region = r.region;
  }
  // Not in the pension registry: the region that pays them.
  if (outcome->primary_region == 0 && !history.payments.empty()) {
    outcome->primary_region = history.payments.front().region;
  }
}

namespace {
// The number of distinct values; sorts `values`.
template <typename T>
size_t DistinctCount(std::vector<T>& values) {
  std::sort(values.begin(), values.end());
  return static_cast<size_t>(std::unique(values.begin(), values.end()) - values.begin());
}
}  // namespace

void ComputePersonFeatures(const PersonHistory& history, const CrossPersonFacts& facts,
                           const CertificationResult& certification,
                           const std::vector<RuleHit>& hits, const Policy& policy, Date as_of,
                           float* out, PeerKey* peer) {
  const auto cert = certification.features.ToArray();
  for (size_t i = 0; i < cert.size(); ++i) out[i] = Finite(cert[i]);
  float* own = out + cert.size();

  const Month as_of_month = MonthOf(as_of);
  Money benefit;
  for (const PersonRecord& r : history.registrations)
    benefit = std::max(benefit, r.monthly_benefit);
  // Distinct values are counted at the end (sorted and deduplicated): no node per insert. The
  // lists are scratch kept per thread, so a person costs no allocation once warm (this runs for
  // every person, and stays a pure function of its arguments).
  thread_local std::vector<int32_t> months_paid;
  thread_local std::vector<std::string_view> accounts;
  thread_local std::vector<float> pay_days;
  thread_local std::vector<const PaymentRecord*> pensions;
  // Periods paid two or more months before their month (a pension paid a month early before
  // a holiday is the payroll's habit, a year at once is not).
  thread_local std::vector<int32_t> paid_ahead;
  months_paid.clear();
  accounts.clear();
  pay_days.clear();
  pensions.clear();
  paid_ahead.clear();
  double max_ratio = 0;
  const int today = DayNumber(as_of);
  for (const PaymentRecord& p : history.payments) {
    if (p.benefit != Benefit::kPension) continue;
    pensions.push_back(&p);
    const int paid_day = DayNumber(p.paid_date);
    if (paid_day <= today && today - paid_day < rules::kAccountChurnDays &&
        MonthsBetween(MonthOf(p.paid_date), p.period) >= 2) {
      paid_ahead.push_back(MonthNumber(p.period));
    }
    const int age_months = MonthsBetween(p.period, as_of_month);
    if (age_months >= 0 && age_months < 12) {
      months_paid.push_back(MonthNumber(p.period));
      pay_days.push_back(static_cast<float>(static_cast<unsigned>(p.paid_date.day())));
    }
    accounts.push_back(p.bank_account);
    if (benefit.fen() > 0) max_ratio = std::max(max_ratio, p.amount.yuan() / benefit.yuan());
  }
  const size_t distinct_months_paid = DistinctCount(months_paid);
  const size_t distinct_accounts = DistinctCount(accounts);
  const size_t distinct_paid_ahead = DistinctCount(paid_ahead);
  uint32_t on_account = 0;
  for (const PersonRecord& r : history.registrations) {
    on_account = std::max(on_account, facts.persons_per_account.Get(r.bank_account));
  }
  double contribution_months = 0, special_months = 0, back_months = 0;
  for (const ContributionRecord& c : history.contributions) {
    const double months = MonthsBetween(c.start_month, c.end_month) + 1;
    contribution_months += months;
    if (c.job_type != JobType::kNormal) special_months += months;
    if (c.kind == ContributionKind::kBackPayment) back_months += months;
  }
  double age = 0, retirement_age = 0;
  if (!history.registrations.empty()) {
    const PersonRecord& r = history.registrations.front();
    age = WholeYearsBetween(r.birth_date, as_of);
    retirement_age = WholeYearsBetween(r.birth_date, r.retirement_date);
  }
  double strongest = 0;
  for (const RuleHit& h : hits) strongest = std::max(strongest, h.strength);
  // How irregular the person's pay day is: median distance of the day of month from its
  // median. A payroll pays on a fixed day, so a few late or arrears payments leave this at 0.
  double pay_day_spread = 0;
  if (!pay_days.empty()) {
    const double centre = Median(pay_days);
    for (float& d : pay_days) d = static_cast<float>(std::abs(d - centre));
    pay_day_spread = Median(pay_days);
  }
  *peer = 0;
  if (!history.registrations.empty()) {
    const PersonRecord& r = history.registrations.front();
    const auto band = static_cast<uint64_t>(
        std::clamp(contribution_months / 12.0 / std::max(1, policy.rules.anomaly_peer_years_band),
                   0.0, 65535.0));
    *peer =
        (static_cast<uint64_t>(r.scheme) + 1) << 48 | static_cast<uint64_t>(r.region) << 16 | band;
  }

  own[0] = Finite(static_cast<double>(distinct_months_paid));
  own[1] = Finite(max_ratio);
  own[2] = Finite(static_cast<double>(distinct_accounts));
  own[3] = Finite(on_account);
  own[4] = Finite(static_cast<double>(history.registrations.size()));
  own[5] = Finite(contribution_months / 12.0);
  own[6] = Finite(special_months / 12.0);
  own[7] = Finite(back_months / 12.0);
  own[8] = Finite(age);
  own[9] = Finite(retirement_age);
  own[10] = Finite(static_cast<double>(hits.size()));
  own[11] = Finite(strongest);
  own[12] = benefit.fen() > 0 ? Finite(std::log(benefit.yuan())) : 0.0f;
  own[13] = Finite(pay_day_spread);
  const int extra_accounts = std::max(0, rules::PensionAccountChurn(pensions, as_of).accounts - 1);
  own[kExtraAccountsColumn - cert.size()] = Finite(extra_accounts);
  own[kPaidAheadColumn - cert.size()] = Finite(static_cast<double>(distinct_paid_ahead));
  // A payroll pays one account, each month for that month. Payments that depart from it, into
  // a further account or for a month not begun, are counted together: each kind alone is
  // nearly always 0, and a column constant in the forest's sample is never split on, so a
  // rare extreme there would go unseen; together they keep a thin honest tail (one switch of
  // account) that an extreme row is isolated from.
  own[kOffPayrollColumn - cert.size()] =
      Finite(extra_accounts + static_cast<double>(distinct_paid_ahead));
}

void RelateToPeers(const Policy& policy, const std::vector<PeerKey>& peers, size_t rows,
                   float* matrix) {
  // Finest group first: scheme + region + years band, scheme + region, scheme, everyone.
  constexpr std::array<PeerKey, 4> kMasks = {~PeerKey{0}, ~PeerKey{0xFFFF}, ~PeerKey{0} << 48, 0};
  const size_t min_group = static_cast<size_t>(std::max(1, policy.rules.anomaly_min_peer_group));
  constexpr std::array<size_t, 1> kColumns = {kBenefitVsPeersColumn};
  struct Stats {
    double median = 0;
    double scale = 0;
    size_t count = 0;
  };
  for (size_t column : kColumns) {
    std::array<std::unordered_map<PeerKey, Stats>, kMasks.size()> levels;
    for (size_t level = 0; level < kMasks.size(); ++level) {
      std::unordered_map<PeerKey, std::vector<float>> values;
      for (size_t i = 0; i < rows; ++i) {
        if (peers[i] != 0)
          values[peers[i] & kMasks[level]].push_back(matrix[i * kPersonFeatureCount + column]);
      }
      for (auto& [key, v] : values) {
        Stats st;
        st.count = v.size();
        st.median = Median(v);
        for (float& x : v) x = static_cast<float>(std::abs(x - st.median));
        st.scale = 1.4826 * Median(v);
        if (st.scale <= 0) {
          // More than half the group share one value: the mean deviation still measures spread.
          double sum = 0;
          for (float x : v) sum += x;
          st.scale = 1.2533 * sum / static_cast<double>(v.size());
        }
        levels[level].emplace(key, st);
      }
    }
    for (size_t i = 0; i < rows; ++i) {
      float& x = matrix[i * kPersonFeatureCount + column];
      if (peers[i] == 0) {
        x = 0;
        continue;
      }
      const Stats* chosen = nullptr;
      for (size_t level = 0; level < kMasks.size(); ++level) {
        chosen = &levels[level].at(peers[i] & kMasks[level]);
        if (chosen->count >= min_group) break;
      }
      const double deviation = x - chosen->median;
      double z = 0;
      if (chosen->scale > 0) {
        z = deviation / chosen->scale;
      } else if (deviation != 0) {
        z = deviation > 0 ? kMaxPeerZ : -kMaxPeerZ;
      }
      // One-sided: a benefit below the peers' costs the fund nothing, and the low tail (a
      // short resident career, a part-year pension) would take the forest's splits from the
      // high one.
      x = Finite(std::clamp(z, 0.0, kMaxPeerZ));
    }
  }
}

const std::vector<size_t>& AnomalyModelColumns() {
  // Own features only (see the header for the certification features). Left out too: columns
  // whose extremes a rule or certification already explains and judges (paid/benefit ratio:
  // AMOUNT_ANOMALY; all-time accounts and persons per account: SHARED_ACCOUNT,
  // ACCOUNT_HIJACK; regions: DUPLICATE_RECEIPT; special-job and back-payment years:
  // FAKE_SPECIAL_JOB, BACKPAY_ABUSE; retirement age: those two and FAKE_DISABILITY,
  // AGE_FALSIFIED; months paid in the year: fewer than due is a death, a suspension or a new
  // pension (certification), more is DECEASED_PAID's; age and contribution years, whose honest
  // tails (the very old, resident pensioners without contributions) took the budget from the
  // payment outliers; the rule hits themselves). An outlier there is a rule's case or an
  // honest tail, not an unexplained one. Off-payroll payments stay: ACCOUNT_HIJACK reports a
  // rotation through single-use accounts itself (rules.hijack_rotation_min_accounts), and the
  // slower rotations and the periods paid ahead are this model's.
  constexpr size_t kOwn = CertificationFeatures::kCount;
  static const std::vector<size_t> columns = {
      kBenefitVsPeersColumn,
      kOwn + 13,  // pay_day_spread_days
      kOffPayrollColumn,
  };
  return columns;
}

size_t DemoteRoutineUnderpayments(const Policy& policy, size_t pensioners,
                                  std::vector<PersonOutcome>* outcomes) {
  const auto underpaid_only = [&policy](const RuleHit& h) {
    return h.pattern == Pattern::kAmountAnomaly && h.overpaid.fen() == 0 &&
           h.strength >= policy.rules.pattern_min_strength;
  };
  size_t persons = 0;
  for (const PersonOutcome& o : *outcomes) {
    persons += std::any_of(o.hits.begin(), o.hits.end(), underpaid_only) ? 1 : 0;
  }
  const double share =
      pensioners == 0 ? 0.0 : static_cast<double>(persons) / static_cast<double>(pensioners);
  if (share <= policy.rules.amount_underpaid_routine_share) return persons;
  const std::string note = "; " + std::to_string(persons) + " of " + std::to_string(pensioners) +
                           " pensioners (" + FormatFixed(share * 100, 1) +
                           "%) are paid so far below their benefit: the payroll's deductions, "
                           "context (policy: rules.amount_underpaid_routine_share)";
  // Context strength: below the pattern level, as the rules' other context hits.
  constexpr double kContext = 0.3;
  for (PersonOutcome& o : *outcomes) {
    for (RuleHit& h : o.hits) {
      if (!underpaid_only(h)) continue;
      h.strength = std::min(h.strength, kContext);
      h.reason += note;
    }
  }
  return persons;
}

RuleJudgement JudgeByRules(const Policy& policy, const std::vector<RuleHit>& hits) {
  RuleJudgement judged = RuleJudgement::kNone;
  for (const RuleHit& h : hits) {
    if (h.strength < policy.rules.pattern_min_strength) continue;
    if (h.pattern != Pattern::kAnomaly) return RuleJudgement::kExplained;
    judged = RuleJudgement::kAnomaly;
  }
  return judged;
}

double AnomalyThreshold(const Policy& policy, const std::vector<PersonOutcome>& outcomes,
                        const std::vector<float>& anomaly) {
  std::vector<RuleJudgement> judged(outcomes.size());
  for (size_t i = 0; i < outcomes.size(); ++i) judged[i] = JudgeByRules(policy, outcomes[i].hits);
  return AnomalyThreshold(policy, judged, anomaly);
}

double AnomalyThreshold(const Policy& policy, const std::vector<RuleJudgement>& judged,
                        const std::vector<float>& anomaly) {
  std::vector<float> unexplained;
  size_t flagged_by_rules = 0;
  for (size_t i = 0; i < judged.size() && i < anomaly.size(); ++i) {
    if (judged[i] == RuleJudgement::kNone) unexplained.push_back(anomaly[i]);
    if (judged[i] == RuleJudgement::kAnomaly) ++flagged_by_rules;
  }
  const double floor = policy.rules.anomaly_flag_score;
  const auto budget =
      static_cast<size_t>(policy.rules.anomaly_contamination *
                          static_cast<double>(unexplained.size() + flagged_by_rules));
  const size_t allowed = budget > flagged_by_rules ? budget - flagged_by_rules : 0;
  const double above_all = std::nextafter(1.0, 2.0);
  if (allowed == 0) return std::max(floor, above_all);
  if (allowed >= unexplained.size()) return floor;
  std::sort(unexplained.begin(), unexplained.end(), std::greater<>());
  // The allowed-th highest score; when scores tie across the cut the whole tie is left out, so
  // the budget is never exceeded.
  double cut = unexplained[allowed - 1];
  if (unexplained[allowed] == unexplained[allowed - 1]) cut = std::nextafter(cut, above_all);
  return std::max(floor, cut);
}

void FusePerson(const Policy& policy, float anomaly,
                const std::vector<FeatureContribution>& top_features, PersonOutcome* outcome,
                const float* features) {
  outcome->anomaly = anomaly;
  double keep = 1.0;  // probability that none of the independent signals is a real problem
  outcome->patterns.clear();
  outcome->reasons.clear();
  outcome->overpaid = Money();
  outcome->case_region = outcome->primary_region;
  std::vector<const RuleHit*> hits;
  for (const RuleHit& h : outcome->hits) {
    if (h.strength >= policy.rules.pattern_min_strength) hits.push_back(&h);
  }
  std::stable_sort(hits.begin(), hits.end(),
                   [](const RuleHit* a, const RuleHit* b) { return a->strength > b->strength; });
  // A rule's ANOMALY (an account rotation) is an outlier like the model's: worth a review,
  // never a block on its own, however many registrations show it; it counts once.
  const double anomaly_cap = std::max(0.0, policy.rules.block_risk - 0.01);
  bool anomaly_counted = false;
  for (const RuleHit* h : hits) {
    if (h->pattern != Pattern::kAnomaly) {
      keep *= 1.0 - std::clamp(h->strength, 0.0, 1.0);
    } else if (!anomaly_counted) {
      keep *= 1.0 - std::clamp(h->strength, 0.0, anomaly_cap);
      anomaly_counted = true;
    }
    if (std::find(outcome->patterns.begin(), outcome->patterns.end(), h->pattern) ==
        outcome->patterns.end()) {
      outcome->patterns.push_back(h->pattern);
    }
    outcome->reasons.push_back(h->reason);
    if (h == hits.front() && h->region != 0) outcome->case_region = h->region;
  }
  // Several hits may claim one payment (paid after a death and by two regions): recovered once.
  outcome->overpaid = OverpaidOverClaims(hits);
  const double flag = policy.rules.anomaly_flag_score;
  if (hits.empty() && anomaly >= flag) {
    // Unexplained outlier: worth a look, never a block on its own.
    const double strength = 0.5 + 0.5 * (anomaly - flag) / std::max(1e-6, 1.0 - flag);
    keep *= 1.0 - std::min(strength, policy.rules.block_risk - 0.01);
    outcome->patterns.push_back(Pattern::kAnomaly);
    std::string reason =
        "unusual profile (anomaly score " + std::to_string(anomaly).substr(0, 4) + "), driven by ";
    for (size_t k = 0; k < top_features.size(); ++k) {
      if (k > 0) reason += ", ";
      reason += PersonFeatureNames()[top_features[k].feature];
      if (features != nullptr) {
        char value[32];
        std::snprintf(value, sizeof value, " %.3g", features[top_features[k].feature]);
        reason += value;
        // The combined count says what a caseworker must look at only with its parts.
        if (top_features[k].feature == kOffPayrollColumn && features[kOffPayrollColumn] > 0) {
          std::snprintf(value, sizeof value, " (%.0f", features[kExtraAccountsColumn]);
          reason += value;
          reason += " payee accounts beyond the first, ";
          std::snprintf(value, sizeof value, "%.0f", features[kPaidAheadColumn]);
          reason += value;
          reason += " periods paid two or more months ahead)";
        }
      }
    }
    if (top_features.empty()) reason += "its combination of features";
    // Every reason names its basis, as the rules' clauses do.
    reason += " (policy: rules.anomaly_flag_score, rules.anomaly_contamination)";
    outcome->reasons.push_back(std::move(reason));
  }
  outcome->risk = 1.0 - keep;
  if (outcome->certification.outcome == Certification::kSuspend && !hits.empty()) {
    outcome->risk = std::max(outcome->risk, policy.rules.block_risk);
  }
  if (outcome->risk >= policy.rules.block_risk) {
    outcome->action = Action::kBlock;
  } else if (outcome->risk >= policy.rules.hold_risk) {
    outcome->action = Action::kHold;
  } else {
    outcome->action = Action::kPay;
  }
}

}  // namespace vigil

namespace vigil {

const std::array<std::string, kFusionInputCount>& FusionInputs() {
  static const auto names = [] {
    std::array<std::string, kFusionInputCount> all;
    size_t k = 0;
    for (Pattern p : AllCodes<Pattern>()) {
      if (p != Pattern::kAnomaly) all[k++] = "hit:" + std::string(CodeName(p));
    }
    all[k++] = "anomaly";
    all[k++] = "certification:NEEDS_ACTIVE";
    all[k++] = "certification:SUSPEND";
    all[k++] = "doubt:concealment";
    all[k++] = "log_overpaid";
    return all;
  }();
  return names;
}

void ComputeFusionInputs(const PersonOutcome& outcome, float anomaly, float* out,
                         double pattern_min_strength) {
  std::fill(out, out + kFusionInputCount, 0.0f);
  thread_local std::vector<const RuleHit*> claiming;
  claiming.clear();
  for (const RuleHit& h : outcome.hits) {
    if (h.pattern == Pattern::kAnomaly) continue;
    // Patterns before kAnomaly keep their index; none come after it.
    const auto index = static_cast<size_t>(h.pattern);
    out[index] = std::max(out[index], static_cast<float>(h.strength));
    if (h.strength >= pattern_min_strength) claiming.push_back(&h);
  }
  // What the case recovers (FusePerson): each payment once over the hits that make patterns.
  const double overpaid = OverpaidOverClaims(claiming).yuan();
  const size_t base = CodeCount<Pattern>() - 1;
  out[base] = anomaly;
  out[base + 1] = outcome.certification.outcome == Certification::kNeedsActive ? 1.0f : 0.0f;
  out[base + 2] = outcome.certification.outcome == Certification::kSuspend ? 1.0f : 0.0f;
  out[base + 3] = outcome.certification.doubts.concealment() ? 1.0f : 0.0f;
  out[base + 4] = static_cast<float>(std::log1p(std::max(0.0, overpaid)));
}

void FuseLearned(const Policy& policy, const LogisticModel& model, float anomaly,
                 const std::vector<FeatureContribution>& top_features, PersonOutcome* outcome,
                 const float* features) {
  std::array<float, kFusionInputCount> x{};
  ComputeFusionInputs(*outcome, anomaly, x.data(), policy.rules.pattern_min_strength);
  // Start from the default fusion for patterns, reasons and overpaid; then let the model decide
  // the risk, whether it is a case, and the order of the reasons.
  FusePerson(policy, anomaly, top_features, outcome, features);
  outcome->risk = model.Predict(x.data());
  // The model has no input for a rule's ANOMALY (an account rotation): it stays a review.
  const bool rule_anomaly =
      std::any_of(outcome->hits.begin(), outcome->hits.end(), [&](const RuleHit& h) {
        return h.pattern == Pattern::kAnomaly && h.strength >= policy.rules.pattern_min_strength;
      });
  if (rule_anomaly) outcome->risk = std::max(outcome->risk, policy.rules.hold_risk);
  if (outcome->risk < policy.rules.hold_risk) {
    outcome->patterns.clear();
    outcome->reasons.clear();
    outcome->action = Action::kPay;
    return;
  }
  if (outcome->patterns.empty()) {
    outcome->patterns.push_back(Pattern::kAnomaly);
    outcome->reasons.push_back(
        "the fitted fusion model rates this profile as risky (policy: rules.hold_risk, model "
        "from vigil train)");
  }
  // Reasons in the order of each pattern's contribution to the log-odds, strongest hit first
  // within a pattern (a rule's ANOMALY by the anomaly input's); the model's ANOMALY reason (no
  // rule hit) stays as the default fusion wrote it.
  const std::vector<double> terms = model.Contributions(x.data());
  std::vector<const RuleHit*> hits;
  for (const RuleHit& h : outcome->hits) {
    if (h.strength >= policy.rules.pattern_min_strength) hits.push_back(&h);
  }
  if (!hits.empty()) {
    std::stable_sort(hits.begin(), hits.end(), [&](const RuleHit* a, const RuleHit* b) {
      const double ta = terms[static_cast<size_t>(a->pattern)];
      const double tb = terms[static_cast<size_t>(b->pattern)];
      return ta != tb ? ta > tb : a->strength > b->strength;
    });
    outcome->patterns.clear();
    outcome->reasons.clear();
    for (const RuleHit* h : hits) {
      if (std::find(outcome->patterns.begin(), outcome->patterns.end(), h->pattern) ==
          outcome->patterns.end()) {
        outcome->patterns.push_back(h->pattern);
      }
      outcome->reasons.push_back(h->reason);
    }
  }
  if (outcome->certification.outcome == Certification::kSuspend) {
    outcome->risk = std::max(outcome->risk, policy.rules.block_risk);
  }
  outcome->action = outcome->risk >= policy.rules.block_risk ? Action::kBlock : Action::kHold;
}

}  // namespace vigil

// Rules on what was paid: to the dead, in prison, twice, too much, or while working.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "certification_text.h"
#include "rules_internal.h"
#include "sorting.h"

namespace vigil::rules {
namespace {

std::string Span(Month first, Month last) {
  return first == last ? FormatMonth(first) : FormatMonth(first) + ".." + FormatMonth(last);
}

// Known non-SURVIVOR payments for periods after `month`: SURVIVOR benefits are paid to the
// survivors under the deceased's id, so they are not payments to the dead (feeds.md).
struct PaidAfter {
  int count = 0;         // payments
  int months = 0;        // distinct periods among them
  int after_report = 0;  // distinct periods paid on or after `reported`
  Money sum;
  Month first{}, last{};
  uint16_t region = 0;
  std::vector<const PaymentRecord*> payments;
  // Moves the payments into `hit`'s claims (their sum is `sum`).
  void ClaimIn(RuleHit& hit) const {
    for (const PaymentRecord* p : payments) Claim(*p, p->amount, hit);
  }
};
PaidAfter PaymentsAfter(const Context& c, int after_month, std::optional<Date> reported) {
  PaidAfter r;
  thread_local std::vector<const PaymentRecord*> after_report;
  after_report.clear();
  for (const PaymentRecord& p : c.h.payments) {
    if (!c.Known(p) || p.benefit == Benefit::kSurvivor || MonthNumber(p.period) <= after_month) {
      continue;
    }
    if (r.count == 0) {
      r.first = p.period;
      r.region = p.region;
    } else if (r.region != p.region) {
      r.region = 0;
    }
    if (MonthNumber(p.period) < MonthNumber(r.first)) r.first = p.period;
    if (r.count == 0 || MonthNumber(p.period) > MonthNumber(r.last)) r.last = p.period;
    ++r.count;
    r.sum += p.amount;
    r.payments.push_back(&p);
    if (reported && Days(p.paid_date) >= Days(*reported)) after_report.push_back(&p);
  }
  r.months = DistinctPeriods(r.payments);
  r.after_report = DistinctPeriods(after_report);
  return r;
}

}  // namespace

// Benefits for periods after the death month belong to nobody (policy:
// rules.deceased_grace_months). Paying after the death was reported is the fund ignoring it.
void DeceasedPaid(const Context& c, std::vector<RuleHit>& out) {
  const RegistryRecord* death = nullptr;
  for (const RegistryRecord& r : c.h.registry) {
    if (r.event == RegistryEvent::kDeath && c.Known(r) &&
        (death == nullptr || Days(r.event_date) < Days(death->event_date))) {
      death = &r;
    }
  }
  std::optional<Date> died, reported;
  std::string source;
  if (death != nullptr) {
    died = death->event_date;
    reported = death->reported_date;
    source = "DEATH";
  }
  const Timestamp after_as_of = StartOfNextDay(c.as_of);
  for (const SignalRecord& s : c.h.signals) {
    if (s.occurred_at >= after_as_of) break;
    if (s.source == SignalSource::kHospitalDischarge && s.detail == "DIED" &&
        (!died || Days(DateOf(s.occurred_at)) < Days(*died))) {
      died = DateOf(s.occurred_at);
      reported = died;
      source = "HOSPITAL_DISCHARGE";
    }
  }
  if (!died) return;
  // A hospital death nobody registered, with the cards used for months after it, is reported
  // (and its overpayment claimed) once, as CONCEALED_DEATH.
  if (death == nullptr && c.cert.doubts.hospital_death_without_registration) return;
  const int after = MonthNumber(MonthOf(*died)) + c.policy.rules.deceased_grace_months;
  const PaidAfter paid = PaymentsAfter(c, after, reported);
  if (paid.count == 0) return;
  RuleHit hit;
  hit.pattern = Pattern::kDeceasedPaid;
  hit.clause = "policy: rules.deceased_grace_months";
  hit.strength = paid.after_report > 0 ? 0.95 : 0.8;
  paid.ClaimIn(hit);
  hit.region = paid.region;
  hit.reason = "paid " + Months(paid.months) + " (" + Span(paid.first, paid.last) +
               ") after death on " + FormatDate(*died) + " (reported " + FormatDate(*reported) +
               "): " + FormatMoneyGrouped(paid.sum) + " overpaid";
  if (paid.after_report > 0) {
    hit.reason += "; " + std::to_string(paid.after_report) + " paid after the report";
  }
  hit.evidence.push_back({source, *died, "reported " + FormatDate(*reported)});
  hit.evidence.push_back({"payments",
                          Date(paid.first.year(), paid.first.month(), std::chrono::day(1)),
                          std::to_string(paid.months) + " periods after the death month"});
  out.push_back(std::move(hit));
}

namespace {

// A death record no one registered as a death, with the cards used for months after it: the
// payments for the months after the death are claimed (policy: certification.
// cremation_card_months decides "for months").
void AddIfAny(std::vector<RuleHit>& out, std::optional<RuleHit> hit) {
  if (hit) out.push_back(std::move(*hit));
}

std::optional<RuleHit> UnregisteredDeath(const Context& c, Date died, std::string clause,
                                         std::string reason, Evidence record) {
  const PaidAfter paid = PaymentsAfter(c, MonthNumber(MonthOf(died)), {});
  // Concealing a death is drawing the dead person's pension. When the pension stopped with the
  // death month the fund was told; only the civil registration lags (it often does, by months),
  // and the record already suspends the person.
  if (paid.count == 0) return std::nullopt;
  RuleHit hit;
  hit.pattern = Pattern::kConcealedDeath;
  hit.clause = std::move(clause);
  hit.strength = 0.95;
  paid.ClaimIn(hit);
  hit.region = paid.region;
  hit.reason = std::move(reason) + "; paid " + Months(paid.months) +
               " since: " + FormatMoneyGrouped(paid.sum) + " overpaid";
  hit.evidence.push_back(std::move(record));
  return hit;
}

}  // namespace

// From certification: a cremation or a hospital death without a death registration, or
// evidence of life that looks like someone else using the cards (policy: certification doubt
// detectors).
void ConcealedDeath(const Context& c, std::vector<RuleHit>& out) {
  const LifeDoubts& d = c.cert.doubts;
  if (d.cremation_without_death) {
    const RegistryRecord* cremation = nullptr;
    for (const RegistryRecord& r : c.h.registry) {
      if (r.event == RegistryEvent::kCremation && c.Known(r)) {
        if (cremation == nullptr || Days(r.event_date) < Days(cremation->event_date)) {
          cremation = &r;
        }
      }
    }
    if (cremation == nullptr) return;
    AddIfAny(out, UnregisteredDeath(c, cremation->event_date,
                                    "policy: certification (registry CREMATION without DEATH)",
                                    "cremated on " + FormatDate(cremation->event_date) +
                                        " with no death registration",
                                    {"CREMATION", cremation->event_date,
                                     "reported " + FormatDate(cremation->reported_date)}));
    return;
  }
  if (d.hospital_death_without_registration) {
    const Timestamp after_as_of = StartOfNextDay(c.as_of);
    for (const SignalRecord& s : c.h.signals) {
      if (s.occurred_at >= after_as_of) break;
      if (s.source != SignalSource::kHospitalDischarge || s.detail != "DIED") continue;
      const Date day = DateOf(s.occurred_at);
      AddIfAny(out, UnregisteredDeath(
                        c, day, "policy: certification (HOSPITAL_DISCHARGE DIED without DEATH)",
                        "died in hospital on " + FormatDate(day) +
                            " with no death registration while the cards went on being used",
                        {"HOSPITAL_DISCHARGE", day, "DIED"}));
      return;
    }
    return;
  }
  if (c.cert.death_date || !(d.concealment() || d.undrawn_unseen || d.proof_faked)) return;
  // A quiet life (certification.quiet_life_months) is judged against the person's own rhythm
  // (certification.quiet_rhythm_factor), seen in at least quiet_rhythm_min_days life-sign
  // days: without one (a few signs close together) or within it, the person is asked to
  // certify but not reported.
  const bool quiet_breaks_rhythm =
      d.life_gone && d.longest_life_gap_days > 0 &&
      d.life_sign_days >= c.policy.certification.quiet_rhythm_min_days &&
      d.quiet_days >= c.policy.certification.quiet_rhythm_factor * d.longest_life_gap_days;
  // Independent indicators: a stream of life signs stopped (how improbably, for the person's
  // own rhythm) and card use moved in hours and places. A move of hours and places alone is
  // what an honest pensioner who moves in with a child does too: it asks the person to certify
  // (certification) and strengthens a stop, but accuses nobody by itself.
  const bool stopped = d.card_only_tail || d.medical_break || d.life_stopped ||
                       quiet_breaks_rhythm || d.undrawn_unseen || d.proof_faked;
  if (!stopped) return;
  const double alpha = c.policy.certification.stop_alpha;
  RuleHit hit;
  hit.pattern = Pattern::kConcealedDeath;
  hit.clause = d.proof_faked      ? "policy: certification.window_months, "
                                    "rules.face_reuse_household_size, face_reuse_sitting_minutes"
               : d.undrawn_unseen ? "policy: certification.stop_alpha, undrawn_alpha, window_months"
               : quiet_breaks_rhythm ? "policy: certification.quiet_life_months, "
                                       "quiet_rhythm_factor, quiet_rhythm_min_days, habit_*"
               : d.card_takeover
                   ? "policy: certification.takeover_alpha, takeover_fact_alpha, habit_*"
                   : "policy: certification.stop_alpha, habit_*";
  if (d.undrawn_unseen || d.proof_faked) {
    // The stop is weakened by the account being drawn less since, or there is no stop, only a
    // yearly proof that someone else produced: the weaker level.
    hit.strength = 0.65;
  } else if (d.habit_change) {
    hit.strength = 0.9;
  } else {
    // Ten times below the level is a stop the person's own past makes very unlikely.
    hit.strength = d.stop_probability < alpha / 10 ? 0.8 : 0.65;
  }
  const int since = c.cert.last_body_sign ? MonthNumber(MonthOf(*c.cert.last_body_sign))
                                          : MonthNumber(MonthOf(c.as_of)) - 1200;
  const PaidAfter paid = PaymentsAfter(c, since, {});
  hit.reason = c.cert.reason;
  if (paid.count > 0 && c.cert.last_body_sign) {
    hit.reason += "; at risk: " + FormatMoneyGrouped(paid.sum) + " paid for " +
                  Months(paid.months) + " since last seen in body";
  }
  hit.region = paid.region;
  hit.evidence = c.cert.evidence;
  out.push_back(std::move(hit));
}

namespace {

// The first sign after entering prison that needs the person free and seen: an id-checked
// counter or desk visit, a community worker's visit. The prisons' release notices come weeks
// late, and the fund resumes the pension on the release papers: such a sign says the release
// happened by then. (Not a real-name ticket, which may be bought ahead or by someone else, nor
// a face pass, which one face can give for several persons, nor a hospital stay, which a
// prisoner can have under guard.)
const SignalRecord* SeenFreeAfter(const Context& c, const RegistryRecord& in) {
  const Timestamp after_as_of = StartOfNextDay(c.as_of);
  const Timestamp after_entry = StartOfNextDay(in.event_date);
  for (const SignalRecord& s : c.h.signals) {
    if (s.occurred_at >= after_as_of) break;  // in time order
    if (s.occurred_at < after_entry) continue;
    if (IsInPerson(s.source) && s.source != SignalSource::kFaceCert) return &s;
  }
  return nullptr;
}

}  // namespace

// The pension is suspended from the month after the prison entry until release.
void PrisonPaid(const Context& c, std::vector<RuleHit>& out) {
  for (const RegistryRecord& in : c.h.registry) {
    if (in.event != RegistryEvent::kPrisonIn || !c.Known(in)) continue;
    const RegistryRecord* release = PrisonRelease(c.h, in, c.as_of);
    // Without a reported release, one seen free ends the term for this rule in that month, as a
    // release would (the release month is paid).
    const SignalRecord* seen_free = release ? nullptr : SeenFreeAfter(c, in);
    const int from = MonthNumber(MonthOf(in.event_date));
    const int to = release     ? MonthNumber(MonthOf(release->event_date))
                   : seen_free ? MonthNumber(MonthOf(DateOf(seen_free->occurred_at)))
                               : INT32_MAX;
    // The fund suspends the pension once it learns of the entry and resumes it on the release
    // papers, which reach the registry feed weeks later: periods paid after two or more months
    // in a row left unpaid within the term were paid on a release not reported yet. What was
    // paid before the suspension was paid in prison.
    std::vector<int> paid;
    for (const PaymentRecord& p : c.h.payments) {
      const int m = MonthNumber(p.period);
      if (c.Known(p) && p.benefit == Benefit::kPension && m > from && m < to) paid.push_back(m);
    }
    std::sort(paid.begin(), paid.end());
    // Months before the payments feed starts say nothing of whether they were paid.
    int data_start = INT32_MIN;
    for (const PersonRecord& reg : c.h.registrations) {
      data_start = std::max(data_start, c.facts.PensionDataStart(reg.region));
    }
    int resumed = INT32_MAX;  // the first period paid after the suspension
    int suspended_months = 0;
    for (int expected = std::max(from + 1, data_start); const int m : paid) {
      if (m - expected >= 2) {
        resumed = m;
        suspended_months = m - expected;
        break;
      }
      expected = std::max(expected, m + 1);
    }
    std::vector<const PaymentRecord*> in_prison;
    std::optional<Month> first, last;
    uint16_t region = 0;
    for (const PaymentRecord& p : c.h.payments) {
      const int m = MonthNumber(p.period);
      if (!c.Known(p) || p.benefit != Benefit::kPension || m <= from ||
          m >= std::min(to, resumed)) {
        continue;
      }
      in_prison.push_back(&p);
      if (!first || m < MonthNumber(*first)) first = p.period;
      if (!last || m > MonthNumber(*last)) last = p.period;
      region = p.region;
    }
    if (in_prison.empty()) continue;
    RuleHit hit;
    hit.pattern = Pattern::kPrisonPaid;
    hit.clause = "policy: pension suspended in prison (registry PRISON_IN/PRISON_OUT)";
    hit.strength = 0.9;
    for (const PaymentRecord* p : in_prison) Claim(*p, p->amount, hit);
    const Money sum = hit.overpaid;
    hit.region = region;
    hit.reason =
        "paid " + Months(DistinctPeriods(in_prison)) + " (" + Span(*first, *last) +
        ") in prison (entered " + FormatDate(in.event_date) +
        (release ? ", released " + FormatDate(release->event_date) : std::string()) +
        (seen_free
             ? ", seen free on " + FormatDate(DateOf(seen_free->occurred_at)) + " (" +
                   std::string(CodeName(seen_free->source)) + "; the release not reported yet)"
             : std::string()) +
        "): " + FormatMoneyGrouped(sum) + " overpaid" +
        (resumed == INT32_MAX
             ? std::string()
             : "; suspended " + Months(suspended_months) + ", resumed from " +
                   FormatMonth(MonthFromNumber(resumed)) + " on a release not reported yet");
    hit.evidence.push_back(
        {"PRISON_IN", in.event_date, "reported " + FormatDate(in.reported_date)});
    if (release) {
      hit.evidence.push_back(
          {"PRISON_OUT", release->event_date, "reported " + FormatDate(release->reported_date)});
    }
    if (seen_free) {
      hit.evidence.push_back({std::string(CodeName(seen_free->source)),
                              DateOf(seen_free->occurred_at), "seen free after entering prison"});
    }
    out.push_back(std::move(hit));
  }
}

// One pension per period: payments of the same period by several regions are duplicates; the
// largest region's payment is kept, the rest is overpaid (policy: rules.duplicate_min_regions).
void DuplicateReceipt(const Context& c, std::vector<RuleHit>& out) {
  struct Row {
    int month;
    uint16_t region;
    const PaymentRecord* payment;
  };
  // Lists kept per thread: no allocation per person once warm.
  thread_local std::vector<Row> rows;
  rows.clear();
  for (const PaymentRecord& p : c.h.payments) {
    if (c.Known(p) && p.benefit == Benefit::kPension) {
      rows.push_back({MonthNumber(p.period), p.region, &p});
    }
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return a.month != b.month ? a.month < b.month : a.region < b.region;
  });
  int months = 0;
  RuleHit hit;
  std::optional<int> first, last;
  thread_local std::vector<uint16_t> regions;
  regions.clear();
  for (size_t i = 0; i < rows.size();) {
    size_t j = i;
    int distinct = 0;
    Money largest;
    uint16_t kept = 0;  // the region whose payments for the month are kept: the largest
    while (j < rows.size() && rows[j].month == rows[i].month) {
      Money region_sum;
      const uint16_t region = rows[j].region;
      while (j < rows.size() && rows[j].month == rows[i].month && rows[j].region == region) {
        region_sum += rows[j].payment->amount;
        ++j;
      }
      ++distinct;
      if (distinct == 1 || region_sum > largest) {
        largest = region_sum;
        kept = region;
      }
      if (std::find(regions.begin(), regions.end(), region) == regions.end()) {
        regions.push_back(region);
      }
    }
    if (distinct >= c.policy.rules.duplicate_min_regions) {
      ++months;
      for (size_t k = i; k < j; ++k) {
        if (rows[k].region != kept) Claim(*rows[k].payment, rows[k].payment->amount, hit);
      }
      if (!first) first = rows[i].month;
      last = rows[i].month;
    }
    i = j;
  }
  if (months == 0) return;
  const Money overpaid = hit.overpaid;
  hit.pattern = Pattern::kDuplicateReceipt;
  hit.clause = "policy: rules.duplicate_min_regions";
  hit.strength = Grow(0.8, (months - 1) / 3.0);
  std::string region_list;
  for (uint16_t r : regions) region_list += (region_list.empty() ? "" : ", ") + std::to_string(r);
  hit.reason = "pension for " + Months(months) + " (" +
               Span(MonthFromNumber(*first), MonthFromNumber(*last)) +
               ") paid by several regions (" + region_list + "): " + FormatMoneyGrouped(overpaid) +
               " overpaid";
  hit.evidence.push_back(
      {"payments",
       Date(MonthFromNumber(*first).year(), MonthFromNumber(*first).month(), std::chrono::day(1)),
       std::to_string(months) + " periods paid by >= " +
           std::to_string(c.policy.rules.duplicate_min_regions) + " regions"});
  out.push_back(std::move(hit));
}

namespace {

// The rates a month could have been paid at: the approved benefit and the months paid within
// half a year of monthly[at] that are themselves near it (within `ratio_limit`; a deducted or
// doubled month is no rate), as [low, high] in fen.
struct RateRange {
  int64_t low = 0;
  int64_t high = 0;
};
RateRange RatesAround(std::span<const PaymentRecord* const> monthly, size_t at, int64_t approved,
                      double ratio_limit) {
  constexpr int kReach = 6;
  const int month = MonthNumber(monthly[at]->period);
  RateRange range{approved, approved};
  for (size_t j = 0; j < monthly.size(); ++j) {
    if (j == at || std::abs(MonthNumber(monthly[j]->period) - month) > kReach) continue;
    const int64_t fen = monthly[j]->amount.fen();
    const double ratio = static_cast<double>(fen) / static_cast<double>(approved);
    if (ratio > ratio_limit || ratio < 1.0 / ratio_limit) continue;
    range.low = std::min(range.low, fen);
    range.high = std::max(range.high, fen);
  }
  return range;
}

// The fewest months (at least 2) a payment of `fen` can pay at the highest rate `rates` allows
// (1% over it for each month's rounding).
long MonthsCovered(int64_t fen, RateRange rates) {
  // More than a century of months is no arrears (and must not overflow the count).
  constexpr double kMostMonths = 1200;
  const double months =
      std::ceil(static_cast<double>(fen) / (1.01 * static_cast<double>(rates.high)));
  return static_cast<long>(std::clamp(months, 2.0, kMostMonths));
}

// The months a person's pension was owed and not paid, as arrears are judged against. A month is
// owed from the retirement month on, but not while in prison (the months between PRISON_IN and
// PRISON_OUT are suspended) nor after a death on record; it was paid when any region paid it (a
// move between regions is no gap). Before the person's first payment a month counts as unpaid
// only inside the data: from where the region's payments feed starts.
class OwedMonths {
 public:
  explicit OwedMonths(const Context& c) {
    for (const PaymentRecord& p : c.h.payments) {
      if (p.benefit == Benefit::kPension && c.Known(p)) paid_.push_back(MonthNumber(p.period));
    }
    std::sort(paid_.begin(), paid_.end());
    paid_.erase(std::unique(paid_.begin(), paid_.end()), paid_.end());
    for (const RegistryRecord& in : c.h.registry) {
      if (!c.Known(in)) continue;
      if (in.event == RegistryEvent::kDeath) {
        not_owed_.push_back({MonthNumber(MonthOf(in.event_date)) + 1, INT32_MAX});
      }
      if (in.event != RegistryEvent::kPrisonIn) continue;
      const RegistryRecord* release = PrisonRelease(c.h, in, c.as_of);
      not_owed_.push_back({MonthNumber(MonthOf(in.event_date)) + 1,
                           release ? MonthNumber(MonthOf(release->event_date)) - 1 : INT32_MAX});
    }
  }

  // Whether the `wanted` months just before `month` were all owed and unpaid under `reg`: arrears
  // pay the months just before them (a run skipped and paid with the next one, the months of a
  // suspension that ended).
  bool UnpaidJustBefore(const Context& c, const PersonRecord& reg, int month, long wanted) const {
    if (paid_.empty()) return false;
    const int first_owed = std::min(
        paid_.front(),
        std::max(MonthNumber(MonthOf(reg.retirement_date)), c.facts.PensionDataStart(reg.region)));
    if (static_cast<long>(month) - first_owed < wanted) return false;  // not that many owed
    for (long back = 1; back <= wanted; ++back) {
      const int m = month - static_cast<int>(back);
      if (m < first_owed || std::binary_search(paid_.begin(), paid_.end(), m)) return false;
      for (const auto& [from, to] : not_owed_) {
        if (m >= from && m <= to) return false;
      }
    }
    return true;
  }

 private:
  std::vector<int> paid_;                      // pension periods paid, any region, sorted
  std::vector<std::pair<int, int>> not_owed_;  // [from, to] months: prison, after a death
};

// The month's own payment of each period of a registration's pension, in period order: of the
// rows paid for a period, the one nearest the approved benefit (of equally near ones, the first
// paid). The others are supplements: the yearly raise back-dated, a recalculation's back pay, an
// allowance, which can be larger than the month itself and are not what the payroll pays each
// month.
void MonthlyPaymentsOf(const Context& c, const PersonRecord& reg,
                       std::vector<const PaymentRecord*>* monthly) {
  const double approved = static_cast<double>(reg.monthly_benefit.fen());
  monthly->clear();
  for (const PaymentRecord& p : c.h.payments) {
    if (p.region == reg.region && p.benefit == Benefit::kPension && c.Known(p)) {
      monthly->push_back(&p);
    }
  }
  const auto distance = [approved](const PaymentRecord* p) {
    return std::fabs(std::log(std::max(static_cast<double>(p->amount.fen()), 1.0) / approved));
  };
  StableSortIfNeeded(*monthly, [&distance](const PaymentRecord* a, const PaymentRecord* b) {
    const int ma = MonthNumber(a->period), mb = MonthNumber(b->period);
    if (ma != mb) return ma < mb;
    const double da = distance(a), db = distance(b);
    if (da != db) return da < db;
    return Days(a->paid_date) < Days(b->paid_date);
  });
  monthly->erase(std::unique(monthly->begin(), monthly->end(),
                             [](const PaymentRecord* a, const PaymentRecord* b) {
                               return MonthNumber(a->period) == MonthNumber(b->period);
                             }),
                 monthly->end());
}

// How far a ratio to the approved benefit is from it, either way (x2 and x0.5 are both 2).
double Severity(double ratio) { return ratio > 1.0 ? ratio : 1.0 / ratio; }

// The months of a registration paid far from the approved benefit.
struct AmountFindings {
  int count = 0;  // months far from the approved benefit
  int high = 0;   // of them, paid above it
  Money overpaid;
  std::vector<const PaymentRecord*> paid_above;  // the months paid above it
  double worst = 1.0;                            // the worst month's ratio to the approved benefit
  const PaymentRecord* worst_payment = nullptr;
  long worst_covers = 1;  // months the worst payment pays
};

AmountFindings JudgeMonths(const Context& c, const PersonRecord& reg,
                           const std::vector<const PaymentRecord*>& monthly,
                           std::optional<OwedMonths>* owed) {
  const double ratio_limit = c.policy.rules.amount_anomaly_ratio;
  const double approved = static_cast<double>(reg.monthly_benefit.fen());
  AmountFindings f;
  // The approved benefit is the one in force now; a month years ago was paid under the benefit
  // of its year, before the yearly adjustments since (a flat raise of a small residents'
  // pension can be a third of it over four years). Pensions are adjusted upwards only and once
  // a year, so the benefit in force for a month is at least what was paid for any earlier month
  // and for any month of the same year: a month is underpaid when it falls below that level as
  // well as below the approved benefit.
  int64_t level = 0;       // largest earlier monthly payment, fen
  int64_t year_level = 0;  // largest monthly payment of the current year, fen
  size_t year_end = 0;     // one past the current year's last month (monthly is sorted)
  for (size_t i = 0; i < monthly.size(); ++i) {
    const PaymentRecord* p = monthly[i];
    if (i == year_end) {
      year_level = 0;
      while (year_end < monthly.size() && monthly[year_end]->period.year() == p->period.year()) {
        year_level = std::max<int64_t>(year_level, monthly[year_end++]->amount.fen());
      }
    }
    double ratio = static_cast<double>(p->amount.fen()) / approved;
    const int64_t known_level =
        std::min<int64_t>(std::max(level, year_level), reg.monthly_benefit.fen());
    level = std::max<int64_t>(level, p->amount.fen());
    // A payment over the limit after unpaid months pays those months too (arrears, a skipped
    // run paid with the next one): it is judged per month it covers, the fewest months it can
    // pay at a rate of then (today's benefit, or a month paid within half a year). Whole months
    // at such a rate are arrears (a month held back before a yearly raise comes as twice the
    // old level, x1.96 of today's); less is the months paid short (a deduction in the same run).
    double per_month = static_cast<double>(p->amount.fen());
    long covers = 1;
    if (ratio > ratio_limit) {
      const RateRange rates = RatesAround(monthly, i, reg.monthly_benefit.fen(), ratio_limit);
      const long k = MonthsCovered(p->amount.fen(), rates);
      if (!*owed) owed->emplace(c);
      if ((*owed)->UnpaidJustBefore(c, reg, MonthNumber(p->period), k - 1)) {
        const double month_share = per_month / static_cast<double>(k);
        if (month_share >= 0.99 * static_cast<double>(rates.low) &&
            month_share <= 1.01 * static_cast<double>(rates.high)) {
          continue;
        }
        if (month_share < 0.99 * static_cast<double>(rates.low)) {
          per_month = month_share;
          covers = k;
          ratio = per_month / approved;
        }
      }
    }
    if (ratio < 1.0 / ratio_limit && per_month * ratio_limit >= static_cast<double>(known_level)) {
      continue;
    }
    if (ratio <= ratio_limit && ratio >= 1.0 / ratio_limit) continue;
    ++f.count;
    if (ratio > 1.0) {
      ++f.high;
      f.overpaid += p->amount - reg.monthly_benefit;
      f.paid_above.push_back(p);
    }
    if (Severity(ratio) > (f.worst_payment ? Severity(f.worst) : 0.0)) {
      f.worst = ratio;
      f.worst_payment = p;
      f.worst_covers = covers;
    }
  }
  return f;
}

RuleHit AmountHit(const Context& c, const PersonRecord& reg, const AmountFindings& f) {
  const double ratio_limit = c.policy.rules.amount_anomaly_ratio;
  RuleHit hit;
  hit.pattern = Pattern::kAmountAnomaly;
  hit.clause = "policy: rules.amount_anomaly_ratio";
  const double severity = Severity(f.worst);
  // Underpayment alone recovers nothing but is still a payment the fund did not approve.
  hit.strength = Grow(f.high > 0 ? 0.7 : 0.6, severity / ratio_limit - 1.0 + (f.count - 1) / 3.0);
  for (const PaymentRecord* p : f.paid_above) Claim(*p, p->amount - reg.monthly_benefit, hit);
  hit.region = reg.region;
  const PaymentRecord& worst = *f.worst_payment;
  hit.reason = std::to_string(f.count) + " monthly payment" + (f.count == 1 ? "" : "s") +
               " far from the approved " + FormatMoneyGrouped(reg.monthly_benefit) + " (worst " +
               FormatMoneyGrouped(worst.amount) + " for " + FormatMonth(worst.period) +
               (f.worst_covers > 1
                    ? " and " + Months(static_cast<int>(f.worst_covers - 1)) + " unpaid before it"
                    : "") +
               ", x" + FormatFixed(f.worst) + (f.worst_covers > 1 ? " a month" : "") + ", limit x" +
               FormatFixed(ratio_limit) + ")";
  hit.reason += f.high > 0 ? ": " + FormatMoneyGrouped(f.overpaid) + " overpaid" : ": underpaid";
  hit.evidence.push_back(
      {"payments", worst.paid_date, FormatMonth(worst.period) + " " + FormatMoney(worst.amount)});
  return hit;
}

}  // namespace

// A monthly payment far from the approved benefit (policy: rules.amount_anomaly_ratio). The
// payment judged for a period is the one nearest the benefit: another row for the same period
// is a supplement (the yearly adjustment back-dated to January, paid with the month or months
// later; a recalculation's back pay; a correction), not the month's pension. Arrears
// (after a restore, or a month held back and paid with the next) come as whole multiples of the
// benefit as it was paid then, for months that had no payment: legitimate, skipped. Too much is an
// overpayment to recover; too little is an error or a diversion of part of the pension, both for a
// caseworker.
void AmountAnomaly(const Context& c, std::vector<RuleHit>& out) {
  std::optional<OwedMonths> owed;  // built for the first payment that could be arrears
  thread_local std::vector<const PaymentRecord*> monthly;  // kept per thread
  for (const PersonRecord& reg : c.h.registrations) {
    if (reg.monthly_benefit.fen() <= 0) continue;
    MonthlyPaymentsOf(c, reg, &monthly);
    if (monthly.empty()) continue;
    const AmountFindings found = JudgeMonths(c, reg, monthly, &owed);
    if (found.count > 0) out.push_back(AmountHit(c, reg, found));
  }
}

// Unemployment benefit replaces a wage: a month with a REGULAR contribution was a month at work
// (policy: rules.unemployment_overlap_grace_months tolerates the month of changing job).
void UnemployedWhileEmployed(const Context& c, std::vector<RuleHit>& out) {
  int count = 0;
  Money sum;
  std::vector<const PaymentRecord*> covered;
  const PaymentRecord* first = nullptr;
  const ContributionRecord* spell = nullptr;
  for (const PaymentRecord& p : c.h.payments) {
    if (p.benefit != Benefit::kUnemployment || !c.Known(p)) continue;
    const int m = MonthNumber(p.period);
    for (const ContributionRecord& k : c.h.contributions) {
      if (k.kind != ContributionKind::kRegular || !c.Known(k)) continue;
      if (m >= MonthNumber(k.start_month) && m <= MonthNumber(k.end_month)) {
        ++count;
        sum += p.amount;
        covered.push_back(&p);
        if (first == nullptr) {
          first = &p;
          spell = &k;
        }
        break;
      }
    }
  }
  const int grace = c.policy.rules.unemployment_overlap_grace_months;
  if (count <= grace) return;
  RuleHit hit;
  hit.pattern = Pattern::kUnemployedWhileEmployed;
  hit.clause = "policy: rules.unemployment_overlap_grace_months";
  hit.strength = Grow(0.75, (count - grace - 1) / 3.0);
  for (const PaymentRecord* p : covered) Claim(*p, p->amount, hit);
  hit.region = first->region;
  hit.reason = "unemployment benefit for " + Months(count) + " covered by regular contributions" +
               " (first " + FormatMonth(first->period) + ", employer " + spell->employer_id + " " +
               FormatMonth(spell->start_month) + ".." + FormatMonth(spell->end_month) +
               "; tolerated " + std::to_string(grace) + "): " + FormatMoneyGrouped(sum) +
               " overpaid";
  hit.evidence.push_back(
      {"payments", first->paid_date, "UNEMPLOYMENT " + FormatMonth(first->period)});
  hit.evidence.push_back(
      {"contributions", spell->paid_date,
       "REGULAR " + FormatMonth(spell->start_month) + ".." + FormatMonth(spell->end_month)});
  out.push_back(std::move(hit));
}

}  // namespace vigil::rules

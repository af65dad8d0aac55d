#include "vigil/certification.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <string>
#include <string_view>
#include <vector>

#include "certification_text.h"
#include "rules_internal.h"
#include "statistics.h"

namespace vigil {
namespace {

// Months are measured in days for decay and gaps: the calendar month length does not matter
// to how fresh a sign of life is.
constexpr double kDaysPerMonth = 365.25 / 12.0;
constexpr int kBaselineDays = 365;
// Below this resultant length the hours of card use are spread over the day and have no mean
// worth comparing (e.g. a phone active at all hours).
constexpr double kMinHourConcentration = 0.3;

// The month number of each day of a run of days in time order: the calendar conversion is
// made once per month of the run instead of once per signal (any order stays correct).
class MonthOfDay {
 public:
  int operator()(int day) {
    if (day < first_day_ || day >= next_first_day_) {
      const Date date = DateFromDayNumber(day);
      month_ = MonthNumber(MonthOf(date));
      first_day_ = day - static_cast<int>(static_cast<unsigned>(date.day())) + 1;
      next_first_day_ = DayNumber(Date(MonthFromNumber(month_ + 1) / 1));
    }
    return month_;
  }

 private:
  int first_day_ = 0, next_first_day_ = 0, month_ = 0;  // an empty range: the first day misses
};

bool IsFacePass(const SignalRecord& s) {
  return s.source == SignalSource::kFaceCert && s.detail == "PASS";
}

// Whose face passes are judged, against which population facts (none: every pass counts).
struct FaceTrust {
  const CrossPersonFacts* facts = nullptr;
  const PersonHistory* h = nullptr;
};

// A FACE_CERT PASS proves life unless it looks like one face certifying several identities: a
// sitting of several households at a place whose persons come in such batches
// (rules::FaceSittingAt). Where places are facilities (most certifications at places many
// share), sharing one is normal; so is a care home's tablet (its residents count as one).
bool TrustedInPerson(const SignalRecord& s, const Policy& policy, const FaceTrust& faces) {
  if (!IsInPerson(s.source)) return false;
  if (s.source != SignalSource::kFaceCert) return true;
  if (!IsFacePass(s)) return false;
  if (faces.facts == nullptr || s.place.empty() ||
      !faces.facts->FacePlacesArePersonal(policy.rules.face_place_personal_share_min)) {
    return true;
  }
  return !rules::FaceSittingAt(*faces.facts, s.place, rules::FactsPersonKey(*faces.h), policy)
              .batch;
}

// Whether a signal is evidence of life at all (FACE_CERT FAIL is not; a DIED discharge is not).
bool IsLifeSign(const SignalRecord& s, const Policy& policy, const FaceTrust& faces) {
  if (IsInPerson(s.source)) return TrustedInPerson(s, policy, faces);
  if (s.source == SignalSource::kHospitalDischarge && s.detail == "DIED") return false;
  return true;
}

// The point on the unit circle of each second of the day: habits are compared over every card
// use of a year, and a table read is cheaper than a cosine and a sine each time (the same
// values: computed once from the same expression).
struct ClockPoint {
  double x, y;
};
const std::vector<ClockPoint>& ClockPoints() {
  static const std::vector<ClockPoint> points = [] {
    constexpr int kSecondsPerDay = 86400;
    std::vector<ClockPoint> out(kSecondsPerDay);
    for (int second = 0; second < kSecondsPerDay; ++second) {
      const double hour = static_cast<double>(second) / 3600.0;
      const double a = hour / 24.0 * 2.0 * std::numbers::pi;
      out[static_cast<size_t>(second)] = {std::cos(a), std::sin(a)};
    }
    return out;
  }();
  return points;
}

// Circular mean of hours of day; `concentration` is the mean resultant length (0..1).
struct HourMean {
  double x = 0, y = 0;
  int n = 0;
  void Add(Timestamp ts) {
    const auto second = (ts - std::chrono::floor<std::chrono::days>(ts)).count();
    const ClockPoint& p = ClockPoints()[static_cast<size_t>(second)];
    x += p.x;
    y += p.y;
    ++n;
  }
  double concentration() const { return n == 0 ? 0.0 : std::hypot(x, y) / n; }
  double mean_hour() const {
    double h = std::atan2(y, x) / (2.0 * std::numbers::pi) * 24.0;
    return h < 0 ? h + 24.0 : h;
  }
};

double HourDistance(double a, double b) {
  const double d = std::fabs(a - b);
  return std::min(d, 24.0 - d);
}

// A place of card use, with the hash it is sorted and searched by first.
struct PlaceSeen {
  uint64_t hash = 0;
  std::string_view place;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads the defaulted <=>.
  friend auto operator<=>(const PlaceSeen&, const PlaceSeen&) = default;
};

struct HabitComparison {
  int before_signals = 0;
  int after_signals = 0;
  double hour_shift = 0;     // 0 when either period has no clear mean hour
  double place_overlap = 1;  // 1 when too few places to tell
  double hour_before = 0, hour_after = 0;
  bool changed = false;
};

// Compares card use in [after_from, after_to] with all signals in [before_from, before_to):
// the hours of card use, and whether the places of card use were places the person went before.
HabitComparison CompareHabits(const std::vector<SignalRecord>& signals, int before_from,
                              int before_to, int after_from, int after_to, const Policy& policy,
                              const FaceTrust& faces, std::vector<PlaceSeen>& places) {
  const CertificationPolicy& cp = policy.certification;
  HabitComparison c;
  HourMean before, after;
  places.clear();
  bool in_person_after = false;
  for (const SignalRecord& s : signals) {
    const int day = DayNumberOf(s.occurred_at);
    if (day >= before_from && day < before_to) {
      if (!s.place.empty()) places.push_back({FactCounts::Hash(s.place), s.place});
      if (IsCardUsable(s.source)) before.Add(s.occurred_at);
    } else if (day >= after_from && day <= after_to) {
      if (TrustedInPerson(s, policy, faces)) in_person_after = true;
    }
  }
  // By hash, and by text within one hash: the comparisons are of integers but for a collision,
  // and a place counts as seen only when its text matches, as if the texts were sorted.
  std::sort(places.begin(), places.end());
  places.erase(std::unique(places.begin(), places.end()), places.end());
  int with_place = 0, seen = 0;
  for (const SignalRecord& s : signals) {
    const int day = DayNumberOf(s.occurred_at);
    if (day < after_from || day > after_to || !IsCardUsable(s.source)) continue;
    after.Add(s.occurred_at);
    if (!s.place.empty()) {
      ++with_place;
      if (std::binary_search(places.begin(), places.end(),
                             PlaceSeen{FactCounts::Hash(s.place), s.place})) {
        ++seen;
      }
    }
  }
  c.before_signals = before.n;
  c.after_signals = after.n;
  if (before.concentration() >= kMinHourConcentration &&
      after.concentration() >= kMinHourConcentration) {
    c.hour_before = before.mean_hour();
    c.hour_after = after.mean_hour();
    c.hour_shift = HourDistance(c.hour_before, c.hour_after);
  }
  if (with_place >= cp.habit_min_signals && !places.empty()) {
    c.place_overlap = static_cast<double>(seen) / with_place;
  }
  c.changed = !in_person_after && before.n >= cp.habit_min_signals &&
              after.n >= cp.habit_min_signals && c.place_overlap <= cp.habit_max_place_overlap &&
              c.hour_shift >= cp.habit_min_hour_shift;
  return c;
}

// Streams of life signs tested for a stop (docs/certification.md, "stopped stream").
enum class Stream : uint8_t { kBody, kInPerson, kCareHome, kTransit, kMedical, kLife, kCount };
constexpr std::array<std::string_view, static_cast<size_t>(Stream::kCount)> kStreamNames = {
    "signs needing the body", "in-person signs",  "care-home attendance",
    "bus-card use",           "medical-card use", "all signs of life"};

// Life signs: every source but the phone and the pension account, which run on their own (or
// in a relative's hands) without saying anything about the person's day.
bool IsLifeSource(SignalSource s) {
  return s != SignalSource::kTelecom && s != SignalSource::kBankActivity;
}

// Episodic body signs: a trip (a ticket out and one back, in the holidays) or a hospital stay
// comes in bursts, not in a monthly rhythm, so a run of trips early in the history followed by
// none says nothing about who holds the cards. They stay life signs and body signs for the
// evidence and the card-life periods; they are only kept out of the body and all-life streams'
// stop tests, whose months must be exchangeable for the hypergeometric tail to mean anything.
constexpr bool IsEpisodic(SignalSource s) {
  return s == SignalSource::kTravel || s == SignalSource::kHospitalAdmission ||
         s == SignalSource::kHospitalDischarge;
}

// Streams of signs that need the body: their stop is what a relative holding the cards cannot
// hide.
constexpr bool IsBodyStream(Stream k) {
  return k == Stream::kBody || k == Stream::kInPerson || k == Stream::kCareHome;
}

struct StreamTrack {
  int months = 0;  // distinct calendar months with the stream
  int last_month = INT32_MIN;
  int last_day = INT32_MIN;
  bool last_care_home = false;      // the last sign was care-home attendance
  std::vector<int>* active_months;  // the distinct months, in order (scratch owned by Certify)
  void Add(int day, int month) {
    if (month != last_month) {
      ++months;
      active_months->push_back(month);
    }
    last_month = month;
    last_day = day;
  }
};

// A stream that fell off rather than stopped: the person's own signs went on, but in far fewer
// of the months after some point than their rhythm up to then puts there (a relative using the
// medical card now and then after a death, where the person went every month). For each change
// point, the month after one of the stream's active months but the last, the chance that at most
// the `k` active months seen from there fall in those `m` months, were the `n` active months
// of the `span` observed placed at random, is the hypergeometric lower tail; the smallest over
// the change points is multiplied by their number (Bonferroni: the point is chosen from the
// data). A stop with nothing after it is StopProbability's case, not this one.
struct StreamFall {
  double probability = 1.0;
  int change_month = INT32_MIN;  // the first month of the fall
  int months_after = 0, active_after = 0;
  bool fell() const { return change_month != INT32_MIN; }
  Date change_day() const { return Date{MonthFromNumber(change_month) / std::chrono::day{1}}; }
  // "only k of the m months since" (the evidence and the reason add the month where they need it).
  std::string Note() const {
    return "only " + std::to_string(active_after) + " of the " + std::to_string(months_after) +
           " months since";
  }
};

StreamFall FallProbability(const std::vector<int>& active_months, int first_month, int as_of_month,
                           int not_before_month) {
  StreamFall best;
  const int n = static_cast<int>(active_months.size());
  if (n < 3) return best;
  const int span = as_of_month - first_month + 1;
  const int candidates = n - 1;
  for (int i = 0; i + 1 < n; ++i) {
    const int change = active_months[static_cast<size_t>(i)] + 1;
    if (change <= not_before_month) continue;
    const int months_after = as_of_month - change + 1;
    const int active_after = n - i - 1;
    // No fall at this point: the stream is at least as busy after it as over the whole span.
    if (static_cast<int64_t>(active_after) * span >= static_cast<int64_t>(n) * months_after) {
      continue;
    }
    const double p =
        std::min(1.0, HypergeometricLowerTail(span, n, months_after, active_after) * candidates);
    if (p < best.probability) {
      best = {p, change, months_after, active_after};
    }
  }
  return best;
}

// Probability that all `n` active months of a stream fall in the first `span - gap` of `span`
// observed months, were they placed at random (the person's rhythm unchanged): the exact
// hypergeometric tail C(span - gap, n) / C(span, n). Needs no rate and no population figure.
double StopProbability(int span, int gap, int n) {
  if (n <= 0 || gap <= 0) return 1.0;
  if (span - gap < n) return 0.0;
  double p = 1.0;
  for (int i = 0; i < n; ++i) {
    p *= static_cast<double>(span - gap - i) / static_cast<double>(span - i);
  }
  return p;
}

// The pension account's card use after the last in-person sign against before it. A person
// who drew the pension in person (at the counter, with an id check) and used the card now and
// then does not start using it every month the day the visits stop; a relative holding the
// card, who cannot come in person, does. `probability` is the binomial chance of at least
// `months_after_with_use` of `months_after` months with card use at the person's own earlier
// monthly rate, estimated as (used + 1) / (months + 2) so that a short or empty past never
// gives a rate of 0; 1 when there is no rise to test.
struct CardTakeover {
  int months_before = 0, used_before = 0;
  int months_after = 0, used_after = 0;
  double probability = 1.0;
};

CardTakeover CardTakeoverAfter(const std::vector<SignalRecord>& signals, int first_month,
                               int as_of_month, int last_in_person_month, int end_day) {
  CardTakeover c;
  c.months_before = last_in_person_month - first_month + 1;
  c.months_after = as_of_month - last_in_person_month;
  if (c.months_before <= 0 || c.months_after <= 0) return c;
  int last_counted = INT32_MIN;
  MonthOfDay month_of;
  for (const SignalRecord& s : signals) {
    const int day = DayNumberOf(s.occurred_at);
    if (day >= end_day) break;
    if (s.source != SignalSource::kBankActivity) continue;
    const int month = month_of(day);
    if (month == last_counted) continue;
    last_counted = month;
    (month <= last_in_person_month ? c.used_before : c.used_after) += 1;
  }
  const double rate =
      (static_cast<double>(c.used_before) + 1.0) / (static_cast<double>(c.months_before) + 2.0);
  // Only a rise says anything: use at or below the earlier rate is the person's own habit.
  if (c.used_after <= rate * c.months_after) return c;
  c.probability = BinomialUpperTail(c.months_after, c.used_after, rate);
  return c;
}

// Fisher's combination of two independent probabilities (chi-square with 4 degrees of
// freedom): P(1 - ln P) with P = p1 * p2. The stop of the in-person signs and the rise of card
// use are two facts, each of which alone a living person explains easily; together they are
// what a relative holding the card produces.
double CombinedProbability(double p1, double p2) {
  const double product = p1 * p2;
  if (product <= 0.0) return 0.0;
  return std::min(1.0, product * (1.0 - std::log(product)));
}

struct Authoritative {
  const RegistryRecord* death = nullptr;
  const RegistryRecord* cremation = nullptr;
  const SignalRecord* died_discharge = nullptr;
  const RegistryRecord* prison = nullptr;  // an entry with no release after it
  const RegistryRecord* missing = nullptr;
  const RegistryRecord* emigrated = nullptr;
};

// Newest of each kind of authoritative record known by as_of.
Authoritative FindAuthoritative(const PersonHistory& h, Date as_of, int end_day) {
  Authoritative a;
  auto earliest = [](const RegistryRecord*& slot, const RegistryRecord& r) {
    if (slot == nullptr || Days(r.event_date) < Days(slot->event_date)) slot = &r;
  };
  auto latest = [](const RegistryRecord*& slot, const RegistryRecord& r) {
    if (slot == nullptr || Days(r.event_date) > Days(slot->event_date)) slot = &r;
  };
  const RegistryRecord* last_in = nullptr;
  const RegistryRecord* last_out = nullptr;
  for (const RegistryRecord& r : h.registry) {
    if (Days(r.reported_date) > Days(as_of)) continue;  // not known yet
    switch (r.event) {
      case RegistryEvent::kDeath:
        earliest(a.death, r);
        break;
      case RegistryEvent::kCremation:
        earliest(a.cremation, r);
        break;
      case RegistryEvent::kPrisonIn:
        latest(last_in, r);
        break;
      case RegistryEvent::kPrisonOut:
        latest(last_out, r);
        break;
      case RegistryEvent::kMissing:
        latest(a.missing, r);
        break;
      case RegistryEvent::kEmigrated:
        latest(a.emigrated, r);
        break;
      case RegistryEvent::kIdChange:
        break;
    }
  }
  if (last_in != nullptr &&
      (last_out == nullptr || Days(last_out->event_date) < Days(last_in->event_date))) {
    a.prison = last_in;
  }
  for (const SignalRecord& s : h.signals) {
    if (DayNumberOf(s.occurred_at) >= end_day) break;
    if (s.source == SignalSource::kHospitalDischarge && s.detail == "DIED") {
      a.died_discharge = &s;
      break;
    }
  }
  return a;
}

Evidence RegistryEvidence(const RegistryRecord& r) {
  return {std::string(CodeName(r.event)), r.event_date, "reported " + FormatDate(r.reported_date)};
}

// The as-of date in the day and month numbers the tests count in.
struct CertifyDays {
  CertifyDays(Date as_of, const CertificationPolicy& cp)
      : today(DayNumber(as_of)),
        end_day(today + 1),
        recent_from(today - static_cast<int>(std::lround(cp.recent_months * kDaysPerMonth))),
        as_of_month(MonthNumber(MonthOf(as_of))),
        window_from(DayNumber(MonthsBefore(as_of, cp.window_months))) {}
  int today;
  int end_day;      // signals on the as-of day count
  int recent_from;  // the first day of the recent period (certification.recent_months)
  int as_of_month;
  // The first day of the window (certification.window_months): the same calendar day that many
  // months before, so that a yearly proof made on its anniversary counts whether or not a
  // 29 February falls in between.
  int window_from;

  // The calendar day `months` before `day` (the month's last day where it has no such day).
  static Date MonthsBefore(Date day, int months) {
    const std::chrono::year_month_day earlier = day - std::chrono::months(months);
    if (earlier.ok()) return earlier;
    return std::chrono::year_month_day_last(earlier.year(),
                                            std::chrono::month_day_last(earlier.month()));
  }
};

// Section 1: the earliest death a record proves (registration, cremation, death in hospital).
std::optional<Date> EarliestDeath(const Authoritative& auth) {
  std::optional<Date> death;
  auto consider = [&death](Date d) {
    if (!death || Days(d) < Days(*death)) death = d;
  };
  if (auth.death) consider(auth.death->event_date);
  if (auth.cremation) consider(auth.cremation->event_date);
  if (auth.died_discharge) consider(DateOf(auth.died_discharge->occurred_at));
  return death;
}

// What one pass over the signals known by the date shows: the last signs of each kind (day
// numbers, INT32_MIN for none) and each source's best decayed weight.
struct SignalScan {
  std::array<double, CodeCount<SignalSource>()> best{};
  std::array<const SignalRecord*, CodeCount<SignalSource>()> best_signal{};
  int last_in_person = INT32_MIN, last_body = INT32_MIN, last_any = INT32_MIN;
  int last_seen_well = INT32_MIN;      // last body sign outside a hospital
  int last_left_hospital = INT32_MIN;  // last discharge alive (a DIED one is no life sign)
  int last_card = INT32_MIN;
  int last_hospital = INT32_MIN;
  const SignalRecord* last_batch_face = nullptr;  // the last face pass in a batch sitting
};

// Section 2: one pass over the signals: last signs, per-source best decayed weight, counts.
// Sets the evidence features, the score and the last signs of `r`.
SignalScan ScanSignals(const PersonHistory& h, const Policy& policy, const FaceTrust& faces,
                       const CertifyDays& days, CertificationResult& r) {
  const CertificationPolicy& cp = policy.certification;
  CertificationFeatures& f = r.features;
  SignalScan scan;
  std::array<bool, CodeCount<SignalSource>()> seen_recent{}, seen_baseline{};
  std::array<int, CodeCount<SignalSource>()> best_day{};
  int recent_signals = 0, recent_card = 0;
  for (const SignalRecord& s : h.signals) {
    const int day = DayNumberOf(s.occurred_at);
    if (day >= days.end_day) break;  // sorted by time: the rest is not known yet
    const auto index = static_cast<size_t>(s.source);
    if (s.source == SignalSource::kFaceCert && !IsFacePass(s) && day >= days.window_from) {
      f.face_fail_recent += 1;
    }
    if (!IsLifeSign(s, policy, faces)) {
      // A pass that is one face certifying several persons: someone proves this person's life
      // for them (section 4 weighs it against the last sign seen in person).
      if (s.source == SignalSource::kFaceCert && IsFacePass(s)) scan.last_batch_face = &s;
      continue;
    }
    scan.last_any = day;
    if (IsInPerson(s.source)) scan.last_in_person = day;
    if (IsBodySign(s.source)) {
      scan.last_body = day;
      if (s.source == SignalSource::kHospitalDischarge) {
        scan.last_left_hospital = day;
      } else if (s.source != SignalSource::kHospitalAdmission) {
        scan.last_seen_well = day;
      }
    } else {
      scan.last_card = day;
    }
    if (s.source == SignalSource::kHospitalAdmission ||
        s.source == SignalSource::kHospitalDischarge) {
      scan.last_hospital = day;
    }
    if (day >= days.recent_from) {
      seen_recent[index] = true;
      ++recent_signals;
      if (IsCardUsable(s.source)) ++recent_card;
    } else if (day >= days.recent_from - kBaselineDays) {
      seen_baseline[index] = true;
    }
    // A source's weight decays with age alone (half-lives of at least a day, policy), so its
    // best sign is its newest: the first of its newest day, as a later sign of the same day
    // weighs the same. The decay is computed once per source, after the scan.
    if (day >= days.window_from && (scan.best_signal[index] == nullptr || day > best_day[index])) {
      best_day[index] = day;
      scan.best_signal[index] = &s;
    }
  }
  for (size_t i = 0; i < scan.best.size(); ++i) {
    if (scan.best_signal[i] == nullptr) continue;
    const double half_life =
        IsInPerson(static_cast<SignalSource>(i)) ? cp.in_person_half_life_days : cp.half_life_days;
    const double w = cp.source_weight[i] * std::exp2(-(days.today - best_day[i]) / half_life);
    // A source of no weight is no evidence (nor is a sign so old its weight underflows).
    if (w > 0) {
      scan.best[i] = w;
    } else {
      scan.best_signal[i] = nullptr;
    }
  }
  auto months_since = [&days](int day) {
    return day == INT32_MIN
               ? CertificationFeatures::kNeverMonths
               : std::min(CertificationFeatures::kNeverMonths, (days.today - day) / kDaysPerMonth);
  };
  f.months_since_in_person = months_since(scan.last_in_person);
  f.months_since_body_sign = months_since(scan.last_body);
  f.months_since_any_signal = months_since(scan.last_any);
  if (scan.last_in_person != INT32_MIN) r.last_in_person = DateFromDayNumber(scan.last_in_person);
  if (scan.last_body != INT32_MIN) r.last_body_sign = DateFromDayNumber(scan.last_body);
  for (size_t i = 0; i < scan.best.size(); ++i) {
    f.sources_recent += seen_recent[i] ? 1 : 0;
    f.sources_baseline += seen_baseline[i] ? 1 : 0;
    if (IsInPerson(static_cast<SignalSource>(i))) {
      f.evidence_in_person += scan.best[i];
    } else {
      f.evidence_other += scan.best[i];
    }
  }
  f.card_share_recent =
      recent_signals == 0 ? 0.0 : static_cast<double>(recent_card) / recent_signals;
  r.score = f.evidence_in_person + f.evidence_other;
  return scan;
}

// Section 3 (doubt detectors: each compares the person with their own past behaviour) begins
// with the records of a death that no registration followed.
void DetectRecordsWithoutDeath(const PersonHistory& h, const Authoritative& auth,
                               const CertificationPolicy& cp, int end_day, LifeDoubts& d) {
  // A cremation, or a death in hospital, with no death registration is concealment when the
  // cards go on being used for months after it (policy: certification.cremation_card_months):
  // the registration itself often lags by weeks, while the last card use of an honest
  // household ends at the funeral. A household that keeps drawing the pension for months
  // after the hospital recorded the death has not reported it anywhere.
  auto months_with_signals_after = [&h, end_day](Date event) {
    const int event_month = MonthNumber(MonthOf(event));
    int months_after = 0, last_counted = event_month;
    MonthOfDay month_of;
    for (const SignalRecord& s : h.signals) {
      const int day = DayNumberOf(s.occurred_at);
      if (day >= end_day) break;
      if (s.source == SignalSource::kHospitalDischarge && s.detail == "DIED") continue;
      const int month = month_of(day);
      if (month > last_counted) {
        ++months_after;
        last_counted = month;
      }
    }
    return months_after;
  };
  if (auth.death == nullptr && auth.died_discharge == nullptr && auth.cremation != nullptr) {
    d.cremation_without_death =
        months_with_signals_after(auth.cremation->event_date) >= cp.cremation_card_months;
  }
  if (auth.death == nullptr && auth.died_discharge != nullptr) {
    d.hospital_death_without_registration =
        months_with_signals_after(DateOf(auth.died_discharge->occurred_at)) >=
        cp.cremation_card_months;
  }
}

// The person's streams of life signs and their rhythm (section 3).
struct LifeRhythm {
  std::array<StreamTrack, static_cast<size_t>(Stream::kCount)> streams{};
  // Window periods of recent_months with a life sign, the latest first.
  std::vector<bool> life_periods;
  int first_month = INT32_MIN;
  int last_month_any = INT32_MIN;
  // The person's own rhythm of life signs: the last one and the longest pause between two.
  int last_life = INT32_MIN, longest_life_gap = 0, life_sign_days = 0;
};

LifeRhythm TrackLifeRhythm(const PersonHistory& h, const Policy& policy, const FaceTrust& faces,
                           const CertifyDays& days) {
  const CertificationPolicy& cp = policy.certification;
  LifeRhythm rhythm;
  // The streams' active months: scratch kept per thread, so a person costs no allocation once
  // warm (Certify stays a pure function of its arguments).
  thread_local std::array<std::vector<int>, static_cast<size_t>(Stream::kCount)> active_months;
  for (size_t k = 0; k < rhythm.streams.size(); ++k) {
    active_months[k].clear();
    rhythm.streams[k].active_months = &active_months[k];
  }
  rhythm.life_periods.assign(static_cast<size_t>(std::max(
                                 1, (cp.window_months + cp.recent_months - 1) / cp.recent_months)),
                             false);
  MonthOfDay month_of;
  for (const SignalRecord& s : h.signals) {
    const int day = DayNumberOf(s.occurred_at);
    if (day >= days.end_day) break;
    const int month = month_of(day);
    if (rhythm.first_month == INT32_MIN) rhythm.first_month = month;
    const bool life_sign = IsLifeSign(s, policy, faces);
    if (life_sign) rhythm.last_month_any = month;
    if (!life_sign || !IsLifeSource(s.source)) continue;
    if (rhythm.last_life != INT32_MIN)
      rhythm.longest_life_gap = std::max(rhythm.longest_life_gap, day - rhythm.last_life);
    if (day != rhythm.last_life) ++rhythm.life_sign_days;
    rhythm.last_life = day;
    auto track = [&](Stream k) {
      StreamTrack& t = rhythm.streams[static_cast<size_t>(k)];
      t.Add(day, month);
      t.last_care_home = s.source == SignalSource::kCareHome;
    };
    if (!IsEpisodic(s.source)) track(Stream::kLife);
    if (IsBodySign(s.source) && !IsEpisodic(s.source)) track(Stream::kBody);
    if (IsInPerson(s.source)) track(Stream::kInPerson);
    if (s.source == SignalSource::kCareHome) track(Stream::kCareHome);
    if (s.source == SignalSource::kTransit) track(Stream::kTransit);
    if (s.source == SignalSource::kMedicalSettlement) track(Stream::kMedical);
    const int age = days.today - day;
    const double period_days = cp.recent_months * kDaysPerMonth;
    if (day >= days.window_from) {
      const auto period = static_cast<size_t>(age / period_days);
      if (period < rhythm.life_periods.size()) rhythm.life_periods[period] = true;
    }
  }
  return rhythm;
}

// The most improbable stop, fall or card takeover of the person's streams (section 3).
// Stopped streams (policy: certification.stop_alpha): a stream of life signs whose active
// months all lie before a trailing gap, improbably so for this person's own rhythm, while
// other signals go on. Months are counted from the person's first signal, so a short history
// has little power and never fires on its own.
struct StopFinding {
  double stop_p = 1.0;
  size_t stopped = static_cast<size_t>(Stream::kCount);
  // The most improbable stop or fall set aside because the pension is drawn less since it.
  double undrawn_p = 1.0;
  size_t undrawn_stream = static_cast<size_t>(Stream::kCount);
  StreamFall undrawn_fall;
  std::string takeover_note;    // set when the card took over from the in-person stream
  StreamFall fall;              // set when the stream fell off rather than stopped
  int stopped_day = INT32_MIN;  // the takeover's last sight in body, else the stream's last sign
};

StopFinding FindStop(const PersonHistory& h, const CertificationPolicy& cp, const CertifyDays& days,
                     const SignalScan& scan, const LifeRhythm& rhythm, bool cards_go_on) {
  StopFinding stop;
  // A concealed death is kept up for the pension. When a stream of the person's life stops and
  // the pension account is then used markedly less often than before (months with card use per
  // month; policy: certification.undrawn_alpha), no one is drawing the pension in their place
  // (someone away, the phone kept on, the pension left to accumulate): such a stop is judged on
  // the evidence like anyone's, not taken as concealment. A small fall is weak evidence the
  // same way, so the stop must then be stronger (certification.drawn_less_stop_alpha); a
  // relative who withdraws a little less often than the person did is still drawing it.
  auto stop_level = [&](int last_month) {
    const CardTakeover use = CardTakeoverAfter(h.signals, rhythm.first_month, days.as_of_month,
                                               last_month, days.end_day);
    if (use.months_after <= 0 || use.months_before <= 0) return cp.stop_alpha;
    const double rate_before =
        static_cast<double>(use.used_before) / static_cast<double>(use.months_before);
    if (static_cast<double>(use.used_after) >= rate_before * use.months_after) return cp.stop_alpha;
    // The fall is tested at the smoothed rate, (used + 1) / (months + 2): an account used in
    // every month so far would otherwise make a single month without use a certain fall.
    const double smoothed = (static_cast<double>(use.used_before) + 1.0) /
                            (static_cast<double>(use.months_before) + 2.0);
    if (BinomialLowerTail(use.months_after, use.used_after, smoothed) < cp.undrawn_alpha) {
      return 0.0;
    }
    return std::min(cp.stop_alpha, cp.drawn_less_stop_alpha);
  };
  // The last sight of the person alive that explains a stop of stream k: a visit, a trip on a
  // real-name ticket or care-home attendance (people move, stop riding), and leaving a hospital
  // alive, except for the medical card: a medical pattern breaking off after a stay is itself
  // the sign of a death at home nobody reported.
  auto seen_alive_after = [&](size_t k) {
    return k == static_cast<size_t>(Stream::kMedical)
               ? scan.last_seen_well
               : std::max(scan.last_seen_well, scan.last_left_hospital);
  };
  // A care-home stay that ends is a move, or a death the home itself reports: a body stream
  // whose last sign was the home's attendance says nothing about who uses the cards.
  auto ends_at_care_home = [&](size_t k) {
    return IsBodyStream(static_cast<Stream>(k)) && rhythm.streams[k].last_care_home;
  };
  // Whether a stop or fall of stream k, of chance p, is taken over the one held so far: below
  // stop_alpha it must also pass the drawing test (stop_level, from the stream's last month
  // before it); one set aside only because the pension is drawn less is kept as undrawn_*.
  auto takes = [&](double p, size_t k, int last_month, const StreamFall& candidate) {
    if (p >= stop.stop_p) return false;
    if (p < cp.stop_alpha) {
      const double level = stop_level(last_month);
      if (level == 0.0 && p < stop.undrawn_p) {
        stop.undrawn_p = p;
        stop.undrawn_stream = k;
        stop.undrawn_fall = candidate;
      }
      if (p >= level) return false;
    }
    return true;
  };
  if (rhythm.first_month != INT32_MIN) {
    const int span = days.as_of_month - rhythm.first_month + 1;
    for (size_t k = 0; k < rhythm.streams.size(); ++k) {
      const StreamTrack& t = rhythm.streams[k];
      // Other signals went on in a later month than the stream's last sign (the cards are
      // still in use), and the person was not seen alive after it.
      const int alive_after = seen_alive_after(k);
      if (t.months < 2 || !cards_go_on || rhythm.last_month_any <= t.last_month ||
          (alive_after != INT32_MIN && alive_after > t.last_day) || ends_at_care_home(k)) {
        continue;
      }
      const int gap = static_cast<int>((days.today - t.last_day) / kDaysPerMonth);
      const double p = StopProbability(span, gap, t.months);
      if (!takes(p, k, t.last_month, StreamFall{})) continue;
      stop.stop_p = p;
      stop.stopped = k;
    }
    // Streams that fell off (FallProbability), judged like the stops: the person not seen
    // alive in body from the month of the fall on, the cards going on, the pension drawn on.
    for (size_t k = 0; k < rhythm.streams.size() && cards_go_on; ++k) {
      if (ends_at_care_home(k)) continue;
      const int alive_after = seen_alive_after(k);
      const int seen_month = alive_after == INT32_MIN
                                 ? INT32_MIN
                                 : MonthNumber(MonthOf(DateFromDayNumber(alive_after)));
      const StreamFall candidate = FallProbability(
          *rhythm.streams[k].active_months, rhythm.first_month, days.as_of_month, seen_month);
      const double p = candidate.probability;
      // No fall (change_month unset) has probability 1 and is never taken.
      if (!candidate.fell() || !takes(p, k, candidate.change_month - 1, candidate)) continue;
      stop.stop_p = p;
      stop.stopped = k;
      stop.fall = candidate;
    }
    // The card took over from the in-person signs (policy: certification.takeover_*): the
    // person was last seen in body on `seen` (an in-person sign, or a trip, care-home visit or
    // discharge alive after it), the in-person stream's stop measured from there is unusual for
    // their rhythm, and the pension account's card use rose after it. The two facts are tested
    // together at a stricter level (a second test of the same stream); a takeover reports as a
    // stop of the in-person signs.
    const StreamTrack& in_person = rhythm.streams[static_cast<size_t>(Stream::kInPerson)];
    const int seen = std::max({in_person.last_day, scan.last_seen_well, scan.last_left_hospital});
    const int seen_month =
        in_person.months >= 2 ? MonthNumber(MonthOf(DateFromDayNumber(seen))) : INT32_MAX;
    if (cards_go_on && rhythm.last_month_any > seen_month) {
      const int gap = static_cast<int>((days.today - seen) / kDaysPerMonth);
      const double p_stop = StopProbability(span, gap, in_person.months);
      if (p_stop < cp.takeover_fact_alpha) {
        const CardTakeover takeover = CardTakeoverAfter(h.signals, rhythm.first_month,
                                                        days.as_of_month, seen_month, days.end_day);
        const double combined = CombinedProbability(p_stop, takeover.probability);
        if (takeover.probability < cp.takeover_fact_alpha && combined < cp.takeover_alpha &&
            combined < stop.stop_p) {
          stop.stop_p = combined;
          stop.stopped = static_cast<size_t>(Stream::kInPerson);
          stop.stopped_day = seen;
          stop.fall = StreamFall{};
          stop.takeover_note = TakeoverNote(takeover.used_before, takeover.months_before,
                                            takeover.used_after, takeover.months_after);
        }
      }
    }
  }
  return stop;
}

// A stop below certification.stop_alpha becomes the doubt and its STOPPED evidence.
void ReportStop(const StopFinding& stop, const CertificationPolicy& cp, const SignalScan& scan,
                const LifeRhythm& rhythm, CertificationResult& r) {
  LifeDoubts& d = r.doubts;
  if (stop.stop_p < cp.stop_alpha) {
    int stopped_day = stop.stopped_day;
    d.stopped_stream = std::string(kStreamNames[stop.stopped]);
    if (!stop.takeover_note.empty()) {
      d.stopped_stream += " (the pension card took over:" + stop.takeover_note + ")";
      d.card_takeover = true;
    }
    std::string fall_note;
    if (stop.fall.fell()) {
      fall_note = stop.fall.Note() + " " + FormatMonth(MonthFromNumber(stop.fall.change_month));
      d.stopped_stream += " (" + fall_note + ")";
      d.stream_fell = true;
      stopped_day = DayNumber(stop.fall.change_day());
    }
    d.stop_probability = stop.stop_p;
    const auto kind = static_cast<Stream>(stop.stopped);
    if (IsBodyStream(kind)) {
      d.card_only_tail = true;
    } else if (kind == Stream::kMedical && scan.last_hospital != INT32_MIN &&
               scan.last_hospital == scan.last_body) {
      d.medical_break = true;
    } else {
      d.life_stopped = true;
    }
    const StreamTrack& t = rhythm.streams[stop.stopped];
    r.evidence.push_back(
        {"STOPPED", DateFromDayNumber(stopped_day == INT32_MIN ? t.last_day : stopped_day),
         std::string(kStreamNames[stop.stopped]) + ": " + std::to_string(t.months) +
             " months active, " + (fall_note.empty() ? "none since" : fall_note) +
             (stop.takeover_note.empty() ? "" : ";" + stop.takeover_note)});
  }
}

void DetectQuietLife(const CertificationPolicy& cp, const CertifyDays& days, const SignalScan& scan,
                     const LifeRhythm& rhythm, bool cards_go_on, CertificationResult& r) {
  LifeDoubts& d = r.doubts;
  // A life that went quiet (policy: certification.quiet_life_months): the person had life
  // signs, none for that many months since, and their phone or account is in use
  // now. The stream test above needs enough active months to have power; a life seen in a few
  // months only, that stopped long ago, is caught here by its length alone. A person with no
  // life sign at all in the history is thin, not stopped, and is only asked (section 5).
  if (d.stopped_stream.empty() && rhythm.last_life != INT32_MIN && cards_go_on &&
      scan.last_any > rhythm.last_life &&
      days.today - rhythm.last_life >= static_cast<int>(cp.quiet_life_months * kDaysPerMonth)) {
    d.life_gone = true;
    d.quiet_days = days.today - rhythm.last_life;
    d.longest_life_gap_days = rhythm.longest_life_gap;
    d.life_sign_days = rhythm.life_sign_days;
    r.evidence.push_back({"QUIET", DateFromDayNumber(rhythm.last_life),
                          "last life sign; only the phone or the pension account since"});
  }
}

// A stop set aside only because the pension is drawn less since: its note and date, the
// evidence should it decide (section 4).
struct UndrawnStop {
  std::string note;
  Date since{};
};

UndrawnStop DetectUndrawnStop(const CertificationPolicy& cp, const StopFinding& stop,
                              const LifeRhythm& rhythm, LifeDoubts& d) {
  UndrawnStop undrawn;
  // A stop set aside only because the pension is drawn less since (and no quiet life above):
  // not a concealment() doubt, but the person's own life stopped showing, so the cards alone no
  // longer certify (section 4), and unseen for the whole window it is reported
  // (undrawn_unseen). The note is the evidence should it decide.
  if (stop.stop_p >= cp.stop_alpha && !d.life_gone && stop.undrawn_p < cp.stop_alpha) {
    d.undrawn_stop = true;
    d.stopped_stream = std::string(kStreamNames[stop.undrawn_stream]);
    d.stream_fell = stop.undrawn_fall.fell();
    d.stop_probability = stop.undrawn_p;
    const StreamTrack& t = rhythm.streams[stop.undrawn_stream];
    undrawn.since = d.stream_fell ? stop.undrawn_fall.change_day() : DateFromDayNumber(t.last_day);
    undrawn.note = d.stopped_stream + ": " + std::to_string(t.months) + " months active, " +
                   (d.stream_fell ? stop.undrawn_fall.Note() : std::string("none since")) +
                   "; pension account used less since";
  }
  return undrawn;
}

// Whether card life certifies, and the numbers its reason gives (section 4).
struct CardLife {
  bool certifies = false;
  int period_count = 0;   // the window's periods with a life sign
  int pause = INT32_MAX;  // days since the last life sign
};

CardLife AssessCardLife(const CertificationPolicy& cp, const CertifyDays& days,
                        const SignalScan& scan, const LifeRhythm& rhythm) {
  CardLife life;
  for (const bool active : rhythm.life_periods) life.period_count += active ? 1 : 0;
  // Card life over the window: life signs in enough of its periods, and either one in the
  // latest period or a pause since the last one that the person's own past already had (no
  // longer than their longest earlier pause between life signs, and no older than the
  // half-life of card evidence) while their phone or account is still in use in the latest
  // period. Someone whose pharmacy visits come every few months is not asked merely because
  // the latest quarter fell between two visits; a pause longer than any before is not taken
  // as life, nor one in which everything fell quiet (a death nobody has registered yet).
  life.pause = rhythm.last_life == INT32_MIN ? INT32_MAX : days.today - rhythm.last_life;
  const bool pause_in_rhythm = rhythm.last_life != INT32_MIN &&
                               life.pause <= rhythm.longest_life_gap &&
                               life.pause <= cp.half_life_days && scan.last_any >= days.recent_from;
  life.certifies =
      (rhythm.life_periods[0] || pause_in_rhythm) && life.period_count >= cp.life_min_periods;
  return life;
}

void DetectHabitChange(const PersonHistory& h, const Policy& policy, const FaceTrust& faces,
                       const CertifyDays& days, const SignalScan& scan, CertificationResult& r) {
  LifeDoubts& d = r.doubts;
  CertificationFeatures& f = r.features;
  // Habit change (policy: certification.habit_*): card use in the recent period (after the
  // last body sign) against the year up to the last body sign, when the person was surely the
  // one using the cards. Without any body sign, against the year before the recent period.
  // Scratch kept per thread: no allocation per person once warm.
  thread_local std::vector<PlaceSeen> places;
  const bool anchored = scan.last_body != INT32_MIN;
  const int before_to = anchored ? scan.last_body + 1 : days.recent_from;
  const int after_from =
      anchored ? std::max(scan.last_body + 1, days.recent_from) : days.recent_from;
  const HabitComparison habits = CompareHabits(h.signals, before_to - kBaselineDays, before_to,
                                               after_from, days.today, policy, faces, places);
  f.hour_shift_hours = habits.hour_shift;
  f.place_overlap = habits.place_overlap;
  d.habit_change = habits.changed;
  if (d.habit_change) {
    r.evidence.push_back({"CARD_USE", DateFromDayNumber(after_from),
                          HabitNote(habits.hour_before, habits.hour_after, habits.place_overlap)});
  }
}

void DetectSilence(const PersonHistory& h, const Policy& policy, const FaceTrust& faces,
                   const CertifyDays& days, const SignalScan& scan, CertificationResult& r) {
  const CertificationPolicy& cp = policy.certification;
  LifeDoubts& d = r.doubts;
  CertificationFeatures& f = r.features;
  // Silence (policy: certification.silence_min_days, silence_gap_factor).
  if (scan.last_any != INT32_MIN) {
    // Scratch kept per thread: no allocation per person once warm.
    thread_local std::vector<int> gaps;
    gaps.clear();
    int previous = INT32_MIN;
    // Signals are sorted by time: the year before the last sign starts at a binary search.
    const int from_day = scan.last_any - kBaselineDays;
    const auto first = std::lower_bound(
        h.signals.begin(), h.signals.end(), from_day,
        [](const SignalRecord& s, int day) { return DayNumberOf(s.occurred_at) < day; });
    for (auto it = first; it != h.signals.end(); ++it) {
      const SignalRecord& s = *it;
      const int day = DayNumberOf(s.occurred_at);
      if (day > scan.last_any) break;
      if (!IsLifeSign(s, policy, faces)) continue;
      if (previous != INT32_MIN) gaps.push_back(day - previous);
      previous = day;
    }
    const int silent = days.today - scan.last_any;
    if (static_cast<int>(gaps.size()) + 1 >= cp.habit_min_signals) {
      std::nth_element(gaps.begin(), gaps.begin() + static_cast<long>(gaps.size() / 2), gaps.end());
      const double median = std::max(1, gaps[gaps.size() / 2]);
      f.silence_ratio = silent / median;
      d.silence = silent >= cp.silence_min_days && f.silence_ratio >= cp.silence_gap_factor;
    }
  }
}

void ClearWhatARecordExplains(const Authoritative& auth, int last_in_person,
                              CertificationResult& r) {
  LifeDoubts& d = r.doubts;
  // A prison entry, a missing-person report or an emigration known by as_of explains why the
  // person's own signs stopped while the pension account goes on: the record suspends (section
  // 4) and the stop is not read as someone else using the cards after a death.
  auto still_gone = [last_in_person](const RegistryRecord* gone) {
    return gone != nullptr &&
           (last_in_person == INT32_MIN || last_in_person <= DayNumber(gone->event_date));
  };
  const bool record_explains_stop =
      auth.prison != nullptr || still_gone(auth.missing) || still_gone(auth.emigrated);
  if (record_explains_stop && d.habit_change) {
    d.habit_change = false;
    std::erase_if(r.evidence, [](const Evidence& e) { return e.source == "CARD_USE"; });
  }
  // Everything fell silent: not someone else using the cards (nobody does), so no stream stop.
  if (d.silence || record_explains_stop) {
    d.card_only_tail = d.medical_break = d.life_stopped = d.life_gone = d.undrawn_stop = false;
    d.stream_fell = false;
    d.quiet_days = 0;
    d.longest_life_gap_days = 0;
    d.life_sign_days = 0;
    d.stopped_stream.clear();
    d.stop_probability = 1.0;
    std::erase_if(r.evidence,
                  [](const Evidence& e) { return e.source == "STOPPED" || e.source == "QUIET"; });
  }
}

// Section 4 begins with the records that suspend: true when one decided.
bool SuspendOnRecord(const Authoritative& auth, int last_in_person, CertificationResult& r) {
  const LifeDoubts& d = r.doubts;
  if (auth.death || auth.died_discharge || auth.cremation) {
    r.outcome = Certification::kSuspend;
    if (auth.death) r.evidence.insert(r.evidence.begin(), RegistryEvidence(*auth.death));
    if (auth.cremation) r.evidence.push_back(RegistryEvidence(*auth.cremation));
    if (auth.died_discharge) {
      r.evidence.push_back(
          {"HOSPITAL_DISCHARGE", DateOf(auth.died_discharge->occurred_at), "DIED"});
    }
    r.reason = DeathReason(auth.death, auth.cremation, auth.died_discharge, d);
    return true;
  }
  if (auth.prison) {
    r.outcome = Certification::kSuspend;
    r.evidence.insert(r.evidence.begin(), RegistryEvidence(*auth.prison));
    r.reason = "in prison since " + FormatDate(auth.prison->event_date) +
               " (no release recorded): payment suspended";
    return true;
  }
  // Missing or emigrated suspends until the person is seen in person again after the event.
  for (const RegistryRecord* gone : {auth.missing, auth.emigrated}) {
    if (gone == nullptr) continue;
    if (last_in_person != INT32_MIN && last_in_person > DayNumber(gone->event_date)) continue;
    r.outcome = Certification::kSuspend;
    r.evidence.insert(r.evidence.begin(), RegistryEvidence(*gone));
    r.reason =
        std::string(gone->event == RegistryEvent::kMissing ? "reported missing" : "emigrated") +
        " on " + FormatDate(gone->event_date) + " and not seen in person since";
    return true;
  }
  return false;
}

// Section 4: each registration suspended for missing evidence (no registry event holds it,
// checked above) is restored by new in-person evidence after its suspension. True when the
// person is decided here: every registration suspended; with one active, the person is judged
// on the evidence like any other and the suspended rows carry their own decisions.
bool DecideSuspendedRegistration(const PersonHistory& h, Date as_of, const CertifyDays& days,
                                 const SignalScan& scan, CertificationResult& r) {
  const LifeDoubts& d = r.doubts;
  const CertificationFeatures& f = r.features;
  const int last_in_person = scan.last_in_person;
  const int batch_day =
      scan.last_batch_face != nullptr ? DayNumberOf(scan.last_batch_face->occurred_at) : INT32_MIN;
  bool any_active = false;
  for (const PersonRecord& reg : h.registrations) {
    if (reg.status != PersonStatus::kSuspended) {
      any_active = true;
      continue;
    }
    int last_paid = INT32_MIN;
    for (const PaymentRecord& p : h.payments) {
      if (p.region != reg.region || p.benefit != Benefit::kPension ||
          Days(p.paid_date) > Days(as_of)) {
        continue;
      }
      last_paid = std::max(last_paid, MonthNumber(p.period));
    }
    CertificationResult::SuspendedRegistration s;
    s.region = reg.region;
    s.since =
        last_paid == INT32_MIN ? MonthOf(reg.retirement_date) : MonthFromNumber(last_paid + 1);
    const int since_day = DayNumber(Date(s.since.year(), s.since.month(), std::chrono::day(1)));
    // Restored only on a sign that would certify an active person too: seen in person after
    // the suspension and within the window, and no face pass for several persons since
    // (someone else producing the proof, section 2).
    const bool seen = last_in_person != INT32_MIN && last_in_person >= since_day &&
                      last_in_person >= days.window_from;
    const bool batch_face_since = batch_day > last_in_person && batch_day >= days.window_from;
    s.reason = "suspended since " + FormatMonth(s.since) + "; ";
    if (seen && !batch_face_since && !d.any()) {
      s.restore = true;
      s.months_owed = MonthsOwed(h, reg.region, s.since, as_of);
      s.reason += "seen in person on " + FormatDate(DateFromDayNumber(last_in_person)) +
                  ": restore, " + std::to_string(s.months_owed) + " months owed";
    } else if (d.any()) {
      s.reason += "evidence of life doubtful: certify by face or visit to restore; " +
                  DoubtReason(d, f, r.last_body_sign);
    } else if (seen) {
      s.reason += "the face certified several persons in one sitting on " +
                  FormatDate(DateFromDayNumber(batch_day)) +
                  ", after the last sign in person: certify in person to restore";
    } else {
      s.reason += "no in-person sign within the window since: certify by face or visit to restore";
    }
    r.suspended_registrations.push_back(std::move(s));
  }
  if (r.suspended_registrations.empty() || any_active) return false;
  // Every registration suspended: the person is the earliest suspension's (a sign after it
  // that restores a later one restores it too).
  const auto& earliest = *std::min_element(
      r.suspended_registrations.begin(), r.suspended_registrations.end(),
      [](const auto& a, const auto& b) { return MonthNumber(a.since) < MonthNumber(b.since); });
  r.suspended_since = earliest.since;
  r.restore = earliest.restore;
  r.months_owed = earliest.months_owed;
  r.outcome = earliest.restore ? Certification::kCertified : Certification::kNeedsActive;
  r.reason = earliest.reason;
  return true;
}

// The rest of section 4: the doubts, a face pass for several, the evidence and the window.
void DecideOnEvidence(const CertificationPolicy& cp, const CertifyDays& days,
                      const SignalScan& scan, const LifeRhythm& rhythm, const CardLife& life,
                      const UndrawnStop& undrawn, bool cards_go_on, bool evidence_certifies,
                      CertificationResult& r) {
  LifeDoubts& d = r.doubts;
  const CertificationFeatures& f = r.features;
  if (d.any()) {
    r.outcome = Certification::kNeedsActive;
    r.reason = DoubtReason(d, f, r.last_body_sign);
    if (r.last_body_sign) {
      r.evidence.insert(r.evidence.begin(), Evidence{"LAST_BODY_SIGN", *r.last_body_sign,
                                                     "last sign needing the body"});
    }
    return;
  }
  // A face pass in a batch sitting (one face certifying several persons, docs/rules.md
  // FACE_REUSE) after the last sign seen in person, within the window: someone else produces
  // this person's proof of life, so neither that earlier sign nor card life certifies; the
  // person is asked to come in person.
  if (scan.last_batch_face != nullptr) {
    const int batch_day = DayNumberOf(scan.last_batch_face->occurred_at);
    if (batch_day > scan.last_in_person && batch_day >= days.window_from) {
      // Someone who came in person before, whose yearly proof is now overdue, had it produced
      // by one face for several instead: the fund's own word for a death kept from it.
      d.proof_faked =
          scan.last_in_person != INT32_MIN && scan.last_in_person < days.window_from && cards_go_on;
      r.outcome = Certification::kNeedsActive;
      r.evidence.insert(r.evidence.begin(), Evidence{"FACE_CERT", DateFromDayNumber(batch_day),
                                                     "PASS at " + scan.last_batch_face->place +
                                                         ", one face for several"});
      r.reason = "face certification on " + FormatDate(DateFromDayNumber(batch_day)) + " at " +
                 scan.last_batch_face->place + " certified several persons in one sitting, " +
                 (scan.last_in_person == INT32_MIN
                      ? std::string("and the person was never seen in person")
                      : "after the last sign in person on " +
                            FormatDate(DateFromDayNumber(scan.last_in_person))) +
                 ": certify in person";
      return;
    }
  }
  // Seen in person within the window: the yearly certification the policy asks of everyone,
  // and nothing since says the person stopped living their life.
  const bool in_person_window =
      scan.last_in_person != INT32_MIN && scan.last_in_person >= days.window_from;
  // Not seen in person within the window, and a life stream stopped with the pension drawn
  // less since: the cards and the phone that go on are no proof of this person's life.
  if (d.undrawn_stop && !in_person_window) {
    d.undrawn_unseen = true;
    r.outcome = Certification::kNeedsActive;
    r.reason = DoubtReason(d, f, r.last_body_sign);
    r.evidence.insert(r.evidence.begin(), Evidence{"STOPPED", undrawn.since, undrawn.note});
    if (r.last_body_sign) {
      r.evidence.insert(r.evidence.begin(), Evidence{"LAST_BODY_SIGN", *r.last_body_sign,
                                                     "last sign needing the body"});
    }
    return;
  }
  if (evidence_certifies) {
    r.outcome = Certification::kCertified;
    r.reason = ScoreReason(r.score, cp.certify_threshold, true, false, f, r.last_in_person);
  } else if (in_person_window) {
    r.outcome = Certification::kCertified;
    r.reason = "seen in person on " + FormatDate(DateFromDayNumber(scan.last_in_person)) +
               ", within the " + std::to_string(cp.window_months) +
               "-month window, and no change since (evidence " + FormatFixed(r.score) + ")";
  } else if (life.certifies) {
    r.outcome = Certification::kCertified;
    r.reason = "life signs (medical, transit, travel, care) in " +
               std::to_string(life.period_count) + " of the window's " +
               std::to_string(rhythm.life_periods.size()) + " periods " +
               (rhythm.life_periods[0]
                    ? std::string("including the latest")
                    : "up to " + FormatDate(DateFromDayNumber(rhythm.last_life)) + ", a pause of " +
                          std::to_string(life.pause) + " days within the " +
                          std::to_string(rhythm.longest_life_gap) + " the person already had") +
               ", consistent with the person's own past (evidence " + FormatFixed(r.score) + ")";
  } else {
    r.outcome = Certification::kNeedsActive;
    const bool card_only = scan.last_in_person == INT32_MIN || !in_person_window;
    r.reason = ScoreReason(r.score, cp.certify_threshold, false, card_only, f, r.last_in_person);
  }
}

}  // namespace

const std::array<std::string_view, CertificationFeatures::kCount>& CertificationFeatures::Names() {
  static const std::array<std::string_view, kCount> names = {
      "months_since_in_person", "months_since_body_sign", "months_since_any_signal",
      "evidence_in_person",     "evidence_other",         "sources_recent",
      "sources_baseline",       "card_share_recent",      "hour_shift_hours",
      "place_overlap",          "medical_break",          "card_tail_months",
      "silence_ratio",          "face_fail_recent"};
  return names;
}

std::array<double, CertificationFeatures::kCount> CertificationFeatures::ToArray() const {
  return {months_since_in_person, months_since_body_sign, months_since_any_signal,
          evidence_in_person,     evidence_other,         sources_recent,
          sources_baseline,       card_share_recent,      hour_shift_hours,
          place_overlap,          medical_break,          card_tail_months,
          silence_ratio,          face_fail_recent};
}

CertificationResult Certify(const PersonHistory& h, const Policy& policy, Date as_of,
                            const CrossPersonFacts* facts) {
  const CertificationPolicy& cp = policy.certification;
  const CertifyDays days(as_of, cp);
  const FaceTrust faces{facts, &h};
  CertificationResult r;

  // ---- 1. Authoritative records (policy: certification, registry events suspend payment).
  const Authoritative auth = FindAuthoritative(h, as_of, days.end_day);
  r.death_date = EarliestDeath(auth);

  // ---- 2. One pass over the signals: last signs, per-source best decayed weight, counts.
  const SignalScan scan = ScanSignals(h, policy, faces, days, r);

  // ---- 3. Doubt detectors: each compares the person with their own past behaviour.
  DetectRecordsWithoutDeath(h, auth, cp, days.end_day, r.doubts);
  const bool cards_go_on = scan.last_card != INT32_MIN && scan.last_card >= days.recent_from;
  if (scan.last_body != INT32_MIN && scan.last_card > scan.last_body) {
    r.features.card_tail_months = (days.today - scan.last_body) / kDaysPerMonth;
  }
  const LifeRhythm rhythm = TrackLifeRhythm(h, policy, faces, days);
  const StopFinding stop = FindStop(h, cp, days, scan, rhythm, cards_go_on);
  ReportStop(stop, cp, scan, rhythm, r);
  DetectQuietLife(cp, days, scan, rhythm, cards_go_on, r);
  const UndrawnStop undrawn = DetectUndrawnStop(cp, stop, rhythm, r.doubts);
  // Taken before silence or a record clears the doubts below.
  r.features.medical_break = r.doubts.medical_break ? 1.0 : 0.0;
  const CardLife life = AssessCardLife(cp, days, scan, rhythm);
  DetectHabitChange(h, policy, faces, days, scan, r);
  DetectSilence(h, policy, faces, days, scan, r);
  ClearWhatARecordExplains(auth, scan.last_in_person, r);

  // ---- 4. Decision.
  if (SuspendOnRecord(auth, scan.last_in_person, r)) return r;
  AppendSourceEvidence(scan.best, scan.best_signal, r.evidence);
  const bool evidence_certifies = r.score >= cp.certify_threshold;
  if (DecideSuspendedRegistration(h, as_of, days, scan, r)) return r;
  DecideOnEvidence(cp, days, scan, rhythm, life, undrawn, cards_go_on, evidence_certifies, r);
  return r;
}

}  // namespace vigil

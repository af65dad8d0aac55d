// Rules on how a person came to be retired: special job, disability, birth date, back-payment.
#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "certification_text.h"
#include "rules_internal.h"
#include "statistics.h"
#include "vigil/resident_id.h"

namespace vigil {
namespace {

// Where each special (hazardous) job type exists, as GB/T 4754-2017 codes: a section letter
// ("B": all mining) or a division ("C31"). The catalogue of special jobs was issued industry by
// industry (mining, metallurgy, machinery, chemicals, building materials, shipbuilding, light
// industry, transport, health...), so a hazard is found in every industry that has the process,
// not only in the one it is best known for; docs/rules.md explains each row. Erring wide costs
// little: a spell at an industry that plainly cannot have the job (banking, retail, software,
// teaching...) is what the rule is for.
struct Fit {
  JobType job;
  std::array<std::string_view, 20> industries;
};
constexpr std::array<Fit, 5> kFits = {{
    // Underground: mining (B06..B12) and tunnelling in civil engineering (E48).
    {JobType::kUnderground, {"B", "E48"}},
    // Work at height: building and installation (E47..E50), power lines (D44), telecom towers
    // (I63).
    {JobType::kHighAltitude, {"E", "D44", "I63"}},
    // Furnaces: coking and refining (C25), chemicals (C26), glass and cement kilns (C30), smelting
    // (C31, C32), forging, casting and heat treatment in metal products and machinery (C33..C36),
    // thermal power (D44).
    {JobType::kHighTemperature,
     {"C25", "C26", "C30", "C31", "C32", "C33", "C34", "C35", "C36", "D44"}},
    // Heavy manual work: forestry (A02), mining (B), building materials and smelting (C30..C32),
    // forging (C33), hull building in shipyards (C37), building (E), rail, road and water transport
    // and handling (G53, G54, G55, G59).
    {JobType::kHeavyLabour,
     {"A02", "B", "C30", "C31", "C32", "C33", "C37", "E", "G53", "G54", "G55", "G59"}},
    // Toxic and harmful: mining (B), dyeing (C17), pulp bleaching (C22), printing solvents (C23),
    // refining and chemicals (C25..C29), silica dust (C30), smelting (C31, C32), electroplating
    // and pickling (C33), ship painting and welding fumes (C37), batteries and electronics (C38,
    // C39), gas production (D45), waste treatment (N77), radiology and infectious wards (Q83).
    {JobType::kToxic,
     {"B", "C17", "C22", "C23", "C25", "C26", "C27", "C28", "C29", "C30", "C31", "C32", "C33",
      "C37", "C38", "C39", "D45", "N77", "Q83"}},
}};

}  // namespace

bool SpecialJobFitsIndustry(JobType job, std::string_view industry) {
  if (job == JobType::kNormal) return true;
  for (const Fit& fit : kFits) {
    if (fit.job != job) continue;
    for (std::string_view prefix : fit.industries) {
      if (!prefix.empty() && industry.substr(0, prefix.size()) == prefix) return true;
    }
  }
  return false;
}

namespace rules {
namespace {

// Distinct months covered by a set of spells (spells may overlap).
int CountMonths(std::vector<int>& months) {
  std::sort(months.begin(), months.end());
  return static_cast<int>(std::unique(months.begin(), months.end()) - months.begin());
}

void AddMonths(const ContributionRecord& k, int until, std::vector<int>& months) {
  for (int m = MonthNumber(k.start_month); m <= MonthNumber(k.end_month) && m <= until; ++m) {
    months.push_back(m);
  }
}

std::string Years(int months) { return FormatFixed(months / 12.0, 1) + " years"; }

// The hit of an early retirement (special job, disability) whose grounds fail: the pension
// paid before the normal retirement age is what would be recovered.
RuleHit EarlyRetirementHit(const Context& c, const PersonRecord& reg, Pattern pattern,
                           std::string clause, double strength,
                           const std::vector<std::string>& problems, std::string_view label,
                           std::string_view retirement_type) {
  RuleHit hit;
  hit.pattern = pattern;
  hit.clause = std::move(clause);
  hit.strength = strength;
  hit.region = reg.region;
  const Month normal =
      MonthReaching(reg.birth_date, c.policy.NormalRetirementAge(reg.sex, reg.category));
  ClaimPensionBefore(c, reg.region, normal, hit);
  hit.reason = std::string(label) + " retirement on " + FormatDate(reg.retirement_date) + ": ";
  for (size_t i = 0; i < problems.size(); ++i) hit.reason += (i ? "; " : "") + problems[i];
  if (hit.overpaid.fen() > 0) {
    hit.reason += "; " + FormatMoneyGrouped(hit.overpaid) + " paid before normal age (" +
                  FormatMonth(normal) + ")";
  }
  hit.evidence.push_back(
      {"persons", reg.retirement_date, std::string(retirement_type) + " retirement"});
  return hit;
}

// What the known contribution record says of a special-job retirement: the months of each
// special job up to the retirement (all of them, and those at an employer whose industry has
// that job), the job claimed (the one with most months), the first spell where its job does
// not exist, and the last month the record reaches.
struct SpecialJobRecord {
  std::array<int, CodeCount<JobType>()> fit_months{};
  size_t claimed = 0;  // JobType; 0 (kNormal) when no special job is on record
  int claimed_months = 0;
  const ContributionRecord* misfit = nullptr;
  int last_recorded = INT32_MIN;
};

SpecialJobRecord SpecialJobRecordOf(const Context& c, int until) {
  SpecialJobRecord r;
  std::array<std::vector<int>, CodeCount<JobType>()> all, fitting;
  for (const ContributionRecord& k : c.h.contributions) {
    if (!c.Known(k)) continue;
    r.last_recorded = std::max(r.last_recorded, MonthNumber(k.end_month));
    if (k.job_type == JobType::kNormal) continue;
    const auto j = static_cast<size_t>(k.job_type);
    AddMonths(k, until, all[j]);
    if (SpecialJobFitsIndustry(k.job_type, k.industry)) {
      AddMonths(k, until, fitting[j]);
    } else if (r.misfit == nullptr) {
      r.misfit = &k;
    }
  }
  for (size_t j = 1; j < all.size(); ++j) {
    const int m = CountMonths(all[j]);
    r.fit_months[j] = CountMonths(fitting[j]);
    if (m > r.claimed_months) {
      r.claimed_months = m;
      r.claimed = j;
    }
  }
  return r;
}

// A spell that ends at the retirement is entered (recorded_at) after it: in the retirement
// month and the rules.contribution_record_grace_months - 1 after it, a record that stops before
// the month before retirement may be missing a spell not entered yet. Its months, up to the
// retirement month (counted as AddMonths counts them), may be any job: a finding is made only if
// no special job could then reach its minimum.
struct PendingMonths {
  int months = 0;
  bool could_qualify = false;
  std::string note;  // appended to a finding when months > 0
};

PendingMonths PendingMonthsOf(const Context& c, int until, const SpecialJobRecord& r) {
  const RetirementPolicy& rp = c.policy.retirement;
  const int grace = c.policy.rules.contribution_record_grace_months;
  const bool record_pending =
      grace > 0 && r.last_recorded < until - 1 && MonthNumber(MonthOf(c.as_of)) - until < grace;
  PendingMonths p;
  p.months = !record_pending                ? 0
             : r.last_recorded == INT32_MIN ? until  // nothing known: any career
                                            : until - r.last_recorded;
  for (size_t j = 1; j < r.fit_months.size() && p.months > 0; ++j) {
    p.could_qualify =
        p.could_qualify || r.fit_months[j] + p.months >= rp.special_job_min_years[j] * 12;
  }
  if (p.months > 0) {
    p.note = " (the " + std::to_string(p.months) +
             " months up to the retirement not recorded yet could not make up any special "
             "job's minimum)";
  }
  return p;
}

// The findings of one special-job retirement, the clause of the first and the strongest one's
// strength.
struct EarlyRetirementFindings {
  std::vector<std::string> problems;
  std::string clause;
  double strength = 0;
};

void JudgeSpecialJobRecord(const Context& c, const SpecialJobRecord& r,
                           const PendingMonths& pending, EarlyRetirementFindings* f) {
  const RetirementPolicy& rp = c.policy.retirement;
  if (r.claimed == 0) {
    if (!pending.could_qualify) {
      f->problems.push_back("no special-job contribution spell" + pending.note);
      f->clause = "policy: retirement.special_job_min_years";
      f->strength = 0.85;
    }
    return;
  }
  const auto job = static_cast<JobType>(r.claimed);
  const int need = rp.special_job_min_years[r.claimed] * 12;
  f->clause = "policy: retirement.special_job_min_years." + std::string(CodeName(job));
  if (r.fit_months[r.claimed] >= need || pending.could_qualify) return;
  if (r.claimed_months >= need && r.misfit != nullptr) {
    std::string m = std::string(CodeName(r.misfit->job_type)) + " at employer " +
                    r.misfit->employer_id + " (industry " + r.misfit->industry +
                    ") where that job does not exist";
    const uint32_t peers = c.facts.special_retirements_per_employer.Get(r.misfit->employer_id);
    if (peers >= 3) m += " (" + std::to_string(peers) + " special-job retirements there)";
    f->problems.push_back(m + pending.note);
    f->strength = std::max(f->strength, Grow(0.8, peers >= 3 ? (peers - 2) / 3.0 : 0.0));
  } else {
    f->problems.push_back(Years(r.fit_months[r.claimed]) + " " + std::string(CodeName(job)) +
                          " < " + std::to_string(rp.special_job_min_years[r.claimed]) +
                          " required" + pending.note);
    f->strength = std::max(f->strength, Grow(0.75, 1.0 - r.fit_months[r.claimed] / double(need)));
  }
}

// Retired below the age the retirement type needs (`age_male` / `age_female`, named
// retirement.`age_field` in the policy): a finding at 0.8. Its clause is the age's unless an
// earlier finding named one (a clause set without a finding, strength 0, gives way).
void JudgeRetirementAge(const PersonRecord& reg, int age_male, int age_female,
                        std::string_view kind, std::string_view age_field,
                        EarlyRetirementFindings* f) {
  const bool male = reg.sex == Sex::kMale;
  const int age_need = male ? age_male : age_female;
  const int age = WholeYearsBetween(reg.birth_date, reg.retirement_date);
  if (age >= age_need) return;
  f->problems.push_back("retired at " + std::to_string(age) + " < " + std::string(kind) + " age " +
                        std::to_string(age_need));
  if (f->clause.empty() || f->strength == 0) {
    f->clause = "policy: retirement." + std::string(age_field) + (male ? ".male" : ".female");
  }
  f->strength = std::max(f->strength, 0.8);
}

}  // namespace

// Special-job early retirement needs the minimum years in that job type, at an employer whose
// industry has such work, and the special-job age (policy: retirement.special_job_min_years,
// retirement.special_job_age).
void FakeSpecialJob(const Context& c, std::vector<RuleHit>& out) {
  for (const PersonRecord& reg : c.h.registrations) {
    if (reg.retirement_type != RetirementType::kSpecialJob) continue;
    const int until = MonthNumber(MonthOf(reg.retirement_date));
    const SpecialJobRecord record = SpecialJobRecordOf(c, until);
    const PendingMonths pending = PendingMonthsOf(c, until, record);
    EarlyRetirementFindings found;
    JudgeSpecialJobRecord(c, record, pending, &found);
    JudgeRetirementAge(reg, c.policy.retirement.special_job_age_male,
                       c.policy.retirement.special_job_age_female, "special-job", "special_job_age",
                       &found);
    if (found.problems.empty()) continue;
    RuleHit hit = EarlyRetirementHit(c, reg, Pattern::kFakeSpecialJob, found.clause, found.strength,
                                     found.problems, "special-job", "SPECIAL_JOB");
    if (record.misfit != nullptr) {
      hit.evidence.push_back(
          {"contributions", record.misfit->paid_date,
           std::string(CodeName(record.misfit->job_type)) + " at " + record.misfit->industry});
    }
    out.push_back(std::move(hit));
  }
}

namespace {

// Distinct days of real-name travel (TRAVEL signals known by as_of) on or after `from`, per year
// of the time observed since (from `from` or the person's first signal, whichever is later; at
// least certification.window_months, so that one trip soon after is not read as a habit).
double TripsPerYearAfter(const Context& c, Date from) {
  int days = 0, last_day = INT32_MIN, first_signal = INT32_MIN;
  const int as_of_day = DayNumber(c.as_of), from_day = DayNumber(from);
  for (const SignalRecord& s : c.h.signals) {
    const int day = DayNumberOf(s.occurred_at);
    if (day > as_of_day) break;
    if (first_signal == INT32_MIN) first_signal = day;
    if (s.source != SignalSource::kTravel || day < from_day) continue;
    if (day != last_day) ++days;
    last_day = day;
  }
  if (first_signal == INT32_MIN) return 0.0;
  const int start = std::max(from_day, first_signal);
  const double years =
      std::max((as_of_day - start) / 365.25, c.policy.certification.window_months / 12.0);
  return days / years;
}

// The latest appraisal known by the date that graded a complete loss of labour capacity
// (grade 1 to retirement.disability_max_grade) before the retirement; null when none.
const AppraisalRecord* QualifyingAppraisal(const Context& c, const PersonRecord& reg) {
  const AppraisalRecord* qualifying = nullptr;
  for (const AppraisalRecord& a : c.h.appraisals) {
    if (c.Known(a) && Days(a.appraisal_date) <= Days(reg.retirement_date) && a.grade >= 1 &&
        a.grade <= c.policy.retirement.disability_max_grade) {
      qualifying = &a;  // sorted by date: the latest before retirement
    }
  }
  return qualifying;
}

// No qualifying appraisal, or one by a doctor whose appraisals are complete losses far more
// often than across doctors (with the subject travelling as the able do, at a looser level).
void JudgeAppraisal(const Context& c, const PersonRecord& reg, const AppraisalRecord* qualifying,
                    EarlyRetirementFindings* f) {
  const RulePolicy& up = c.policy.rules;
  // Before the retirement begins (a registration dated ahead, as when a past date is
  // replayed), its appraisal may still be made: a missing one is judged from the retirement on.
  const bool begun = Days(reg.retirement_date) <= Days(c.as_of);
  if (qualifying == nullptr) {
    if (!begun) return;
    f->problems.push_back("no appraisal graded 1-" +
                          std::to_string(c.policy.retirement.disability_max_grade) +
                          " before retirement");
    f->clause = "policy: retirement.disability_max_grade";
    f->strength = 0.85;
    return;
  }
  const auto it = c.facts.appraisals_per_doctor.find(qualifying->doctor_id);
  if (it == c.facts.appraisals_per_doctor.end() ||
      static_cast<int>(it->second.appraisals) < up.appraisal_doctor_min_cases) {
    return;
  }
  const double share = static_cast<double>(it->second.complete_loss) / it->second.appraisals;
  const double baseline = c.facts.population_complete_loss_share;
  const double tail = BinomialUpperTail(static_cast<int>(it->second.appraisals),
                                        static_cast<int>(it->second.complete_loss), baseline);
  // Formatted only for a reason that fires: most doctors' subjects get none.
  const auto doctor = [&] {
    return "appraised grade " + std::to_string(qualifying->grade) + " by doctor " +
           qualifying->doctor_id + ": " + std::to_string(it->second.complete_loss) + " of " +
           std::to_string(it->second.appraisals) + " appraisals complete loss (" +
           FormatFixed(share * 100, 0) + "%) vs " + FormatFixed(baseline * 100, 0) +
           "% across doctors (chance " + FormatFixed(tail, 4) + " at the population rate)";
  };
  if (share > baseline && tail < up.appraisal_doctor_alpha) {
    f->problems.push_back(doctor());
    f->clause = "policy: rules.appraisal_doctor_min_cases, appraisal_doctor_alpha";
    // Stronger the further below the level the doctor's tail lies.
    f->strength = Grow(0.7, std::log10(up.appraisal_doctor_alpha / std::max(tail, 1e-300)));
  } else if (share > baseline && tail < up.appraisal_doctor_alpha_active) {
    const double trips = TripsPerYearAfter(c, qualifying->appraisal_date);
    if (trips >= up.disability_active_trips_per_year) {
      f->problems.push_back(doctor() + ", and " + FormatFixed(trips, 1) +
                            " days a year of real-name travel since the appraisal");
      f->clause = "policy: rules.appraisal_doctor_alpha_active, disability_active_trips_per_year";
      f->strength = 0.7;
    }
  }
}

// Working after it: a wage (REGULAR contributions) for months after retiring for a complete
// loss of labour capacity says the appraisal was not true (rules.disability_work_grace_months).
void JudgeWorkAfterRetiring(const Context& c, const PersonRecord& reg,
                            const AppraisalRecord& qualifying, EarlyRetirementFindings* f) {
  const int retired = MonthNumber(MonthOf(reg.retirement_date));
  int worked = 0;
  const ContributionRecord* employer = nullptr;
  for (const ContributionRecord& k : c.h.contributions) {
    if (k.kind != ContributionKind::kRegular || !c.Known(k)) continue;
    const int from = std::max(MonthNumber(k.start_month), retired + 1);
    const int to = std::min(MonthNumber(k.end_month), MonthNumber(MonthOf(c.as_of)));
    if (to < from) continue;
    worked += to - from + 1;
    if (employer == nullptr) employer = &k;
  }
  if (worked <= c.policy.rules.disability_work_grace_months) return;
  f->problems.push_back("complete loss of labour capacity (grade " +
                        std::to_string(qualifying.grade) + ") yet " + std::to_string(worked) +
                        " months of wages since retiring, at employer " + employer->employer_id);
  if (f->clause.empty()) f->clause = "policy: rules.disability_work_grace_months";
  f->strength = std::max(f->strength, 0.8);
}

}  // namespace

// Disability retirement needs an appraisal graded 1..disability_max_grade before retirement, by
// a doctor who is not a hotspot, and the disability age (policy: retirement.disability_max_grade,
// retirement.disability_age, rules.appraisal_doctor_*).
void FakeDisability(const Context& c, std::vector<RuleHit>& out) {
  for (const PersonRecord& reg : c.h.registrations) {
    if (reg.retirement_type != RetirementType::kDisability) continue;
    const AppraisalRecord* qualifying = QualifyingAppraisal(c, reg);
    EarlyRetirementFindings found;
    JudgeAppraisal(c, reg, qualifying, &found);
    if (qualifying != nullptr) JudgeWorkAfterRetiring(c, reg, *qualifying, &found);
    JudgeRetirementAge(reg, c.policy.retirement.disability_age_male,
                       c.policy.retirement.disability_age_female, "disability", "disability_age",
                       &found);
    if (found.problems.empty()) continue;
    RuleHit hit = EarlyRetirementHit(c, reg, Pattern::kFakeDisability, found.clause, found.strength,
                                     found.problems, "disability", "DISABILITY");
    if (qualifying != nullptr) {
      hit.evidence.push_back(
          {"appraisals", qualifying->appraisal_date,
           "grade " + std::to_string(qualifying->grade) + " by " + qualifying->doctor_id});
    }
    out.push_back(std::move(hit));
  }
}

namespace {

// Parses "birth_date:1962-03-01->1960-03-01".
struct BirthChange {
  Date from, to;
};
std::optional<BirthChange> ParseBirthChange(std::string_view detail) {
  constexpr std::string_view kField = "birth_date:";
  if (detail.substr(0, kField.size()) != kField) return std::nullopt;
  detail.remove_prefix(kField.size());
  const size_t arrow = detail.find("->");
  if (arrow == std::string_view::npos) return std::nullopt;
  auto from = ParseDate(detail.substr(0, arrow));
  auto to = ParseDate(detail.substr(arrow + 2));
  if (!from.ok() || !to.ok()) return std::nullopt;
  return BirthChange{*from, *to};
}

}  // namespace

// A birth date made earlier before retirement such that the person reached retirement age only
// on paper, or a fund birth date that differs from the id's likewise (policy:
// rules.age_change_window_months, rules.age_change_shortfall_months, retirement ages). A change
// close to retirement is judged whatever its size: that is when a change pays. A change made
// earlier is judged when by the old date the person retired a year or more early: clerical
// corrections (a lunar-calendar birthday, a mistyped day or month) move a date by days or
// months, whereas a changed year of birth is no slip, and it is made early precisely to escape
// the scrutiny of the years before retirement (the birth date is the earliest one on record,
// whenever a later one was registered).
void AgeFalsified(const Context& c, std::vector<RuleHit>& out) {
  const int window = c.policy.rules.age_change_window_months;
  const int shortfall_min = c.policy.rules.age_change_shortfall_months;
  std::optional<Date> id_birth;
  if (auto id = ResidentId::ParseLenient(c.h.person_id); id.ok()) id_birth = id->birth_date();
  for (const PersonRecord& reg : c.h.registrations) {
    const int need = RequiredAge(c.policy, reg);
    // Under age on paper too: a special-job or disability retirement's age is its own rule's
    // finding (FAKE_SPECIAL_JOB, FAKE_DISABILITY). A normal or residents' retirement has no
    // other rule, so a falsification that still left the person short is judged here.
    const bool judged_elsewhere = reg.retirement_type == RetirementType::kSpecialJob ||
                                  reg.retirement_type == RetirementType::kDisability;
    if (judged_elsewhere && WholeYearsBetween(reg.birth_date, reg.retirement_date) < need) {
      continue;
    }
    const int retired = MonthNumber(MonthOf(reg.retirement_date));
    std::optional<Date> true_birth;
    std::string why, clause;
    Date when{};
    double strength = 0;
    bool explained = false;  // an official correction explains a differing id date
    for (const RegistryRecord& r : c.h.registry) {
      if (r.event != RegistryEvent::kIdChange || !c.Known(r)) continue;
      const auto change = ParseBirthChange(r.detail);
      if (!change) continue;
      const int before = MonthsBetween(MonthOf(r.event_date), MonthOf(reg.retirement_date));
      const bool close = before >= 0 && before <= window;
      // Months of pension before the old date allowed any: a pension starts the month after the
      // birthday that reaches the age.
      const int short_by = MonthNumber(MonthReaching(change->from, need)) + 1 - retired;
      const bool under_age = Days(change->to) < Days(change->from) &&
                             WholeYearsBetween(change->from, reg.retirement_date) < need;
      const bool judged = under_age && before >= 0 && (close || short_by >= shortfall_min);
      if (!judged) {
        if (!close && change->to == reg.birth_date) explained = true;
        continue;
      }
      const double s = close ? 0.9 : 0.8;
      if (s < strength) continue;  // the strongest change speaks (the latest among equals)
      strength = s;
      true_birth = change->from;
      when = r.event_date;
      clause = close ? "policy: rules.age_change_window_months"
                     : "policy: rules.age_change_shortfall_months";
      why = "birth date changed " + FormatDate(change->from) + " -> " + FormatDate(change->to) +
            " on " + FormatDate(r.event_date) + ", " + Months(before) +
            " before retirement; with the old date the person was " +
            std::to_string(WholeYearsBetween(change->from, reg.retirement_date)) + " < " +
            std::to_string(need) + " at retirement on " + FormatDate(reg.retirement_date);
      if (!close) why += ", " + Months(short_by) + " early";
    }
    // Only a fund date earlier than the id's (the person made older) is a falsification.
    if (!true_birth && !explained && id_birth && Days(reg.birth_date) < Days(*id_birth) &&
        WholeYearsBetween(*id_birth, reg.retirement_date) < need) {
      true_birth = *id_birth;
      when = reg.retirement_date;
      strength = 0.8;
      clause = "policy: retirement age (birth date inside the resident id, GB 11643-1999)";
      why = "fund birth date " + FormatDate(reg.birth_date) + " differs from the id's " +
            FormatDate(*id_birth) + "; by the id the person was " +
            std::to_string(WholeYearsBetween(*id_birth, reg.retirement_date)) + " < " +
            std::to_string(need) + " at retirement on " + FormatDate(reg.retirement_date);
    }
    if (!true_birth) continue;
    RuleHit hit;
    hit.pattern = Pattern::kAgeFalsified;
    hit.clause = clause;
    hit.strength = strength;
    hit.region = reg.region;
    const Month due = MonthReaching(*true_birth, need);
    ClaimPensionBefore(c, reg.region, due, hit);
    hit.reason = why;
    if (hit.overpaid.fen() > 0) {
      hit.reason += ": " + FormatMoneyGrouped(hit.overpaid) + " paid before " + FormatMonth(due);
    }
    hit.evidence.push_back(
        {"ID_CHANGE", when, FormatDate(*true_birth) + " -> " + FormatDate(reg.birth_date)});
    out.push_back(std::move(hit));
  }
}

// Back-payments made shortly before retirement that are what brings the contribution years to
// the minimum (policy: retirement.min_contribution_years, rules.backpay_window_months,
// rules.backpay_share_threshold). Back-paying a small gap is common and legal when it is an
// employer's arrears for an employment the fund knows (the employer reported the person's wage
// in REGULAR spells): that is context. Years paid in by an employer that never reported the
// person, or by the person alone, have no employment behind them: they are bought, whatever
// their number, and a bought eligibility is the pattern. A large share of the minimum is the
// pattern even from a known employer.
void BackpayAbuse(const Context& c, std::vector<RuleHit>& out) {
  const RulePolicy& up = c.policy.rules;
  const int need = c.policy.retirement.min_contribution_years * 12;
  std::optional<Date> retired;
  uint16_t region = 0;
  for (const PersonRecord& reg : c.h.registrations) {
    if (reg.scheme == Scheme::kResident) continue;
    if (!retired || Days(reg.retirement_date) < Days(*retired)) {
      retired = reg.retirement_date;
      region = reg.region;
    }
  }
  if (!retired) return;
  const int until = MonthNumber(MonthOf(*retired));
  const auto late_from =
      Days(*retired) - std::chrono::days(static_cast<int>(up.backpay_window_months * 30.44));
  auto is_late = [&](const ContributionRecord& k) {
    return k.kind == ContributionKind::kBackPayment && Days(k.paid_date) >= late_from;
  };
  std::vector<const ContributionRecord*> late;
  for (const ContributionRecord& k : c.h.contributions) {
    if (c.Known(k) && is_late(k)) late.push_back(&k);
  }
  // Most retirees have no late back-payment: their months need not be counted.
  if (late.empty()) return;
  std::vector<int> base, all;
  std::vector<std::string_view> employers;  // employers that reported the person's wage
  for (const ContributionRecord& k : c.h.contributions) {
    if (!c.Known(k)) continue;
    if (k.kind == ContributionKind::kRegular) employers.push_back(k.employer_id);
    AddMonths(k, until, all);
    if (!is_late(k)) AddMonths(k, until, base);
  }
  const int base_months = CountMonths(base);
  const int all_months = CountMonths(all);
  if (base_months >= need || all_months < need) return;
  const ContributionRecord* late_spell = late.front();
  const ContributionRecord* bought = nullptr;  // a late spell with no known employment behind it
  for (const ContributionRecord* k : late) {
    if (std::find(employers.begin(), employers.end(), k->employer_id) == employers.end()) {
      bought = k;
      break;
    }
  }
  const int added = all_months - base_months;
  const double share = static_cast<double>(added) / need;
  RuleHit hit;
  hit.pattern = Pattern::kBackpayAbuse;
  hit.clause = "policy: retirement.min_contribution_years, rules.backpay_share_threshold";
  if (share >= up.backpay_share_threshold) {
    hit.strength = Grow(0.75, share / std::max(0.01, up.backpay_share_threshold) - 1.0);
  } else if (bought != nullptr) {
    hit.strength = 0.75;
    hit.clause = "policy: retirement.min_contribution_years, rules.backpay_window_months";
    late_spell = bought;
  } else {
    hit.strength = 0.3;
  }
  hit.region = region;
  hit.reason = "retired " + FormatDate(*retired) + " with " + Years(all_months) + "; " +
               Years(added) + " back-paid within " + Months(up.backpay_window_months) +
               " before (first on " + FormatDate(late_spell->paid_date) + ", " +
               FormatFixed(share * 100, 0) + "% of the minimum); without them " +
               Years(base_months) + " < " + std::to_string(need / 12);
  if (bought != nullptr) {
    hit.reason += "; paid by " + bought->employer_id + ", which never reported the person's wage";
  }
  hit.evidence.push_back({"contributions", late_spell->paid_date,
                          "BACK_PAYMENT " + FormatMonth(late_spell->start_month) + ".." +
                              FormatMonth(late_spell->end_month)});
  hit.evidence.push_back({"persons", *retired, "retirement"});
  out.push_back(std::move(hit));
}

}  // namespace rules
}  // namespace vigil

#include "vigil/rules.h"

#include <algorithm>
#include <array>
#include <functional>
#include <string_view>

#include "rules_internal.h"

namespace vigil {
namespace {

struct Rule {
  RuleInfo info;
  rules::RuleFn run;
};

// One entry per pattern code. ANOMALY comes from the isolation forest, and from ACCOUNT_HIJACK
// for a pension rotating through single-use accounts (no pattern names it).
constexpr std::array<Rule, 14> kRules = {{
    {{Pattern::kDeceasedPaid, "policy: rules.deceased_grace_months",
      "benefits (not SURVIVOR) paid for periods after the death month"},
     rules::DeceasedPaid},
    {{Pattern::kConcealedDeath, "policy: certification (doubt detectors)",
      "cremation without death, or card use that looks like someone else's after a death"},
     rules::ConcealedDeath},
    {{Pattern::kPrisonPaid, "policy: pension suspended in prison (registry PRISON_IN/OUT)",
      "pension for periods after the prison entry month and before the release month"},
     rules::PrisonPaid},
    {{Pattern::kDuplicateReceipt, "policy: rules.duplicate_min_regions",
      "pension for one period paid by several regions"},
     rules::DuplicateReceipt},
    {{Pattern::kSharedAccount, "policy: rules.shared_account_max_persons",
      "more persons than one household paid into one account"},
     rules::SharedAccount},
    {{Pattern::kAccountHijack, "policy: rules.hijack_in_person_days",
      "pension diverted from the registered account, or switched without the person"},
     rules::AccountHijack},
    {{Pattern::kFakeSpecialJob, "policy: retirement.special_job_min_years, special_job_age",
      "special-job retirement without the years, the industry or the age"},
     rules::FakeSpecialJob},
    {{Pattern::kFakeDisability, "policy: retirement.disability_max_grade, disability_age",
      "disability retirement without a qualifying appraisal, by a hotspot doctor, or too young"},
     rules::FakeDisability},
    {{Pattern::kAgeFalsified, "policy: rules.age_change_window_months",
      "birth date changed or differing from the id so that retirement came early"},
     rules::AgeFalsified},
    {{Pattern::kBackpayAbuse, "policy: retirement.min_contribution_years, rules.backpay_*",
      "back-payment just before retirement is what reaches the minimum years"},
     rules::BackpayAbuse},
    {{Pattern::kUnemployedWhileEmployed, "policy: rules.unemployment_overlap_grace_months",
      "unemployment benefit for months covered by regular contributions"},
     rules::UnemployedWhileEmployed},
    {{Pattern::kForgedIdentity, "policy: GB 11643-1999 check character; one person one id",
      "bad id check character in the fund's ledgers, or a second id for one name, birth, phone"},
     rules::ForgedIdentity},
    {{Pattern::kAmountAnomaly, "policy: rules.amount_anomaly_ratio",
      "paid amount far from the approved monthly benefit"},
     rules::AmountAnomaly},
    {{Pattern::kFaceReuse, "policy: rules.face_reuse_min_persons, face_reuse_household_size",
      "one face place certified persons of more than one household"},
     rules::FaceReuse},
}};

constexpr std::array<RuleInfo, kRules.size()> MakeCatalog() {
  std::array<RuleInfo, kRules.size()> out{};
  for (size_t i = 0; i < kRules.size(); ++i) out[i] = kRules[i].info;
  return out;
}
constexpr std::array<RuleInfo, kRules.size()> kCatalog = MakeCatalog();

}  // namespace

std::span<const RuleInfo> RuleCatalog() { return kCatalog; }

std::vector<RuleHit> ApplyRules(const PersonHistory& history, const CrossPersonFacts& facts,
                                const CertificationResult& certification, const Policy& policy,
                                Date as_of) {
  const rules::Context context{history, facts, certification, policy, as_of};
  std::vector<RuleHit> hits;
  for (const Rule& rule : kRules) rule.run(context, hits);
  for (RuleHit& hit : hits) hit.strength = std::clamp(hit.strength, 0.0, 1.0);
  std::stable_sort(hits.begin(), hits.end(),
                   [](const RuleHit& a, const RuleHit& b) { return a.strength > b.strength; });
  return hits;
}

Money OverpaidOverClaims(std::span<const RuleHit* const> hits) {
  thread_local std::vector<PaymentClaim> claims;
  claims.clear();
  for (const RuleHit* h : hits) claims.insert(claims.end(), h->claims.begin(), h->claims.end());
  std::sort(claims.begin(), claims.end(), [](const PaymentClaim& a, const PaymentClaim& b) {
    return a.payment != b.payment ? a.payment < b.payment : a.fen > b.fen;
  });
  int64_t fen = 0;
  for (size_t i = 0; i < claims.size(); ++i) {
    if (i == 0 || claims[i].payment != claims[i - 1].payment) fen += claims[i].fen;
  }
  return Money::FromFen(fen);
}

namespace rules {

int RequiredAge(const Policy& policy, const PersonRecord& reg) {
  const RetirementPolicy& rp = policy.retirement;
  const bool male = reg.sex == Sex::kMale;
  switch (reg.retirement_type) {
    case RetirementType::kNormal:
      return policy.NormalRetirementAge(reg.sex, reg.category);
    case RetirementType::kSpecialJob:
      return male ? rp.special_job_age_male : rp.special_job_age_female;
    case RetirementType::kDisability:
      return male ? rp.disability_age_male : rp.disability_age_female;
    case RetirementType::kResidentAge:
      return rp.resident_age;
  }
  return policy.NormalRetirementAge(reg.sex, reg.category);
}

Month MonthReaching(Date birth, int age) {
  return Month(birth.year() + std::chrono::years(age), birth.month());
}

void ClaimPensionBefore(const Context& c, uint16_t region, Month month, RuleHit& hit) {
  for (const PaymentRecord& p : c.h.payments) {
    if (p.region == region && p.benefit == Benefit::kPension && c.Known(p) &&
        MonthNumber(p.period) < MonthNumber(month)) {
      Claim(p, p.amount, hit);
    }
  }
}

void Claim(const PaymentRecord& p, Money part, RuleHit& hit) {
  hit.claims.push_back({std::hash<std::string_view>{}(p.payment_id), part.fen()});
  hit.overpaid += part;
}

int DistinctPeriods(std::span<const PaymentRecord* const> payments) {
  thread_local std::vector<int> months;
  months.clear();
  for (const PaymentRecord* p : payments) months.push_back(MonthNumber(p->period));
  std::sort(months.begin(), months.end());
  return static_cast<int>(std::unique(months.begin(), months.end()) - months.begin());
}

std::string Months(int n) { return std::to_string(n) + (n == 1 ? " month" : " months"); }

const RegistryRecord* PrisonRelease(const PersonHistory& h, const RegistryRecord& in, Date as_of) {
  const RegistryRecord* release = nullptr;
  for (const RegistryRecord& r : h.registry) {
    if (r.event == RegistryEvent::kPrisonOut && Days(r.reported_date) <= Days(as_of) &&
        Days(r.event_date) >= Days(in.event_date) &&
        (release == nullptr || Days(r.event_date) < Days(release->event_date))) {
      release = &r;
    }
  }
  return release;
}

double Grow(double base, double excess) {
  const double e = std::max(0.0, excess);
  return base + (1.0 - base) * (e / (e + 1.0));
}

}  // namespace rules
}  // namespace vigil

// Internal: what every rule sees, and the rule functions (one per pattern code).
// Thread-safety: pure functions of a const context.
#pragma once

#include <string>
#include <vector>

#include "vigil/rules.h"

namespace vigil::rules {

struct Context {
  const PersonHistory& h;
  const CrossPersonFacts& facts;
  const CertificationResult& cert;
  const Policy& policy;
  Date as_of;

  bool Known(const PaymentRecord& p) const { return Days(p.paid_date) <= Days(as_of); }
  bool Known(const RegistryRecord& r) const { return Days(r.reported_date) <= Days(as_of); }
  bool Known(const ContributionRecord& c) const {
    return c.recorded_at < StartOfDay(as_of) + std::chrono::days(1);
  }
  bool Known(const AppraisalRecord& a) const { return Days(a.appraisal_date) <= Days(as_of); }
};

using RuleFn = void (*)(const Context&, std::vector<RuleHit>&);

void DeceasedPaid(const Context& c, std::vector<RuleHit>& out);
void ConcealedDeath(const Context& c, std::vector<RuleHit>& out);
void PrisonPaid(const Context& c, std::vector<RuleHit>& out);
void DuplicateReceipt(const Context& c, std::vector<RuleHit>& out);
void SharedAccount(const Context& c, std::vector<RuleHit>& out);
void AccountHijack(const Context& c, std::vector<RuleHit>& out);
void FakeSpecialJob(const Context& c, std::vector<RuleHit>& out);
void FakeDisability(const Context& c, std::vector<RuleHit>& out);
void AgeFalsified(const Context& c, std::vector<RuleHit>& out);
void BackpayAbuse(const Context& c, std::vector<RuleHit>& out);
void UnemployedWhileEmployed(const Context& c, std::vector<RuleHit>& out);
void ForgedIdentity(const Context& c, std::vector<RuleHit>& out);
void AmountAnomaly(const Context& c, std::vector<RuleHit>& out);
void FaceReuse(const Context& c, std::vector<RuleHit>& out);

// ---- shared helpers ----

// The age a retirement of this type needs (policy: retirement.*_age).
int RequiredAge(const Policy& policy, const PersonRecord& reg);
// First month in which someone born on `birth` has reached `age` (the birthday month).
Month MonthReaching(Date birth, int age);
// Sum of known PENSION payments of `region` for periods before `month`.
Money PensionBefore(const Context& c, uint16_t region, Month month);
// "4 months" / "1 month".
std::string Months(int n);
// Strength rising from `base` towards 1 as `excess` (>= 0) grows; excess 1 adds half the rest.
double Grow(double base, double excess);

}  // namespace vigil::rules

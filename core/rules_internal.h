// Internal: what every rule sees, and the rule functions (one per pattern code).
// Thread-safety: pure functions of a const context.
#pragma once

#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/rules.h"

namespace vigil::rules {

struct Context {
  const PersonHistory& h;
  const CrossPersonFacts& facts;
  const CertificationResult& cert;
  const Policy& policy;
  Date as_of;

  // Dates compare field by field (year, month, day): chronological for the valid dates the
  // feeds hold, without a conversion to days per call.
  bool Known(const PaymentRecord& p) const { return p.paid_date <= as_of; }
  bool Known(const RegistryRecord& r) const { return r.reported_date <= as_of; }
  bool Known(const ContributionRecord& c) const {
    return c.recorded_at < StartOfDay(as_of) + std::chrono::days(1);
  }
  bool Known(const AppraisalRecord& a) const { return a.appraisal_date <= as_of; }
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

// The release of a prison entry: the earliest PRISON_OUT on or after it reported by `as_of`;
// nullptr while the person is still inside. The pension is suspended from the month after the
// entry until the release month (both months paid).
const RegistryRecord* PrisonRelease(const PersonHistory& h, const RegistryRecord& in, Date as_of);

// Whether a signal of `source` shows the person to an agency other than the fund's payroll:
// everything but card use on the pension account (whoever collects a pension draws it) and a
// phone line in the name (it needs no body).
inline bool FootprintSource(SignalSource source) {
  return source != SignalSource::kBankActivity && source != SignalSource::kTelecom;
}

// Whether any other agency knows the person by `as_of`: a signal of a footprint source, a
// registry event or an appraisal. A forged identity lives only in the fund's ledgers.
bool KnownToOtherAgencies(const PersonHistory& h, Date as_of);

// The key a person is counted under in the population facts; ledgers with a bad id still have
// one. Hand-made histories may leave it unset: then a hash of the id text.
inline uint64_t FactsPersonKey(const PersonHistory& h) {
  return h.person_key != 0 ? h.person_key : std::hash<std::string>{}(h.person_id);
}

// Whether a face pass at `place` looks like one face certifying several identities: the largest
// sitting this person took part in there (CrossPersonFacts::FaceSittingPersons, the residents
// of one care home counted as one) holds more persons than one household and at least
// rules.face_reuse_sitting_share_min of everyone ever certified there (policy:
// rules.face_reuse_*).
struct FaceSitting {
  uint32_t persons = 1;        // in the largest sitting of this person at the place
  uint32_t place_persons = 1;  // ever certified at the place
  bool batch = false;          // the sitting holds most of the place's persons
};
FaceSitting FaceSittingAt(const CrossPersonFacts& facts, std::string_view place, uint64_t person,
                          const Policy& policy);

// The last switch of a registration's pension to its registered account from another one, and
// whether someone was at a counter or service desk with an id check, or passed a face check in
// the app, when it could have been made
// (policy: rules.hijack_in_person_days, hijack_change_lead_days). Shared by ACCOUNT_HIJACK and
// the population facts (how many switches in the data are seen at a counter).
struct AccountSwitch {
  size_t first_new = 0;  // index in the payments of the first payment into the registered account
  int switch_day = 0;    // day number of that payment
  int last_old_day = std::numeric_limits<int>::min();  // last payment into an old account before
  bool at_counter = false;                             // a visit that could have made the change
  bool visit_before_old_run = false;  // a visit in the window, but the old account paid after it
};
// The sources at which a payee account can be changed by the person: at a bank counter or a
// service desk with an id check, or in the app with a face check (the pension app asks for one
// before it changes the payee account).
inline bool SwitchVisitSource(SignalSource source) {
  return source == SignalSource::kBankCounter || source == SignalSource::kGovService ||
         source == SignalSource::kFaceCert;
}
// A signal of a SwitchVisitSource that could have made an account change: not a cash withdrawal
// or deposit at a bank counter (recorded as such in its detail), not a failed face check.
inline bool ChangeVisit(const SignalRecord& s) {
  if (s.source == SignalSource::kGovService) return true;
  if (s.source == SignalSource::kBankCounter)
    return s.detail != "WITHDRAWAL" && s.detail != "DEPOSIT";
  return s.source == SignalSource::kFaceCert && s.detail == "PASS";
}
// A registration's pension payments with an account, known by `as_of`, in paying order, written
// over `*paid` (a caller keeps its list from person to person: no allocation once warm).
void PensionPaymentsOf(const PersonHistory& h, const PersonRecord& reg, Date as_of,
                       std::vector<const PaymentRecord*>* paid);
// The switch of `paid` (PensionPaymentsOf) to the registered account; none when the newest
// payments go elsewhere (a diversion) or all went to the registered account. Reads the signals
// SwitchVisitSource names.
std::optional<AccountSwitch> FindAccountSwitch(const PersonHistory& h, const PersonRecord& reg,
                                               std::span<const PaymentRecord* const> paid,
                                               const Policy& policy, Date as_of);

// Where a pension went over the year up to `as_of` (payments paid in the kAccountChurnDays days
// ending on it): the distinct accounts, and those of them paid on one pay date only (a payroll
// run and its supplements on one day are one use). A pensioner's own account, or one taken
// over, is paid month after month; a fresh account each month is churn.
inline constexpr int kAccountChurnDays = 365;
struct AccountChurn {
  int accounts = 0;
  int single_use = 0;
};
AccountChurn PensionAccountChurn(std::span<const PaymentRecord* const> paid, Date as_of);
// Whether the churn is a rotation through single-use accounts rather than one takeover: at
// least rules.hijack_rotation_min_accounts accounts used once, and most accounts used once.
bool RotatesAccounts(const AccountChurn& churn, const Policy& policy);

// The age a retirement of this type needs (policy: retirement.*_age).
int RequiredAge(const Policy& policy, const PersonRecord& reg);
// First month in which someone born on `birth` has reached `age` (the birthday month).
Month MonthReaching(Date birth, int age);
// Sum of known PENSION payments of `region` for periods before `month`.
// Claims in `hit` every known pension payment of `region` for a period before `month` (the
// pension paid before the age that was due).
void ClaimPensionBefore(const Context& c, uint16_t region, Month month, RuleHit& hit);
// Adds `part` of payment `p` to the hit's claims and to its overpaid amount.
void Claim(const PaymentRecord& p, Money part, RuleHit& hit);
// The distinct periods of `payments` (a July supplement paid beside July's pension is one month).
int DistinctPeriods(std::span<const PaymentRecord* const> payments);
// "4 months" / "1 month".
std::string Months(int n);
// Strength rising from `base` towards 1 as `excess` (>= 0) grows; excess 1 adds half the rest.
double Grow(double base, double excess);

}  // namespace vigil::rules

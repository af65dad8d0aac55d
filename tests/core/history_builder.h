// Test helpers: hand-made person histories, readable in the tests.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

#include "vigil/history.h"
#include "vigil/resident_id.h"

namespace vigil::testing {

inline Date D(std::string_view text) { return *ParseDate(text); }
inline Month M(std::string_view text) { return *ParseMonth(text); }
inline Timestamp T(std::string_view text) { return *ParseTimestamp(text); }
inline Money Y(std::string_view text) { return *ParseMoney(text); }

// A valid resident id: address 370202, the birth date, sequence `seq` (odd = male).
inline std::string MakeId(Date birth, int seq = 101) {
  std::string first17 = "370202" + FormatDate(birth).substr(0, 4) + FormatDate(birth).substr(5, 2) +
                        FormatDate(birth).substr(8, 2);
  const std::string s = std::to_string(1000 + seq).substr(1);
  first17 += s;
  return first17 + ResidentId::ComputeCheckChar(first17);
}

inline PersonRecord Registration(uint16_t region, Date birth, Sex sex, Date retired,
                                 RetirementType type, std::string_view benefit, std::string account,
                                 PersonStatus status = PersonStatus::kActive) {
  PersonRecord r;
  r.region = region;
  r.name = "张伟";
  r.birth_date = birth;
  r.sex = sex;
  r.district = 370202;
  r.retirement_date = retired;
  r.retirement_type = type;
  r.monthly_benefit = Y(benefit);
  r.bank_account = std::move(account);
  r.phone = "13800000001";
  r.status = status;
  return r;
}

inline PaymentRecord Payment(uint16_t region, Month period, std::string_view amount,
                             std::string account, Benefit benefit = Benefit::kPension) {
  PaymentRecord p;
  p.region = region;
  p.benefit = benefit;
  p.period = period;
  p.amount = Y(amount);
  p.bank_account = std::move(account);
  p.paid_date = Date(period.year(), period.month(), std::chrono::day(15));
  p.payment_id =
      std::to_string(region) + "-" + FormatMonth(period) + "-" + std::string(CodeName(benefit));
  return p;
}

inline void PayMonthly(PersonHistory& h, uint16_t region, Month from, Month to,
                       std::string_view amount, const std::string& account,
                       Benefit benefit = Benefit::kPension) {
  for (int m = MonthNumber(from); m <= MonthNumber(to); ++m) {
    h.payments.push_back(Payment(region, MonthFromNumber(m), amount, account, benefit));
  }
}

inline SignalRecord Signal(SignalSource source, std::string_view at, std::string place = "",
                           std::string detail = "") {
  SignalRecord s;
  s.source = source;
  s.occurred_at = T(at);
  s.place = std::move(place);
  s.detail = std::move(detail);
  return s;
}

// One signal every `every_days` from `from` to `to` (inclusive) at `hour`:00.
inline void Repeat(PersonHistory& h, SignalSource source, Date from, Date to, int every_days,
                   int hour, const std::string& place, const std::string& detail = "") {
  for (Days d = Days(from); d <= Days(to); d += std::chrono::days(every_days)) {
    SignalRecord s;
    s.source = source;
    s.occurred_at = Timestamp(d.time_since_epoch()) + std::chrono::hours(hour);
    s.place = place;
    s.detail = detail;
    h.signals.push_back(std::move(s));
  }
}

inline RegistryRecord Event(RegistryEvent event, Date happened, Date reported,
                            std::string detail = "") {
  RegistryRecord r;
  r.event = event;
  r.event_date = happened;
  r.reported_date = reported;
  r.detail = std::move(detail);
  return r;
}

inline ContributionRecord Spell(std::string employer, std::string industry, JobType job,
                                Month start, Month end,
                                ContributionKind kind = ContributionKind::kRegular,
                                Date paid = Date{}) {
  ContributionRecord c;
  c.region = 3702;
  c.employer_id = std::move(employer);
  c.industry = std::move(industry);
  c.job_type = job;
  c.start_month = start;
  c.end_month = end;
  c.monthly_base = Y("4000.00");
  c.kind = kind;
  c.paid_date = paid.ok() ? paid : Date(end.year(), end.month(), std::chrono::day(20));
  c.recorded_at = StartOfDay(c.paid_date);
  return c;
}

inline AppraisalRecord Appraisal(Date when, std::string doctor, int grade) {
  AppraisalRecord a;
  a.appraisal_date = when;
  a.hospital_id = "H01";
  a.doctor_id = std::move(doctor);
  a.grade = static_cast<uint8_t>(grade);
  a.conclusion = grade <= 4 ? Conclusion::kCompleteLoss : Conclusion::kPartialLoss;
  return a;
}

// Sorts every list by its time, as the pipeline delivers them, and fills the person id.
inline void Finish(PersonHistory& h) {
  if (h.person_id.empty()) {
    h.person_id = MakeId(h.registrations.empty() ? D("1955-05-10") : h.registrations[0].birth_date);
  }
  for (auto& r : h.registrations) r.person_id = h.person_id;
  std::stable_sort(h.contributions.begin(), h.contributions.end(),
                   [](const auto& a, const auto& b) {
                     return MonthNumber(a.start_month) < MonthNumber(b.start_month);
                   });
  std::stable_sort(h.payments.begin(), h.payments.end(), [](const auto& a, const auto& b) {
    return MonthNumber(a.period) != MonthNumber(b.period)
               ? MonthNumber(a.period) < MonthNumber(b.period)
               : Days(a.paid_date) < Days(b.paid_date);
  });
  std::stable_sort(h.signals.begin(), h.signals.end(),
                   [](const auto& a, const auto& b) { return a.occurred_at < b.occurred_at; });
  std::stable_sort(h.registry.begin(), h.registry.end(), [](const auto& a, const auto& b) {
    return Days(a.event_date) < Days(b.event_date);
  });
  std::stable_sort(h.appraisals.begin(), h.appraisals.end(), [](const auto& a, const auto& b) {
    return Days(a.appraisal_date) < Days(b.appraisal_date);
  });
}

// A living pensioner with ordinary habits up to `until`: yearly face certification, a pharmacy
// every month, the bus and the phone, pension into the registered account.
inline PersonHistory Pensioner(Date until = D("2026-10-31")) {
  PersonHistory h;
  h.person_key = 42;
  h.registrations.push_back(Registration(3702, D("1955-05-10"), Sex::kMale, D("2015-06-01"),
                                         RetirementType::kNormal, "3421.00", "6222000011112222"));
  PayMonthly(h, 3702, M("2024-11"), MonthOf(until), "3421.00", "6222000011112222");
  h.signals.push_back(Signal(SignalSource::kFaceCert, "2025-06-12T10:00:00", "dev-A", "PASS"));
  h.signals.push_back(Signal(SignalSource::kFaceCert, "2026-06-10T10:00:00", "dev-A", "PASS"));
  Repeat(h, SignalSource::kTelecom, D("2024-11-01"), until, 3, 9, "cell-7");
  Repeat(h, SignalSource::kBankActivity, D("2024-11-02"), until, 14, 10, "atm-3");
  Repeat(h, SignalSource::kMedicalSettlement, D("2024-11-05"), until, 30, 9, "pharm-1");
  Repeat(h, SignalSource::kTransit, D("2024-11-03"), until, 5, 8, "bus-12");
  return h;
}

// Pensioner() also seen at a bank counter at `visit` (not at all when empty), finished.
inline PersonHistory PensionerSeenAtCounter(std::string_view visit) {
  PersonHistory h = Pensioner();
  if (!visit.empty()) h.signals.push_back(Signal(SignalSource::kBankCounter, visit, "branch-2"));
  Finish(h);
  return h;
}

// Hand-made face facts: `place_persons` certified at `place` in all, `sitting_persons` of them
// (with h's person) in one sitting.
inline void FacePlaceFacts(CrossPersonFacts& facts, const PersonHistory& h, std::string_view place,
                           uint32_t place_persons, uint32_t sitting_persons) {
  facts.persons_per_face_place[place] = place_persons;
  facts.persons_per_face_sitting.SetHashed(
      CrossPersonFacts::FaceSittingKey(FactCounts::Hash(place), h.person_key), sitting_persons);
}

// Removes every signal after `date` (a death, or the end of someone's activity).
inline void StopSignalsAfter(PersonHistory& h, Date date) {
  std::erase_if(h.signals, [&](const SignalRecord& s) { return DateOf(s.occurred_at) > date; });
}

}  // namespace vigil::testing

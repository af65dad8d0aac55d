#include "vigil/certification.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "../../core/case_output.h"
#include "../../core/person_features.h"
#include "history_builder.h"
#include "vigil/rules.h"

namespace vigil {
namespace {

using namespace vigil::testing;  // NOLINT(google-build-using-namespace)

const Date kAsOf = D("2026-10-31");

// A pensioner whose phone is active every few days (PhoneOnly) and whose pension account is used
// every two weeks over the whole history (PhoneAndBank): signals that run on in anyone's hands.
PersonHistory PhoneOnly() {
  PersonHistory h;
  h.registrations.push_back(Registration(3702, D("1950-01-01"), Sex::kMale, D("2010-01-01"),
                                         RetirementType::kNormal, "2100.00", "6222000099990000"));
  Repeat(h, SignalSource::kTelecom, D("2024-11-01"), kAsOf, 3, 9, "cell-7");
  return h;
}
PersonHistory PhoneAndBank() {
  PersonHistory h = PhoneOnly();
  Repeat(h, SignalSource::kBankActivity, D("2024-11-02"), kAsOf, 14, 10, "atm-3");
  return h;
}

TEST(CertificationTest, OrdinaryPensionerIsCertifiedOnRecentFaceAndDailyLife) {
  PersonHistory h = Pensioner();
  Finish(h);
  const CertificationResult r = Certify(h, Policy::Defaults(), kAsOf);
  EXPECT_EQ(r.outcome, Certification::kCertified) << r.reason;
  EXPECT_FALSE(r.doubts.any());
  EXPECT_GE(r.score, 1.0);
  ASSERT_FALSE(r.evidence.empty());
  EXPECT_EQ(r.evidence[0].source, "FACE_CERT");
  EXPECT_EQ(r.evidence[0].date, D("2026-06-10"));
  EXPECT_EQ(r.reason.substr(0, 9), "evidence ");
  ASSERT_TRUE(r.last_in_person.has_value());
  EXPECT_EQ(*r.last_in_person, D("2026-06-10"));
}

TEST(CertificationTest, RegisteredDeathSuspendsWithTheRecord) {
  PersonHistory h = Pensioner();
  StopSignalsAfter(h, D("2026-03-01"));
  h.registry.push_back(Event(RegistryEvent::kDeath, D("2026-03-02"), D("2026-04-10")));
  Finish(h);
  const CertificationResult r = Certify(h, Policy::Defaults(), kAsOf);
  EXPECT_EQ(r.outcome, Certification::kSuspend);
  ASSERT_TRUE(r.death_date.has_value());
  EXPECT_EQ(*r.death_date, D("2026-03-02"));
  EXPECT_EQ(r.reason, "death registered: died 2026-03-02 (reported 2026-04-10)");
  ASSERT_FALSE(r.evidence.empty());
  EXPECT_EQ(r.evidence[0].source, "DEATH");
  EXPECT_EQ(r.evidence[0].note, "reported 2026-04-10");
}

TEST(CertificationTest, DeathReportedAfterAsOfIsNotKnownYet) {
  PersonHistory h = Pensioner();
  h.registry.push_back(Event(RegistryEvent::kDeath, D("2026-10-20"), D("2026-11-15")));
  Finish(h);
  EXPECT_EQ(Certify(h, Policy::Defaults(), kAsOf).outcome, Certification::kCertified);
  EXPECT_EQ(Certify(h, Policy::Defaults(), D("2026-11-15")).outcome, Certification::kSuspend);
}

TEST(CertificationTest, HospitalDischargeDiedSuspends) {
  PersonHistory h = Pensioner();
  StopSignalsAfter(h, D("2026-08-01"));
  h.signals.push_back(
      Signal(SignalSource::kHospitalDischarge, "2026-08-03T14:00:00", "H01", "DIED"));
  Finish(h);
  const CertificationResult r = Certify(h, Policy::Defaults(), kAsOf);
  EXPECT_EQ(r.outcome, Certification::kSuspend);
  EXPECT_EQ(*r.death_date, D("2026-08-03"));
  EXPECT_EQ(r.reason, "died in hospital on 2026-08-03 (discharge record)");
}

TEST(CertificationTest, CremationWithoutDeathSuspendsAsConcealedDeath) {
  PersonHistory h = Pensioner();
  h.registry.push_back(Event(RegistryEvent::kCremation, D("2026-05-04"), D("2026-05-20")));
  Finish(h);
  const CertificationResult r = Certify(h, Policy::Defaults(), kAsOf);
  EXPECT_EQ(r.outcome, Certification::kSuspend);
  EXPECT_TRUE(r.doubts.cremation_without_death);
  EXPECT_EQ(r.reason,
            "cremated on 2026-05-04 (reported 2026-05-20) with no death registration: concealed "
            "death");
}

TEST(CertificationTest, PrisonWithoutReleaseSuspendsAndReleaseLifts) {
  PersonHistory h = Pensioner();
  h.registry.push_back(Event(RegistryEvent::kPrisonIn, D("2025-12-10"), D("2025-12-20")));
  Finish(h);
  CertificationResult r = Certify(h, Policy::Defaults(), kAsOf);
  EXPECT_EQ(r.outcome, Certification::kSuspend);
  EXPECT_EQ(r.reason, "in prison since 2025-12-10 (no release recorded): payment suspended");
  h.registry.push_back(Event(RegistryEvent::kPrisonOut, D("2026-05-20"), D("2026-05-25")));
  Finish(h);
  r = Certify(h, Policy::Defaults(), kAsOf);
  EXPECT_EQ(r.outcome, Certification::kCertified) << r.reason;
}

TEST(CertificationTest, MissingSuspendsUntilSeenInPersonAgain) {
  PersonHistory h = Pensioner();
  h.registry.push_back(Event(RegistryEvent::kMissing, D("2026-07-01"), D("2026-07-05")));
  Finish(h);
  EXPECT_EQ(Certify(h, Policy::Defaults(), kAsOf).outcome, Certification::kSuspend);
  h.signals.push_back(Signal(SignalSource::kFieldVisit, "2026-09-15T11:00:00", "community-3"));
  Finish(h);
  EXPECT_EQ(Certify(h, Policy::Defaults(), kAsOf).outcome, Certification::kCertified);
}

// A relative keeps the phone alive and withdraws money after the death: only card activity,
// at other hours and other places. The decayed face certification alone would still certify.
TEST(CertificationTest, ConcealedDeathWithCardActivityContinuingIsNotCertified) {
  PersonHistory h = Pensioner();
  StopSignalsAfter(h, D("2026-07-15"));
  Repeat(h, SignalSource::kBankActivity, D("2026-07-20"), kAsOf, 7, 20, "atm-99");
  Repeat(h, SignalSource::kTelecom, D("2026-07-16"), kAsOf, 3, 21, "cell-55");
  Finish(h);
  const CertificationResult r = Certify(h, Policy::Defaults(), kAsOf);
  EXPECT_EQ(r.outcome, Certification::kNeedsActive) << r.reason;
  EXPECT_TRUE(r.doubts.habit_change);
  EXPECT_TRUE(r.doubts.concealment());
  EXPECT_GE(r.features.hour_shift_hours, 10.0);
  EXPECT_DOUBLE_EQ(r.features.place_overlap, 0.0);
  EXPECT_NE(r.reason.find("card use moved by"), std::string::npos) << r.reason;
}

TEST(CertificationTest, MovingHouseWithTheSameHoursIsNotAHabitChange) {
  PersonHistory h = Pensioner();
  StopSignalsAfter(h, D("2026-07-15"));
  h.signals.push_back(Signal(SignalSource::kFaceCert, "2026-09-01T10:00:00", "dev-A", "PASS"));
  Repeat(h, SignalSource::kBankActivity, D("2026-07-20"), kAsOf, 14, 10, "atm-new");
  Repeat(h, SignalSource::kTelecom, D("2026-07-16"), kAsOf, 3, 9, "cell-new");
  Repeat(h, SignalSource::kMedicalSettlement, D("2026-07-20"), kAsOf, 30, 9, "pharm-new");
  Finish(h);
  const CertificationResult r = Certify(h, Policy::Defaults(), kAsOf);
  EXPECT_EQ(r.outcome, Certification::kCertified) << r.reason;
  EXPECT_FALSE(r.doubts.habit_change);
}

TEST(CertificationTest, MedicalUseBreakingOffAfterAHospitalStayIsDoubtful) {
  PersonHistory h = Pensioner();
  StopSignalsAfter(h, D("2026-05-01"));
  h.signals.push_back(Signal(SignalSource::kHospitalAdmission, "2026-05-02T15:00:00", "H01", ""));
  // The phone and the pension card go on as before: same hours, same places.
  Repeat(h, SignalSource::kTelecom, D("2026-05-04"), kAsOf, 3, 9, "cell-7");
  Repeat(h, SignalSource::kBankActivity, D("2026-05-06"), kAsOf, 14, 10, "atm-3");
  Finish(h);
  const CertificationResult r = Certify(h, Policy::Defaults(), kAsOf);
  EXPECT_EQ(r.outcome, Certification::kNeedsActive) << r.reason;
  // Pharmacy and bus card stopped together at the stay; the least probable stop is named.
  EXPECT_TRUE(r.doubts.life_stopped || r.doubts.medical_break) << r.reason;
  EXPECT_TRUE(r.doubts.concealment());
  EXPECT_FALSE(r.doubts.habit_change);
  EXPECT_LT(r.doubts.stop_probability, Policy::Defaults().certification.stop_alpha);
}

TEST(CertificationTest, ShortStayFollowedByPharmacyVisitsIsNoBreak) {
  PersonHistory h = Pensioner();
  h.signals.push_back(Signal(SignalSource::kHospitalAdmission, "2026-05-02T15:00:00", "H01"));
  h.signals.push_back(
      Signal(SignalSource::kHospitalDischarge, "2026-05-09T10:00:00", "H01", "CURED"));
  Finish(h);
  const CertificationResult r = Certify(h, Policy::Defaults(), kAsOf);
  EXPECT_EQ(r.outcome, Certification::kCertified) << r.reason;
  EXPECT_FALSE(r.doubts.medical_break);
}

TEST(CertificationTest, CardOnlyTailFarBeyondThePersonsRhythmIsDoubtful) {
  PersonHistory h = Pensioner();
  // A person seen at the pharmacy and in hospital every month stops, cards go on for 7 months.
  std::erase_if(h.signals, [](const SignalRecord& s) {
    return s.source == SignalSource::kFaceCert || s.source == SignalSource::kMedicalSettlement;
  });
  Repeat(h, SignalSource::kCareHome, D("2024-11-01"), D("2026-03-31"), 20, 14, "care-1");
  h.signals.push_back(Signal(SignalSource::kFaceCert, "2026-03-20T10:00:00", "dev-A", "PASS"));
  Finish(h);
  const CertificationResult r = Certify(h, Policy::Defaults(), kAsOf);
  EXPECT_TRUE(r.doubts.card_only_tail) << r.reason;
  EXPECT_EQ(r.outcome, Certification::kNeedsActive);
  EXPECT_NEAR(r.features.card_tail_months, 7.4, 0.1);  // since 2026-03-20
}

TEST(CertificationTest, ThinSignalPersonIsAskedNotAccused) {
  PersonHistory h;
  h.registrations.push_back(Registration(3702, D("1950-01-01"), Sex::kFemale, D("2000-01-01"),
                                         RetirementType::kNormal, "2100.00", "6222000099990000"));
  PayMonthly(h, 3702, M("2024-11"), M("2026-10"), "2100.00", "6222000099990000");
  h.signals.push_back(Signal(SignalSource::kTelecom, "2026-02-11T19:00:00", "cell-1"));
  h.signals.push_back(Signal(SignalSource::kTelecom, "2026-08-30T08:00:00", "cell-1"));
  Finish(h);
  const CertificationResult r = Certify(h, Policy::Defaults(), kAsOf);
  EXPECT_EQ(r.outcome, Certification::kNeedsActive);
  EXPECT_FALSE(r.doubts.any());
  EXPECT_NE(r.reason.find("card activity alone does not certify"), std::string::npos) << r.reason;
}

// The phone and the pension account run on without the person (or in a relative's hands):
// however many, they never prove life.
TEST(CertificationTest, PhoneAndBankAloneNeverProveLife) {
  PersonHistory h;
  h.registrations.push_back(Registration(3702, D("1950-01-01"), Sex::kMale, D("2010-01-01"),
                                         RetirementType::kNormal, "2100.00", "6222000099990000"));
  Repeat(h, SignalSource::kBankActivity, D("2024-11-01"), kAsOf, 1, 10, "atm-1");
  Repeat(h, SignalSource::kTelecom, D("2024-11-01"), kAsOf, 1, 11, "cell-1");
  Finish(h);
  const CertificationResult r = Certify(h, Policy::Defaults(), kAsOf);
  EXPECT_EQ(r.outcome, Certification::kNeedsActive);
  EXPECT_FALSE(r.doubts.any());
  EXPECT_NEAR(r.score, 0.2, 0.01);  // best of each source only: 0.1 + 0.1
}

// A life lived on the cards over the whole window (bus every few days, a pharmacy every month)
// is the big-data proof of life: certified without an in-person sign.
TEST(CertificationTest, CardLifeOverTheWholeWindowCertifiesWithoutInPersonSign) {
  PersonHistory h = Pensioner();
  std::erase_if(h.signals,
                [](const SignalRecord& s) { return s.source == SignalSource::kFaceCert; });
  Finish(h);
  const CertificationResult r = Certify(h, Policy::Defaults(), kAsOf);
  EXPECT_EQ(r.outcome, Certification::kCertified) << r.reason;
  EXPECT_FALSE(r.last_in_person.has_value());
  EXPECT_LT(r.score, 1.0);
  EXPECT_NE(r.reason.find("life signs"), std::string::npos) << r.reason;
}

// Look-alike: the same signals, but life signs only in the latest quarter of the window (the
// year before was phone and bank only) are not yet a life consistent over the window.
TEST(CertificationTest, CardLifeOnlyInTheLatestQuarterIsAsked) {
  PersonHistory h = PhoneAndBank();
  Repeat(h, SignalSource::kMedicalSettlement, D("2026-08-15"), kAsOf, 20, 9, "pharm-1");
  Finish(h);
  const CertificationResult r = Certify(h, Policy::Defaults(), kAsOf);
  EXPECT_EQ(r.outcome, Certification::kNeedsActive) << r.reason;
  EXPECT_FALSE(r.doubts.any());
}

// Boundary of card life (life_min_periods, default 2 of the window's 4 quarters): pharmacy
// visits in two quarters including the latest certify; in two quarters without the latest, or
// with a policy asking for three, they are asked.
TEST(CertificationTest, CardLifeInHalfTheWindowIncludingTheLatestCertifies) {
  PersonHistory h = PhoneAndBank();
  h.signals.push_back(Signal(SignalSource::kMedicalSettlement, "2026-03-10T10:00:00", "pharm-1"));
  h.signals.push_back(Signal(SignalSource::kMedicalSettlement, "2026-09-20T10:00:00", "pharm-1"));
  Finish(h);
  CertificationResult r = Certify(h, Policy::Defaults(), kAsOf);
  EXPECT_EQ(r.outcome, Certification::kCertified) << r.reason;
  EXPECT_NE(r.reason.find("in 2 of the window's 4 periods"), std::string::npos) << r.reason;

  Policy strict = Policy::Defaults();
  strict.certification.life_min_periods = 3;
  EXPECT_EQ(Certify(h, strict, kAsOf).outcome, Certification::kNeedsActive);

  PersonHistory old = PhoneAndBank();
  old.signals.push_back(Signal(SignalSource::kMedicalSettlement, "2026-03-10T10:00:00", "pharm-1"));
  old.signals.push_back(Signal(SignalSource::kMedicalSettlement, "2026-06-20T10:00:00", "pharm-1"));
  Finish(old);
  r = Certify(old, Policy::Defaults(), kAsOf);
  EXPECT_EQ(r.outcome, Certification::kNeedsActive) << r.reason;
  EXPECT_FALSE(r.doubts.any());
}

// A pharmacy every four months or so: the latest quarter can fall between two visits. A pause
// since the last life sign no longer than the person's own longest earlier pause (and within
// the half-life of card evidence) is their rhythm, and certifies; a longer pause is asked.
TEST(CertificationTest, PauseWithinThePersonsOwnRhythmKeepsCardLife) {
  PersonHistory h = PhoneAndBank();
  for (const char* at : {"2025-11-10T10:00:00", "2026-03-15T10:00:00", "2026-07-01T10:00:00"}) {
    h.signals.push_back(Signal(SignalSource::kMedicalSettlement, at, "pharm-1"));
  }
  Finish(h);
  // Pauses of 125 and 108 days before; 122 days since 2026-07-01.
  CertificationResult r = Certify(h, Policy::Defaults(), kAsOf);
  EXPECT_EQ(r.outcome, Certification::kCertified) << r.reason;
  EXPECT_FALSE(r.doubts.any());
  EXPECT_NE(r.reason.find("up to 2026-07-01, a pause of 122 days within the 125"),
            std::string::npos)
      << r.reason;
  // Boundary: a pause of exactly 125 days certifies, 126 is asked.
  EXPECT_EQ(Certify(h, Policy::Defaults(), D("2026-11-03")).outcome, Certification::kCertified);
  EXPECT_EQ(Certify(h, Policy::Defaults(), D("2026-11-04")).outcome, Certification::kNeedsActive);

  // The same pause with nothing else in use since July (no phone, no account): everything
  // stopped, as after an honest death not registered yet, not a pause in a life that goes on.
  PersonHistory quiet;
  quiet.registrations = h.registrations;
  for (const char* at : {"2025-11-10T10:00:00", "2026-03-15T10:00:00", "2026-07-01T10:00:00"}) {
    quiet.signals.push_back(Signal(SignalSource::kMedicalSettlement, at, "pharm-1"));
  }
  Finish(quiet);
  r = Certify(quiet, Policy::Defaults(), kAsOf);
  EXPECT_EQ(r.outcome, Certification::kNeedsActive) << r.reason;
  EXPECT_FALSE(r.doubts.any());

  // Monthly visits up to June, none for 145 days since: longer than any pause before.
  PersonHistory stopped = PhoneAndBank();
  Repeat(stopped, SignalSource::kMedicalSettlement, D("2025-11-10"), D("2026-06-10"), 30, 9,
         "pharm-1");
  Finish(stopped);
  r = Certify(stopped, Policy::Defaults(), kAsOf);
  EXPECT_EQ(r.outcome, Certification::kNeedsActive) << r.reason;

  // A pause within the person's rhythm (228 days before) but older than the half-life of card
  // evidence (certification.half_life_days, 180) is asked; with a longer half-life it certifies.
  PersonHistory sparse = PhoneAndBank();
  for (const char* at : {"2025-04-01T10:00:00", "2025-11-15T10:00:00", "2026-04-20T10:00:00"}) {
    sparse.signals.push_back(Signal(SignalSource::kMedicalSettlement, at, "pharm-1"));
  }
  Finish(sparse);
  EXPECT_EQ(Certify(sparse, Policy::Defaults(), kAsOf).outcome, Certification::kNeedsActive);
  Policy slow = Policy::Defaults();
  slow.certification.half_life_days = 200;
  EXPECT_EQ(Certify(sparse, slow, kAsOf).outcome, Certification::kCertified);
}

// A bus card used every few days for 16 months stops; phone and bank go on for 8 months:
// improbable for this person's own rhythm.
TEST(CertificationTest, StoppedBusCardWhilePhoneAndBankGoOnIsDoubtful) {
  PersonHistory h = PhoneAndBank();
  Repeat(h, SignalSource::kTransit, D("2024-11-03"), D("2026-02-20"), 4, 8, "bus-12");
  Finish(h);
  const CertificationResult r = Certify(h, Policy::Defaults(), kAsOf);
  EXPECT_EQ(r.outcome, Certification::kNeedsActive) << r.reason;
  EXPECT_TRUE(r.doubts.life_stopped);
  EXPECT_EQ(r.doubts.stopped_stream, "bus-card use");
  EXPECT_LT(r.doubts.stop_probability, 1e-4);
  EXPECT_NE(r.reason.find("bus-card use stopped"), std::string::npos) << r.reason;
}

// A life seen in two pharmacy visits early in the history, then more than a year and a half of
// nothing but the phone and the pension account: too few active months for the stream test (2
// of 24 months, p = 0.01), caught by the length of the quiet (certification.quiet_life_months).
PersonHistory QuietAfterPharmacy(std::string_view last_visit) {
  PersonHistory h = PhoneAndBank();
  h.signals.push_back(Signal(SignalSource::kMedicalSettlement, "2024-11-10T09:00:00", "pharm-1"));
  h.signals.push_back(
      Signal(SignalSource::kMedicalSettlement, std::string(last_visit) + "T09:00:00", "pharm-1"));
  Finish(h);
  return h;
}

TEST(CertificationTest, LifeQuietForTwentyMonthsWhileTheAccountGoesOnIsDoubtful) {
  const CertificationResult r =
      Certify(QuietAfterPharmacy("2025-01-20"), Policy::Defaults(), kAsOf);
  EXPECT_EQ(r.outcome, Certification::kNeedsActive) << r.reason;
  EXPECT_TRUE(r.doubts.life_gone);
  EXPECT_TRUE(r.doubts.concealment());
  EXPECT_TRUE(r.doubts.stopped_stream.empty());  // the stream test has no power here
  EXPECT_EQ(r.doubts.quiet_days, 649);
  EXPECT_NE(r.reason.find("no life sign for 21.3 months"), std::string::npos) << r.reason;
  bool quiet_evidence = false;
  for (const Evidence& e : r.evidence) quiet_evidence |= e.source == "QUIET";
  EXPECT_TRUE(quiet_evidence);
}

// A quiet is reported as a concealed death only against the person's own rhythm of life signs
// (certification.quiet_rhythm_factor, 3), seen in at least quiet_rhythm_min_days (6) life-sign
// days: someone seen once, or on two days, is asked to certify, not reported.
TEST(CertificationTest, QuietIsReportedOnlyAgainstThePersonsOwnRhythm) {
  auto reported = [](const PersonHistory& h, const Policy& policy) {
    const CertificationResult cert = Certify(h, policy, kAsOf);
    for (const RuleHit& hit : ApplyRules(h, CrossPersonFacts{}, cert, policy, kAsOf)) {
      if (hit.pattern == Pattern::kConcealedDeath &&
          hit.strength >= policy.rules.pattern_min_strength) {
        return true;
      }
    }
    return false;
  };
  Policy policy = Policy::Defaults();
  // Seen on two days 71 days apart, then 649 days of nothing: nine times the person's longest
  // gap, but two days show no rhythm (nearly silent honest pensioners look like this).
  const PersonHistory twice = QuietAfterPharmacy("2025-01-20");
  const CertificationResult two_days = Certify(twice, policy, kAsOf);
  EXPECT_EQ(two_days.doubts.longest_life_gap_days, 71);
  EXPECT_EQ(two_days.doubts.life_sign_days, 2);
  EXPECT_EQ(two_days.outcome, Certification::kNeedsActive);
  EXPECT_FALSE(reported(twice, policy));
  policy.certification.quiet_rhythm_min_days = 3;  // boundary
  EXPECT_FALSE(reported(twice, policy));
  policy.certification.quiet_rhythm_min_days = 2;  // two days make a rhythm here
  EXPECT_TRUE(reported(twice, policy));
  PersonHistory once = PhoneAndBank();
  once.signals.push_back(
      Signal(SignalSource::kMedicalSettlement, "2025-01-20T09:00:00", "pharm-1"));
  Finish(once);
  const CertificationResult r = Certify(once, policy, kAsOf);
  EXPECT_TRUE(r.doubts.life_gone);
  EXPECT_EQ(r.outcome, Certification::kNeedsActive);
  EXPECT_FALSE(reported(once, policy));
  // Boundary: 649 / 71 = 9.14.
  policy.certification.quiet_rhythm_factor = 9.1;
  EXPECT_TRUE(reported(twice, policy));
  policy.certification.quiet_rhythm_factor = 9.2;
  EXPECT_FALSE(reported(twice, policy));
}

TEST(CertificationTest, QuietBoundaryIsTheQuietLifeMonths) {
  // 19.5 months since the last visit: asked (no in-person sign), not doubted.
  const CertificationResult shorter =
      Certify(QuietAfterPharmacy("2025-03-15"), Policy::Defaults(), kAsOf);
  EXPECT_EQ(shorter.outcome, Certification::kNeedsActive);
  EXPECT_FALSE(shorter.doubts.any()) << shorter.reason;
  // The same history under a policy of 19 months is doubtful: the threshold is read from policy.
  Policy p = Policy::Defaults();
  p.certification.quiet_life_months = 19;
  EXPECT_TRUE(Certify(QuietAfterPharmacy("2025-03-15"), p, kAsOf).doubts.life_gone);
}

TEST(CertificationTest, QuietLifeNeedsALifeThatStoppedAndCardsGoingOn) {
  // Never a life sign in the history: thin, asked, not accused (section 5).
  PersonHistory thin = PhoneAndBank();
  Finish(thin);
  EXPECT_FALSE(Certify(thin, Policy::Defaults(), kAsOf).doubts.any());
  // Everything fell quiet, the phone and the account too: nobody uses the cards.
  PersonHistory all_quiet;
  all_quiet.registrations = thin.registrations;
  Repeat(all_quiet, SignalSource::kTelecom, D("2024-11-01"), D("2026-03-01"), 3, 9, "cell-7");
  all_quiet.signals.push_back(
      Signal(SignalSource::kMedicalSettlement, "2025-01-20T09:00:00", "pharm-1"));
  Finish(all_quiet);
  EXPECT_FALSE(Certify(all_quiet, Policy::Defaults(), kAsOf).doubts.life_gone);
  // A prison entry explains the quiet.
  PersonHistory prisoner = QuietAfterPharmacy("2025-01-20");
  prisoner.registry.push_back(Event(RegistryEvent::kPrisonIn, D("2025-04-01"), D("2025-04-20")));
  const CertificationResult r = Certify(prisoner, Policy::Defaults(), kAsOf);
  EXPECT_EQ(r.outcome, Certification::kSuspend);
  EXPECT_FALSE(r.doubts.life_gone);
}

// A pensioner who drew the pension at the counter every six weeks and used the card twice a
// year; the visits stop at the end of April 2026. `card_every_days` is the card use on the
// pension account from May on: a relative holding the card uses it every month.
PersonHistory CounterThenCard(int card_every_days) {
  PersonHistory h = PhoneOnly();
  Repeat(h, SignalSource::kBankCounter, D("2024-11-05"), D("2026-04-30"), 45, 10, "branch-2");
  Repeat(h, SignalSource::kBankActivity, D("2024-11-20"), D("2026-04-30"), 180, 10, "atm-3");
  Repeat(h, SignalSource::kBankActivity, D("2026-05-15"), kAsOf, card_every_days, 10, "atm-3");
  Finish(h);
  return h;
}

TEST(CertificationTest, CardTakingOverFromTheCounterIsDoubtful) {
  const CertificationResult r = Certify(CounterThenCard(30), Policy::Defaults(), kAsOf);
  EXPECT_EQ(r.outcome, Certification::kNeedsActive) << r.reason;
  EXPECT_TRUE(r.doubts.card_only_tail);
  EXPECT_TRUE(r.doubts.card_takeover);
  EXPECT_TRUE(r.doubts.concealment());
  EXPECT_LT(r.doubts.stop_probability, Policy::Defaults().certification.takeover_alpha);
  EXPECT_NE(r.reason.find("in-person signs (the pension card took over: pension-account card "
                          "use in 6 of 6 months since"),
            std::string::npos)
      << r.reason;
}

TEST(CertificationTest, CounterStopWithoutMoreCardUseIsNoDoubt) {
  // The same stop of the counter visits, with card use at the person's old rate: the stop alone
  // (p = 0.003, above stop_alpha) is not evidence of anything.
  const CertificationResult r = Certify(CounterThenCard(180), Policy::Defaults(), kAsOf);
  EXPECT_FALSE(r.doubts.any()) << r.reason;
  EXPECT_EQ(r.outcome, Certification::kCertified) << r.reason;  // the counter within the window
}

TEST(CertificationTest, CardRiseAfterAYearlyFaceCertificationIsNoDoubt) {
  // One face certification a year is not a rhythm whose stop means anything, however much the
  // card is used since: the stop must be notable by itself (takeover_fact_alpha).
  PersonHistory h = PhoneOnly();
  h.signals.push_back(Signal(SignalSource::kFaceCert, "2024-11-15T10:00:00", "app", "PASS"));
  h.signals.push_back(Signal(SignalSource::kFaceCert, "2025-11-20T10:00:00", "app", "PASS"));
  Repeat(h, SignalSource::kBankActivity, D("2024-11-20"), D("2025-11-20"), 180, 10, "atm-3");
  Repeat(h, SignalSource::kBankActivity, D("2025-12-01"), kAsOf, 10, 10, "atm-3");
  Finish(h);
  EXPECT_FALSE(Certify(h, Policy::Defaults(), kAsOf).doubts.any());
}

TEST(CertificationTest, CardTakeoverLevelsComeFromPolicy) {
  Policy strict = Policy::Defaults();
  strict.certification.takeover_alpha = 1e-9;
  EXPECT_FALSE(Certify(CounterThenCard(30), strict, kAsOf).doubts.any());
  Policy fact = Policy::Defaults();
  fact.certification.takeover_fact_alpha = 0.002;  // the counter stop alone is p = 0.003
  EXPECT_FALSE(Certify(CounterThenCard(30), fact, kAsOf).doubts.any());
  // A real-name trip after the last counter visit: the person was seen alive in July, and a
  // stop measured from there (3 months) says nothing (p = 0.08).
  PersonHistory seen = CounterThenCard(30);
  seen.signals.push_back(Signal(SignalSource::kTravel, "2026-07-03T10:00:00", "station-1"));
  Finish(seen);
  EXPECT_FALSE(Certify(seen, Policy::Defaults(), kAsOf).doubts.any());
}

// Monthly counter visits until February 2026, a hospital stay in March (discharged alive), and
// from April the pension card every month where it was used twice a year: the household that
// goes on after a death at home following the stay. The discharge does not explain the stop;
// the stop is counted from it. With the card at its old rate, nothing is doubted.
PersonHistory CounterHospitalThenCard(int card_every_days) {
  PersonHistory h = PhoneOnly();
  Repeat(h, SignalSource::kBankCounter, D("2024-11-05"), D("2026-02-28"), 30, 10, "branch-2");
  h.signals.push_back(Signal(SignalSource::kHospitalAdmission, "2026-03-10T10:00:00", "H01"));
  h.signals.push_back(
      Signal(SignalSource::kHospitalDischarge, "2026-03-20T10:00:00", "H01", "CURED"));
  Repeat(h, SignalSource::kBankActivity, D("2024-11-20"), D("2026-03-31"), 180, 10, "atm-3");
  Repeat(h, SignalSource::kBankActivity, D("2026-04-15"), kAsOf, card_every_days, 10, "atm-3");
  Finish(h);
  return h;
}

TEST(CertificationTest, CardTakeoverIsCountedFromADischargeAlive) {
  const CertificationResult r = Certify(CounterHospitalThenCard(30), Policy::Defaults(), kAsOf);
  EXPECT_EQ(r.outcome, Certification::kNeedsActive) << r.reason;
  EXPECT_TRUE(r.doubts.card_only_tail) << r.reason;
  bool stopped_at_discharge = false;
  for (const Evidence& e : r.evidence) {
    stopped_at_discharge |= e.source == "STOPPED" && e.date == D("2026-03-20");
  }
  EXPECT_TRUE(stopped_at_discharge);
  EXPECT_FALSE(Certify(CounterHospitalThenCard(180), Policy::Defaults(), kAsOf).doubts.any());
}

// Monthly counter visits until February 2026, the phone on throughout; the pension card every
// two months until then. `card_after` says whether it goes on so after February.
PersonHistory CounterStops(bool card_after) {
  PersonHistory h = PhoneOnly();
  Repeat(h, SignalSource::kBankCounter, D("2024-11-05"), D("2026-02-28"), 30, 10, "branch-2");
  Repeat(h, SignalSource::kBankActivity, D("2024-11-20"), card_after ? kAsOf : D("2026-02-28"), 60,
         10, "atm-3");
  if (!card_after) {
    h.signals.push_back(Signal(SignalSource::kBankActivity, "2026-07-10T10:00:00", "atm-3"));
  }
  Finish(h);
  return h;
}

TEST(CertificationTest, BodyStopWithThePensionDrawnAsBeforeIsDoubtful) {
  const CertificationResult r = Certify(CounterStops(true), Policy::Defaults(), kAsOf);
  EXPECT_EQ(r.outcome, Certification::kNeedsActive) << r.reason;
  EXPECT_TRUE(r.doubts.card_only_tail) << r.reason;
}

// Care-home attendance every week until the end of 2025 (the stay ended), the pharmacy and the
// pension card every month throughout: a move out of the home is no body stop. The same history
// with counter visits in place of the attendance is one.
TEST(CertificationTest, CareHomeStayThatEndsIsNoBodyStop) {
  auto history = [](SignalSource body) {
    PersonHistory h = PhoneOnly();
    Repeat(h, body, D("2024-11-05"), D("2025-12-31"), 7, 10, "place-3");
    Repeat(h, SignalSource::kMedicalSettlement, D("2024-11-12"), kAsOf, 30, 11, "pharm-1");
    Repeat(h, SignalSource::kBankActivity, D("2024-11-20"), kAsOf, 30, 10, "atm-3");
    Finish(h);
    return Certify(h, Policy::Defaults(), kAsOf);
  };
  const CertificationResult home = history(SignalSource::kCareHome);
  EXPECT_FALSE(home.doubts.concealment()) << home.reason;
  const CertificationResult counter = history(SignalSource::kBankCounter);
  EXPECT_TRUE(counter.doubts.card_only_tail) << counter.reason;
}

TEST(CertificationTest, BodyStopWithThePensionLeftUndrawnIsNoAccusation) {
  // The account used once in eight months where it was used every other month: nobody draws
  // the pension in the person's place (someone away, the phone kept on). The counter visit in
  // February is within the window and certifies, as for anyone.
  const CertificationResult r = Certify(CounterStops(false), Policy::Defaults(), kAsOf);
  EXPECT_FALSE(r.doubts.concealment()) << r.reason;
  EXPECT_EQ(r.outcome, Certification::kCertified) << r.reason;
}

// The bus card every week until January 2026, then never again; the pension card every month
// until then and every four months since (drawn less: nobody draws the pension in the person's
// place); a pharmacy visit every hundred days throughout and the phone on. Not seen in person
// since May 2025 (before the window), the pharmacy alone would keep certifying by card life.
PersonHistory BusStopsPensionDrawnLess(bool counter_in_window) {
  PersonHistory h = PhoneOnly();
  Repeat(h, SignalSource::kTransit, D("2024-11-03"), D("2026-01-31"), 7, 8, "bus-12");
  Repeat(h, SignalSource::kBankActivity, D("2024-11-20"), D("2026-01-31"), 30, 10, "atm-3");
  Repeat(h, SignalSource::kBankActivity, D("2026-03-15"), kAsOf, 120, 10, "atm-3");
  Repeat(h, SignalSource::kMedicalSettlement, D("2024-11-10"), kAsOf, 100, 11, "pharm-1");
  h.signals.push_back(Signal(SignalSource::kBankCounter, "2025-05-05T10:00:00", "branch-2"));
  if (counter_in_window) {
    h.signals.push_back(Signal(SignalSource::kBankCounter, "2025-12-10T10:00:00", "branch-2"));
  }
  Finish(h);
  return h;
}

TEST(CertificationTest, StopWithThePensionDrawnLessAsksAndReportsUnlessSeenInTheWindow) {
  const CertificationResult asked =
      Certify(BusStopsPensionDrawnLess(false), Policy::Defaults(), kAsOf);
  EXPECT_EQ(asked.outcome, Certification::kNeedsActive) << asked.reason;
  EXPECT_TRUE(asked.doubts.undrawn_stop) << asked.reason;
  EXPECT_TRUE(asked.doubts.undrawn_unseen) << asked.reason;
  EXPECT_FALSE(asked.doubts.concealment()) << asked.reason;
  EXPECT_NE(asked.reason.find("bus-card use stopped"), std::string::npos) << asked.reason;
  EXPECT_NE(asked.reason.find("pension account is used less since"), std::string::npos);
  bool stopped_evidence = false;
  for (const Evidence& e : asked.evidence) stopped_evidence |= e.source == "STOPPED";
  EXPECT_TRUE(stopped_evidence);
  // Nobody saw the person for the whole window: reported, at the weaker strength.
  const auto reported = ApplyRules(BusStopsPensionDrawnLess(false), CrossPersonFacts{}, asked,
                                   Policy::Defaults(), kAsOf);
  const auto concealed = std::find_if(reported.begin(), reported.end(), [](const RuleHit& hit) {
    return hit.pattern == Pattern::kConcealedDeath;
  });
  ASSERT_NE(concealed, reported.end());
  EXPECT_DOUBLE_EQ(concealed->strength, 0.65);
  EXPECT_NE(concealed->clause.find("undrawn_alpha"), std::string::npos) << concealed->clause;

  // Seen at the counter in December, within the window and before the stop: the yearly
  // certification holds, as for anyone, and the stop is no evidence against it.
  const CertificationResult seen =
      Certify(BusStopsPensionDrawnLess(true), Policy::Defaults(), kAsOf);
  EXPECT_EQ(seen.outcome, Certification::kCertified) << seen.reason;
  EXPECT_FALSE(seen.doubts.concealment()) << seen.reason;
  EXPECT_FALSE(seen.doubts.undrawn_unseen) << seen.reason;
  for (const Evidence& e : seen.evidence) EXPECT_NE(e.source, "STOPPED");
  for (const RuleHit& hit : ApplyRules(BusStopsPensionDrawnLess(true), CrossPersonFacts{}, seen,
                                       Policy::Defaults(), kAsOf)) {
    EXPECT_NE(hit.pattern, Pattern::kConcealedDeath) << hit.reason;
  }
}

// Look-alikes: a bus card used in only 3 months of the 24 says nothing by stopping; a person
// seen in person after the stop (moved away, no bus any more) is explained.
TEST(CertificationTest, SporadicOrExplainedStopIsNoDoubt) {
  PersonHistory h = PhoneAndBank();
  h.signals.push_back(Signal(SignalSource::kTransit, "2024-12-03T08:00:00", "bus-1"));
  h.signals.push_back(Signal(SignalSource::kTransit, "2025-03-03T08:00:00", "bus-1"));
  h.signals.push_back(Signal(SignalSource::kTransit, "2025-07-03T08:00:00", "bus-1"));
  Finish(h);
  EXPECT_FALSE(Certify(h, Policy::Defaults(), kAsOf).doubts.any());

  // Moved away in February: no bus card any more, a new pharmacy, seen at the service hall.
  PersonHistory moved;
  moved.registrations = h.registrations;
  Repeat(moved, SignalSource::kTelecom, D("2024-11-01"), kAsOf, 3, 9, "cell-7");
  Repeat(moved, SignalSource::kTransit, D("2024-11-03"), D("2026-02-20"), 4, 8, "bus-12");
  Repeat(moved, SignalSource::kMedicalSettlement, D("2024-11-05"), kAsOf, 30, 9, "pharm-1");
  moved.signals.push_back(Signal(SignalSource::kGovService, "2026-04-03T10:00:00", "hall-2"));
  Finish(moved);
  const CertificationResult r = Certify(moved, Policy::Defaults(), kAsOf);
  EXPECT_FALSE(r.doubts.any()) << r.reason;
  EXPECT_EQ(r.outcome, Certification::kCertified) << r.reason;  // seen within the window
}

// The death registration often lags the cremation by weeks: the card use of an honest
// household ends at the funeral; a concealing one goes on using the cards for months.
TEST(CertificationTest, CremationIsConcealmentOnlyWhenCardsGoOnForMonths) {
  PersonHistory h = Pensioner();
  StopSignalsAfter(h, D("2026-09-20"));
  h.registry.push_back(Event(RegistryEvent::kCremation, D("2026-09-24"), D("2026-10-02")));
  h.signals.push_back(Signal(SignalSource::kBankActivity, "2026-10-03T10:00:00", "atm-3"));
  Finish(h);
  CertificationResult r = Certify(h, Policy::Defaults(), kAsOf);
  EXPECT_EQ(r.outcome, Certification::kSuspend);
  EXPECT_FALSE(r.doubts.cremation_without_death) << r.reason;
  EXPECT_NE(r.reason.find("death registration not received yet"), std::string::npos);

  PersonHistory c = Pensioner();
  StopSignalsAfter(c, D("2026-03-20"));
  c.registry.push_back(Event(RegistryEvent::kCremation, D("2026-03-24"), D("2026-04-02")));
  Repeat(c, SignalSource::kBankActivity, D("2026-04-05"), kAsOf, 14, 10, "atm-3");
  Finish(c);
  r = Certify(c, Policy::Defaults(), kAsOf);
  EXPECT_EQ(r.outcome, Certification::kSuspend);
  EXPECT_TRUE(r.doubts.cremation_without_death);
}

// A death in hospital the household never registered, while the phone and the pension
// account go on for months: concealment, like a cremation without a registration. An honest
// household's card use ends around the funeral; a registered death is not concealed however
// long the cards go on (that is DECEASED_PAID's business).
TEST(CertificationTest, HospitalDeathIsConcealmentOnlyWhenCardsGoOnWithoutRegistration) {
  auto died_in_april = [](const std::string& cards_until) {
    PersonHistory h = Pensioner();
    StopSignalsAfter(h, D("2026-04-27"));
    h.signals.push_back(
        Signal(SignalSource::kHospitalDischarge, "2026-04-28T14:00:00", "H01", "DIED"));
    Repeat(h, SignalSource::kBankActivity, D("2026-05-04"), D(cards_until), 14, 10, "atm-3");
    return h;
  };
  // Cards used in 6 months after the death month, no registration: concealed.
  PersonHistory h = died_in_april("2026-10-30");
  Finish(h);
  CertificationResult r = Certify(h, Policy::Defaults(), kAsOf);
  EXPECT_EQ(r.outcome, Certification::kSuspend);
  EXPECT_TRUE(r.doubts.hospital_death_without_registration);
  EXPECT_TRUE(r.doubts.concealment());
  EXPECT_EQ(r.reason,
            "died in hospital on 2026-04-28 (discharge record) with no death registration while "
            "the cards went on being used: concealed death");

  // Boundary (certification.cremation_card_months = 2): card use in May and June is two
  // months after the death month, in May alone one (the funeral withdrawal).
  h = died_in_april("2026-06-02");
  Finish(h);
  EXPECT_TRUE(Certify(h, Policy::Defaults(), kAsOf).doubts.hospital_death_without_registration);
  h = died_in_april("2026-05-30");
  Finish(h);
  r = Certify(h, Policy::Defaults(), kAsOf);
  EXPECT_FALSE(r.doubts.hospital_death_without_registration) << r.reason;
  EXPECT_EQ(r.reason, "died in hospital on 2026-04-28 (discharge record)");

  // Registered (even late): not concealed.
  h = died_in_april("2026-10-30");
  h.registry.push_back(Event(RegistryEvent::kDeath, D("2026-04-28"), D("2026-09-15")));
  Finish(h);
  r = Certify(h, Policy::Defaults(), kAsOf);
  EXPECT_EQ(r.outcome, Certification::kSuspend);
  EXPECT_FALSE(r.doubts.hospital_death_without_registration);
}

// Leaving a hospital alive after a stream stopped shows the person alive then: a stop of the
// counter visits before it is explained. Being admitted proves nothing about coming out, and
// the medical card breaking off after a stay stays doubtful however the stay ended.
TEST(CertificationTest, DischargeAliveExplainsAStopExceptTheMedicalBreak) {
  auto counter_then_stay = [](bool discharged) {
    PersonHistory h = PhoneAndBank();
    Repeat(h, SignalSource::kBankCounter, D("2024-11-10"), D("2025-12-10"), 30, 10, "branch-1",
           "COUNTER");
    h.signals.push_back(Signal(SignalSource::kHospitalAdmission, "2026-08-01T10:00:00", "H01"));
    if (discharged) {
      h.signals.push_back(
          Signal(SignalSource::kHospitalDischarge, "2026-08-12T10:00:00", "H01", "CURED"));
    }
    Finish(h);
    return h;
  };
  CertificationResult r = Certify(counter_then_stay(false), Policy::Defaults(), kAsOf);
  EXPECT_TRUE(r.doubts.card_only_tail) << r.reason;
  r = Certify(counter_then_stay(true), Policy::Defaults(), kAsOf);
  EXPECT_FALSE(r.doubts.concealment()) << r.reason;

  PersonHistory h = Pensioner();
  StopSignalsAfter(h, D("2026-05-01"));
  h.signals.push_back(Signal(SignalSource::kHospitalAdmission, "2026-05-02T15:00:00", "H01"));
  h.signals.push_back(
      Signal(SignalSource::kHospitalDischarge, "2026-05-12T11:00:00", "H01", "CURED"));
  Repeat(h, SignalSource::kTelecom, D("2026-05-14"), kAsOf, 3, 9, "cell-7");
  Repeat(h, SignalSource::kBankActivity, D("2026-05-16"), kAsOf, 14, 10, "atm-3");
  Finish(h);
  r = Certify(h, Policy::Defaults(), kAsOf);
  EXPECT_TRUE(r.doubts.medical_break) << r.reason;
  EXPECT_EQ(r.outcome, Certification::kNeedsActive);
}

// A sign that needs the body outside a hospital after a stream stopped (a trip on a real-name
// ticket) shows the person alive and about then, as a visit does: the stop is explained.
TEST(CertificationTest, TripAfterAStopExplainsIt) {
  PersonHistory h = PhoneAndBank();
  Repeat(h, SignalSource::kTransit, D("2024-11-03"), D("2026-02-20"), 4, 8, "bus-12");
  Finish(h);
  ASSERT_TRUE(Certify(h, Policy::Defaults(), kAsOf).doubts.life_stopped);

  h.signals.push_back(Signal(SignalSource::kTravel, "2026-08-10T07:00:00", "station-1"));
  h.signals.push_back(Signal(SignalSource::kTravel, "2026-08-20T18:00:00", "station-9"));
  Finish(h);
  CertificationResult r = Certify(h, Policy::Defaults(), kAsOf);
  EXPECT_FALSE(r.doubts.concealment()) << r.reason;

  // A trip before the stop explains nothing.
  PersonHistory before = PhoneAndBank();
  Repeat(before, SignalSource::kTransit, D("2024-11-03"), D("2026-02-20"), 4, 8, "bus-12");
  before.signals.push_back(Signal(SignalSource::kTravel, "2026-02-10T07:00:00", "station-1"));
  Finish(before);
  r = Certify(before, Policy::Defaults(), kAsOf);
  EXPECT_TRUE(r.doubts.life_stopped) << r.reason;
}

// Trips come in bursts (out and back, in the holidays): trips early in the history and none
// since say nothing about who holds the cards, while a monthly counter visit that stops does.
TEST(CertificationTest, EpisodicTripsThatStopAreNoBodyStop) {
  PersonHistory h = PhoneAndBank();
  Repeat(h, SignalSource::kMedicalSettlement, D("2024-11-05"), kAsOf, 30, 9, "pharm-1");
  for (const char* at : {"2024-11-14T16:00:00", "2024-12-02T07:00:00", "2025-01-09T20:00:00",
                         "2025-01-20T06:00:00"}) {
    h.signals.push_back(Signal(SignalSource::kTravel, at, "station-1"));
  }
  Finish(h);
  CertificationResult r = Certify(h, Policy::Defaults(), kAsOf);
  EXPECT_FALSE(r.doubts.card_only_tail) << r.reason;
  EXPECT_FALSE(r.doubts.any()) << r.reason;
  // Trips the only life signs: their stop is no stream stop either; but 21 months with no life
  // sign at all since the last trip, while the phone and the account go on, is a life that went
  // quiet (certification.quiet_life_months).
  std::erase_if(h.signals,
                [](const SignalRecord& s) { return s.source == SignalSource::kMedicalSettlement; });
  Finish(h);
  r = Certify(h, Policy::Defaults(), kAsOf);
  EXPECT_TRUE(r.doubts.stopped_stream.empty()) << r.reason;
  EXPECT_FALSE(r.doubts.card_only_tail || r.doubts.life_stopped) << r.reason;
  EXPECT_TRUE(r.doubts.life_gone) << r.reason;
  // The same trips with a quieter policy window than the 21 months: no doubt.
  Policy patient = Policy::Defaults();
  patient.certification.quiet_life_months = 24;
  EXPECT_FALSE(Certify(h, patient, kAsOf).doubts.any());

  // Look-alike: the same months at the bank counter (a habit, not a trip), then none for
  // 21 months while the cards go on, is a body stop.
  PersonHistory counter = PhoneAndBank();
  Repeat(counter, SignalSource::kBankCounter, D("2024-11-14"), D("2025-01-31"), 20, 10, "branch-1");
  Finish(counter);
  r = Certify(counter, Policy::Defaults(), kAsOf);
  EXPECT_TRUE(r.doubts.card_only_tail) << r.reason;
  EXPECT_EQ(r.outcome, Certification::kNeedsActive);
}

// A prison entry explains why the person's own signs stopped while the pension account goes
// on: the record suspends, and the stop is not read as a concealed death.
TEST(CertificationTest, PrisonExplainsAStopOfTheCards) {
  PersonHistory h = PhoneAndBank();
  Repeat(h, SignalSource::kTransit, D("2024-11-03"), D("2026-02-20"), 4, 8, "bus-12");
  PersonHistory jailed = h;
  jailed.registry.push_back(Event(RegistryEvent::kPrisonIn, D("2026-02-22"), D("2026-03-05")));
  Finish(h);
  Finish(jailed);
  // Without the record: a stop (boundary of the explanation: nothing else explains it).
  EXPECT_TRUE(Certify(h, Policy::Defaults(), kAsOf).doubts.life_stopped);
  CertificationResult r = Certify(jailed, Policy::Defaults(), kAsOf);
  EXPECT_EQ(r.outcome, Certification::kSuspend);
  EXPECT_FALSE(r.doubts.concealment()) << r.reason;
  // Known only once reported: the day before the report the stop still stands.
  r = Certify(jailed, Policy::Defaults(), D("2026-03-04"));
  EXPECT_NE(r.outcome, Certification::kSuspend);
  // Released again: the record no longer explains anything after the release.
  jailed.registry.push_back(Event(RegistryEvent::kPrisonOut, D("2026-09-01"), D("2026-09-05")));
  Finish(jailed);
  r = Certify(jailed, Policy::Defaults(), kAsOf);
  EXPECT_NE(r.outcome, Certification::kSuspend);
  EXPECT_TRUE(r.doubts.life_stopped) << r.reason;
}

TEST(CertificationTest, FaceCertFailIsNotProof) {
  PersonHistory h = Pensioner();
  std::erase_if(h.signals, [](const SignalRecord& s) {
    return s.source == SignalSource::kFaceCert || s.source == SignalSource::kTransit ||
           s.source == SignalSource::kMedicalSettlement;
  });
  h.signals.push_back(Signal(SignalSource::kFaceCert, "2026-10-01T10:00:00", "dev-A", "FAIL"));
  Finish(h);
  const CertificationResult r = Certify(h, Policy::Defaults(), kAsOf);
  EXPECT_EQ(r.outcome, Certification::kNeedsActive);
  EXPECT_FALSE(r.last_in_person.has_value());
  EXPECT_DOUBLE_EQ(r.features.face_fail_recent, 1.0);
}

TEST(CertificationTest, FaceAtAPlaceCertifyingManyPersonsIsNotProof) {
  PersonHistory h = Pensioner();
  // Without a card life of their own, so that the face is the only possible proof.
  std::erase_if(h.signals, [](const SignalRecord& s) {
    return s.source == SignalSource::kTransit || s.source == SignalSource::kMedicalSettlement;
  });
  Finish(h);
  CrossPersonFacts facts;
  FacePlaceFacts(facts, h, "dev-A", 5, 5);  // five persons certified there in one go
  const CertificationResult r = Certify(h, Policy::Defaults(), kAsOf, &facts);
  EXPECT_FALSE(r.last_in_person.has_value());
  EXPECT_EQ(r.outcome, Certification::kNeedsActive);
  FacePlaceFacts(facts, h, "dev-A", 2, 2);  // a couple on one phone
  EXPECT_EQ(Certify(h, Policy::Defaults(), kAsOf, &facts).outcome, Certification::kCertified);
  // A kiosk: 40 persons there, this one in a sitting of 5 now and then (fewer than half).
  FacePlaceFacts(facts, h, "dev-A", 40, 5);
  EXPECT_EQ(Certify(h, Policy::Defaults(), kAsOf, &facts).outcome, Certification::kCertified);
  // Boundary: a sitting of half the place's persons is a batch.
  FacePlaceFacts(facts, h, "dev-A", 10, 5);
  EXPECT_EQ(Certify(h, Policy::Defaults(), kAsOf, &facts).outcome, Certification::kNeedsActive);
}

TEST(CertificationTest, SuspendedPersonSeenInPersonIsRestoredWithMonthsOwed) {
  PersonHistory h = Pensioner();
  h.registrations[0].status = PersonStatus::kSuspended;
  std::erase_if(h.payments, [](const PaymentRecord& p) {
    return MonthNumber(p.period) > MonthNumber(M("2026-03"));
  });
  h.signals.push_back(Signal(SignalSource::kBankCounter, "2026-09-20T10:00:00", "branch-2"));
  Finish(h);
  const CertificationResult r = Certify(h, Policy::Defaults(), kAsOf);
  EXPECT_EQ(r.outcome, Certification::kCertified) << r.reason;
  EXPECT_TRUE(r.restore);
  EXPECT_EQ(*r.suspended_since, M("2026-04"));
  EXPECT_EQ(r.months_owed, 7);
  EXPECT_EQ(r.reason,
            "suspended since 2026-04; seen in person on 2026-09-20: restore, 7 months owed");
}

TEST(CertificationTest, SuspendedPersonWithoutInPersonSignStaysAsked) {
  PersonHistory h = Pensioner();
  h.registrations[0].status = PersonStatus::kSuspended;
  std::erase_if(h.payments, [](const PaymentRecord& p) {
    return MonthNumber(p.period) > MonthNumber(M("2026-06"));
  });
  Finish(h);
  const CertificationResult r = Certify(h, Policy::Defaults(), kAsOf);
  EXPECT_EQ(r.outcome, Certification::kNeedsActive);
  EXPECT_FALSE(r.restore);
  EXPECT_EQ(r.months_owed, 0);
}

TEST(CertificationTest, ASuspendedPersonSeenOnlyBeforeTheWindowIsNotRestored) {
  PersonHistory h = Pensioner();
  h.registrations[0].status = PersonStatus::kSuspended;
  std::erase_if(h.signals,
                [](const SignalRecord& s) { return s.source == SignalSource::kFaceCert; });
  std::erase_if(h.payments, [](const PaymentRecord& p) {
    return MonthNumber(p.period) > MonthNumber(M("2024-11"));
  });
  // After the suspension, but 19 months before the date: an active person would not be
  // certified on it either.
  h.signals.push_back(Signal(SignalSource::kBankCounter, "2025-03-20T10:00:00", "branch-2"));
  Finish(h);
  const CertificationResult r = Certify(h, Policy::Defaults(), kAsOf);
  EXPECT_EQ(r.outcome, Certification::kNeedsActive) << r.reason;
  EXPECT_FALSE(r.restore);
  EXPECT_EQ(r.months_owed, 0);
  EXPECT_EQ(r.reason.rfind("suspended since 2024-12; ", 0), 0u) << r.reason;
}

TEST(CertificationTest, AFacePassForSeveralAfterTheVisitKeepsASuspendedPersonAsked) {
  PersonHistory h = Pensioner();  // face passes at dev-A, the last on 2026-06-10
  h.registrations[0].status = PersonStatus::kSuspended;
  std::erase_if(h.payments, [](const PaymentRecord& p) {
    return MonthNumber(p.period) > MonthNumber(M("2026-03"));
  });
  h.signals.push_back(Signal(SignalSource::kBankCounter, "2026-05-01T10:00:00", "branch-2"));
  Finish(h);
  CrossPersonFacts facts;
  FacePlaceFacts(facts, h, "dev-A", 10, 5);  // one face for five persons in one sitting
  const CertificationResult r = Certify(h, Policy::Defaults(), kAsOf, &facts);
  EXPECT_EQ(r.outcome, Certification::kNeedsActive) << r.reason;
  EXPECT_FALSE(r.restore);
  EXPECT_EQ(r.reason,
            "suspended since 2026-04; the face certified several persons in one sitting on "
            "2026-06-10, after the last sign in person: certify in person to restore");
}

TEST(CertificationTest, AYearlyFacePassOnItsAnniversaryCountsAcrossALeapDayToo) {
  // The window is calendar months: a proof made on 2024-01-31 counts on 2025-01-31 (366 days,
  // across 29 February) as one made on 2023-01-31 does on 2024-01-31 (365 days).
  for (const auto& [face, as_of] :
       {std::pair{"2023-01-31T10:00:00", "2024-01-31"}, {"2024-01-31T10:00:00", "2025-01-31"}}) {
    PersonHistory h;
    h.registrations.push_back(Registration(3702, D("1950-01-01"), Sex::kMale, D("2010-01-01"),
                                           RetirementType::kNormal, "2100.00", "6222000099990000"));
    Repeat(h, SignalSource::kTelecom, D("2022-11-01"), D("2025-01-31"), 3, 9, "cell-7");
    Repeat(h, SignalSource::kBankActivity, D("2022-11-02"), D("2025-01-31"), 14, 10, "atm-3");
    h.signals.push_back(Signal(SignalSource::kFaceCert, face, "dev-A", "PASS"));
    Finish(h);
    const CertificationResult r = Certify(h, Policy::Defaults(), D(as_of));
    EXPECT_EQ(r.outcome, Certification::kCertified) << as_of << ": " << r.reason;
    EXPECT_EQ(r.reason, "seen in person on " + std::string(face).substr(0, 10) +
                            ", within the 12-month window, and no change since (evidence 0.70)")
        << as_of;
  }
}

TEST(CertificationTest, ASuspendedRegistrationBesideAnActiveOneIsRestoredOnItsOwnRow) {
  PersonHistory h = Pensioner();
  h.registrations[0].status = PersonStatus::kSuspended;  // 3702: paid through 2026-03
  std::erase_if(h.payments, [](const PaymentRecord& p) {
    return MonthNumber(p.period) > MonthNumber(M("2026-03"));
  });
  h.registrations.push_back(Registration(3703, D("1955-05-10"), Sex::kMale, D("2015-06-01"),
                                         RetirementType::kNormal, "1000.00", "6222000077778888"));
  PayMonthly(h, 3703, M("2024-11"), M("2026-10"), "1000.00", "6222000077778888");
  h.signals.push_back(Signal(SignalSource::kBankCounter, "2026-09-20T10:00:00", "branch-2"));
  Finish(h);
  const CertificationResult r = Certify(h, Policy::Defaults(), kAsOf);
  EXPECT_EQ(r.outcome, Certification::kCertified) << r.reason;
  EXPECT_FALSE(r.restore);  // the person's: one registration was never suspended
  ASSERT_EQ(r.suspended_registrations.size(), 1u);
  EXPECT_EQ(r.suspended_registrations[0].region, 3702);
  EXPECT_TRUE(r.suspended_registrations[0].restore);
  EXPECT_EQ(r.suspended_registrations[0].months_owed, 7);

  PersonOutcome outcome;
  outcome.person_id = h.person_id;
  outcome.primary_region = 3702;
  outcome.certification = r;
  std::string rows;
  CertificationCounts counts;
  AppendCertificationRows(h.registrations, outcome, &rows, &counts);
  const size_t split = rows.find('\n') + 1;
  const std::string suspended_row = rows.substr(0, split);
  const std::string active_row = rows.substr(split);
  EXPECT_NE(suspended_row.find(",3702,CERTIFIED,"), std::string::npos) << suspended_row;
  EXPECT_NE(suspended_row.find(",\"suspended since 2026-04; seen in person on 2026-09-20: "
                               "restore, 7 months owed\",1,7\n"),
            std::string::npos)
      << suspended_row;
  EXPECT_NE(active_row.find(",3703,CERTIFIED,"), std::string::npos) << active_row;
  EXPECT_EQ(active_row.substr(active_row.size() - 5), ",0,0\n") << active_row;
  EXPECT_EQ(counts.certified, 2u);
}

TEST(CertificationTest, SilenceFarBeyondUsualGapsIsDoubtful) {
  PersonHistory h = Pensioner();
  StopSignalsAfter(h, D("2026-08-20"));
  Finish(h);
  const CertificationResult r = Certify(h, Policy::Defaults(), kAsOf);
  EXPECT_TRUE(r.doubts.silence);
  EXPECT_FALSE(r.doubts.concealment());
  EXPECT_EQ(r.outcome, Certification::kNeedsActive);
}

// Without an in-person sign in the window and without a card life over it, the score decides.
TEST(CertificationTest, BoundaryCertifyThresholdIsInclusive) {
  PersonHistory h;
  h.registrations.push_back(Registration(3702, D("1950-01-01"), Sex::kMale, D("2010-01-01"),
                                         RetirementType::kNormal, "2100.00", "6222000099990000"));
  h.signals.push_back(Signal(SignalSource::kCareHome, "2026-10-31T10:00:00", "care-1"));
  h.signals.push_back(Signal(SignalSource::kHospitalAdmission, "2026-10-31T12:00:00", "H01"));
  Finish(h);
  Policy p = Policy::Defaults();
  const double score = Certify(h, p, kAsOf).score;
  EXPECT_NEAR(score, 1.2, 1e-9);
  p.certification.certify_threshold = score;
  EXPECT_EQ(Certify(h, p, kAsOf).outcome, Certification::kCertified);
  p.certification.certify_threshold = score + 0.01;
  EXPECT_EQ(Certify(h, p, kAsOf).outcome, Certification::kNeedsActive);
}

// The yearly certification: seen in person within the window, and nothing changed since.
TEST(CertificationTest, SeenInPersonWithinTheWindowCertifies) {
  PersonHistory h;
  h.registrations.push_back(Registration(3702, D("1950-01-01"), Sex::kMale, D("2010-01-01"),
                                         RetirementType::kNormal, "2100.00", "6222000099990000"));
  h.signals.push_back(Signal(SignalSource::kBankCounter, "2025-01-10T10:00:00", "branch-1"));
  h.signals.push_back(Signal(SignalSource::kBankCounter, "2026-01-10T10:00:00", "branch-1"));
  Finish(h);
  CertificationResult r = Certify(h, Policy::Defaults(), kAsOf);
  EXPECT_EQ(r.outcome, Certification::kCertified) << r.reason;
  EXPECT_LT(r.score, 1.0);
  // Thirteen months later the visit is outside the window: asked.
  r = Certify(h, Policy::Defaults(), D("2027-02-15"));
  EXPECT_EQ(r.outcome, Certification::kNeedsActive) << r.reason;
}

TEST(CertificationTest, FeaturesHaveNamesAndFiniteValues) {
  PersonHistory h = Pensioner();
  Finish(h);
  const CertificationResult r = Certify(h, Policy::Defaults(), kAsOf);
  const auto values = r.features.ToArray();
  ASSERT_EQ(values.size(), CertificationFeatures::Names().size());
  for (double v : values) EXPECT_TRUE(std::isfinite(v));
  EXPECT_EQ(CertificationFeatures::Names()[0], "months_since_in_person");
  EXPECT_NEAR(r.features.months_since_in_person, 4.7, 0.1);
}

// Counter visits every month for a year, then none; the pension card was used every month
// before. Afterwards a relative keeps drawing the pension in most months (a little less often
// than the person did): the stop is reported. Used in only two of the twelve months after, the
// pension is left to accumulate (someone away): no accusation.
TEST(CertificationTest, StrongStopWithThePensionDrawnALittleLessIsDoubtful) {
  auto history = [](int months_with_card_use_after) {
    PersonHistory h = PhoneOnly();
    Repeat(h, SignalSource::kBankCounter, D("2024-11-05"), D("2025-10-31"), 30, 10, "branch-2");
    Repeat(h, SignalSource::kBankActivity, D("2024-11-20"), D("2025-10-31"), 30, 10, "atm-3");
    for (int m = 0; m < months_with_card_use_after; ++m) {
      const std::string month =
          m < 2 ? "2025-1" + std::to_string(m + 1) : "2026-0" + std::to_string(m - 1);
      h.signals.push_back(Signal(SignalSource::kBankActivity, month + "-15T10:00:00", "atm-3"));
    }
    Finish(h);
    return Certify(h, Policy::Defaults(), kAsOf);
  };
  const CertificationResult drawn = history(10);
  EXPECT_TRUE(drawn.doubts.card_only_tail) << drawn.reason;
  EXPECT_EQ(drawn.outcome, Certification::kNeedsActive) << drawn.reason;
  const CertificationResult left = history(2);
  EXPECT_FALSE(left.doubts.concealment()) << left.reason;
}

// The pharmacy every month for a year and a half, then only twice in the twenty months since,
// with the phone and the pension card going on: the medical card fell off (a relative using it
// now and then). Every other month after the same start is the person's own slower habit.
TEST(CertificationTest, MedicalCardThatFallsOffIsDoubtful) {
  auto history = [](bool every_other_month) {
    PersonHistory h = PhoneOnly();
    Repeat(h, SignalSource::kBankActivity, D("2023-11-20"), kAsOf, 30, 10, "atm-3");
    Repeat(h, SignalSource::kMedicalSettlement, D("2023-11-12"), D("2025-02-28"), 30, 11,
           "pharm-1");
    if (every_other_month) {
      Repeat(h, SignalSource::kMedicalSettlement, D("2025-04-12"), kAsOf, 61, 11, "pharm-1");
    } else {
      h.signals.push_back(
          Signal(SignalSource::kMedicalSettlement, "2025-11-17T15:00:00", "pharm-4"));
      h.signals.push_back(
          Signal(SignalSource::kMedicalSettlement, "2026-10-15T15:00:00", "pharm-4"));
    }
    Finish(h);
    return Certify(h, Policy::Defaults(), kAsOf);
  };
  const CertificationResult fell = history(false);
  EXPECT_TRUE(fell.doubts.stream_fell) << fell.reason;
  EXPECT_TRUE(fell.doubts.concealment()) << fell.reason;
  EXPECT_NE(fell.outcome, Certification::kCertified) << fell.reason;
  EXPECT_NE(fell.reason.find("fell off"), std::string::npos) << fell.reason;
  const CertificationResult slower = history(true);
  EXPECT_FALSE(slower.doubts.concealment()) << slower.reason;
}

// A face pass in a batch sitting (one face certifying five persons) after the person was last
// seen at a counter: someone else produces this person's proof of life, so neither the counter
// visit nor their card life certifies; they are asked to come in person. The same pass on a
// couple's phone changes nothing.
TEST(CertificationTest, BatchFacePassAfterTheLastSightVoidsTheCertificate) {
  PersonHistory h = Pensioner();
  h.signals.push_back(Signal(SignalSource::kBankCounter, "2026-01-20T10:00:00", "branch-2"));
  Finish(h);
  CrossPersonFacts facts;
  FacePlaceFacts(facts, h, "dev-A", 5, 5);
  const CertificationResult batch = Certify(h, Policy::Defaults(), kAsOf, &facts);
  EXPECT_EQ(batch.outcome, Certification::kNeedsActive) << batch.reason;
  EXPECT_NE(batch.reason.find("2026-06-10"), std::string::npos) << batch.reason;
  EXPECT_NE(batch.reason.find("2026-01-20"), std::string::npos) << batch.reason;
  FacePlaceFacts(facts, h, "dev-A", 2, 2);
  EXPECT_EQ(Certify(h, Policy::Defaults(), kAsOf, &facts).outcome, Certification::kCertified);
  // Seen at the counter after the batch pass: that visit certifies.
  h.signals.push_back(Signal(SignalSource::kBankCounter, "2026-08-20T10:00:00", "branch-2"));
  Finish(h);
  FacePlaceFacts(facts, h, "dev-A", 5, 5);
  EXPECT_EQ(Certify(h, Policy::Defaults(), kAsOf, &facts).outcome, Certification::kCertified);
}

// The yearly proof fell due (last seen at a counter 411 days before the date, beyond the
// 12-month window) and a face pass in a sitting of one face for five persons came since:
// someone fakes the proof of a person who no longer comes. Seen in person within the window,
// or never seen at all, the same pass only asks the person to come (nothing was due, or
// nothing says this person ever came).
TEST(CertificationTest, AFacePassOfOneFaceForSeveralAfterTheYearlyProofFellDueIsAFakedProof) {
  CrossPersonFacts facts;
  auto certify = [&facts](std::string_view counter_visit) {
    const PersonHistory h = PensionerSeenAtCounter(counter_visit);
    FacePlaceFacts(facts, h, "dev-A", 5, 5);
    return Certify(h, Policy::Defaults(), kAsOf, &facts);
  };
  const CertificationResult overdue = certify("2025-09-15T10:00:00");
  EXPECT_EQ(overdue.outcome, Certification::kNeedsActive) << overdue.reason;
  EXPECT_TRUE(overdue.doubts.proof_faked) << overdue.reason;
  EXPECT_FALSE(overdue.doubts.concealment()) << overdue.reason;
  EXPECT_NE(overdue.reason.find("after the last sign in person on 2025-09-15"), std::string::npos)
      << overdue.reason;
  const CertificationResult within = certify("2026-01-20T10:00:00");
  EXPECT_EQ(within.outcome, Certification::kNeedsActive) << within.reason;
  EXPECT_FALSE(within.doubts.proof_faked) << within.reason;
  const CertificationResult never = certify("");
  EXPECT_EQ(never.outcome, Certification::kNeedsActive) << never.reason;
  EXPECT_FALSE(never.doubts.proof_faked) << never.reason;
  // Overdue, and nothing at all since mid-June (no card in use in the latest period): nobody
  // draws on the person's life, and the proof is no more than asked for.
  PersonHistory quiet = PensionerSeenAtCounter("2025-09-15T10:00:00");
  StopSignalsAfter(quiet, D("2026-06-15"));
  const CertificationResult stopped = Certify(quiet, Policy::Defaults(), kAsOf, &facts);
  EXPECT_NE(stopped.outcome, Certification::kCertified) << stopped.reason;
  EXPECT_FALSE(stopped.doubts.proof_faked) << stopped.reason;
}
}  // namespace
}  // namespace vigil

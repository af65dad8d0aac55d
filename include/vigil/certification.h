// Proof of life: is this person alive as of a date, and how sure are we?
//
// Certify() reads one person's history (every row known by the as-of date) and decides:
//  - SUSPEND: an authoritative record says the person cannot be paid (death, cremation, a
//    hospital discharge "DIED", prison without release, missing, emigrated);
//  - CERTIFIED: enough recent, graded evidence of life and nothing that casts doubt on it;
//  - NEEDS_ACTIVE: the person is asked to certify by face or a visit (thin evidence, or the
//    evidence looks like someone else using the person's cards).
// docs/certification.md explains the scoring, the doubt detectors and their policy defaults.
//
// Thread-safety: pure functions of const inputs; call from any number of threads. Certify keeps
// small scratch lists per thread (thread_local), as ApplyRules does (vigil/rules.h).
// Cost: one pass over the signals plus small sorts of place ids; no shared state.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/codes.h"
#include "vigil/history.h"
#include "vigil/policy.h"
#include "vigil/time.h"

namespace vigil {

// Numeric description of a person's life signals, for the caseworker and the anomaly model.
// Every value is finite; "never" is expressed as kNeverMonths.
struct CertificationFeatures {
  static constexpr double kNeverMonths = 120.0;

  double months_since_in_person = kNeverMonths;  // last FACE_CERT PASS / visit / counter / service
  double months_since_body_sign = kNeverMonths;  // in person, hospital, care home or travel
  double months_since_any_signal = kNeverMonths;
  double evidence_in_person = 0;  // decayed evidence from in-person sources
  double evidence_other = 0;      // decayed evidence from the other sources (after any cap)
  double sources_recent = 0;      // distinct sources in the recent period
  double sources_baseline = 0;    // distinct sources in the 12 months before it
  double card_share_recent = 0;   // share of recent signals from card-usable sources
  double hour_shift_hours = 0;    // shift of the mean hour of card use, 0..12
  double place_overlap = 1;       // share of recent card-use places seen before, 0..1
  double medical_break = 0;       // 1 when medical use stopped after a hospital stay
  double card_tail_months = 0;    // months of card-only activity since the last body sign
  double silence_ratio = 0;       // days without any signal / usual gap between signals
  double face_fail_recent = 0;    // FACE_CERT FAIL in the window

  static constexpr size_t kCount = 14;
  static const std::array<std::string_view, kCount>& Names();
  std::array<double, kCount> ToArray() const;
};

// Why evidence of life is not trusted even though it exists (any one blocks CERTIFIED).
struct LifeDoubts {
  bool cremation_without_death = false;  // a cremation record with no death registration
  // A HOSPITAL_DISCHARGE "DIED" with no death registration while the cards go on for months.
  bool hospital_death_without_registration = false;
  // A stream of life signs stopped, improbably for the person's own rhythm, while other
  // signals go on (policy: certification.stop_alpha). One of three flags says which kind:
  bool card_only_tail = false;  // signs needing the body (in person, care home, ...) stopped
  bool medical_break = false;   // medical-card use stopped after a hospital stay
  bool life_stopped = false;    // another life stream (bus card, medical card, all) stopped
  bool habit_change = false;    // card use moved to other hours and other places
  // The in-person stop was judged together with a rise of card use on the pension account
  // (policy: certification.takeover_fact_alpha, takeover_alpha), not by the stop alone.
  bool card_takeover = false;
  // The stream did not stop but fell off: its signs went on in far fewer of the months after
  // some point than the person's rhythm up to then puts there (certification.md, "A stream
  // that falls off").
  bool stream_fell = false;
  // No life sign for certification.quiet_life_months after the last one while the phone or the
  // pension account go on; quiet_days is how long.
  bool life_gone = false;
  int quiet_days = 0;
  int longest_life_gap_days = 0;  // between earlier life signs; 0 with a single life-sign day
  int life_sign_days = 0;         // days with a life sign before the quiet
  bool silence = false;           // every signal stopped, far beyond the person's usual gaps
  // A life stream stopped as improbably (certification.stop_alpha), but the pension account has
  // been used markedly less since (certification.undrawn_alpha): the pension may be left to
  // accumulate, so it is no doubt of any() and no concealment(); but the cards that go on no
  // longer prove the person's life: unless seen in person within the window, the person is
  // asked to certify (and reported: undrawn_unseen). Set only without a stop above and no
  // life_gone.
  bool undrawn_stop = false;
  // undrawn_stop, and the person not seen in person within the window: asked to certify, and
  // reported (CONCEALED_DEATH at the weaker strength): the account is still drawn, less often,
  // while the person's own life stopped showing and nobody saw them for the whole window.
  bool undrawn_unseen = false;
  // The person's own proof of life is overdue (the last sign seen in person is older than
  // certification.window_months) and a face pass in a sitting where one face certified several
  // persons (FACE_REUSE) was produced for them since, within the window, while the cards go on:
  // someone fakes the yearly proof of a person who no longer comes. Asked to certify, and
  // reported (CONCEALED_DEATH at the weaker strength). Not part of concealment(), which feeds
  // the anomaly model: the face sitting is FACE_REUSE's evidence there.
  bool proof_faked = false;
  std::string stopped_stream;   // which stream stopped, for the reason ("bus-card use")
  double stop_probability = 1;  // chance of so long a stop were the rhythm unchanged
  bool any() const { return concealment() || silence; }
  // True when the doubts point at someone else using the person's cards after a death.
  bool concealment() const {
    return cremation_without_death || hospital_death_without_registration || card_only_tail ||
           medical_break || life_stopped || habit_change || life_gone;
  }
};

struct CertificationResult {
  Certification outcome = Certification::kNeedsActive;
  double score = 0;  // decayed evidence of life (policy.certification.certify_threshold certifies)
  std::string reason;              // one sentence for the caseworker, with the numbers
  std::vector<Evidence> evidence;  // what decided it, most important first
  LifeDoubts doubts;
  // Set when a record proves death: DEATH, CREMATION or a HOSPITAL_DISCHARGE "DIED".
  std::optional<Date> death_date;
  std::optional<Date> last_in_person;  // last trusted in-person sign
  std::optional<Date> last_body_sign;  // last sign that needs the body (in person, hospital, ...)
  // Suspend-and-restore: a SUSPENDED registration with new in-person evidence after the
  // suspension. months_owed counts months without a pension payment since suspended_since up to
  // the as-of month (months in prison excluded).
  // These three are the person's: those of the earliest suspension when every registration is
  // suspended, unset when one is active (the person is then judged like any active one).
  bool restore = false;
  std::optional<Month> suspended_since;
  int months_owed = 0;
  // Each SUSPENDED registration on its own (its region's last payment, its own months owed):
  // its certification.csv row reads CERTIFIED with the restore, or NEEDS_ACTIVE with `reason`,
  // whatever the person's other registrations. Empty when none is suspended.
  struct SuspendedRegistration {
    uint16_t region = 0;
    Month since{};
    bool restore = false;
    int months_owed = 0;
    std::string reason;
  };
  std::vector<SuspendedRegistration> suspended_registrations;
  CertificationFeatures features;
};

// Certifies one person as of `as_of`. Rows not known by `as_of` (registry rows reported later,
// signals after it) are ignored, so a past date replays history. When `facts` is given, a
// FACE_CERT PASS at a place that certified more persons than one household
// (rules.face_reuse_household_size) is not taken as proof of life.
CertificationResult Certify(const PersonHistory& history, const Policy& policy, Date as_of,
                            const CrossPersonFacts* facts = nullptr);

// Classes of signal sources used by certification and the rules.
// Card-usable: produced by whoever holds the card or phone (TRANSIT, BANK_ACTIVITY, TELECOM,
// MEDICAL_SETTLEMENT). Body signs: need the person there (the four in-person sources,
// hospital admission and discharge, care-home attendance, real-name travel).
constexpr bool IsCardUsable(SignalSource s) {
  return s == SignalSource::kTransit || s == SignalSource::kBankActivity ||
         s == SignalSource::kTelecom || s == SignalSource::kMedicalSettlement;
}
constexpr bool IsBodySign(SignalSource s) { return !IsCardUsable(s); }

}  // namespace vigil

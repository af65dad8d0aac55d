// The rules in force: retirement law, certification weights and every rule threshold.
//
// Loaded from `policy.json` so supervisors change it without recompiling. Every field has the
// contract's default; a JSON file only needs the keys it changes. Unknown keys and values out of
// range are errors that name the key (e.g. "policy.json: retirement.normal_age.male: 200 is out
// of range [40, 80]"), and so is a key given twice. `version` is recorded with every decision so
// it can be replayed; a file that changes thresholds without a "version" gets
// "custom-<16 hex digits of its settings>", never the default's name.
// Thread-safety: value type; share a const Policy freely between threads.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "vigil/codes.h"
#include "vigil/status.h"

namespace vigil {

struct RetirementPolicy {
  int normal_age_male = 60;
  int normal_age_female_cadre = 55;
  int normal_age_female_worker = 50;
  int special_job_age_male = 55;
  int special_job_age_female = 45;
  // Minimum years in the special job type, indexed by JobType (kNormal unused).
  std::array<int, CodeCount<JobType>()> special_job_min_years = {0, 9, 10, 9, 10, 8};
  int disability_age_male = 50;
  int disability_age_female = 45;
  int disability_max_grade = 4;  // grades 1..4 mean complete loss of labour capacity
  int min_contribution_years = 15;
  // Age for the residents' scheme (RESIDENT_AGE retirement): 60 for men and women. Default 60.
  int resident_age = 60;
};

struct CertificationPolicy {
  int window_months = 12;  // evidence older than this does not certify
  // Reliability of each source as proof of life, indexed by SignalSource. In-person sources
  // are strong; card-based ones can be produced by relatives holding the card.
  std::array<double, CodeCount<SignalSource>()> source_weight = {
      1.0,   // FACE_CERT
      1.0,   // FIELD_VISIT
      0.9,   // BANK_COUNTER
      0.9,   // GOV_SERVICE
      0.6,   // HOSPITAL_ADMISSION
      0.6,   // HOSPITAL_DISCHARGE
      0.35,  // MEDICAL_SETTLEMENT
      0.5,   // TRAVEL
      0.6,   // CARE_HOME
      0.15,  // TRANSIT
      0.1,   // BANK_ACTIVITY
      0.1,   // TELECOM
  };
  double half_life_days = 180.0;   // recency decay of a signal's weight
  double certify_threshold = 1.0;  // decayed evidence needed to certify without asking
  // Recency decay of in-person signs (FACE_CERT PASS, FIELD_VISIT, BANK_COUNTER, GOV_SERVICE).
  // Seeing the person is direct proof whose value fades over the yearly certification cycle,
  // while card-usable signals say little about who used the card and fade with half_life_days.
  // Default 365.
  double in_person_half_life_days = 365.0;

  // Doubt detectors (docs/certification.md). Each compares the person with their own past, so
  // the thresholds describe behaviour, not a population.
  // Recent period compared against the 12 months before it. Default 3.
  int recent_months = 3;
  // A signals feed whose newest row known by the date is more than this many days before it
  // looks late (a delivery missing, or a date past the data): certification would read the
  // missing days as missing evidence of life and ask nearly everyone to certify, so vigil score
  // says so (ScoreSummary::data_notes). Outcomes are not changed. Default 31.
  int stale_feed_days = 31;
  // Card-use signals needed in each period before hours and places are compared. Default 6.
  int habit_min_signals = 6;
  // Card use moved: at most this share of recent card-use places seen before... Default 0.25.
  double habit_max_place_overlap = 0.25;
  // ...and the mean hour of card use moved by at least this many hours. Default 4.
  double habit_min_hour_shift = 4.0;
  // Stopped stream: a stream of life signs (in person, any body sign, care home, bus card,
  // medical card, or all life signs together) whose months of activity all fall before a
  // trailing gap with probability below this, were the person's own rhythm unchanged (the
  // months of activity placed at random over the months observed), while other signals go on.
  // A test against the person's own past, not a population threshold. Default 0.001.
  double stop_alpha = 0.001;
  // Card life certifies (without an in-person sign in the window) when life signs (sources
  // other than TELECOM and BANK_ACTIVITY, which run without the person) fall in the latest
  // recent_months period and in at least this many of the window's periods of recent_months
  // (the window's 4 quarters with the defaults): a life that goes on over the window, not a
  // burst. Default 2 (half the window): measured on three generated cities, going from 3 to 2
  // certified about 1 point more of the living and not one more of the dead, because the
  // cards a concealing household keeps using are the phone and the pension account; the
  // stream-stop and habit tests still block a life whose rhythm broke off.
  int life_min_periods = 2;
  // A cremation with no death registration is taken as a concealed death when signals go on
  // in at least this many calendar months after the cremation month. Default 2.
  int cremation_card_months = 2;
  // Silence: no signal at all for at least this many days... Default 60.
  int silence_min_days = 60;
  // ...and at least this many times the person's median gap between signals (over the 12
  // months before), for a person with at least habit_min_signals signals then. Default 8.
  double silence_gap_factor = 8.0;
  // A life that went quiet: no life sign at all (any source but TELECOM and BANK_ACTIVITY) for
  // at least this many months after the person's last one, while the phone or the pension
  // account is still in use in the latest recent_months period: more than a year and a half
  // without a doctor, a pharmacy, a bus, a trip or a counter while someone works the account.
  // Catches the stops the stream test has no power for (a life seen in a few months only). The
  // chance that a living person goes so long without a life sign falls with the length, a
  // death's does not: measured on eight generated cities, quiets of 18-20 months were mostly
  // living people (14 dead, 22 living), longer ones mostly the dead (62 dead, 9 living).
  // Default 20.
  int quiet_life_months = 20;
  // Such a quiet is reported as a concealed death (a case, not only a request to certify) when
  // it is at least this many times the longest gap between the person's earlier life signs: a
  // person seen every few weeks who falls silent for years has changed; a person seen once a
  // year, or once in the whole history, who then stays silent is doing what they always did,
  // and a city may hold many such people. Default 3.
  double quiet_rhythm_factor = 3.0;
  // A rhythm is only seen in this many days with a life sign before the quiet: a few signs close
  // together (a face certification and a pharmacy visit the same week, a trip out and back)
  // show no rhythm to break, and nearly silent honest pensioners do just that before a year or
  // two of nothing but their phone and account. Default 6 (as habit_min_signals).
  int quiet_rhythm_min_days = 6;
  // The card took over: the in-person signs stopped (as the stop test above measures them) and
  // the pension account's card use rose after the last one above the person's own earlier
  // monthly rate (binomial). A person who drew the pension at a counter does not start using
  // the card every month the day the visits stop; a relative holding the card, who cannot come
  // in person, does. Each of the two facts must be notable by itself (chance below
  // takeover_fact_alpha, default 0.05: a living person explains either one easily) and the two
  // together (Fisher's combination) below takeover_alpha, default 0.0001: a tenth of
  // stop_alpha, because this is a second test of the same in-person stream.
  double takeover_fact_alpha = 0.05;
  double takeover_alpha = 0.0001;
  // A stopped stream is not read as concealment when the pension account is then used in
  // markedly fewer months than before (someone away, the pension left to accumulate): markedly
  // meaning the binomial chance of so few months at the person's own earlier monthly rate is
  // below undrawn_alpha (default 0.05). A smaller fall is weak evidence of the same kind: the
  // stop must then be below drawn_less_stop_alpha (default 0.0001, a tenth of stop_alpha)
  // rather than stop_alpha. A relative who withdraws a little less often than the person did
  // is still drawing the pension.
  double undrawn_alpha = 0.05;
  double drawn_less_stop_alpha = 0.0001;
};

struct RulePolicy {
  int deceased_grace_months = 0;       // payments for periods after the death month
  int duplicate_min_regions = 2;       // regions paying one person for one period
  int shared_account_max_persons = 2;  // more persons than this on one account is flagged
  // Switches of several persons' pensions into one account within this many days in a row are
  // one arrangement made in one go (an agent, an institution, a family), not a ring taking over
  // its victims one at a time (ACCOUNT_HIJACK leaves it to SHARED_ACCOUNT). Default 31: a
  // month, counted as a sliding window so that a batch spread over a month's end counts whole.
  int shared_account_batch_days = 31;
  // Paid / approved benefit beyond this (or below 1/this) is far from it. A pension is paid at
  // its approved amount; the yearly adjustment is a few percent and comes as its own supplement
  // row, arrears as whole multiples (both handled by the rule), so a fifth off is no adjustment.
  double amount_anomaly_ratio = 1.2;
  // Paid far below the benefit is an anomaly only where it is rare: when more than this share
  // of the pensioners have such a month, the payroll makes deductions (an earlier overpayment
  // recovered, a court order), which the feeds do not mark, and an underpayment alone is context
  // (a caseworker's note, no case). Default 0.01 (1 in 100).
  double amount_underpaid_routine_share = 0.01;
  int backpay_window_months = 24;        // back-payment made within this before retirement
  double backpay_share_threshold = 0.3;  // share of the 15 years bought back
  int appraisal_doctor_min_cases = 4;    // doctor's appraisals before a hotspot is judged
  int age_change_window_months = 36;     // birth-date change this close to retirement
  int face_reuse_min_persons = 2;        // persons certified by one face
  double hold_risk = 0.5;                // fused risk at or above: HOLD
  double block_risk = 0.85;              // fused risk at or above: BLOCK
  double anomaly_flag_score = 0.65;      // isolation-forest score to flag ANOMALY
  // A birth-date change made earlier than age_change_window_months is still judged when by the
  // old date the person retired at least this many months early (before the month after the
  // birthday reaching the age): a clerical correction moves a date by days or months, a changed
  // year of birth by a year or more. Default 12.
  int age_change_shortfall_months = 12;
  // ANOMALY flags at most this share of the people no pattern rule explains (the highest anomaly
  // scores, and only those at or above anomaly_flag_score): the review budget for unexplained
  // outliers, since an unsupervised score has no natural cut. The people a rule reports as
  // ANOMALY (a pension rotating through single-use accounts) use the budget first; they are
  // reported even beyond it. Default 0.001 (1 in 1,000).
  double anomaly_contamination = 0.001;
  // Peers for the anomaly model's relative features: same scheme, region and band of this many
  // contribution years. Default 10.
  int anomaly_peer_years_band = 10;
  // A peer group smaller than this falls back to a coarser one (scheme and region, then scheme,
  // then everyone) so that medians are not set by a handful of people. Default 50.
  int anomaly_min_peer_group = 50;

  // A doctor is a hotspot when signing at least their count of complete-loss grades would have
  // probability below this for a doctor signing at the population rate
  // (population_complete_loss_share): the binomial upper tail. Default 0.005.
  double appraisal_doctor_alpha = 0.005;
  // A doctor below this looser level is a hotspot for an appraisal whose subject then lives an
  // active life: real-name trips (TRAVEL days) on or after the complete-loss appraisal at a
  // rate of at least disability_active_trips_per_year (over the time observed since, at least
  // certification.window_months). Two independent signs together: the doctor's share of severe
  // grades, and behaviour that a complete loss of labour capacity makes unlikely. Measured on
  // nine generated cities: recall 0.70 -> 0.79 at the same precision (0.896). Default 0.02.
  double appraisal_doctor_alpha_active = 0.02;
  // Real-name trip days per year after a complete-loss appraisal that count as an active life
  // (a round trip is two days). Default 3.
  double disability_active_trips_per_year = 3.0;
  // Persons of one household who may share a phone for face certification (a couple): a face
  // place with at most this many persons is a weak hit only. Default 2.
  int face_reuse_household_size = 2;
  // A face place names a device or a face template only where at least this share of the
  // certifications (person, place) are at places of one household; where most are at places
  // many persons share (a kiosk, a service hall), the place is a facility: sharing one proves
  // nothing about faces, and FACE_REUSE by place is not judged. Default 0.5.
  double face_place_personal_share_min = 0.5;
  // A sitting at a face place: passes there with gaps of at most this many minutes. One face
  // certifying several identities does it in one session at the device, within hours;
  // strangers at a kiosk come one by one over weeks. Default 240.
  int face_reuse_sitting_minutes = 240;
  // FACE_REUSE is judged at a place only when the sitting holds at least this share of all the
  // persons ever certified there: a device whose users come in batches, not a busy kiosk that
  // chains strangers into one sitting now and then. Default 0.5.
  double face_reuse_sitting_share_min = 0.5;
  // A payee-account switch with an in-person sign (counter, service, visit) within this many
  // days before the first payment to the new account was made by the person. Default 90.
  int hijack_in_person_days = 90;
  // A payee-account change made at a counter reaches the next pension run, or the one after it
  // when made fewer than this many days before that run (the payroll goes to the bank some days
  // before pay day). A visit followed by a later run into the old account did not make the
  // change. Default 7.
  int hijack_change_lead_days = 7;
  // The person's own card use on the pension account (BANK_ACTIVITY) stopped at a payee-account
  // switch: no activity since, where their uses in the year before make that chance below this
  // (the posterior predictive of no use at a Poisson rate known from those uses, Jeffreys'
  // prior: a rate read off a few uses is uncertain). Default 0.01.
  double hijack_stop_alpha = 0.01;
  // A switch with no such visit is evidence of a hijack only where at least this share of all
  // switches in the data had one: where the feeds often miss the visit that changes an account,
  // honest switches without one outnumber the hijacks (at one hijack in ten switches, a 20%
  // miss rate already makes two honest unseen switches per hijack). Default 0.8.
  double hijack_seen_switch_share_min = 0.8;
  // ACCOUNT_HIJACK names one takeover (or a ring: several victims moved into one account). A
  // pension paid over the last year into at least this many accounts used on one pay date each,
  // most of its accounts being such, is a rotation through single-use accounts: no takeover
  // explains it (one takeover leaves at most two accounts used once in a year, the old one's
  // last run and the new one's first; a second move three), so the rule reports it as ANOMALY
  // (0.6) instead of a takeover. Default 4.
  int hijack_rotation_min_accounts = 4;
  // Two ids sharing a name and birth date, one unknown to every other agency, are one person
  // twice when a namesake born on that date by chance is less likely than this: the expected
  // number of others of that name born in the same decade times the chance that two such share
  // the date (times the share of shared phones when the phone is shared too). Each test errs
  // with at most this chance, so false accusations grow with the city, not with its square.
  // Default 0.001.
  double forged_identity_chance_alpha = 0.001;
  // Ids one phone may be registered to: a household's pensioners (two generations of couples).
  // More is an agent's phone, and an id on it that no other agency knows is forged. Default 4.
  int phone_household_max_ids = 4;
  // Ids one registered address may hold before it is more than a household's, likewise. Many
  // households share an address honestly (a care home, a building registered without its
  // flats), so this counts only against an id no other agency knows, as the phone does.
  // Default 4.
  int address_household_max_ids = 4;
  // An id no other agency knows is evidence (at a crowded address, or as the unknown one of a
  // namesake pair) only where at least this share of the persons counted are known to one:
  // where the agencies' feeds are missing (a region whose hospitals and transit share nothing,
  // a load of the fund's ledgers alone), every honest id has no footprint, and those rules
  // would accuse households and the real person of a pair. Default 0.5.
  double footprint_share_min = 0.5;
  // A disability retirement for complete loss of labour capacity with REGULAR contributions (a
  // wage) for more than this many months after the retirement month: the person is working.
  // One month tolerates a last wage recorded after the date. Default 1.
  int disability_work_grace_months = 1;
  // A spell that ends at the retirement is entered, or last changed, after it (recorded_at), so
  // in a SPECIAL_JOB retirement month and the (this - 1) months after it, a record that stops
  // before the month before retirement may lack a spell not entered yet: FAKE_SPECIAL_JOB then
  // reports missing special-job years only if no special job could reach its minimum were all
  // the unrecorded months that job (its age test is not affected). From the month this many
  // after the retirement month on, or once the record reaches the retirement, the known record
  // is judged. 0 turns the allowance off. Default 3.
  int contribution_record_grace_months = 3;
  // Unemployment months overlapping contribution spells tolerated (the month of changing
  // job). Default 1.
  int unemployment_overlap_grace_months = 1;
  // Hits at or above this strength are reported as patterns; weaker ones are context.
  // Default 0.5.
  double pattern_min_strength = 0.5;
};

struct Policy {
  std::string version = "default-1";
  RetirementPolicy retirement;
  CertificationPolicy certification;
  RulePolicy rules;

  static Policy Defaults() { return Policy{}; }
  // Parses JSON text; `origin` names the source in error messages.
  static Result<Policy> FromJson(std::string_view json_text, std::string_view origin = "policy");
  static Result<Policy> LoadFile(const std::string& path);
  // The full policy as pretty JSON (every key), e.g. to write a starting policy.json.
  std::string ToJson() const;

  // Normal retirement age for this person.
  int NormalRetirementAge(Sex sex, Category category) const;
};

}  // namespace vigil

// The rules in force: retirement law, certification weights and every rule threshold.
//
// Loaded from `policy.json` so supervisors change it without recompiling. Every field has the
// contract's default; a JSON file only needs the keys it changes. Unknown keys and values out of
// range are errors that name the key (e.g. "policy.json: retirement.normal_age.male: 200 is out
// of range [40, 80]"). `version` is recorded with every decision so it can be replayed.
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
  // Card-only evidence is capped: without any in-person sign in this many months, a person
  // is not certified on card activity alone (relatives keep using cards after a death).
  int in_person_max_gap_months = 24;
  double card_only_cap = 0.9;  // max evidence from sources that are not in person
};

struct RulePolicy {
  int deceased_grace_months = 0;         // payments for periods after the death month
  int duplicate_min_regions = 2;         // regions paying one person for one period
  int shared_account_max_persons = 2;    // more persons than this on one account is flagged
  double amount_anomaly_ratio = 1.5;     // paid / approved benefit beyond this (or 1/this)
  int backpay_window_months = 24;        // back-payment made within this before retirement
  double backpay_share_threshold = 0.3;  // share of the 15 years bought back
  int appraisal_doctor_min_cases = 10;   // doctor's disability appraisals to be a hotspot
  double appraisal_doctor_share = 0.5;   // share of grades 1-4 at a hotspot doctor
  int age_change_window_months = 36;     // birth-date change this close to retirement
  int face_reuse_min_persons = 2;        // persons certified by one face
  double hold_risk = 0.5;                // fused risk at or above: HOLD
  double block_risk = 0.85;              // fused risk at or above: BLOCK
  double anomaly_flag_score = 0.65;      // isolation-forest score to flag ANOMALY
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

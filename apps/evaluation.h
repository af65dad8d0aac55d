// `vigil eval`: compares a scoring run's outputs with a generator's ground truth.
//
// Matching is per person id: a person's patterns are the union over their region rows, on both
// sides, so a duplicate receipt flagged in one region counts once. Certification rates are per
// (person id, region) row of certification.csv, judged against the truth's `alive`.
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "vigil/codes.h"
#include "vigil/status.h"

namespace vigil::cli {

struct PatternScore {
  uint64_t truth = 0;    // persons with the pattern in the truth
  uint64_t flagged = 0;  // persons with the pattern in cases.csv
  uint64_t true_positive = 0;
  double precision() const { return flagged == 0 ? 0.0 : double(true_positive) / double(flagged); }
  double recall() const { return truth == 0 ? 0.0 : double(true_positive) / double(truth); }
};

struct CertificationRates {
  uint64_t living = 0;
  uint64_t living_certified = 0;
  uint64_t living_needs_active = 0;
  uint64_t dead = 0;
  uint64_t dead_certified = 0;
  uint64_t dead_suspended = 0;
  // Truth rows with no certification row. certification.csv has one row per pension
  // registration (data contract), so a truth row for someone the fund pays no pension (a
  // benefit claimant) rightly has none; such rows are left out of the two rates above.
  uint64_t missing = 0;
  uint64_t missing_living = 0;
  // Of `missing`, rows the truth marks as pensioners (optional `role` column = PENSIONER): a
  // registration left without an outcome, a fault of the output. 0 without a role column.
  uint64_t missing_pensioners = 0;
  bool truth_has_role = false;
  // The strict reading: every living truth row without a row counted as not certified.
  double living_certified_share_strict() const {
    const uint64_t all = living + missing_living;
    return all == 0 ? 0.0 : double(living_certified) / double(all);
  }
  double living_certified_share() const {
    return living == 0 ? 0.0 : double(living_certified) / double(living);
  }
  double dead_certified_share() const {
    return dead == 0 ? 0.0 : double(dead_certified) / double(dead);
  }
};

struct EvaluationReport {
  std::array<PatternScore, CodeCount<Pattern>()> patterns{};
  // Any pattern at all: a flagged person is a true positive when the truth lists any pattern.
  PatternScore any;
  CertificationRates certification;
  uint64_t truth_persons = 0;
  uint64_t case_rows = 0;
};

// Reads `truth_dir`/persons.csv, `cases_dir`/cases.csv and `cases_dir`/certification.csv.
// Errors name the file, line and column of the first unreadable value.
Result<EvaluationReport> Evaluate(const std::string& truth_dir, const std::string& cases_dir);

// The report as the aligned text table `vigil eval` prints.
std::string FormatReport(const EvaluationReport& report);

}  // namespace vigil::cli

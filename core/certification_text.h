// Internal helpers of certification: reason texts, evidence lists and the months owed on
// restore. Kept apart so certification.cc reads as the decision it makes.
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "vigil/certification.h"

namespace vigil {

// "1.25" (two decimals), for reasons shown to people.
std::string FormatFixed(double v, int decimals = 2);

// "card use moved from about 09h to about 20h; 10% of its places seen before".
std::string HabitNote(double hour_before, double hour_after, double place_overlap);

// " pension-account card use in 5 of 5 months since, 3 of 19 before" (leading space).
std::string TakeoverNote(int used_before, int months_before, int used_after, int months_after);

std::string DeathReason(const RegistryRecord* death, const RegistryRecord* cremation,
                        const SignalRecord* died_discharge, const LifeDoubts& doubts);

// Explains the doubt detectors that fired, with their numbers.
std::string DoubtReason(const LifeDoubts& doubts, const CertificationFeatures& f,
                        const std::optional<Date>& last_body_sign);

std::string ScoreReason(double score, double threshold, bool certified, bool card_only,
                        const CertificationFeatures& f, const std::optional<Date>& last_in_person);

// Appends the per-source best signals that make up the score, strongest first (at most 4).
void AppendSourceEvidence(const std::array<double, CodeCount<SignalSource>()>& best,
                          const std::array<const SignalRecord*, CodeCount<SignalSource>()>& signal,
                          std::vector<Evidence>& out);

// Months in [since, month of as_of] with no PENSION payment from `region` known by as_of,
// leaving out months spent in prison (after the entry month, before the release month).
int MonthsOwed(const PersonHistory& h, uint16_t region, Month since, Date as_of);

}  // namespace vigil

#include "certification_text.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <string_view>
#include <system_error>

#include "rules_internal.h"

namespace vigil {

std::string FormatFixed(double v, int decimals) {
  // std::to_chars writes what printf("%.*f") writes in the C locale, without parsing a format:
  // every reason and certification row calls this (it was 1.7% of a scoring run).
  char buf[400];  // the longest double in fixed notation, with the few decimals used here
  const auto [end, error] =
      std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
  if (error != std::errc()) {
    std::string out(static_cast<size_t>(std::snprintf(nullptr, 0, "%.*f", decimals, v)) + 1, '\0');
    out.resize(static_cast<size_t>(std::snprintf(out.data(), out.size(), "%.*f", decimals, v)));
    return out;
  }
  return std::string(buf, end);
}

namespace {

std::string Hour(double h) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02dh", static_cast<int>(std::lround(h)) % 24);
  return buf;
}

std::string Percent(double share) {
  return std::to_string(static_cast<int>(std::lround(share * 100))) + "%";
}

}  // namespace

std::string HabitNote(double hour_before, double hour_after, double place_overlap) {
  return "card use moved from about " + Hour(hour_before) + " to about " + Hour(hour_after) + "; " +
         Percent(place_overlap) + " of its places seen before";
}

std::string TakeoverNote(int used_before, int months_before, int used_after, int months_after) {
  return " pension-account card use in " + std::to_string(used_after) + " of " +
         std::to_string(months_after) + " months since, " + std::to_string(used_before) + " of " +
         std::to_string(months_before) + " before";
}

std::string DeathReason(const RegistryRecord* death, const RegistryRecord* cremation,
                        const SignalRecord* died_discharge, const LifeDoubts& doubts) {
  if (death != nullptr) {
    return "death registered: died " + FormatDate(death->event_date) + " (reported " +
           FormatDate(death->reported_date) + ")";
  }
  if (died_discharge != nullptr) {
    std::string m = "died in hospital on " + FormatDate(DateOf(died_discharge->occurred_at)) +
                    " (discharge record)";
    if (doubts.hospital_death_without_registration) {
      m += " with no death registration while the cards went on being used: concealed death";
    }
    return m;
  }
  std::string m = "cremated on " + FormatDate(cremation->event_date) + " (reported " +
                  FormatDate(cremation->reported_date) + ")";
  m += doubts.cremation_without_death ? " with no death registration: concealed death"
                                      : "; death registration not received yet";
  return m;
}

std::string DoubtReason(const LifeDoubts& d, const CertificationFeatures& f,
                        const std::optional<Date>& last_body_sign) {
  std::string m;
  auto add = [&m](const std::string& part) {
    if (!m.empty()) m += "; ";
    m += part;
  };
  const std::string seen =
      last_body_sign ? "last seen in body on " + FormatDate(*last_body_sign) : "never seen in body";
  // "<stream> stopped<context> (<seen>; so long a stop has probability p for ...)".
  auto stop_part = [&d, &seen](std::string_view context) {
    char p[32];
    std::snprintf(p, sizeof p, "%.1g", d.stop_probability);
    return d.stopped_stream + (d.stream_fell ? " fell off" : " stopped") + std::string(context) +
           " (" + seen + "; " + (d.stream_fell ? "such a fall" : "so long a stop") +
           " has probability " + p + " for this person's own rhythm)";
  };
  if (d.card_only_tail || d.medical_break || d.life_stopped) {
    std::string part =
        stop_part(d.medical_break ? " after a hospital stay while other signals go on"
                                  : " while other signals go on");
    if (d.card_only_tail && f.card_tail_months > 0) {
      part += ", only card use for " + FormatFixed(f.card_tail_months, 1) + " months";
    }
    add(part);
  }
  if (d.undrawn_stop) {
    add(stop_part("") +
        " and the pension account is used less since: the cards alone no longer show the "
        "person's life");
  }
  if (d.life_gone) {
    add("no life sign for " + FormatFixed(d.quiet_days / (365.25 / 12), 1) +
        " months while the phone or the pension account go on (" + seen + ")");
  }
  if (d.habit_change) {
    add("card use moved by " + FormatFixed(f.hour_shift_hours, 1) + " hours to places " +
        Percent(1.0 - f.place_overlap) + " new");
  }
  if (d.silence) {
    add("no signal for " + FormatFixed(f.months_since_any_signal, 1) + " months (" +
        FormatFixed(f.silence_ratio, 0) + "x the usual gap)");
  }
  return "evidence of life doubtful: " + m + ": certify by face or visit";
}

std::string ScoreReason(double score, double threshold, bool certified, bool card_only,
                        const CertificationFeatures& f, const std::optional<Date>& last_in_person) {
  std::string m =
      "evidence " + FormatFixed(score) + (certified ? " >= " : " < ") + FormatFixed(threshold);
  if (certified) return m;
  if (card_only) {
    m += "; no in-person sign for " +
         (last_in_person ? FormatFixed(f.months_since_in_person, 1) + " months"
                         : std::string("the whole history")) +
         ": card activity alone does not certify";
  } else if (last_in_person) {
    m += "; last in-person sign " + FormatDate(*last_in_person);
  }
  return m + ": certify by face or visit";
}

void AppendSourceEvidence(const std::array<double, CodeCount<SignalSource>()>& best,
                          const std::array<const SignalRecord*, CodeCount<SignalSource>()>& signal,
                          std::vector<Evidence>& out) {
  std::array<size_t, CodeCount<SignalSource>()> order{};
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&best](size_t a, size_t b) { return best[a] > best[b]; });
  for (size_t k = 0; k < order.size() && k < 4; ++k) {
    const size_t i = order[k];
    if (signal[i] == nullptr || best[i] <= 0) break;
    std::string note;
    if (!signal[i]->detail.empty() && signal[i]->source == SignalSource::kFaceCert) {
      note += signal[i]->detail;
      note += ", ";
    }
    note += "weight ";
    note += FormatFixed(best[i]);
    out.push_back({std::string(CodeName(signal[i]->source)), DateOf(signal[i]->occurred_at),
                   std::move(note)});
  }
}

int MonthsOwed(const PersonHistory& h, uint16_t region, Month since, Date as_of) {
  const int from = MonthNumber(since);
  const int to = MonthNumber(MonthOf(as_of));
  if (to < from) return 0;
  std::vector<bool> owed(static_cast<size_t>(to - from + 1), true);
  for (const PaymentRecord& p : h.payments) {
    if (p.region != region || p.benefit != Benefit::kPension || Days(p.paid_date) > Days(as_of)) {
      continue;
    }
    const int m = MonthNumber(p.period);
    if (m >= from && m <= to) owed[static_cast<size_t>(m - from)] = false;
  }
  // Months in prison are not owed: entry month paid, release month paid, the months between not.
  for (const RegistryRecord& in : h.registry) {
    if (in.event != RegistryEvent::kPrisonIn || Days(in.reported_date) > Days(as_of)) continue;
    const RegistryRecord* release = rules::PrisonRelease(h, in, as_of);
    const int out_month =
        release ? std::min(to + 1, MonthNumber(MonthOf(release->event_date))) : to + 1;
    for (int m = MonthNumber(MonthOf(in.event_date)) + 1; m < out_month; ++m) {
      if (m >= from && m <= to) owed[static_cast<size_t>(m - from)] = false;
    }
  }
  return static_cast<int>(std::count(owed.begin(), owed.end(), true));
}

}  // namespace vigil

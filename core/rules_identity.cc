// Rules on who is paid and where: shared and hijacked accounts, forged identities, reused faces.
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "certification_text.h"
#include "rules_internal.h"
#include "sorting.h"
#include "vigil/resident_id.h"

namespace vigil::rules {
namespace {

// Accounts in reasons show their last four characters only.
std::string Mask(const std::string& account) {
  return account.size() <= 4 ? account : "****" + account.substr(account.size() - 4);
}

}  // namespace

// The registered account's pension payments known by `as_of`, by date, and on one date the older
// period first: a supplement for an earlier month (the back-dated yearly increase) paid the day
// the first payment goes to a new account still goes to the account of its month, and must not
// hide the switch.
void PensionPaymentsOf(const PersonHistory& h, const PersonRecord& reg, Date as_of,
                       std::vector<const PaymentRecord*>* paid) {
  paid->clear();
  for (const PaymentRecord& p : h.payments) {
    if (p.region == reg.region && p.benefit == Benefit::kPension && p.paid_date <= as_of &&
        !p.bank_account.empty()) {
      paid->push_back(&p);
    }
  }
  StableSortIfNeeded(*paid, [](const PaymentRecord* a, const PaymentRecord* b) {
    if (a->paid_date != b->paid_date) return a->paid_date < b->paid_date;
    return MonthNumber(a->period) < MonthNumber(b->period);
  });
}

std::optional<AccountSwitch> FindAccountSwitch(const PersonHistory& h, const PersonRecord& reg,
                                               std::span<const PaymentRecord* const> paid,
                                               const Policy& policy, Date as_of) {
  if (paid.empty() || reg.bank_account.empty() || paid.back()->bank_account != reg.bank_account) {
    return std::nullopt;
  }
  AccountSwitch out;
  out.first_new = paid.size() - 1;
  while (out.first_new > 0 && paid[out.first_new - 1]->bank_account == reg.bank_account) {
    --out.first_new;
  }
  if (out.first_new == 0) return std::nullopt;  // always paid into the registered account
  const Date switched = paid[out.first_new]->paid_date;
  out.switch_day = DayNumber(switched);
  const int window = policy.rules.hijack_in_person_days;
  // A change made at a counter reaches the next pension run, or the one after it when made
  // within hijack_change_lead_days of that run (the payroll goes to the bank days before pay
  // day). A visit followed by a run into the old account later than that did not change the
  // account: the change happened after it, and nobody was seen in person then.
  for (size_t i = 0; i < out.first_new; ++i) {
    if (paid[i]->paid_date < switched) {
      out.last_old_day = std::max(out.last_old_day, DayNumber(paid[i]->paid_date));
    }
  }
  int earliest_visit = out.switch_day - window;
  if (out.last_old_day != std::numeric_limits<int>::min()) {
    earliest_visit =
        std::max(earliest_visit, out.last_old_day - policy.rules.hijack_change_lead_days);
  }
  const Timestamp after_as_of = StartOfNextDay(as_of);
  for (const SignalRecord& s : h.signals) {
    if (s.occurred_at >= after_as_of) break;
    // A payee account is changed at a bank counter or a service desk with an id check, or in
    // the app behind a face check: not on a community worker's visit, nor by a cash withdrawal
    // at the counter (recorded as such in the signal's detail), nor behind a failed face check.
    if (!ChangeVisit(s)) continue;
    const int day = DayNumberOf(s.occurred_at);
    if (day <= out.switch_day && day >= out.switch_day - window) {
      (day >= earliest_visit ? out.at_counter : out.visit_before_old_run) = true;
    }
  }
  return out;
}

AccountChurn PensionAccountChurn(std::span<const PaymentRecord* const> paid, Date as_of) {
  // (account, pay day) once each: a payroll run and its supplements on one day are one use.
  // Scratch kept per thread: this runs for every person, in the rules and in the features.
  thread_local std::vector<std::pair<std::string_view, int>> uses;
  uses.clear();
  const int today = DayNumber(as_of);
  for (const PaymentRecord* p : paid) {
    const int day = DayNumber(p->paid_date);
    if (day > today || today - day >= kAccountChurnDays || p->bank_account.empty()) continue;
    uses.emplace_back(p->bank_account, day);
  }
  std::sort(uses.begin(), uses.end());
  uses.erase(std::unique(uses.begin(), uses.end()), uses.end());
  AccountChurn churn;
  for (size_t i = 0; i < uses.size();) {
    size_t j = i;
    while (j < uses.size() && uses[j].first == uses[i].first) ++j;
    ++churn.accounts;
    if (j - i == 1) ++churn.single_use;
    i = j;
  }
  return churn;
}

bool RotatesAccounts(const AccountChurn& churn, const Policy& policy) {
  return churn.single_use >= policy.rules.hijack_rotation_min_accounts &&
         2 * churn.single_use > churn.accounts;
}

// One household (a couple) may share an account; more persons on one account is a ring
// (policy: rules.shared_account_max_persons), and so are fewer who are not one household: no
// registered address or phone in common (a couple shares a home).
void SharedAccount(const Context& c, std::vector<RuleHit>& out) {
  const int limit = c.policy.rules.shared_account_max_persons;
  std::string worst, strangers;
  uint32_t most = 0, strangers_persons = 0, households = 0;
  auto consider = [&](const std::string& account) {
    const uint32_t n = c.facts.persons_per_account.Get(account);
    if (n > most) {
      most = n;
      worst = account;
    }
    const uint32_t homes = c.facts.households_per_account.Get(account);
    if (homes > households) {
      households = homes;
      strangers = account;
      strangers_persons = n;
    }
  };
  for (const PersonRecord& reg : c.h.registrations) consider(reg.bank_account);
  // A pension is paid into the same account month after month: only a change costs look-ups.
  const std::string* last_account = nullptr;
  for (const PaymentRecord& p : c.h.payments) {
    if (!c.Known(p) || (last_account != nullptr && *last_account == p.bank_account)) continue;
    consider(p.bank_account);
    last_account = &p.bank_account;
  }
  if (static_cast<int>(most) <= limit) {
    if (households < 2) return;
    // Within the limit, but the holders are several households: nothing a couple explains.
    // Weaker than a ring beyond the limit: two registered addresses may still be one home.
    RuleHit hit;
    hit.pattern = Pattern::kSharedAccount;
    hit.clause = "policy: rules.shared_account_max_persons (one household)";
    hit.strength = 0.6;
    hit.reason = "account " + Mask(strangers) + " receives the benefits of " +
                 std::to_string(strangers_persons) + " persons of " + std::to_string(households) +
                 " households (no registered address or phone in common)";
    hit.evidence.push_back({"persons", c.as_of, "account " + Mask(strangers)});
    out.push_back(std::move(hit));
    return;
  }
  RuleHit hit;
  hit.pattern = Pattern::kSharedAccount;
  hit.clause = "policy: rules.shared_account_max_persons";
  hit.strength = Grow(0.7, (static_cast<double>(most) - limit - 1) / 2.0);
  hit.reason = "account " + Mask(worst) + " receives the benefits of " + std::to_string(most) +
               " persons (more than " + std::to_string(limit) + ")";
  hit.evidence.push_back({"payments", c.as_of, "account " + Mask(worst)});
  out.push_back(std::move(hit));
}

// A pension paid into a fresh account month after month (rules.hijack_rotation_min_accounts):
// reported as ANOMALY with the numbers. See AccountHijack.
RuleHit RotationHit(const PersonRecord& reg, const std::vector<const PaymentRecord*>& paid,
                    const AccountChurn& churn) {
  RuleHit rotation;
  rotation.pattern = Pattern::kAnomaly;
  rotation.region = reg.region;
  rotation.clause = "policy: rules.hijack_rotation_min_accounts";
  // Worth a review (HOLD), never a block on its own, as the model's outliers.
  rotation.strength = 0.6;
  rotation.reason = "pension paid into " + std::to_string(churn.accounts) +
                    " accounts in the last " + std::to_string(kAccountChurnDays) + " days, " +
                    std::to_string(churn.single_use) +
                    " of them on one pay date only: it rotates through single-use accounts, "
                    "which no takeover explains; newest " +
                    Mask(paid.back()->bank_account);
  rotation.evidence.push_back(
      {"payments", paid.back()->paid_date, "into " + Mask(paid.back()->bank_account)});
  return rotation;
}

// Diversion: the newest payments do not go to the registered account. Empty when the
// unregistered account is a stale registry row (see below).
std::optional<RuleHit> DiversionHit(const Context& c, const PersonRecord& reg,
                                    const std::vector<const PaymentRecord*>& paid, RuleHit hit) {
  size_t from = paid.size();
  while (from > 0 && paid[from - 1]->bank_account != reg.bank_account) --from;
  const bool ever_registered = from > 0;
  const size_t count = paid.size() - from;
  // Paid into one unregistered account from the start is a stale registry row, not a
  // hijack; so is an account the person's household holds together (a couple's joint
  // account, where the registry still shows the person's own): nobody took anything over.
  if (!ever_registered) {
    const std::string& into = paid.back()->bank_account;
    const uint32_t holders = c.facts.persons_per_account.Get(into);
    const bool one_household =
        static_cast<int>(holders) <= c.policy.rules.shared_account_max_persons &&
        c.facts.households_per_account.Get(into) < 2;
    if (holders <= 1 || one_household) return std::nullopt;
  }
  hit.strength = ever_registered ? 0.85 : 0.6;
  for (size_t i = from; i < paid.size(); ++i) Claim(*paid[i], paid[i]->amount, hit);
  const Money sum = hit.overpaid;
  hit.reason = std::to_string(count) + " payment" + (count == 1 ? "" : "s") + " since " +
               FormatDate(paid[from]->paid_date) + " into " + Mask(paid.back()->bank_account) +
               ", not the registered account " + Mask(reg.bank_account) + ": " +
               FormatMoneyGrouped(sum) + " diverted";
  hit.evidence.push_back(
      {"payments", paid[from]->paid_date, "into " + Mask(paid.back()->bank_account)});
  return hit;
}

// The pensioner's own card use on the pension account around an account switch, and the
// chance of its stop at their own rate (rules.hijack_stop_alpha).
struct CardUseAtSwitch {
  int activity_before = 0, activity_after = 0;
  int days_since = 0;
  double stop_chance = 1.0;
  bool stopped = false;
};

CardUseAtSwitch CardUseAround(const Context& c, int switch_day) {
  CardUseAtSwitch use;
  constexpr int kRateDays = 365;
  int first_signal_day = switch_day;
  const Timestamp after_as_of = StartOfNextDay(c.as_of);
  for (const SignalRecord& s : c.h.signals) {
    if (s.occurred_at >= after_as_of) break;
    const int day = DayNumberOf(s.occurred_at);
    first_signal_day = std::min(first_signal_day, day);
    if (s.source == SignalSource::kBankActivity) {
      if (day > switch_day) {
        ++use.activity_after;
      } else if (day > switch_day - kRateDays) {
        ++use.activity_before;
      }
    }
  }
  const int rate_days = std::max(1, std::min(kRateDays, switch_day - first_signal_day));
  use.days_since = DayNumber(c.as_of) - switch_day;
  // The chance of no use since, at the person's own rate as far as `activity_before` uses in
  // `rate_days` tell it: the posterior predictive with Jeffreys' prior on a Poisson rate
  // (a Gamma(k + 1/2, rate_days) rate), ((rate_days) / (rate_days + days_since))^(k + 1/2).
  // The plug-in exp(-rate * days_since) takes a rate read off one or two uses as exact, and
  // then a pensioner who used the card once in a few months looks certain to have used it again.
  use.stop_chance =
      std::pow(static_cast<double>(rate_days) / static_cast<double>(rate_days + use.days_since),
               use.activity_before + 0.5);
  use.stopped = use.activity_after == 0 && use.stop_chance < c.policy.rules.hijack_stop_alpha;
  return use;
}

namespace {

// Whether the account a switch went to is an arranged shared account: most of the persons it
// receives were switched to it within a month (rules.shared_account_batch_days), more than one
// household of them (rules.shared_account_max_persons). An agent, an institution or a family
// takes over several pensions in one go; a ring takes over its victims one at a time. Or every
// person it receives was moved to it by one pay run (rules.shared_account_max_persons or fewer:
// a pair), where SHARED_ACCOUNT reports them (two households). The arrangement is
// SHARED_ACCOUNT's to report: context for ACCOUNT_HIJACK.
struct Arrangement {
  bool arranged = false;
  bool pair_moved_together = false;
  uint32_t batch = 0;  // persons switched to the account within the batch days
};

Arrangement ArrangementOf(const Context& c, const std::string& account, uint32_t sharing) {
  Arrangement a;
  const int limit = c.policy.rules.shared_account_max_persons;
  a.batch = c.facts.switch_batch_per_account.Get(account);
  const uint32_t run = c.facts.switch_run_per_account.Get(account);
  a.pair_moved_together =
      run >= 2 && run >= sharing && c.facts.households_per_account.Get(account) >= 2;
  a.arranged = sharing >= 2 && ((static_cast<int>(a.batch) > limit && 2 * a.batch >= sharing) ||
                                a.pair_moved_together);
  return a;
}

// What a switch to the registered account shows, for its strength and its reason.
struct SwitchFindings {
  AccountSwitch sw;
  CardUseAtSwitch use;
  Date switched{};
  uint32_t sharing = 0;  // persons whose benefits the new account receives
  bool to_ecny = false;
  bool missing_visit_counts = false;
  bool after_death = false;
  Arrangement arrangement;
  Money paid_since;
};

double SwitchStrength(const Context& c, const SwitchFindings& f) {
  const double shared = f.sharing >= 2 ? 0.25 : 0.0;
  const double ecny = f.to_ecny ? 0.1 : 0.0;
  double strength = 0;
  if (!f.sw.at_counter && f.missing_visit_counts) {
    strength = (f.use.stopped ? 0.85 : 0.55) + shared + ecny;
  } else if (!f.sw.at_counter) {
    strength = (f.use.stopped ? 0.6 : 0.3) + shared + ecny;
  } else {
    // Someone with the person's id card was at a counter, and the pensioner's own use of the
    // pension account ended there, improbably for their own rhythm: the pension now reaches
    // an account nobody uses with the person's card. An honest change moves the person's
    // card use to the new account (the pension account the bank reports on), so it does not
    // end; reported, at a lower strength than a switch with no visit at all. A death on
    // record explains the end of the card use (the payments after it are DECEASED_PAID's):
    // context then.
    const bool death_explains_stop = c.cert.death_date.has_value();
    strength = (death_explains_stop ? 0.45 : 0.6) + shared + ecny;
  }
  // A switch after a death on record is not a living pensioner's account taken over: whoever
  // moved it collects a dead person's pension, which DECEASED_PAID recovers from the death
  // month on. Context then, so one overpayment is not reported as two frauds.
  if (f.after_death) strength = std::min(strength, 0.45);
  if (f.arrangement.arranged) strength = std::min(strength, 0.3);
  return std::min(strength, 0.95);
}

std::string SwitchReason(const Context& c, const PersonRecord& reg,
                         const std::vector<const PaymentRecord*>& paid, const SwitchFindings& f) {
  std::string reason = "payee account switched from " +
                       Mask(paid[f.sw.first_new - 1]->bank_account) + " to " +
                       Mask(reg.bank_account) + " on " + FormatDate(f.switched);
  if (f.sw.visit_before_old_run) {
    reason +=
        " with no bank counter or service desk visit nor face check in the app "
        "after the payment of " +
        FormatDate(DateFromDayNumber(f.sw.last_old_day)) +
        " into the old account (an earlier visit did not change the account)";
  } else if (!f.sw.at_counter) {
    reason += " with no bank counter or service desk visit nor face check in the app in the " +
              std::to_string(c.policy.rules.hijack_in_person_days) + " days before";
    if (!f.missing_visit_counts) {
      reason += " (as for " +
                std::to_string(c.facts.account_switches - c.facts.account_switches_seen) +
                " of the " + std::to_string(c.facts.account_switches) +
                " switches in the data: not evidence by itself)";
    }
  }
  if (f.use.stopped) {
    reason += "; the pensioner's own card use stopped there (" +
              std::to_string(f.use.activity_before) + " uses in the year before, none in " +
              std::to_string(f.use.days_since) + " days since; chance " +
              FormatFixed(f.use.stop_chance, 4) + ")";
  }
  if (f.sharing >= 2) {
    reason += "; the new account receives " + std::to_string(f.sharing) + " persons' benefits";
  }
  if (f.arrangement.arranged) {
    reason += f.arrangement.pair_moved_together
                  ? " (all " + std::to_string(f.sharing) +
                        " moved to it by one pay run: an arrangement, reported as a shared "
                        "account)"
                  : " (" + std::to_string(f.arrangement.batch) + " of them switched to it within " +
                        std::to_string(c.policy.rules.shared_account_batch_days) +
                        " days: an arrangement, reported as a shared account)";
  }
  if (f.to_ecny) reason += "; moved to an e-CNY wallet";
  reason += "; " + FormatMoneyGrouped(f.paid_since) + " paid into it since";
  if (f.after_death) {
    reason += "; switched after the death on " + FormatDate(*c.cert.death_date) +
              " (recovered as a payment after death)";
  }
  return reason;
}

// A switch of the pension to the registered account from another one that nobody in person
// could have made, or after which the pensioner's own card use stopped. Empty when the person
// changed their own account at a counter and went on using it.
std::optional<RuleHit> SwitchHit(const Context& c, const PersonRecord& reg,
                                 const std::vector<const PaymentRecord*>& paid, RuleHit hit) {
  const std::optional<AccountSwitch> sw = FindAccountSwitch(c.h, reg, paid, c.policy, c.as_of);
  if (!sw) return std::nullopt;
  SwitchFindings f;
  f.sw = *sw;
  // The person's own card use on the pension account, a year before and since the switch.
  f.use = CardUseAround(c, sw->switch_day);
  if (sw->at_counter && !f.use.stopped) return std::nullopt;  // they changed their own account
  const PaymentRecord& first_new = *paid[sw->first_new];
  f.switched = first_new.paid_date;
  f.sharing = c.facts.persons_per_account.Get(reg.bank_account);
  f.to_ecny =
      first_new.channel == Channel::kEcny && paid[sw->first_new - 1]->channel == Channel::kBank;
  for (size_t i = sw->first_new; i < paid.size(); ++i) f.paid_since += paid[i]->amount;
  // Where most switches in the data come with no visit (the banks do not report the counter
  // work that changes an account, say), a switch without one is what honest switches look
  // like: the missing visit proves nothing, and the other signs must carry the hit.
  f.missing_visit_counts = c.facts.SeenSwitchShare() >= c.policy.rules.hijack_seen_switch_share_min;
  f.after_death = c.cert.death_date && Days(f.switched) > Days(*c.cert.death_date);
  f.arrangement = ArrangementOf(c, reg.bank_account, f.sharing);
  hit.strength = SwitchStrength(c, f);
  hit.clause =
      "policy: rules.hijack_in_person_days, hijack_change_lead_days, hijack_stop_alpha, "
      "hijack_seen_switch_share_min";
  hit.reason = SwitchReason(c, reg, paid, f);
  hit.evidence.push_back({"payments", f.switched, "first into " + Mask(reg.bank_account)});
  return hit;
}

}  // namespace

// The pension goes to the registered account. Payments into another account after the last one
// into the registered account are diverted; a switch of account made without the person being
// seen in person around it (policy: rules.hijack_in_person_days) is suspect, more so into an
// account shared with other persons. The missing visit is evidence only where the data shows
// that switches are normally seen at a counter (policy: rules.hijack_seen_switch_share_min).
void AccountHijack(const Context& c, std::vector<RuleHit>& out) {
  thread_local std::vector<const PaymentRecord*> paid;
  for (const PersonRecord& reg : c.h.registrations) {
    PensionPaymentsOf(c.h, reg, c.as_of, &paid);
    if (paid.empty() || reg.bank_account.empty()) continue;
    // A takeover moves the pension to an account someone else controls, where it then flows;
    // a ring moves several victims into one. A pension paid into a fresh account month after
    // month is neither: no one account holds the money, so there is no takeover to name. That
    // churn is no pattern of the contract: it is reported as ANOMALY, with the numbers, whatever
    // the anomaly model's review budget, though counted in it first (a score has no natural cut;
    // this has).
    if (const AccountChurn churn = PensionAccountChurn(paid, c.as_of);
        RotatesAccounts(churn, c.policy)) {
      out.push_back(RotationHit(reg, paid, churn));
      continue;
    }
    RuleHit hit;
    hit.pattern = Pattern::kAccountHijack;
    hit.region = reg.region;
    hit.clause = "policy: rules.hijack_in_person_days";
    // Diversion: the newest payments do not go to the registered account. Otherwise a switch
    // to it.
    std::optional<RuleHit> found = paid.back()->bank_account != reg.bank_account
                                       ? DiversionHit(c, reg, paid, std::move(hit))
                                       : SwitchHit(c, reg, paid, std::move(hit));
    if (found) out.push_back(std::move(*found));
  }
}

bool KnownToOtherAgencies(const PersonHistory& h, Date as_of) {
  const Timestamp after_as_of = StartOfNextDay(as_of);
  for (const SignalRecord& s : h.signals) {
    if (s.occurred_at >= after_as_of) break;
    if (FootprintSource(s.source)) return true;
  }
  return std::any_of(h.registry.begin(), h.registry.end(),
                     [as_of](const RegistryRecord& r) { return r.reported_date <= as_of; }) ||
         std::any_of(h.appraisals.begin(), h.appraisals.end(),
                     [as_of](const AppraisalRecord& a) { return a.appraisal_date <= as_of; });
}

// An id that fails its check character in the fund's own ledgers (GB 11643-1999): the
// identity cannot have been issued, and every payment to it is recovered.
std::optional<RuleHit> BadCheckCharacterHit(const Context& c) {
  const auto id = ResidentId::ParseLenient(c.h.person_id);
  bool bad = !id.ok() || !id->checksum_ok();
  for (const PersonRecord& r : c.h.registrations) bad = bad || !r.id_checksum_ok;
  for (const ContributionRecord& k : c.h.contributions) bad = bad || !k.id_checksum_ok;
  for (const PaymentRecord& p : c.h.payments) bad = bad || !p.id_checksum_ok;
  if (!bad) return std::nullopt;
  RuleHit hit;
  int count = 0;
  for (const PaymentRecord& p : c.h.payments) {
    if (c.Known(p)) {
      Claim(p, p.amount, hit);
      ++count;
    }
  }
  const Money sum = hit.overpaid;
  hit.pattern = Pattern::kForgedIdentity;
  hit.clause = "policy: resident id check character (GB 11643-1999)";
  hit.strength = 0.95;
  hit.reason =
      "resident id fails its check character in the fund's ledgers: " + std::to_string(count) +
      " payments, " + FormatMoneyGrouped(sum) + " paid to an identity that cannot have been issued";
  hit.evidence.push_back({"persons", c.as_of, "id check character fails"});
  return hit;
}

// A phone or an address registered to more ids than one household's pensioners: an agent's
// (rules.phone_household_max_ids, address_household_max_ids).
RuleHit AgentsContactHit(const Context& c, const PersonRecord& reg, uint32_t twins, uint32_t phones,
                         uint32_t housed, bool agents_phone, bool agents_address, bool footprint) {
  RuleHit hit;
  hit.pattern = Pattern::kForgedIdentity;
  hit.region = reg.region;
  if (agents_phone) {
    hit.clause = "policy: one person, one resident id; rules.phone_household_max_ids";
    hit.reason = "the phone is registered to " + std::to_string(phones) +
                 " ids, more than one household (" +
                 std::to_string(c.policy.rules.phone_household_max_ids) + ")";
    hit.evidence.push_back(
        {"persons", reg.retirement_date, "phone shared by " + std::to_string(phones) + " ids"});
  }
  if (agents_address) {
    if (!agents_phone) {
      hit.clause = "policy: one person, one resident id; rules.address_household_max_ids";
    }
    hit.reason += std::string(agents_phone ? "; the" : "the") + " address is registered to " +
                  std::to_string(housed) +
                  " ids that no other agency knows, more than one household (" +
                  std::to_string(c.policy.rules.address_household_max_ids) + ")";
    hit.evidence.push_back({"persons", reg.retirement_date,
                            "address shared by " + std::to_string(housed) + " unknown ids"});
  }
  if (twins > 1) {
    hit.reason += "; " + std::to_string(twins) + " ids share this name and birth date " +
                  FormatDate(reg.birth_date);
  }
  if (footprint) {
    // Someone real (a care home's or a carer's number may serve many): context only.
    hit.strength = 0.3;
    hit.reason += "; this id is known to other agencies";
  } else {
    hit.strength = 0.85;
    hit.reason += "; no other agency has any record of this id: an agent's identity";
  }
  return hit;
}

// A namesake pair (one name and birth date for several ids), judged against the chance of
// honest namesakes (rules.forged_identity_chance_alpha).
RuleHit NamesakeHit(const Context& c, const PersonRecord& reg, uint32_t twins, uint32_t phones,
                    bool footprint, bool footprints_usual) {
  // Honest namesakes exist: in a big city a common name has hundreds of bearers and some share
  // a birth date by chance, and an honest person with no footprint elsewhere is merely thin
  // (certification asks them to come in). The chance that a namesake of this decade was born
  // on this very date is the number of others bearing the name in the decade times the
  // chance two ids of one decade share a date (both measured on the population at hand); a
  // shared phone multiplies it by the share of ids that share one anyway. A shared account
  // does not: households share accounts, and the facts do not say the twin is the other
  // holder (on the 100k city that link accused an honest namesake and found no forgery).
  const uint32_t namesakes =
      c.facts.ids_per_name_decade.Get(NameDecadeKey(reg.name, reg.birth_date));
  // Births spread evenly over a decade's 3,653 days at most share a date least often: a
  // smaller measured chance is the noise of a small city (no two ids on one date yet).
  constexpr double kLeastDateMatch = 1.0 / 3653.0;
  const double date_match = std::max(c.facts.birth_date_match_in_decade, kLeastDateMatch);
  const double expected = namesakes <= 1 ? 0.0 : static_cast<double>(namesakes - 1) * date_match;
  double chance = -std::expm1(-expected);  // at least one namesake on the date (Poisson)
  if (phones > 1) chance *= c.facts.phone_shared_share;
  const double alpha = c.policy.rules.forged_identity_chance_alpha;
  const bool by_chance = chance >= alpha;
  RuleHit hit;
  hit.pattern = Pattern::kForgedIdentity;
  hit.clause = "policy: one person, one resident id; rules.forged_identity_chance_alpha";
  hit.region = reg.region;
  hit.reason =
      std::to_string(twins) + " ids share this name and birth date " + FormatDate(reg.birth_date);
  if (phones > 1) hit.reason += ", and " + std::to_string(phones) + " ids share the phone";
  if (namesakes > 1) {
    hit.reason += " (" + std::to_string(namesakes) + " ids bear the name in that decade: chance " +
                  (chance < 1e-4 ? std::string("below 0.0001") : FormatFixed(chance, 4)) +
                  (by_chance ? ", a namesake by chance)" : ")");
  }
  if (footprint) {
    // The identity other agencies know is the real one of the pair: context for the
    // caseworker looking at the other.
    hit.strength = 0.3;
    hit.reason += "; this id is known to other agencies (the other is the suspect)";
  } else if (by_chance) {
    // Nothing links the two beyond what chance explains: a thin honest namesake is as likely
    // as a forgery. Context for the caseworker, not an accusation.
    hit.strength = 0.3;
    hit.reason += "; no other agency has any record of this id, but the pair may be chance";
  } else if (!footprints_usual) {
    hit.strength = 0.3;
    hit.reason += "; no other agency has any record of this id, nor of most ids in this data (" +
                  FormatFixed(100.0 * c.facts.KnownShare(), 1) +
                  "% known): the other agencies' feeds may be missing";
  } else {
    hit.strength = phones > 1 ? 0.85 : 0.75;
    hit.reason += "; no other agency has any record of this id: a second identity";
  }
  hit.evidence.push_back(
      {"persons", reg.retirement_date,
       phones > 1 ? "name, birth date and phone shared" : "name and birth date shared"});
  return hit;
}

// An id whose check character fails (GB 11643-1999) cannot have been issued: everything paid to
// it is recovered. Two ids sharing name, birth date and phone are one person twice.
void ForgedIdentity(const Context& c, std::vector<RuleHit>& out) {
  if (std::optional<RuleHit> hit = BadCheckCharacterHit(c)) {
    out.push_back(std::move(*hit));
    return;
  }
  // A second identity made from a real person's name and birth date lives only in the fund's
  // ledgers: no hospital, bank counter, transit or registry record has ever named it.
  // The real person of the pair has such a footprint. A shared phone as well makes it one
  // person twice. Card use on the pension account is no footprint: whoever is paid a forged
  // identity's pension draws it, and the fund pays the account it was given. Nor is a phone
  // line in the name: whoever holds the papers keeps it alive, as certification reads it too.
  const bool footprint = KnownToOtherAgencies(c.h, c.as_of);
  // "No other agency knows this id" tells a crowded address's made-up persons from its
  // residents, and the second identity of a namesake pair from the real one, only where most
  // persons are known to one (rules.footprint_share_min): with the agencies' feeds missing,
  // nobody is. A phone of more ids than a household stands on its own.
  const bool footprints_usual = c.facts.KnownShare() >= c.policy.rules.footprint_share_min;
  // A person registered in several regions is judged on the strongest registration.
  std::optional<RuleHit> best;
  thread_local std::string name_birth;
  for (const PersonRecord& reg : c.h.registrations) {
    const uint32_t twins =
        c.facts.ids_per_name_birth.Get(NameBirthKey(reg.name, reg.birth_date, &name_birth));
    const uint32_t phones = reg.phone.empty() ? 0 : c.facts.ids_per_phone.Get(reg.phone);
    // Ids at the address that no other agency knows (this one among them when it has no
    // footprint): many households share an address honestly, but they are known elsewhere.
    // Without the agencies' feeds nobody is known, and every crowded address would count.
    const uint32_t housed = reg.address.empty() || footprint || !footprints_usual
                                ? 0
                                : c.facts.unknown_ids_per_address.Get(reg.address);
    // A phone or an address registered to more ids than one household's pensioners is an
    // agent's: whoever registered them gave one number, or one home, to reach them all (policy:
    // rules.phone_household_max_ids, address_household_max_ids).
    const bool agents_phone = static_cast<int>(phones) > c.policy.rules.phone_household_max_ids;
    const bool agents_address = static_cast<int>(housed) > c.policy.rules.address_household_max_ids;
    if (agents_phone || agents_address) {
      RuleHit hit =
          AgentsContactHit(c, reg, twins, phones, housed, agents_phone, agents_address, footprint);
      if (!best || hit.strength > best->strength) best = std::move(hit);
      continue;
    }
    if (twins <= 1 || (footprint && phones <= 1)) continue;
    RuleHit hit = NamesakeHit(c, reg, twins, phones, footprint, footprints_usual);
    if (!best || hit.strength > best->strength) best = std::move(hit);
  }
  if (best) out.push_back(std::move(*best));
}

FaceSitting FaceSittingAt(const CrossPersonFacts& facts, std::string_view place, uint64_t person,
                          const Policy& policy) {
  const RulePolicy& up = policy.rules;
  const uint64_t place_hash = FactCounts::Hash(place);
  FaceSitting f;
  f.persons = facts.FaceSittingPersonsHashed(place_hash, person);
  f.place_persons = std::max(f.persons, facts.persons_per_face_place.GetHashed(place_hash));
  f.batch = static_cast<int>(f.persons) > up.face_reuse_household_size &&
            static_cast<double>(f.persons) >=
                up.face_reuse_sitting_share_min * static_cast<double>(f.place_persons);
  return f;
}

// One face certifying several identities (policy: rules.face_reuse_*): a FACE_CERT PASS in a
// sitting of several persons at one place, where the place's persons come in such batches. The
// count of persons at a place alone says little: a kiosk or a service hall serves many, one by
// one; a care home's tablet certifies its residents one after another (counted as one).
void FaceReuse(const Context& c, std::vector<RuleHit>& out) {
  const RulePolicy& up = c.policy.rules;
  // Where places are kiosks or service halls, many persons at one place is what honest
  // certification looks like: the place count says nothing about faces.
  if (!c.facts.FacePlacesArePersonal(up.face_place_personal_share_min)) return;
  const uint64_t person = FactsPersonKey(c.h);
  const SignalRecord* worst = nullptr;
  FaceSitting most;
  int passes = 0;
  const Timestamp after_as_of = StartOfNextDay(c.as_of);
  for (const SignalRecord& s : c.h.signals) {
    if (s.occurred_at >= after_as_of) break;
    if (s.source != SignalSource::kFaceCert || s.detail != "PASS" || s.place.empty()) continue;
    const FaceSitting f = FaceSittingAt(c.facts, s.place, person, c.policy);
    // A sitting of one household counts as context; a batch of strangers counts whole.
    const uint32_t n =
        f.batch || static_cast<int>(f.persons) <= up.face_reuse_household_size ? f.persons : 1;
    if (n >= most.persons) {
      if (n > most.persons) passes = 0;
      most = f;
      most.persons = n;
      worst = &s;
      ++passes;
    }
  }
  if (worst == nullptr || static_cast<int>(most.persons) < up.face_reuse_min_persons) return;
  const int household = up.face_reuse_household_size;
  const bool one_household = static_cast<int>(most.persons) <= household;
  RuleHit hit;
  hit.pattern = Pattern::kFaceReuse;
  hit.clause =
      "policy: rules.face_reuse_min_persons, face_reuse_household_size, face_reuse_sitting_*";
  // A couple certifying on one phone is normal: within one household the hit is context only.
  hit.strength =
      one_household ? 0.25 : Grow(0.75, (static_cast<double>(most.persons) - household - 1) / 2.0);
  hit.reason =
      "face place " + worst->place + " certified " + std::to_string(most.persons) +
      " persons in one sitting (" + std::to_string(most.place_persons) + " there in all; " +
      std::to_string(passes) + " passes for this one" +
      (one_household ? "; one household may share a phone)" : "; more than one household)");
  hit.evidence.push_back({"FACE_CERT", DateOf(worst->occurred_at), "PASS at " + worst->place});
  out.push_back(std::move(hit));
}

}  // namespace vigil::rules

// Population facts: counts of distinct persons per shared attribute, built per thread and merged.
//
// Each thread appends (key hash, person key) pairs; Finish() sorts each fact's pairs and counts
// the distinct persons of every key, which makes the result independent of how persons were
// split between threads. Pairs are 16 bytes and need no node, string or rehash per key
// (string-keyed maps of per-key person sets held several times the memory and took 11 s to
// merge at 3M persons; docs/scoring.md).
#include <tbb/parallel_invoke.h>
#include <tbb/parallel_sort.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "person_features.h"
#include "rules_internal.h"
#include "vigil/rules.h"
#include "vigil/tsan_hand_off.h"

namespace vigil {

namespace {

// (key hash, person key) pairs noted by one thread for one fact.
using Notes = std::vector<std::pair<uint64_t, uint64_t>>;

struct FacePass {
  uint64_t place = 0;  // FactCounts::Hash of the place
  int64_t second = 0;  // local time, seconds since the epoch
  uint64_t person = 0;
  uint64_t care_home = 0;  // FactCounts::Hash of the person's care home; 0 for none
  friend bool operator<(const FacePass& a, const FacePass& b) {
    if (a.place != b.place) return a.place < b.place;
    if (a.second != b.second) return a.second < b.second;
    return a.person < b.person;
  }
};

// One holder of an account, with one registered address and phone (a person registered in
// several regions appears once per registration): SHARED_ACCOUNT's households.
struct AccountHolder {
  uint64_t account = 0;  // FactCounts::Hash of the account
  uint64_t person = 0;
  uint64_t address = 0;  // FactCounts::Hash of the address; 0 when none is registered
  uint64_t phone = 0;    // likewise of the phone
  friend bool operator<(const AccountHolder& a, const AccountHolder& b) {
    if (a.account != b.account) return a.account < b.account;
    if (a.person != b.person) return a.person < b.person;
    if (a.address != b.address) return a.address < b.address;
    return a.phone < b.phone;
  }
};

// A switch of a pension to its registered account (ACCOUNT_HIJACK): where to, on which day
// (of the first payment there), whose, and whether a visit could have made it.
struct AccountSwitchNote {
  uint64_t account = 0;  // FactCounts::Hash of the registered account
  int32_t day = 0;       // day number
  uint64_t person = 0;
  bool seen = false;
  friend bool operator<(const AccountSwitchNote& a, const AccountSwitchNote& b) {
    if (a.account != b.account) return a.account < b.account;
    if (a.day != b.day) return a.day < b.day;
    return a.person < b.person;
  }
};

}  // namespace

uint64_t FactCounts::Hash(std::string_view key) { return std::hash<std::string_view>{}(key); }

uint32_t& FactCounts::CountOf(uint64_t hash) {
  if (hash == kEmpty) {
    has_empty_key_ = true;
    return empty_key_count_;
  }
  if ((size_ + 1) * 2 > slots_.size()) Rehash(std::max<size_t>(16, slots_.size() * 2));
  for (size_t i = Home(hash);; i = (i + 1) & mask_) {
    Slot& slot = slots_[i];
    if (slot.key == hash) return slot.count;
    if (slot.key == kEmpty) {
      slot.key = hash;
      ++size_;
      return slot.count;
    }
  }
}

void FactCounts::Rehash(size_t slot_count) {
  std::vector<Slot> old(slot_count);
  old.swap(slots_);
  mask_ = slot_count - 1;
  shift_ = 64 - std::countr_zero(slot_count);
  for (const Slot& slot : old) {
    if (slot.key == kEmpty) continue;
    size_t i = Home(slot.key);
    while (slots_[i].key != kEmpty) i = (i + 1) & mask_;
    slots_[i] = slot;
  }
}

void FactCounts::Reserve(size_t keys) {
  const size_t wanted = std::bit_ceil(std::max<size_t>(16, keys * 2));
  if (wanted > slots_.size()) Rehash(wanted);
}

bool operator==(const FactCounts& a, const FactCounts& b) {
  if (a.size() != b.size() || a.has_empty_key_ != b.has_empty_key_ ||
      a.empty_key_count_ != b.empty_key_count_) {
    return false;
  }
  for (const FactCounts::Slot& slot : a.slots_) {
    if (slot.key == FactCounts::kEmpty) continue;
    const uint32_t* count = b.Find(slot.key);
    if (count == nullptr || *count != slot.count) return false;
  }
  return true;
}

struct CrossPersonFactsBuilder::Impl {
  Notes account, name_birth, phone, unknown_address, face_place, special_employer;
  Notes name_decade;  // FORGED_IDENTITY's chance of a namesake, with birth_day
  Notes birth_day;    // key: the birth date's day number (not a hash), for its decade
  std::unordered_map<std::string, std::vector<std::pair<uint64_t, bool>>> doctor;  // complete?
  // Every face pass at a place: (place hash, second, person key), for the sittings.
  std::vector<FacePass> face_passes;
  std::vector<AccountHolder> holders;
  // Every switch to a registered account. Counted at Finish, once it is known how many persons
  // each account receives.
  std::vector<AccountSwitchNote> account_switches;
  // Persons first paid in each (region, month): where each region's payments feed starts.
  std::map<std::pair<uint16_t, int>, uint32_t> first_paid;
  int household_size = 0;           // policy: rules.face_reuse_household_size, as Add saw it
  int64_t sitting_gap_seconds = 0;  // policy: rules.face_reuse_sitting_minutes, likewise
  int switch_batch_days = 1;        // policy: rules.shared_account_batch_days, likewise
  uint32_t persons = 0;             // added
  uint32_t persons_known = 0;       // of them known to another agency
};

namespace {

void Note(Notes& notes, std::string_view key, uint64_t person) {
  if (key.empty()) return;
  notes.emplace_back(FactCounts::Hash(key), person);
}

// Moves the notes of `from` after those of `into` (the larger vector is kept).
template <typename Vector>
void MergeNotes(Vector& into, Vector& from) {
  if (into.size() < from.size()) into.swap(from);
  into.insert(into.end(), from.begin(), from.end());
  Vector().swap(from);
}

// Sittings at each face place: passes with gaps of at most `max_gap` seconds. Records for every
// person of a sitting of several persons the size of their largest one; frees the passes. The
// residents of one care home count as one: its staff certify them one after another.
FactCounts CountSittings(std::vector<FacePass>& passes, int64_t max_gap) {
  tbb::parallel_sort(passes.begin(), passes.end());
  FactCounts out;
  std::vector<std::pair<uint64_t, uint64_t>> persons;  // (person, care home)
  std::vector<uint64_t> homes;
  size_t i = 0;
  while (i < passes.size()) {
    size_t j = i + 1;
    while (j < passes.size() && passes[j].place == passes[i].place &&
           passes[j].second - passes[j - 1].second <= max_gap) {
      ++j;
    }
    persons.clear();
    for (size_t k = i; k < j; ++k) persons.emplace_back(passes[k].person, passes[k].care_home);
    std::sort(persons.begin(), persons.end());
    persons.erase(std::unique(persons.begin(), persons.end(),
                              [](const auto& a, const auto& b) { return a.first == b.first; }),
                  persons.end());
    if (persons.size() > 1) {
      homes.clear();
      for (const auto& [person, home] : persons) {
        if (home != 0) homes.push_back(home);
      }
      std::sort(homes.begin(), homes.end());
      size_t residents = 0;  // the largest group of one care home
      for (size_t a = 0, b = 0; a < homes.size(); a = b) {
        while (b < homes.size() && homes[b] == homes[a]) ++b;
        residents = std::max(residents, b - a);
      }
      const auto n = static_cast<uint32_t>(persons.size() - (residents > 1 ? residents - 1 : 0));
      if (n > 1) {
        for (const auto& [person, home] : persons) {
          const uint64_t key = CrossPersonFacts::FaceSittingKey(passes[i].place, person);
          out.SetHashed(key, std::max(n, out.GetHashed(key)));
        }
      }
    }
    i = j;
  }
  std::vector<FacePass>().swap(passes);
  return out;
}

// Moves the entries of `from` into `into`, the smaller map's nodes whole.
template <typename Map>
void MergeInto(Map& into, Map& from) {
  if (into.size() < from.size()) into.swap(from);
  while (!from.empty()) {
    auto node = from.extract(from.begin());
    auto it = into.find(node.key());
    if (it == into.end()) {
      into.insert(std::move(node));
    } else {
      it->second.insert(it->second.end(), node.mapped().begin(), node.mapped().end());
    }
  }
}

// Sorts the notes and calls visit(key, distinct persons) once per key, in key order; frees them.
template <typename Visit>
void CountDistinct(Notes& notes, const Visit& visit) {
  tbb::parallel_sort(notes.begin(), notes.end());
  size_t i = 0;
  while (i < notes.size()) {
    const uint64_t key = notes[i].first;
    uint32_t persons = 0;
    for (uint64_t last = 0; i < notes.size() && notes[i].first == key; ++i) {
      if (persons == 0 || notes[i].second != last) ++persons;
      last = notes[i].second;
    }
    visit(key, persons);
  }
  Notes().swap(notes);
}

// Households among the holders of each account (holders linked, directly or through others, by
// an address or phone in common), for accounts of several persons all with an address that form
// more than one; frees the holders.
FactCounts CountHouseholds(std::vector<AccountHolder>& holders) {
  tbb::parallel_sort(holders.begin(), holders.end());
  FactCounts out;
  std::vector<uint64_t> persons;
  std::vector<size_t> parent;                      // union-find over the account's persons
  std::vector<std::pair<uint64_t, size_t>> signs;  // (address or phone, person index)
  const auto root = [&parent](size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  size_t i = 0;
  while (i < holders.size()) {
    size_t j = i;
    bool every_address = true;
    persons.clear();
    for (; j < holders.size() && holders[j].account == holders[i].account; ++j) {
      every_address = every_address && holders[j].address != 0;
      if (persons.empty() || persons.back() != holders[j].person) {
        persons.push_back(holders[j].person);
      }
    }
    if (persons.size() > 1 && every_address) {
      parent.resize(persons.size());
      for (size_t k = 0; k < parent.size(); ++k) parent[k] = k;
      const auto index = [&persons](uint64_t person) {
        return static_cast<size_t>(std::lower_bound(persons.begin(), persons.end(), person) -
                                   persons.begin());
      };
      // Holders with one address, or one phone, are joined: sorted by the sign, each joins the
      // one before it (an account paid to thousands stays n log n).
      for (const bool by_phone : {false, true}) {
        signs.clear();
        for (size_t k = i; k < j; ++k) {
          const uint64_t sign = by_phone ? holders[k].phone : holders[k].address;
          if (sign != 0) signs.emplace_back(sign, index(holders[k].person));
        }
        std::sort(signs.begin(), signs.end());
        for (size_t k = 1; k < signs.size(); ++k) {
          if (signs[k].first == signs[k - 1].first) {
            parent[root(signs[k].second)] = root(signs[k - 1].second);
          }
        }
      }
      uint32_t households = 0;
      for (size_t k = 0; k < parent.size(); ++k) households += root(k) == k ? 1 : 0;
      if (households > 1) out.SetHashed(holders[i].account, households);
    }
    i = j;
  }
  std::vector<AccountHolder>().swap(holders);
  return out;
}

// Notes `person` as a holder of `account`, once per registration (its address and phone).
void NoteHolder(std::vector<AccountHolder>& holders, const std::string& account, uint64_t person,
                std::span<const PersonRecord> registrations) {
  if (account.empty()) return;
  const uint64_t hashed = FactCounts::Hash(account);
  const auto hash_or_zero = [](const std::string& text) {
    return text.empty() ? uint64_t{0} : FactCounts::Hash(text);
  };
  if (registrations.empty()) holders.push_back({hashed, person, 0, 0});
  for (const PersonRecord& reg : registrations) {
    holders.push_back({hashed, person, hash_or_zero(reg.address), hash_or_zero(reg.phone)});
  }
}

// The most distinct persons switched to each account within any `window_days` days in a row
// (a sliding window, so that a batch spread over a month's end counts whole), and into
// `same_run` the most switched on one day (one pay run); frees the notes.
FactCounts CountSwitchBatches(std::vector<AccountSwitchNote>& switches, int window_days,
                              FactCounts* same_run) {
  window_days = std::max(window_days, 1);  // a window holds at least its own day
  std::sort(switches.begin(), switches.end());
  FactCounts out;
  std::unordered_map<uint64_t, uint32_t> in_window;  // person -> switches inside the window
  size_t begin = 0;
  while (begin < switches.size()) {
    size_t end = begin;
    while (end < switches.size() && switches[end].account == switches[begin].account) ++end;
    // Two pointers over this account's switches, by day: [low, high] spans fewer than
    // window_days days.
    in_window.clear();
    uint32_t best = 0;
    size_t low = begin;
    for (size_t high = begin; high < end; ++high) {
      ++in_window[switches[high].person];
      while (switches[high].day - switches[low].day >= window_days) {
        // The person entered the window with switches[low]: their count is at least 1.
        const uint64_t leaving = switches[low].person;
        if (--in_window[leaving] == 0) in_window.erase(leaving);
        ++low;
      }
      best = std::max(best, static_cast<uint32_t>(in_window.size()));
    }
    out.SetHashed(switches[begin].account, best);
    // Persons per day (sorted by day, then person): the largest run.
    uint32_t run_best = 0;
    for (size_t i = begin; i < end;) {
      size_t j = i;
      uint32_t persons = 0;
      for (; j < end && switches[j].day == switches[i].day; ++j) {
        if (j == i || switches[j].person != switches[j - 1].person) ++persons;
      }
      run_best = std::max(run_best, persons);
      i = j;
    }
    same_run->SetHashed(switches[begin].account, run_best);
    begin = end;
  }
  std::vector<AccountSwitchNote>().swap(switches);
  return out;
}

// Keeps, per region (at most four; a fifth region is not noted), the earliest pension period
// of one person.
void NoteFirstPaid(std::pair<uint16_t, int> (&first)[4], size_t& regions, const PaymentRecord& p) {
  const int month = MonthNumber(p.period);
  for (size_t i = 0; i < regions; ++i) {
    if (first[i].first == p.region) {
      first[i].second = std::min(first[i].second, month);
      return;
    }
  }
  if (regions < 4) first[regions++] = {p.region, month};
}

FactCounts Count(Notes& notes) {
  FactCounts out;
  out.Reserve(notes.size() / 2);
  CountDistinct(notes, [&out](uint64_t hash, uint32_t persons) { out.SetHashed(hash, persons); });
  return out;
}

// Share of the persons counted under some key whose key another person has too (a person with
// two keys counts twice): how common sharing one is anyway.
double SharedShare(const FactCounts& counts) {
  uint64_t all = 0, shared = 0;
  counts.ForEachCount([&](uint32_t n) {
    all += n;
    if (n > 1) shared += n;
  });
  return all == 0 ? 0.0 : static_cast<double>(shared) / static_cast<double>(all);
}

// tbb::parallel_invoke of independent steps, with its fork and join made visible to
// ThreadSanitizer (vigil/tsan_hand_off.h): the steps stay unordered among themselves.
template <typename... Steps>
void InvokeSideBySide(const Steps&... steps) {
  const ForkJoin fork_join;
  tbb::parallel_invoke([&fork_join, &steps] {
    const auto body = fork_join.Body();
    steps();
  }...);
  fork_join.Joined();
}

}  // namespace

CrossPersonFactsBuilder::CrossPersonFactsBuilder() : impl_(std::make_unique<Impl>()) {}
CrossPersonFactsBuilder::~CrossPersonFactsBuilder() = default;
CrossPersonFactsBuilder::CrossPersonFactsBuilder(CrossPersonFactsBuilder&&) noexcept = default;
CrossPersonFactsBuilder& CrossPersonFactsBuilder::operator=(CrossPersonFactsBuilder&&) noexcept =
    default;

// Reads only the events CrossPersonFactsFilter lets through: the kinds and sources
// CrossPersonFactsReads and CrossPersonFactsReadsSignal name, and one registry event or
// footprint signal for rules::KnownToOtherAgencies (keep them in step).
void CrossPersonFactsBuilder::Add(const PersonHistory& h, const Policy& policy, Date as_of) {
  const uint64_t key = rules::FactsPersonKey(h);
  impl_->household_size = policy.rules.face_reuse_household_size;
  impl_->sitting_gap_seconds = int64_t{60} * policy.rules.face_reuse_sitting_minutes;
  impl_->switch_batch_days = policy.rules.shared_account_batch_days;
  const bool known_elsewhere = rules::KnownToOtherAgencies(h, as_of);
  ++impl_->persons;
  if (known_elsewhere) ++impl_->persons_known;
  for (const PersonRecord& reg : h.registrations) {
    thread_local std::vector<const PaymentRecord*> paid;
    rules::PensionPaymentsOf(h, reg, as_of, &paid);
    if (const auto sw = rules::FindAccountSwitch(h, reg, paid, policy, as_of)) {
      impl_->account_switches.push_back({FactCounts::Hash(reg.bank_account),
                                         static_cast<int32_t>(sw->switch_day), key,
                                         sw->at_counter});
    }
    Note(impl_->account, reg.bank_account, key);
    NoteHolder(impl_->holders, reg.bank_account, key, h.registrations);
    thread_local std::string name_birth;
    Note(impl_->name_birth, NameBirthKey(reg.name, reg.birth_date, &name_birth), key);
    Note(impl_->name_decade, NameDecadeKey(reg.name, reg.birth_date), key);
    impl_->birth_day.emplace_back(
        static_cast<uint64_t>(static_cast<int64_t>(DayNumber(reg.birth_date))), key);
    Note(impl_->phone, reg.phone, key);
    if (!known_elsewhere) Note(impl_->unknown_address, reg.address, key);
    if (reg.retirement_type == RetirementType::kSpecialJob) {
      // The employer of the special-job spells behind this retirement.
      const std::string* last_employer = nullptr;
      for (const ContributionRecord& c : h.contributions) {
        if (c.job_type != JobType::kNormal && c.region == reg.region) {
          if (last_employer != nullptr && *last_employer == c.employer_id) continue;
          Note(impl_->special_employer, c.employer_id, key);
          last_employer = &c.employer_id;
        }
      }
    }
  }
  // A person is paid into the same account month after month: noting it again would change
  // nothing (Note keeps a person once per key), so only a change of account costs a lookup.
  const std::string* last_account = nullptr;
  std::pair<uint16_t, int> first_paid[4];  // (region, first pension period) of this person
  size_t regions_paid = 0;
  for (const PaymentRecord& p : h.payments) {
    if (p.paid_date > as_of) continue;
    if (p.benefit == Benefit::kPension) NoteFirstPaid(first_paid, regions_paid, p);
    if (last_account != nullptr && *last_account == p.bank_account) continue;
    Note(impl_->account, p.bank_account, key);
    NoteHolder(impl_->holders, p.bank_account, key, h.registrations);
    last_account = &p.bank_account;
  }
  for (size_t i = 0; i < regions_paid; ++i) ++impl_->first_paid[first_paid[i]];
  // Likewise a person certifies at the same device again and again; every pass is kept with
  // its time for the sittings, and with the care home the person attended last (residents
  // certified at the home may have stopped attending days out since).
  const std::string* last_place = nullptr;
  const size_t first_pass = impl_->face_passes.size();
  uint64_t care_home = 0;
  const Timestamp after_as_of = StartOfNextDay(as_of);
  for (const SignalRecord& s : h.signals) {
    if (s.occurred_at >= after_as_of) break;
    if (s.source == SignalSource::kCareHome && !s.place.empty()) {
      care_home = FactCounts::Hash(s.place);
    }
    if (s.source == SignalSource::kFaceCert && s.detail == "PASS" && !s.place.empty()) {
      impl_->face_passes.push_back(
          {FactCounts::Hash(s.place), s.occurred_at.time_since_epoch().count(), key, 0});
      if (last_place != nullptr && *last_place == s.place) continue;
      Note(impl_->face_place, s.place, key);
      last_place = &s.place;
    }
  }
  for (size_t i = first_pass; i < impl_->face_passes.size(); ++i) {
    impl_->face_passes[i].care_home = care_home;
  }
  for (const AppraisalRecord& a : h.appraisals) {
    if (a.appraisal_date > as_of || a.doctor_id.empty()) continue;
    impl_->doctor[a.doctor_id].emplace_back(
        key, a.grade >= 1 && a.grade <= policy.retirement.disability_max_grade);
  }
}

bool CrossPersonFactsReads(EventKind kind, std::span<const PersonRecord> registrations) {
  // Add reads no registry event for its facts (only whether there is one known by the date,
  // which CrossPersonFactsFilter adds), and contributions only behind a special-job retirement.
  switch (kind) {
    case EventKind::kRegistry:
      return false;
    case EventKind::kContribution:
      return std::any_of(registrations.begin(), registrations.end(), [](const PersonRecord& r) {
        return r.retirement_type == RetirementType::kSpecialJob;
      });
    case EventKind::kPayment:
    case EventKind::kSignal:
    case EventKind::kAppraisal:
      return true;
  }
  return true;
}

void CrossPersonFactsBuilder::Merge(CrossPersonFactsBuilder&& other) {
  if (other.impl_ == nullptr || other.impl_ == impl_) return;
  Impl& into = *impl_;
  Impl& from = *other.impl_;
  MergeNotes(into.account_switches, from.account_switches);
  for (const auto& [region_month, persons] : from.first_paid)
    into.first_paid[region_month] += persons;
  from.first_paid.clear();
  into.household_size = std::max(into.household_size, from.household_size);
  into.sitting_gap_seconds = std::max(into.sitting_gap_seconds, from.sitting_gap_seconds);
  into.switch_batch_days = std::max(into.switch_batch_days, from.switch_batch_days);
  into.persons += from.persons;
  into.persons_known += from.persons_known;
  // The facts are independent: merged side by side.
  InvokeSideBySide([&] { MergeNotes(into.account, from.account); },
                   [&] { MergeNotes(into.name_birth, from.name_birth); },
                   [&] {
                     MergeNotes(into.name_decade, from.name_decade);
                     MergeNotes(into.birth_day, from.birth_day);
                   },
                   [&] { MergeNotes(into.phone, from.phone); },
                   [&] { MergeNotes(into.unknown_address, from.unknown_address); },
                   [&] { MergeNotes(into.face_passes, from.face_passes); },
                   [&] { MergeNotes(into.holders, from.holders); },
                   [&] {
                     MergeNotes(into.face_place, from.face_place);
                     MergeNotes(into.special_employer, from.special_employer);
                     MergeInto(into.doctor, from.doctor);
                   });
}

CrossPersonFacts CrossPersonFactsBuilder::Finish() {
  CrossPersonFacts facts;
  uint64_t all_appraisals = 0, all_complete = 0;
  // The facts are independent: counted side by side.
  InvokeSideBySide(
      [&] { facts.persons_per_account = Count(impl_->account); },
      [&] { facts.households_per_account = CountHouseholds(impl_->holders); },
      [&] { facts.ids_per_name_birth = Count(impl_->name_birth); },
      [&] {
        facts.ids_per_phone = Count(impl_->phone);
        facts.phone_shared_share = SharedShare(facts.ids_per_phone);
      },
      [&] { facts.unknown_ids_per_address = Count(impl_->unknown_address); },
      [&] {
        facts.ids_per_name_decade = Count(impl_->name_decade);
        // Pairs of ids born on one date over pairs born in one decade, from the dates actually
        // observed.
        std::unordered_map<int, uint64_t> decade_ids;
        uint64_t date_pairs = 0;
        CountDistinct(impl_->birth_day, [&](uint64_t day, uint32_t n) {
          date_pairs += static_cast<uint64_t>(n) * (n - 1);
          const int year = static_cast<int>(
              DateFromDayNumber(static_cast<int32_t>(static_cast<int64_t>(day))).year());
          decade_ids[year - ((year % 10) + 10) % 10] += n;
        });
        uint64_t decade_pairs = 0;
        for (const auto& [decade, n] : decade_ids) decade_pairs += n * (n - 1);
        facts.birth_date_match_in_decade =
            decade_pairs == 0 ? 0.0
                              : static_cast<double>(date_pairs) / static_cast<double>(decade_pairs);
      },
      [&] {
        facts.persons_per_face_place = Count(impl_->face_place);
        uint64_t pairs = 0, personal = 0;
        facts.persons_per_face_place.ForEachCount([&](uint32_t n) {
          pairs += n;
          if (static_cast<int>(n) <= impl_->household_size) personal += n;
        });
        facts.face_places_personal_share =
            pairs == 0 ? 1.0 : static_cast<double>(personal) / static_cast<double>(pairs);
      },
      [&] {
        facts.persons_per_face_sitting =
            CountSittings(impl_->face_passes, impl_->sitting_gap_seconds);
      },
      [&] { facts.special_retirements_per_employer = Count(impl_->special_employer); },
      [&] {
        for (auto& [doctor, list] : impl_->doctor) {
          // One appraisal per (person, date) is the natural key; a person appraised twice by
          // the same doctor counts twice (two signatures).
          CrossPersonFacts::DoctorStats stats;
          for (const auto& [person, complete] : list) {
            ++stats.appraisals;
            if (complete) ++stats.complete_loss;
          }
          all_appraisals += stats.appraisals;
          all_complete += stats.complete_loss;
          facts.appraisals_per_doctor.emplace(doctor, stats);
        }
        impl_->doctor.clear();
      });
  // The share of switches seen asks whether this data shows the visit of an honest change. A
  // switch into an account that receives other persons' benefits too is suspect whatever the
  // visit (ACCOUNT_HIJACK and SHARED_ACCOUNT judge it on its own), so it is left out: a ring of
  // many such switches says nothing about the feeds, and must not make the missing visits of
  // the single switches look ordinary.
  for (const AccountSwitchNote& sw : impl_->account_switches) {
    if (facts.persons_per_account.GetHashed(sw.account) > 1) continue;
    ++facts.account_switches;
    if (sw.seen) ++facts.account_switches_seen;
  }
  facts.persons_counted = impl_->persons;
  facts.persons_known = impl_->persons_known;
  facts.switch_batch_per_account = CountSwitchBatches(
      impl_->account_switches, impl_->switch_batch_days, &facts.switch_run_per_account);
  // Per region (the map is sorted by region, then month), the month most persons were first
  // paid in; of equally many, the earliest.
  for (auto it = impl_->first_paid.begin(); it != impl_->first_paid.end();) {
    const uint16_t region = it->first.first;
    std::pair<int, uint32_t> best{it->first.second, it->second};
    for (; it != impl_->first_paid.end() && it->first.first == region; ++it) {
      if (it->second > best.second) best = {it->first.second, it->second};
    }
    facts.pension_data_start.emplace_back(region, best.first);
  }
  impl_->first_paid.clear();
  facts.population_complete_loss_share =
      all_appraisals == 0 ? 0.0
                          : static_cast<double>(all_complete) / static_cast<double>(all_appraisals);
  return facts;
}

}  // namespace vigil

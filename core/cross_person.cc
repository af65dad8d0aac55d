// Population facts: counts of distinct persons per shared attribute, built per thread and merged.
//
// Each key keeps the person keys seen with it (a person contributes each key once, so the lists
// stay short except for the rings we are looking for); Finish() sorts and counts distinct keys,
// which makes the result independent of how persons were split between threads.
#include <tbb/parallel_invoke.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "person_features.h"
#include "vigil/rules.h"

namespace vigil {

namespace {

// The person keys seen with one key. Nearly every account, phone and name + birth date belongs
// to one person: the first is kept inline, so only shared keys allocate (at a million persons
// that is millions of allocations, and frees at Finish, fewer).
class PersonSet {
 public:
  // Notes a person; a repeat of the last person noted is dropped.
  void Add(uint64_t person) {
    if (!any_) {
      first_ = person;
      any_ = true;
    } else if ((more_.empty() ? first_ : more_.back()) != person) {
      more_.push_back(person);
    }
  }
  void Append(PersonSet&& other) {
    if (!other.any_) return;
    if (!any_) {
      *this = std::move(other);
      return;
    }
    more_.push_back(other.first_);
    more_.insert(more_.end(), other.more_.begin(), other.more_.end());
  }
  // Distinct persons (sorts the set).
  uint32_t Distinct() {
    if (!any_) return 0;
    if (more_.empty()) return 1;
    more_.push_back(first_);
    std::sort(more_.begin(), more_.end());
    return static_cast<uint32_t>(std::unique(more_.begin(), more_.end()) - more_.begin());
  }

 private:
  uint64_t first_ = 0;
  bool any_ = false;
  std::vector<uint64_t> more_;
};

// Key -> person keys seen with it.
using Members = std::unordered_map<std::string, PersonSet>;

void AppendTo(PersonSet& target, PersonSet& from) { target.Append(std::move(from)); }
template <typename T>
void AppendTo(std::vector<T>& target, std::vector<T>& from) {
  target.insert(target.end(), from.begin(), from.end());
}

}  // namespace

struct CrossPersonFactsBuilder::Impl {
  Members account, name_birth, phone, face_place, special_employer;
  Members name_decade, birth_date;  // FORGED_IDENTITY's chance of a namesake
  std::unordered_map<std::string, std::vector<std::pair<uint64_t, bool>>> doctor;  // complete?
};

namespace {

void Note(Members& map, const std::string& key, uint64_t person) {
  if (key.empty()) return;
  map[key].Add(person);
}

// Moves the entries of `from` into `into`. The larger map is kept and the smaller one's nodes
// move whole (no key copied, no node allocated): at a million persons these merges run on one
// thread, after the parallel pass.
template <typename Map>
void MergeInto(Map& into, Map& from) {
  if (into.size() < from.size()) into.swap(from);
  into.reserve(into.size() + from.size());  // one rehash at most, not one per doubling
  while (!from.empty()) {
    auto node = from.extract(from.begin());
    auto it = into.find(node.key());
    if (it == into.end()) {
      into.insert(std::move(node));
    } else {
      AppendTo(it->second, node.mapped());
    }
  }
}

std::unordered_map<std::string, uint32_t> Count(Members& map) {
  std::unordered_map<std::string, uint32_t> out;
  out.reserve(map.size());
  while (!map.empty()) {
    auto node = map.extract(map.begin());
    out.emplace(std::move(node.key()), node.mapped().Distinct());
  }
  return out;
}

// Share of the persons counted under some key whose key another person has too (a person with
// two keys counts twice): how common sharing one is anyway.
double SharedShare(const std::unordered_map<std::string, uint32_t>& counts) {
  uint64_t all = 0, shared = 0;
  for (const auto& [key, n] : counts) {
    all += n;
    if (n > 1) shared += n;
  }
  return all == 0 ? 0.0 : static_cast<double>(shared) / static_cast<double>(all);
}

// The person key identifies a person for counting; ledgers with a bad id still have a key.
uint64_t KeyOf(const PersonHistory& h) {
  if (h.person_key != 0) return h.person_key;
  // Hand-made histories may leave the key unset: fall back to a hash of the id text.
  return std::hash<std::string>{}(h.person_id);
}

}  // namespace

CrossPersonFactsBuilder::CrossPersonFactsBuilder() : impl_(std::make_unique<Impl>()) {}
CrossPersonFactsBuilder::~CrossPersonFactsBuilder() = default;
CrossPersonFactsBuilder::CrossPersonFactsBuilder(CrossPersonFactsBuilder&&) noexcept = default;
CrossPersonFactsBuilder& CrossPersonFactsBuilder::operator=(CrossPersonFactsBuilder&&) noexcept =
    default;

// Reads only the kinds CrossPersonFactsReads names (keep the two in step).
void CrossPersonFactsBuilder::Add(const PersonHistory& h, const Policy& policy, Date as_of) {
  const uint64_t key = KeyOf(h);
  const auto known_by = Days(as_of);
  for (const PersonRecord& reg : h.registrations) {
    Note(impl_->account, reg.bank_account, key);
    const std::string birth = FormatDate(reg.birth_date);
    Note(impl_->name_birth, reg.name + "|" + birth, key);
    Note(impl_->name_decade, NameDecadeKey(reg.name, reg.birth_date), key);
    Note(impl_->birth_date, birth, key);
    Note(impl_->phone, reg.phone, key);
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
  for (const PaymentRecord& p : h.payments) {
    if (Days(p.paid_date) > known_by) continue;
    if (last_account != nullptr && *last_account == p.bank_account) continue;
    Note(impl_->account, p.bank_account, key);
    last_account = &p.bank_account;
  }
  // Likewise a person certifies at the same device again and again.
  const std::string* last_place = nullptr;
  for (const SignalRecord& s : h.signals) {
    if (DateOf(s.occurred_at) > as_of) break;
    if (s.source == SignalSource::kFaceCert && s.detail == "PASS") {
      if (last_place != nullptr && *last_place == s.place) continue;
      Note(impl_->face_place, s.place, key);
      last_place = &s.place;
    }
  }
  for (const AppraisalRecord& a : h.appraisals) {
    if (Days(a.appraisal_date) > known_by || a.doctor_id.empty()) continue;
    impl_->doctor[a.doctor_id].emplace_back(
        key, a.grade >= 1 && a.grade <= policy.retirement.disability_max_grade);
  }
}

bool CrossPersonFactsReads(EventKind kind, std::span<const PersonRecord> registrations) {
  // Add reads no registry event, and contributions only behind a special-job retirement.
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

bool CrossPersonFactsReadsSignal(SignalSource source) {
  // Add notes where faces certified, nothing else of a signal.
  return source == SignalSource::kFaceCert;
}

void CrossPersonFactsBuilder::Merge(CrossPersonFactsBuilder&& other) {
  if (other.impl_ == nullptr || other.impl_ == impl_) return;
  Impl& into = *impl_;
  Impl& from = *other.impl_;
  // The maps are independent: merged side by side.
  tbb::parallel_invoke([&] { MergeInto(into.account, from.account); },
                       [&] { MergeInto(into.name_birth, from.name_birth); },
                       [&] {
                         MergeInto(into.name_decade, from.name_decade);
                         MergeInto(into.birth_date, from.birth_date);
                       },
                       [&] { MergeInto(into.phone, from.phone); },
                       [&] {
                         MergeInto(into.face_place, from.face_place);
                         MergeInto(into.special_employer, from.special_employer);
                         MergeInto(into.doctor, from.doctor);
                       });
}

CrossPersonFacts CrossPersonFactsBuilder::Finish() {
  CrossPersonFacts facts;
  uint64_t all_appraisals = 0, all_complete = 0;
  // The maps are independent: counted side by side.
  tbb::parallel_invoke(
      [&] { facts.persons_per_account = Count(impl_->account); },
      [&] { facts.ids_per_name_birth = Count(impl_->name_birth); },
      [&] {
        facts.ids_per_phone = Count(impl_->phone);
        facts.phone_shared_share = SharedShare(facts.ids_per_phone);
      },
      [&] {
        facts.ids_per_name_decade = Count(impl_->name_decade);
        // Pairs of ids born on one date over pairs born in one decade ("YYYY-MM-DD": the first
        // three characters name the decade), from the dates actually observed.
        std::unordered_map<std::string, uint64_t> decade_ids;
        uint64_t date_pairs = 0;
        for (const auto& [date, n] : Count(impl_->birth_date)) {
          date_pairs += static_cast<uint64_t>(n) * (n - 1);
          decade_ids[date.substr(0, 3)] += n;
        }
        uint64_t decade_pairs = 0;
        for (const auto& [decade, n] : decade_ids) decade_pairs += n * (n - 1);
        facts.birth_date_match_in_decade =
            decade_pairs == 0 ? 0.0
                              : static_cast<double>(date_pairs) / static_cast<double>(decade_pairs);
      },
      [&] { facts.persons_per_face_place = Count(impl_->face_place); },
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
  facts.population_complete_loss_share =
      all_appraisals == 0 ? 0.0
                          : static_cast<double>(all_complete) / static_cast<double>(all_appraisals);
  return facts;
}

}  // namespace vigil

// One person's whole history as scoring sees it, and the facts that need the whole population.
//
// The scoring pipeline fills a PersonHistory from the store (every row known by the as-of date,
// decoded and sorted by time) and a CrossPersonFacts once per run; certification and the rules
// are pure functions of these two and the Policy, so they are tested on hand-made histories.
// Thread-safety: plain value types; a const CrossPersonFacts may be shared by all threads.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "vigil/codes.h"
#include "vigil/money.h"
#include "vigil/records.h"
#include "vigil/time.h"

namespace vigil {

struct PersonHistory {
  uint64_t person_key = 0;
  std::string person_id;
  // One row per region whose fund registers this person (several = paid by several cities).
  std::vector<PersonRecord> registrations;
  // Each sorted by its time: start_month, period then paid_date, occurred_at, event_date,
  // appraisal_date.
  std::vector<ContributionRecord> contributions;
  std::vector<PaymentRecord> payments;
  std::vector<SignalRecord> signals;
  std::vector<RegistryRecord> registry;
  std::vector<AppraisalRecord> appraisals;
};

// Distinct persons per key text (an account number, a phone, ...), held by a 64-bit hash of the
// text rather than the text: at millions of persons the texts and their map nodes were most of
// the facts' memory and of the time to merge them. Two texts with one hash would share a count;
// at 10 million keys the chance that any pair does is about 3 in a million.
//
// An open-addressing table (linear probing, at most half full): every person's rules look their
// keys up here, and at millions of keys a node-based map costs a cache miss for the bucket and
// another for the node, where this costs one.
// Thread-safety: const methods may be called from many threads; the rest need exclusive access.
class FactCounts {
 public:
  static uint64_t Hash(std::string_view key);
  // Persons counted under `key`; 0 when none.
  uint32_t Get(std::string_view key) const { return GetHashed(Hash(key)); }
  uint32_t GetHashed(uint64_t hash) const {
    const uint32_t* count = Find(hash);
    return count == nullptr ? 0 : *count;
  }
  // Same as Get (reads like a map in tests).
  uint32_t at(std::string_view key) const { return Get(key); }
  // The count of `key`, created at 0 (hand-made facts in tests and golden cases). The reference
  // is valid until the next key is added.
  uint32_t& operator[](std::string_view key) { return CountOf(Hash(key)); }
  void SetHashed(uint64_t hash, uint32_t count) { CountOf(hash) = count; }
  // Makes room for `keys` keys in all without growing again.
  void Reserve(size_t keys);
  size_t size() const { return size_ + (has_empty_key_ ? 1 : 0); }
  // Calls visit(count) for every key, in no particular order.
  template <typename Visit>
  void ForEachCount(const Visit& visit) const {
    if (has_empty_key_) visit(empty_key_count_);
    for (const Slot& slot : slots_) {
      if (slot.key != kEmpty) visit(slot.count);
    }
  }
  // The same keys with the same counts, however the two tables grew.
  friend bool operator==(const FactCounts& a, const FactCounts& b);

 private:
  // A free slot's key. A text whose hash is this value is counted beside the table.
  static constexpr uint64_t kEmpty = 0;
  struct Slot {
    uint64_t key = kEmpty;
    uint32_t count = 0;
  };
  // The slot a key's probe starts at: the hash's high bits after a multiply (the low bits of
  // some keys, such as person keys mixed into a place's hash, are not uniform on their own).
  size_t Home(uint64_t hash) const {
    return static_cast<size_t>((hash * 0x9e3779b97f4a7c15ULL) >> shift_);
  }
  // The count of `hash`, or null when it has none.
  const uint32_t* Find(uint64_t hash) const {
    if (hash == kEmpty) return has_empty_key_ ? &empty_key_count_ : nullptr;
    if (slots_.empty()) return nullptr;
    for (size_t i = Home(hash);; i = (i + 1) & mask_) {
      const Slot& slot = slots_[i];
      if (slot.key == hash) return &slot.count;
      if (slot.key == kEmpty) return nullptr;
    }
  }
  uint32_t& CountOf(uint64_t hash);
  void Rehash(size_t slot_count);

  std::vector<Slot> slots_;  // a power of two in size, or empty
  size_t mask_ = 0;
  int shift_ = 64;
  size_t size_ = 0;  // keys in slots_
  bool has_empty_key_ = false;
  uint32_t empty_key_count_ = 0;
};

// Population-wide facts, computed before the per-person pass. Keys are the raw texts from the
// feeds (account numbers, phones, ...), looked up by their hash (FactCounts); values count
// distinct persons (person keys).
struct CrossPersonFacts {
  // Distinct persons paid into / registered with each bank account.
  FactCounts persons_per_account;
  // Households among the holders of a shared account, where they form more than one: holders
  // linked by a registered address or phone in common are one household. Only accounts of at
  // least two persons, every one of them with a registered address, are judged (a missing
  // address says nothing); absent (0) for the rest. Couples share an account and a home; two
  // strangers on one account are a ring however small.
  FactCounts households_per_account;
  // Distinct person ids per (name + '|' + birth_date) and per phone.
  FactCounts ids_per_name_birth;
  FactCounts ids_per_phone;
  // Distinct person ids per registered address (the text as registered, empty not counted) of
  // the ids no other agency knows (rules::KnownToOtherAgencies): an agent's made-up persons
  // given one home. Households share addresses, but their members are known elsewhere.
  FactCounts unknown_ids_per_address;
  // How likely two ids share a name and birth date by chance. Names follow the fashion of their
  // time, so the chance is counted within a birth decade: distinct ids per (name + '|' + first
  // year of the birth decade, e.g. "张伟|1950"), and the chance that two ids born in the same
  // decade share the exact birth date (pairs of ids on one date over pairs in one decade).
  FactCounts ids_per_name_decade;
  double birth_date_match_in_decade = 0.0;
  // Share of the ids with a phone whose phone another id also has: the chance a shared phone
  // is a coincidence (couples, a carer's phone) rather than one person twice.
  double phone_shared_share = 0.0;
  // Special-job retirements per employer_id, and how many of them had a special job type at an
  // employer whose industry has no such work.
  FactCounts special_retirements_per_employer;
  // Disability appraisals per doctor_id: total, and how many graded 1..4 (complete loss).
  struct DoctorStats {
    uint32_t appraisals = 0;
    uint32_t complete_loss = 0;
  };
  std::unordered_map<std::string, DoctorStats> appraisals_per_doctor;
  // Distinct persons certified by FACE_CERT at each place (a device or face template id).
  FactCounts persons_per_face_place;
  // Distinct persons certified at a place in one sitting (passes there with gaps of at most
  // rules.face_reuse_sitting_minutes; the residents of one care home, by their last CARE_HOME
  // place, count as one), the largest sitting each person took part in, keyed by
  // FaceSittingKey(place, person key); absent (0) for a person alone in every sitting. One face
  // certifying several identities does it in one session, round after round; a kiosk's users
  // come one by one.
  FactCounts persons_per_face_sitting;
  static uint64_t FaceSittingKey(uint64_t place_hash, uint64_t person_key) {
    // Mixes the place's hash with the person key (splitmix64 finaliser): one key per pair.
    uint64_t x = place_hash ^ (person_key + 0x9e3779b97f4a7c15ULL);
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  }
  // Persons in the largest sitting `person_key` took part in at `place`; at least 1.
  uint32_t FaceSittingPersons(std::string_view place, uint64_t person_key) const {
    return FaceSittingPersonsHashed(FactCounts::Hash(place), person_key);
  }
  uint32_t FaceSittingPersonsHashed(uint64_t place_hash, uint64_t person_key) const {
    return std::max<uint32_t>(
        1, persons_per_face_sitting.GetHashed(FaceSittingKey(place_hash, person_key)));
  }
  // Share of those (person, place) pairs whose place serves at most one household
  // (rules.face_reuse_household_size): near 1 where places are personal phones or face
  // templates, near 0 where they are kiosks or service halls; 1 when nothing was certified.
  double face_places_personal_share = 1.0;
  // Whether a face place shared by several persons says anything about their faces here
  // (policy: rules.face_place_personal_share_min).
  bool FacePlacesArePersonal(double personal_share_min) const {
    return face_places_personal_share >= personal_share_min;
  }
  // Complete-loss share over all appraisals (pooled over doctors): the rate an ordinary doctor
  // signs at, the baseline hotspots are tested against (measured on the data at hand).
  double population_complete_loss_share = 0.0;
  // The most persons whose pension switched to each registered account within
  // rules.shared_account_batch_days days in a row (the day of its first payment there). An agent,
  // an institution or a family that takes over several pensions arranges it in one go; a ring that
  // takes over victims' accounts does it one victim at a time (ACCOUNT_HIJACK, rules.hijack_*).
  FactCounts switch_batch_per_account;
  // The most persons whose pension switched to each registered account on one day (its first
  // payment there: one pay run). Two persons moved into one account by the same pay run were
  // moved together; a ring's victims are taken one at a time.
  FactCounts switch_run_per_account;
  // Where each region's payments feed starts (a month number, MonthNumber): the month most
  // persons of the region were first paid in (everyone retired before the data starts is first
  // paid there; a stray row for an old period cannot move it). An earlier month without a
  // payment says nothing about whether it was paid. Sorted by region.
  std::vector<std::pair<uint16_t, int>> pension_data_start;
  // INT32_MIN when not measured (hand-made histories: every month is in the data).
  int PensionDataStart(uint16_t region) const {
    const auto it = std::lower_bound(pension_data_start.begin(), pension_data_start.end(),
                                     std::pair<uint16_t, int>(region, INT32_MIN));
    return it != pension_data_start.end() && it->first == region ? it->second : INT32_MIN;
  }
  // Switches of a pension to the registered account from another account, and how many of them
  // had a counter or service-desk visit or a face check in the app that could have made them
  // (ACCOUNT_HIJACK): whether a switch without one is unusual in this data at all. Switches into
  // an account that receives several persons' benefits are left out (suspect on their own).
  uint32_t account_switches = 0;
  uint32_t account_switches_seen = 0;
  // Share of the switches seen at a visit; 1 when there is none to measure (the policy's
  // assumption that a payee account is changed in person stands).
  double SeenSwitchShare() const { return ShareOrOne(account_switches_seen, account_switches); }
  // Persons counted, and those known to another agency by the date
  // (rules::KnownToOtherAgencies): whether "no other agency knows this id" is unusual in this
  // data at all (FORGED_IDENTITY), or the other agencies' feeds are missing.
  uint32_t persons_counted = 0;
  uint32_t persons_known = 0;
  // Share of the persons known to another agency; 1 when there is none to measure (the policy's
  // assumption that the agencies' feeds are loaded stands).
  double KnownShare() const { return ShareOrOne(persons_known, persons_counted); }

 private:
  static double ShareOrOne(uint32_t part, uint32_t whole) {
    return whole == 0 ? 1.0 : static_cast<double>(part) / static_cast<double>(whole);
  }
};

// The key of ids_per_name_birth: the name, '|', and the birth date (YYYY-MM-DD), written over
// `*buffer` (a caller that builds many keeps its buffer) and returned as a view of it.
inline std::string_view NameBirthKey(const std::string& name, Date birth_date,
                                     std::string* buffer) {
  buffer->assign(name);
  *buffer += '|';
  *buffer += FormatDate(birth_date);
  return *buffer;
}

// The key of ids_per_name_decade: the name, '|', and the first year of the birth decade.
inline std::string NameDecadeKey(const std::string& name, Date birth_date) {
  const int year = static_cast<int>(birth_date.year());
  return name + "|" + std::to_string(year - ((year % 10) + 10) % 10);
}

// One piece of evidence behind a decision: which source, when, and what it showed.
struct Evidence {
  std::string source;  // a SignalSource or RegistryEvent name, or a feed name
  Date date{};
  std::string note;  // short, e.g. "PASS" or "reported 2024-05-02"
};

}  // namespace vigil

// The screening state behind vigil::Screener (include/vigil/screener.h). Internal to core/.
//
// One PersonState per person key, built at Open from the store and refreshed per person when
// the store has moved on. Every PersonState is read and written only under its person's stripe
// lock (ScreeningState::stripe), so a refresh and a decision for one person never interleave.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "vigil/codes.h"
#include "vigil/screener.h"
#include "vigil/status.h"
#include "vigil/time.h"

namespace vigil {

class Store;
class Snapshot;

namespace screen {

inline constexpr size_t kBenefits = CodeCount<Benefit>();
inline constexpr int kMonthsAhead = 6;
inline constexpr uint64_t kNeverChecked =
    ~uint64_t{0};  // periods after the anchor month the bitmap covers

// One registration (persons row) as screening needs it: no name, no account text.
struct Registration {
  uint16_t region = 0;
  PersonStatus status = PersonStatus::kActive;
  int64_t benefit_fen = 0;    // approved monthly benefit
  uint64_t account_hash = 0;  // AccountHash(bank_account)
};

// The last score run's case of one person (only flagged persons have one).
struct LastRunCase {
  Action action = Action::kPay;
  double risk = 0;
  std::vector<Pattern> patterns;
  std::vector<std::string> reasons;
};

struct PersonState {
  enum Flags : uint8_t {
    kDead = 1,       // DEATH, CREMATION or HOSPITAL_DISCHARGE "DIED"... (registry only here)
    kInPrison = 2,   // latest prison event is PRISON_IN
    kMissing = 4,    // MISSING or EMIGRATED registered
    kHasEvents = 8,  // the person has events (payee without a registration)
  };
  uint64_t person_key = 0;
  // Store version this state reflects (see Screener::Impl::DataVersion).
  uint64_t checked_version = 0;
  uint8_t flags = 0;
  uint8_t registration_count = 0;
  std::array<Registration, 2> inline_registrations{};
  std::unique_ptr<Registration[]> more_registrations;  // when registration_count > 2
  int32_t death_day = 0;       // DayNumber of the earliest death record (kDead)
  int32_t death_reported = 0;  // its reported day
  int32_t prison_month = 0;    // MonthNumber of the latest PRISON_IN (kInPrison)
  // Paid periods per benefit: bit i = period anchor - window + 1 + i. `stored` from the store's
  // payments, `passed` from PAY decisions of this screener (kept across refreshes).
  std::array<uint64_t, kBenefits> stored_paid{};
  std::array<uint64_t, kBenefits> passed{};
  // Mean amount paid per benefit (fen) and how many payments, from the store.
  std::array<int64_t, kBenefits> mean_fen{};
  std::array<uint32_t, kBenefits> payments{};
  // Account of the latest payment per benefit (AccountHash), 0 when none.
  std::array<uint64_t, kBenefits> last_account{};
  // What the freshness check compares with the store's aggregates.
  uint32_t registry_total = 0;
  uint32_t payment_total = 0;
  uint32_t ledger_digest = 0;  // MonthAggregate::ledger_digest, low 32 bits
  // Index into ScreeningState::cases, or -1.
  int32_t case_index = -1;

  const Registration* registrations() const {
    return registration_count <= 2 ? inline_registrations.data() : more_registrations.get();
  }
  const Registration* FindRegistration(uint16_t region) const {
    const Registration* r = registrations();
    for (size_t i = 0; i < registration_count; ++i) {
      if (r[i].region == region) return &r[i];
    }
    return nullptr;
  }
  bool known() const { return registration_count > 0 || (flags & kHasEvents) != 0; }
  size_t HeapBytes() const {
    return registration_count > 2 ? registration_count * sizeof(Registration) : 0;
  }
};

// Everything Open builds. Immutable except through the stripe locks (PersonState contents)
// and the overflow map (its own mutex).
class ScreeningState {
 public:
  static constexpr size_t kStripes = 4096;
  // An index slot holds (part << kIndexBits) | (index in part + 1); 0 = empty.
  static constexpr int kIndexBits = 26;

  Month anchor{};
  int window_months = 24;
  uint64_t built_version = 0;
  std::string score_run;
  // 0 for the state Open builds, one more for each Rebuild: a remembered decision names the
  // state it was made on.
  uint32_t generation = 0;
  // The persons, one vector per key range of the build (ranges and persons in key order): kept
  // as built, so the build never copies a million states into one vector.
  std::vector<std::vector<PersonState>> parts;
  size_t person_count = 0;
  std::vector<LastRunCase> cases;
  double build_seconds = 0;

  // Bit of `period` in the paid bitmaps; nullopt outside the window.
  std::optional<int> PeriodBit(Month period) const {
    const int first = MonthNumber(anchor) - window_months + 1;
    const int bit = MonthNumber(period) - first;
    if (bit < 0 || bit >= window_months + kMonthsAhead) return std::nullopt;
    return bit;
  }
  // The person's state, or null when it is not in the built state (see Overflow).
  PersonState* Find(uint64_t person_key);
  // A state for a person not in the built state (created empty on first use).
  PersonState* Overflow(uint64_t person_key);
  // The person's state, built or overflow, or null; creates nothing.
  const PersonState* FindBuiltOrOverflow(uint64_t person_key);
  // Visits the overflow states (persons first seen after the build).
  template <typename Visit>
  void ForEachOverflow(Visit&& visit) {
    std::lock_guard lock(overflow_mu_);
    for (const auto& [key, state] : overflow_) visit(*state);
  }
  std::mutex& stripe(uint64_t person_key) { return stripes_[person_key % kStripes]; }
  // Builds the open-addressing index over `parts` (after they are filled).
  void BuildIndex();
  template <typename Visit>
  void ForEachPerson(Visit&& visit) {
    for (auto& part : parts) {
      for (PersonState& p : part) visit(p);
    }
  }
  size_t Bytes() const;

 private:
  // Open addressing whose home slot is the key's top bits: keys in order probe slots in
  // order, so a batch (sorted by person key) walks the index and the parts sequentially.
  std::vector<uint32_t> slots_;
  uint64_t slot_mask_ = 0;
  int slot_shift_ = 64;
  std::array<std::mutex, kStripes> stripes_;
  std::mutex overflow_mu_;
  std::unordered_map<uint64_t, std::unique_ptr<PersonState>> overflow_;
};

// Fingerprint of an account number: the state keeps no account text.
uint64_t AccountHash(std::string_view account);

// The person key of a resident id as the store keys it: with an upper-case X (feeds accept a
// lower-case x, and a request is not changed for it).
uint64_t PersonKeyOf(std::string_view person_id);

// Builds the state from the store (one snapshot). `threads` 0 = all hardware threads.
Status BuildState(const Store& store, const ScreenerOptions& options, uint64_t version,
                  ScreeningState* state);

// Re-reads one person from the store (latest state): registrations, and the registry flags and
// paid periods when the aggregates say the person's registry events or payments changed.
Status RefreshPerson(const Store& store, const ScreeningState& state, PersonState* person);

// The audit entry of one decision and its parse (for repeats after a restart).
struct AuditFacts {
  bool known = false;
  bool registered = false;
  int64_t approved_fen = -1;
  bool account_match = true;
  bool dead = false;
  int32_t death_day = 0;
  bool in_prison = false;
  bool period_paid = false;
  int case_action = -1;
  double case_risk = 0;
  uint64_t state_version = 0;
  uint64_t account_hash = 0;  // AccountHash of the request's account; 0 = not computed yet
};

// First two bytes of a binary audit entry (docs/screening.md has the layout): a tag no JSON
// line starts with, and the format version (JSON entries carry theirs as "v").
inline constexpr char kAuditTag = '\xa5';
inline constexpr char kAuditFormat = 3;

// Appends the binary entry (format 3) of one decision to `out`. The journal holds no console
// entries, so a '"' in a text needs no JSON form (the format 2 JSON lines earlier versions wrote
// to the shared audit family are still parsed). `first`: this entry is the payment id's first
// decision, the one a repeat returns (only such entries are read back by payment id).
void AppendAuditEntry(const PaymentRequest& request, uint64_t request_hash,
                      const Decision& decision, const AuditFacts& facts, bool first,
                      std::string* out);
// Parses an entry of either form; `request_hash` gets the request's fingerprint.
Result<Decision> ParseAuditEntry(std::string_view entry, uint64_t* request_hash);
// The payment id of a binary entry marked `first`; nullopt for every other entry (JSON ones,
// repeats, other writers' entries). Decodes nothing else: Open reads the whole audit family.
// The period a first decision of PAY passed: Open marks it passed again, so that a restart does
// not pass a second payment for it.
struct PassedPeriod {
  uint64_t person_key = 0;
  Benefit benefit = Benefit::kPension;
  Month period{};
};
// When `passed` is given it is also set, from the same read, to the period the decision passed
// (nullopt unless it was a PAY).
std::optional<std::string_view> FirstDecisionPaymentId(
    std::string_view entry, std::optional<PassedPeriod>* passed = nullptr);
// Fingerprint of every field of a request (idempotence: same id, same content).
uint64_t RequestHash(const PaymentRequest& request);

}  // namespace screen
}  // namespace vigil

// vigil::Screener (include/vigil/screener.h): decisions, freshness, idempotence and the audit
// writer. The state itself is built in screener_state.cc; docs/screening.md explains the design.
#include "vigil/screener.h"

#include <tbb/parallel_for.h>
#include <tbb/parallel_sort.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <limits>
#include <numeric>
#include <shared_mutex>
#include <system_error>
#include <thread>

#include "../storage/audit_journal.h"  // the screener's audit journal (internal to vigil)
#include "screener_internal.h"
#include "unfinished_loads.h"
#include "vigil/resident_id.h"
#include "vigil/store.h"

namespace vigil {

using screen::AuditFacts;
using screen::PersonKeyOf;
using screen::PersonState;
using screen::Registration;
using screen::ScreeningState;

namespace {

constexpr size_t kIdShards = 64;

double Round4(double x) { return std::round(x * 1e4) / 1e4; }

// One payment id already decided: enough to answer a repeat exactly. Clean PAY decisions keep
// no detail; others point at their full Decision.
struct IdEntry {
  uint64_t id_hash = 0;       // 0: empty slot
  uint64_t check = 0;         // second hash of the payment id (collisions of the first)
  uint64_t request_hash = 0;  // every field of the request
  double risk = 0;
  int32_t detail = -1;
  Action action = Action::kPay;
  // Without a detail: the state generation the decision was made on (its score run).
  uint16_t generation = 0;
};

// Open addressing with linear probing (no node per id: a payroll decides a million ids).
// Not thread-safe: IdShard's mutex guards it.
class IdTable {
 public:
  IdEntry* Find(uint64_t id_hash) {
    if (slots_.empty()) return nullptr;
    id_hash = Key(id_hash);
    for (size_t s = id_hash & mask_;; s = (s + 1) & mask_) {
      if (slots_[s].id_hash == id_hash) return &slots_[s];
      if (slots_[s].id_hash == 0) return nullptr;
    }
  }
  // The entry of `id_hash`, and whether it was created now.
  std::pair<IdEntry*, bool> Insert(uint64_t id_hash) {
    if ((used_ + 1) * 2 > slots_.size()) Grow(slots_.size() * 2);
    id_hash = Key(id_hash);
    size_t s = id_hash & mask_;
    for (; slots_[s].id_hash != 0; s = (s + 1) & mask_) {
      if (slots_[s].id_hash == id_hash) return {&slots_[s], false};
    }
    slots_[s] = IdEntry{};
    slots_[s].id_hash = id_hash;
    ++used_;
    return {&slots_[s], true};
  }
  // Room for `n` more ids without growing (a batch knows how many it brings).
  void Reserve(size_t n) {
    if ((used_ + n) * 2 > slots_.size()) Grow(std::bit_ceil((used_ + n) * 2));
  }
  void Erase(uint64_t id_hash) {
    IdEntry* e = Find(id_hash);
    if (e == nullptr) return;
    // Backward-shift deletion keeps every probe sequence unbroken without tombstones.
    size_t hole = static_cast<size_t>(e - slots_.data());
    for (size_t s = (hole + 1) & mask_; slots_[s].id_hash != 0; s = (s + 1) & mask_) {
      const size_t home = slots_[s].id_hash & mask_;
      if (((s - home) & mask_) >= ((s - hole) & mask_)) {
        slots_[hole] = slots_[s];
        hole = s;
      }
    }
    slots_[hole] = IdEntry{};
    --used_;
  }

 private:
  static uint64_t Key(uint64_t h) { return h == 0 ? 1 : h; }
  void Grow(size_t size) {
    std::vector<IdEntry> old = std::move(slots_);
    slots_.assign(std::max<size_t>(64, size), IdEntry{});
    mask_ = slots_.size() - 1;
    for (const IdEntry& e : old) {
      if (e.id_hash == 0) continue;
      size_t s = e.id_hash & mask_;
      while (slots_[s].id_hash != 0) s = (s + 1) & mask_;
      slots_[s] = e;
    }
  }
  std::vector<IdEntry> slots_;
  size_t mask_ = 0;
  size_t used_ = 0;
};

struct IdShard {
  std::mutex mu;
  IdTable map;
  std::vector<std::unique_ptr<Decision>> details;
};

// Where the first decision of a payment id is in the audit log: id hash -> audit sequence.
// Open addressing over 64-bit hashes (0 = empty); a later sequence for one hash replaces the
// earlier (the latest first decision wins, as the audit index did). Not thread-safe: built at
// Open and read-only after, or guarded by the owner's mutex.
class DecidedIds {
 public:
  void Insert(uint64_t h, uint64_t seq) {
    if ((used_ + 1) * 2 > slots_.size()) Grow();
    h = h == 0 ? 1 : h;
    size_t s = h & mask_;
    for (; slots_[s].hash != 0; s = (s + 1) & mask_) {
      if (slots_[s].hash == h) {
        slots_[s].seq = std::max(slots_[s].seq, seq);
        return;
      }
    }
    slots_[s] = {h, seq};
    ++used_;
  }
  // The sequence of the entry indexed under this hash (it may be another id's: the caller
  // compares the payment id it reads), or nullopt: no id with this hash was indexed.
  std::optional<uint64_t> Find(uint64_t h) const {
    if (slots_.empty()) return std::nullopt;
    h = h == 0 ? 1 : h;
    for (size_t s = h & mask_;; s = (s + 1) & mask_) {
      if (slots_[s].hash == h) return slots_[s].seq;
      if (slots_[s].hash == 0) return std::nullopt;
    }
  }
  size_t Bytes() const { return slots_.capacity() * sizeof(Slot); }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint64_t seq = 0;
  };
  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(std::max<size_t>(64, old.size() * 2), Slot{});
    mask_ = slots_.size() - 1;
    used_ = 0;
    for (const Slot& e : old) {
      if (e.hash != 0) Insert(e.hash, e.seq);
    }
  }
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t used_ = 0;
};

uint64_t IdCheck(std::string_view payment_id) {
  uint64_t h = 14695981039346656037ULL;  // FNV-1a: independent of the XXH3 key
  for (char c : payment_id) {
    h ^= static_cast<uint8_t>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

Status Validate(const PaymentRequest& r) {
  if (r.payment_id.empty()) return Status::InvalidArgument("payment_id is empty");
  if (r.payment_id.size() > 128) return Status::InvalidArgument("payment_id longer than 128");
  if (r.person_id.size() != ResidentId::kLength) {
    return Status::InvalidArgument("person_id has " + std::to_string(r.person_id.size()) +
                                   " characters, expected 18");
  }
  if (!r.period.ok()) return Status::InvalidArgument("period is not a real month");
  if (r.amount.fen() < 0) return Status::InvalidArgument("amount is negative");
  if (r.region < 1000 || r.region > 9999) {
    return Status::InvalidArgument("region " + std::to_string(r.region) +
                                   " is not a 4-digit city code");
  }
  if (static_cast<size_t>(r.benefit) >= CodeCount<Benefit>()) {
    return Status::InvalidArgument("unknown benefit");
  }
  // The payments feed requires the account (feeds.md): without one nothing can be checked
  // against the registered account or the person's last payments.
  if (r.bank_account.empty()) return Status::InvalidArgument("bank_account is empty");
  return Status::Ok();
}

Pattern PatternOf(ScreenCheck check, bool* has) {
  *has = true;
  switch (check) {
    case ScreenCheck::kDeath:
      return Pattern::kDeceasedPaid;
    case ScreenCheck::kPrison:
      return Pattern::kPrisonPaid;
    case ScreenCheck::kDuplicatePeriod:
      return Pattern::kDuplicateReceipt;
    case ScreenCheck::kAmount:
      return Pattern::kAmountAnomaly;
    case ScreenCheck::kAccount:
      return Pattern::kAccountHijack;
    case ScreenCheck::kIdentity:
      return Pattern::kForgedIdentity;
    default:
      *has = false;
      return Pattern::kAnomaly;
  }
}

std::string Ratio(double r) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fx", r);
  return buf;
}

// Positions in the journal are marked with this bit in the id index, so that one index holds
// them and the audit sequences of entries earlier versions wrote to the store's audit family.
constexpr uint64_t kJournalBit = uint64_t{1} << 63;

// The journal folder inside the store folder a screener audits to.
std::string JournalDir(const std::string& store_path) { return store_path + "/screen-audit"; }

}  // namespace

struct Screener::Impl {
  Policy policy;
  ScreenerOptions options;
  std::unique_ptr<Store> owned_store;
  std::unique_ptr<Store> owned_audit;
  Store* store = nullptr;  // the data
  // Where earlier versions wrote their audit entries (the store's audit family; in secondary
  // mode the old audit store at audit_path, null when there is none): read, never written.
  Store* legacy_audit = nullptr;
  // Where the decisions are appended (shared with the other screeners of this process that
  // audit to the same folder).
  std::shared_ptr<storage::AuditJournal> journal;

  std::shared_mutex state_mu;  // exclusive for Rebuild
  std::unique_ptr<ScreeningState> state;
  // The score run of each state generation (index = ScreeningState::generation); grows under
  // state_mu held exclusively.
  std::vector<std::string> score_runs;

  std::array<IdShard, kIdShards> ids;
  // The first decisions in the audit log when the screener opened: a new id not in it costs
  // no read. Values: journal positions (kJournalBit) or audit sequences of the store.
  DecidedIds persisted;
  // The journal's appends by others than this screener when `persisted` was read, and this
  // screener's own appends (the journal counts them): while the first is unchanged, no one
  // else appended, so an id missing from `persisted` and from `ids` is new.
  uint64_t foreign_at_load = 0;
  std::atomic<uint64_t> own_appends{0};
  // First decisions appended by other screeners of this process after Open (read from the
  // journal's tail when its count moved), and the journal position to read from next.
  std::mutex tail_mu;
  DecidedIds tail;
  uint64_t tail_next = 0;

  // Reads where every payment id's first decision is: the journal's entries marked first, and
  // those earlier versions wrote to the store's audit family (binary entries marked first, and
  // the audit_index/ keys of their JSON entries).
  Status LoadPersistedIds() {
    if (legacy_audit != nullptr) {
      VIGIL_RETURN_IF_ERROR(
          legacy_audit->ScanMeta("audit_index/", [&](std::string_view id, std::string_view key) {
            if (key.size() == 8) persisted.Insert(PersonKey(id), BigEndian64(key));
            return true;
          }));
      VIGIL_RETURN_IF_ERROR(legacy_audit->ScanAudit(1, [&](uint64_t seq, std::string_view entry) {
        if (auto id = screen::FirstDecisionPaymentId(entry)) persisted.Insert(PersonKey(*id), seq);
        return true;
      }));
    }
    // The count before the end: an append in between is read below and also counted as
    // another writer's (one needless tail read), never missed.
    foreign_at_load = journal->ForeignAppends(own_appends);
    const uint64_t end = journal->end();
    // The periods passed before (by this or an earlier process) stay passed: a payroll run
    // again with new payment ids after a restart is a second payment of each period, as it is
    // within one run.
    ScreeningState& st = *state;
    VIGIL_RETURN_IF_ERROR(
        journal->Scan(journal->begin(), end, [&](uint64_t at, std::string_view e) {
          std::optional<screen::PassedPeriod> passed;
          if (auto id = screen::FirstDecisionPaymentId(e, &passed)) {
            persisted.Insert(PersonKey(*id), at | kJournalBit);
            if (passed) {
              if (auto bit = st.PeriodBit(passed->period)) {
                PersonState* p = st.Find(passed->person_key);
                if (p == nullptr) p = st.Overflow(passed->person_key);
                p->passed[static_cast<size_t>(passed->benefit)] |= uint64_t{1} << *bit;
              }
            }
          }
          return true;
        }));
    std::lock_guard lock(tail_mu);
    tail_next = end;
    return Status::Ok();
  }
  static uint64_t BigEndian64(std::string_view b) {
    uint64_t v = 0;
    for (char c : b) v = (v << 8) | static_cast<uint8_t>(c);
    return v;
  }

  // Where the first decision of `payment_id` made before is (by an earlier process, or another
  // screener of this process since Open), or nullopt when there is none.
  Result<std::optional<uint64_t>> FindDecidedInStore(uint64_t id_hash) {
    if (auto at = persisted.Find(id_hash)) return at;
    if (journal->ForeignAppends(own_appends) == foreign_at_load) return std::optional<uint64_t>();
    // Another screener appended since Open: read what the journal gained since the last look.
    std::lock_guard lock(tail_mu);
    const uint64_t end = journal->end();
    if (tail_next < end) {
      VIGIL_RETURN_IF_ERROR(journal->Scan(tail_next, end, [&](uint64_t at, std::string_view e) {
        if (auto id = screen::FirstDecisionPaymentId(e))
          tail.Insert(PersonKey(*id), at | kJournalBit);
        return true;
      }));
      tail_next = end;
    }
    return tail.Find(id_hash);
  }

  // The decision of the audit entry at `at` when it is `payment_id`'s, else nullopt.
  Result<std::optional<Decision>> ReadDecided(uint64_t at, std::string_view payment_id,
                                              uint64_t* request_hash) {
    std::string entry;
    if ((at & kJournalBit) != 0) {
      VIGIL_ASSIGN_OR_RETURN(entry, journal->Read(at & ~kJournalBit));
    } else {
      bool found = false;
      VIGIL_RETURN_IF_ERROR(legacy_audit->ScanAudit(at, [&](uint64_t seq, std::string_view bytes) {
        found = seq == at;
        if (found) entry = bytes;
        return false;
      }));
      if (!found) return Status::Corruption("audit entry " + std::to_string(at) + " is missing");
    }
    VIGIL_ASSIGN_OR_RETURN(Decision d, screen::ParseAuditEntry(entry, request_hash));
    if (d.payment_id != payment_id) return std::optional<Decision>();  // a hash collision
    return std::optional<Decision>(std::move(d));
  }

  // Audit queue with group commit: tickets 1, 2, ... in queue order. Entries are framed
  // journal records.
  std::mutex q_mu;
  std::condition_variable q_cv;
  std::vector<std::string> queue;
  uint64_t last_ticket = 0;
  uint64_t committed = 0;
  bool writing = false;
  // The first ticket of the first group whose write failed (0: none). Sticky: every ticket
  // from it on fails with audit_error until the screener is reopened, so no waiter can read
  // OK for a group that was never written (a later group's outcome cannot hide an earlier
  // one's), and Flush() reports a deferred write's failure however many groups followed it.
  uint64_t failed_from = 0;
  Status audit_error;
  // The first journal write error (guarded by broken_mu). Sticky too: once a write failed,
  // later writes (single requests and batches) are refused with it instead of appending
  // after a gap of lost decisions.
  std::mutex broken_mu;
  Status broken;
  bool stopping = false;
  std::thread flusher;
  std::thread catcher;

  std::atomic<uint64_t> screened{0}, repeated{0}, refreshed{0}, audit_written{0};
  // Counts of decisions made by one caller, added to the shared counters once per call (or per
  // task of a batch): two cores incrementing one shared line per decision pass it to and fro.
  struct Tally {
    uint64_t screened = 0;
    uint64_t repeated = 0;
    uint64_t refreshed = 0;
  };
  void Add(const Tally& t) {
    screened.fetch_add(t.screened, std::memory_order_relaxed);
    repeated.fetch_add(t.repeated, std::memory_order_relaxed);
    refreshed.fetch_add(t.refreshed, std::memory_order_relaxed);
  }

  ~Impl() {
    {
      std::lock_guard lock(q_mu);
      stopping = true;
    }
    q_cv.notify_all();
    if (flusher.joinable()) flusher.join();
    if (catcher.joinable()) catcher.join();
    // The destructor writes what is queued; an error here has no one left to tell.
    (void)Flush();
  }

  // A number that changes whenever the data store was written (the screener does not write
  // to it: its audit goes to the journal).
  std::optional<uint64_t> DataVersion() const { return store->LatestSequence(); }

  // Appends framed records holding `entries` audit entries, in one write.
  Status WriteJournal(std::span<const std::string_view> records, size_t entries) {
    if (Status b = JournalError(); !b.ok()) return b;
    auto first = journal->AppendFramed(records, &own_appends);
    if (!first.ok()) {
      std::lock_guard lock(broken_mu);
      if (broken.ok()) broken = first.status();
      return broken;
    }
    audit_written += entries;
    return Status::Ok();
  }

  // The first journal write error of this screener (OK while none failed).
  Status JournalError() {
    std::lock_guard lock(broken_mu);
    return broken;
  }

  uint64_t Enqueue(std::string record) {
    std::lock_guard lock(q_mu);
    queue.push_back(std::move(record));
    return ++last_ticket;
  }

  // Waits until `ticket` is written; the first waiter finding no write in progress writes
  // everything queued (group commit).
  Status WaitCommitted(uint64_t ticket) {
    std::unique_lock lock(q_mu);
    while (committed < ticket) {
      if (!writing) {
        writing = true;
        std::vector<std::string> batch;
        batch.swap(queue);
        const uint64_t end = last_ticket;
        lock.unlock();
        Status s = Status::Ok();
        if (!batch.empty()) {
          std::vector<std::string_view> records(batch.begin(), batch.end());
          s = WriteJournal(records, batch.size());
        }
        lock.lock();
        writing = false;
        if (!s.ok() && failed_from == 0) {
          failed_from = committed + 1;  // the group was every ticket after `committed`
          audit_error = s;
        }
        committed = end;
        q_cv.notify_all();
      } else {
        q_cv.wait(lock);
      }
    }
    if (failed_from != 0 && ticket >= failed_from) return audit_error;
    return Status::Ok();
  }

  Status Flush() {
    uint64_t ticket = 0;
    {
      std::lock_guard lock(q_mu);
      ticket = last_ticket;
    }
    return WaitCommitted(ticket);
  }

  void StartThreads() {
    if (options.audit_mode == AuditMode::kDeferred) {
      flusher = std::thread([this] {
        std::unique_lock lock(q_mu);
        while (!stopping) {
          q_cv.wait_for(lock, std::chrono::milliseconds(options.audit_flush_interval_ms));
          if (stopping) break;
          const uint64_t ticket = last_ticket;
          if (ticket <= committed) continue;
          lock.unlock();
          (void)WaitCommitted(ticket);  // a failure is sticky: Flush() and Screen() report it
          lock.lock();
        }
      });
    }
    if (store->options().mode == OpenMode::kSecondary) {
      catcher = std::thread([this] {
        std::unique_lock lock(q_mu);
        while (!stopping) {
          q_cv.wait_for(lock, std::chrono::milliseconds(options.catch_up_interval_ms));
          if (stopping) break;
          lock.unlock();
          (void)store->CatchUp();  // a failed catch-up is retried at the next interval
          lock.lock();
        }
      });
    }
  }

  // ---- idempotence ----

  IdShard& ShardOf(uint64_t id_hash) { return ids[id_hash % kIdShards]; }

  // The earlier decision of this payment id into `out` (true), or false: none, or one with
  // other content (`reused`).
  bool FindDecided(const PaymentRequest& r, uint64_t person_key, uint64_t id_hash, uint64_t check,
                   uint64_t request_hash, bool* reused, Decision* out) {
    IdShard& shard = ShardOf(id_hash);
    std::lock_guard lock(shard.mu);
    const IdEntry* it = shard.map.Find(id_hash);
    if (it == nullptr || it->check != check) return false;
    if (it->request_hash != request_hash) {
      *reused = true;
      return false;
    }
    if (it->detail >= 0) {
      *out = *shard.details[static_cast<size_t>(it->detail)];
    } else {
      ResetDecision(r.payment_id, person_key, *state, out);
      out->score_run.assign(score_runs[it->generation]);
      out->action = it->action;
      out->risk = it->risk;
    }
    out->repeated = true;
    return true;
  }

  // Records a decision made on (or read back while deciding on) state `st`; false when another
  // thread recorded this id first. A clean PAY keeps no detail when `st` names its score run
  // and policy: its repeat is rebuilt from them (score_runs[generation]), also after a Rebuild.
  bool Remember(uint64_t id_hash, uint64_t check, uint64_t request_hash, const Decision& d,
                const ScreeningState& st) {
    IdShard& shard = ShardOf(id_hash);
    std::lock_guard lock(shard.mu);
    auto [it, inserted] = shard.map.Insert(id_hash);
    if (!inserted) return false;
    it->check = check;
    it->request_hash = request_hash;
    it->action = d.action;
    it->risk = d.risk;
    const bool clean = d.action == Action::kPay && d.patterns.empty() && d.reasons.empty();
    const bool named_by_state = d.score_run == st.score_run && d.policy_version == policy.version &&
                                st.generation <= std::numeric_limits<uint16_t>::max();
    if (clean && named_by_state) {
      it->generation = static_cast<uint16_t>(st.generation);
    } else {
      it->detail = static_cast<int32_t>(shard.details.size());
      shard.details.push_back(std::make_unique<Decision>(d));
    }
    return true;
  }

  void Forget(uint64_t id_hash) {
    IdShard& shard = ShardOf(id_hash);
    std::lock_guard lock(shard.mu);
    shard.map.Erase(id_hash);
  }

  // ---- deciding ----

  // Decides `r` for the person `p` (its stripe lock held, state current). Fills the audit facts.
  // Writes into `d`, reusing its strings' and vectors' memory (a batch's output vector is
  // reused from call to call: a clean PAY then allocates nothing).
  void Decide(const ScreeningState& st, const PaymentRequest& r, uint64_t person_key,
              PersonState* p, AuditFacts* facts, Decision& d) {
    const RulePolicy& rules = policy.rules;
    ResetDecision(r.payment_id, person_key, st, &d);
    double fact_risk = 0;
    auto add = [&](ScreenCheck check, Action action, std::string text) {
      d.reasons.push_back({check, action, std::move(text)});
      fact_risk = std::max(fact_risk, action == Action::kBlock  ? 1.0
                                      : action == Action::kHold ? rules.hold_risk
                                                                : 0.0);
    };
    const size_t b = static_cast<size_t>(r.benefit);
    auto period = [&r] { return FormatMonth(r.period); };  // only reasons need the text
    facts->known = p->known();
    facts->state_version = p->checked_version;

    if (!ResidentId::Parse(r.person_id).ok()) {
      add(ScreenCheck::kIdentity, Action::kHold,
          "the resident id fails its check character (GB 11643-1999)");
    }
    if (!p->known()) {
      add(ScreenCheck::kUnknownPerson, Action::kHold,
          "the fund has no registration and no history for this person");
    }

    // Authoritative registry facts (policy: rules.deceased_grace_months). Survivor benefits are
    // paid after a death under the deceased's id, so they are checked the other way round.
    const bool dead = (p->flags & PersonState::kDead) != 0;
    facts->dead = dead;
    facts->death_day = p->death_day;
    if (r.benefit == Benefit::kSurvivor) {
      if (!dead && p->known()) {
        add(ScreenCheck::kDeath, Action::kHold,
            "survivor benefit for " + period() + " but no death is registered for this person");
      }
    } else if (dead) {
      const Month death_month = MonthOf(DateFromDayNumber(p->death_day));
      if (MonthsBetween(death_month, r.period) > rules.deceased_grace_months) {
        add(ScreenCheck::kDeath, Action::kBlock,
            "death on " + FormatDate(DateFromDayNumber(p->death_day)) + " (reported " +
                FormatDate(DateFromDayNumber(p->death_reported)) + "): no " +
                std::string(CodeName(r.benefit)) + " for " + period() + ", after the death month");
      }
    }
    const bool in_prison = (p->flags & PersonState::kInPrison) != 0;
    facts->in_prison = in_prison;
    if (in_prison && r.benefit != Benefit::kSurvivor && MonthNumber(r.period) >= p->prison_month) {
      add(ScreenCheck::kPrison, Action::kBlock,
          "in prison since " + FormatMonth(MonthFromNumber(p->prison_month)) +
              " (PRISON_IN with no PRISON_OUT after it): benefits are suspended during a sentence");
    }
    if ((p->flags & PersonState::kMissing) != 0 && r.benefit != Benefit::kSurvivor) {
      add(ScreenCheck::kMissing, Action::kHold, "registered MISSING or EMIGRATED");
    }

    // The pension registration of the paying region: status, approved benefit, account.
    const Registration* reg = p->FindRegistration(r.region);
    facts->registered = reg != nullptr;
    if (r.benefit == Benefit::kPension && p->known()) {
      if (reg == nullptr) {
        std::string where;
        const Registration* all = p->registrations();
        for (size_t i = 0; i < p->registration_count; ++i) {
          where += where.empty() ? " (registered in " : ", ";
          where += std::to_string(all[i].region);
        }
        if (!where.empty()) where += ')';
        add(ScreenCheck::kNotRegistered, Action::kHold,
            "no pension registration in region " + std::to_string(r.region) + where);
      } else if (reg->status != PersonStatus::kActive) {
        add(ScreenCheck::kRegistrationStatus,
            reg->status == PersonStatus::kTerminated ? Action::kBlock : Action::kHold,
            "the registration in region " + std::to_string(r.region) + " is " +
                std::string(CodeName(reg->status)));
      }
    }

    // A second payment of one benefit for one period (any region): DUPLICATE_RECEIPT.
    if (auto bit = st.PeriodBit(r.period)) {
      const uint64_t mask = uint64_t{1} << *bit;
      if ((p->passed[b] & mask) != 0) {
        facts->period_paid = true;
        add(ScreenCheck::kDuplicatePeriod, Action::kBlock,
            std::string(CodeName(r.benefit)) + " for " + period() +
                " was already passed for payment by this screener (another payment_id)");
      } else if ((p->stored_paid[b] & mask) != 0) {
        // The stored payment may be this very payment, ingested after it was made: the same
        // payment id of the same person, benefit and period. Another of the person's payment
        // ids is no such excuse.
        const Result<PaymentRecord> stored = store->GetPayment(r.payment_id);
        const bool same = stored.ok() && PersonKeyOf(stored->person_id) == person_key &&
                          stored->benefit == r.benefit && stored->period == r.period;
        if (!same) {
          facts->period_paid = true;
          add(ScreenCheck::kDuplicatePeriod, Action::kBlock,
              std::string(CodeName(r.benefit)) + " for " + period() +
                  " is already paid (a payment in the fund's ledger)");
        }
      }
    } else {
      const Month first = MonthFromNumber(MonthNumber(st.anchor) - st.window_months + 1);
      const Month last = MonthFromNumber(MonthNumber(st.anchor) + screen::kMonthsAhead);
      add(ScreenCheck::kPeriodOutOfWindow, Action::kHold,
          "period " + period() + " is outside the screening window " + FormatMonth(first) + ".." +
              FormatMonth(last) + ": earlier payments for it are not checked");
    }

    // Amount against the approved benefit (policy: rules.amount_anomaly_ratio). For benefits
    // without an approved amount in the registry, the person's own mean payment is the
    // reference, which is weaker evidence: HOLD instead of BLOCK.
    const double limit = rules.amount_anomaly_ratio;
    int64_t reference = -1;
    bool approved = false;
    if (r.benefit == Benefit::kPension && reg != nullptr && reg->benefit_fen > 0) {
      reference = reg->benefit_fen;
      approved = true;
    } else if (p->payments[b] >= 3 && p->mean_fen[b] > 0) {
      reference = p->mean_fen[b];
    }
    facts->approved_fen = approved ? reference : -1;
    if (reference > 0) {
      const double ratio = static_cast<double>(r.amount.fen()) / static_cast<double>(reference);
      if (ratio > limit || ratio < 1.0 / limit) {
        add(ScreenCheck::kAmount, approved ? Action::kBlock : Action::kHold,
            "amount " + FormatMoneyGrouped(r.amount) + " is " + Ratio(ratio) + " the " +
                (approved ? "approved benefit " : "mean of earlier payments ") +
                FormatMoneyGrouped(Money::FromFen(reference)) + " (limit " + Ratio(limit) + ")");
      }
    }

    // Account: the registered one for a pension, else the one earlier payments went to.
    const uint64_t account = screen::AccountHash(r.bank_account);
    facts->account_hash = account;
    uint64_t expected = 0;
    if (r.benefit == Benefit::kPension && reg != nullptr) {
      expected = reg->account_hash;
    } else if (r.benefit != Benefit::kPension) {
      expected = p->last_account[b];
    }
    facts->account_match = expected == 0 || expected == account;
    if (!facts->account_match) {
      add(ScreenCheck::kAccount, Action::kHold,
          r.benefit == Benefit::kPension
              ? "account is not the one registered for region " + std::to_string(r.region)
              : "account differs from the one earlier " + std::string(CodeName(r.benefit)) +
                    " payments went to");
    }

    // The last score run's verdict on this person.
    double case_risk = 0;
    const screen::LastRunCase* last_case =
        p->case_index >= 0 ? &st.cases[static_cast<size_t>(p->case_index)] : nullptr;
    if (last_case != nullptr) {
      facts->case_action = static_cast<int>(last_case->action);
      facts->case_risk = last_case->risk;
      case_risk = last_case->risk;
      if (last_case->action != Action::kPay) {
        const std::string run_date =
            st.score_run.substr(0, std::min<size_t>(10, st.score_run.size()));
        for (size_t i = 0; i < last_case->reasons.size() && i < 2; ++i) {
          d.reasons.push_back({ScreenCheck::kLastRun, last_case->action,
                               "score run " + run_date + ": " + last_case->reasons[i]});
        }
        if (last_case->reasons.empty()) {
          d.reasons.push_back(
              {ScreenCheck::kLastRun, last_case->action,
               "score run " + run_date + ": " + std::string(CodeName(last_case->action))});
        }
      }
    }

    // The decision: the most severe reason; risk the larger of the run's and the facts'.
    std::stable_sort(d.reasons.begin(), d.reasons.end(), [](const auto& a, const auto& c) {
      return static_cast<int>(a.action) > static_cast<int>(c.action);
    });
    d.action = d.reasons.empty() ? Action::kPay : d.reasons.front().action;
    d.risk = Round4(std::clamp(std::max(case_risk, fact_risk), 0.0, 1.0));
    for (const ScreenReason& reason : d.reasons) {
      bool has = false;
      const Pattern pattern = PatternOf(reason.check, &has);
      if (has && std::find(d.patterns.begin(), d.patterns.end(), pattern) == d.patterns.end()) {
        d.patterns.push_back(pattern);
      }
    }
    if (last_case != nullptr && last_case->action != Action::kPay) {
      for (Pattern pattern : last_case->patterns) {
        if (std::find(d.patterns.begin(), d.patterns.end(), pattern) == d.patterns.end()) {
          d.patterns.push_back(pattern);
        }
      }
    }
    // A passed payment makes the next one for this period a duplicate (held ones do not: a
    // held payment may be replaced by a corrected one).
    if (d.action == Action::kPay) {
      if (auto bit = st.PeriodBit(r.period)) p->passed[b] |= uint64_t{1} << *bit;
    }
  }

  // An empty PAY for `payment_id` in `d`, keeping the memory `d` holds.
  void ResetDecision(const std::string& payment_id, uint64_t person_key, const ScreeningState& st,
                     Decision* d) const {
    d->payment_id.assign(payment_id);
    d->action = Action::kPay;
    d->risk = 0;
    d->patterns.clear();
    d->reasons.clear();
    d->repeated = false;
    d->person_key = person_key;
    d->policy_version.assign(policy.version);
    d->score_run.assign(st.score_run);
  }

  // A decision's audit entry, framed as a journal record, waiting to be written.
  struct Prepared {
    // Where the record is appended: ScreenBatch's per-thread buffer (one allocation per thread,
    // not one per decision), or `entry` when null.
    std::string* buffer = nullptr;
    std::string entry;
    uint64_t id_hash = 0;
    bool remembered = false;

    void Put(const PaymentRequest& r, uint64_t request_hash, const Decision& d,
             const AuditFacts& facts, bool first) {
      std::string* out = buffer != nullptr ? buffer : &entry;
      if (buffer == nullptr) out->reserve(192);  // a clean PAY is about 110 bytes
      const size_t start = storage::AuditJournal::BeginRecord(out);
      screen::AppendAuditEntry(r, request_hash, d, facts, first, out);
      storage::AuditJournal::EndRecord(out, start);
    }
  };

  // Work memory of one ScreenBatch call, kept for the next: a batch's vectors and audit
  // buffers are tens of MB, and allocating them per call faults their pages in and unmaps them
  // again every time.
  struct BatchScratch {
    // The records one task of the batch appended to its thread's buffer: [from, to) of
    // buffers[buffer], for the person groups from `group` on.
    struct Chunk {
      size_t group = 0;
      size_t buffer = 0;
      size_t from = 0;
      size_t to = 0;
    };
    std::vector<Prepared> prepared;
    std::vector<uint64_t> keys;
    std::vector<uint32_t> order;  // requests by person key, then input order
    std::vector<uint32_t> group_starts;
    // Records, one buffer per sub-batch and thread of batch_arena ([part * threads + thread]):
    // a sub-batch's buffers are written while the next sub-batch fills its own.
    std::vector<std::string> buffers;
    std::vector<std::vector<Chunk>> chunks;             // per sub-batch and thread, as `buffers`
    std::vector<Chunk> all_chunks;                      // of one sub-batch, in person-key order
    std::vector<std::vector<std::string_view>> pieces;  // per sub-batch: its journal write
  };
  std::mutex scratch_mu;
  std::vector<std::unique_ptr<BatchScratch>> scratch_pool;  // one per concurrent ScreenBatch
  std::unique_ptr<tbb::task_arena> batch_arena;

  std::unique_ptr<BatchScratch> TakeScratch() {
    std::lock_guard lock(scratch_mu);
    if (scratch_pool.empty()) return std::make_unique<BatchScratch>();
    std::unique_ptr<BatchScratch> scratch = std::move(scratch_pool.back());
    scratch_pool.pop_back();
    return scratch;
  }
  void ReturnScratch(std::unique_ptr<BatchScratch> scratch) {
    std::lock_guard lock(scratch_mu);
    scratch_pool.push_back(std::move(scratch));
  }

  // Decides one request with the state lock held (shared): the decision into `d` (its memory
  // reused), the audit record into `prepared`. Thread-safe.
  // `known_key`: the person key when the caller computed it already (ScreenBatch sorts by it).
  Status DecideOne(const PaymentRequest& in, Prepared* prepared, Decision& d, Tally& tally,
                   std::optional<uint64_t> known_key = std::nullopt) {
    VIGIL_RETURN_IF_ERROR(Validate(in));
    // The store keys persons by the id with an upper-case X (feeds accept a lower-case x); the
    // request is copied only then.
    std::optional<PaymentRequest> upper;
    if (in.person_id.back() == 'x') {
      upper = in;
      upper->person_id.back() = 'X';
    }
    const PaymentRequest& r = upper ? *upper : in;
    const uint64_t person_key = known_key ? *known_key : PersonKeyOf(r.person_id);
    const uint64_t id_hash = PersonKey(r.payment_id);
    const uint64_t check = IdCheck(r.payment_id);
    const uint64_t request_hash = screen::RequestHash(r);
    ScreeningState& st = *state;
    AuditFacts facts;

    std::lock_guard person_lock(st.stripe(person_key));
    ++tally.screened;
    // Read before the idempotence look-up and the decision: a write after it is seen by the
    // next request.
    const std::optional<uint64_t> version = DataVersion();
    bool reused = false;
    bool earlier = FindDecided(r, person_key, id_hash, check, request_hash, &reused, &d);
    if (!earlier && !reused && options.persistent_idempotence) {
      VIGIL_ASSIGN_OR_RETURN(std::optional<uint64_t> seq, FindDecidedInStore(id_hash));
      if (seq) {
        uint64_t stored_hash = 0;
        VIGIL_ASSIGN_OR_RETURN(std::optional<Decision> stored,
                               ReadDecided(*seq, r.payment_id, &stored_hash));
        if (stored && stored_hash == request_hash) {
          Remember(id_hash, check, request_hash, *stored, st);
          stored->repeated = true;
          d = std::move(*stored);
          earlier = true;
        } else if (stored) {
          reused = true;
        }
      }
    }
    if (earlier) {
      ++tally.repeated;
      prepared->Put(r, request_hash, d, facts, false);
      return Status::Ok();
    }

    PersonState* p = st.Find(person_key);
    if (p == nullptr) p = st.Overflow(person_key);
    if (!version || *version != p->checked_version) {
      VIGIL_RETURN_IF_ERROR(screen::RefreshPerson(*store, st, p));
      p->checked_version = version.value_or(screen::kNeverChecked);
      ++tally.refreshed;
    }
    const auto block_reused = [&] {
      ResetDecision(r.payment_id, person_key, st, &d);
      d.action = Action::kBlock;
      d.risk = 1.0;
      d.reasons.push_back({ScreenCheck::kPaymentIdReused, Action::kBlock,
                           "this payment_id was screened before with other content (period, "
                           "amount, account or payee differ)"});
      facts = AuditFacts();
      facts.known = p->known();
      facts.state_version = p->checked_version;
    };
    if (reused) {
      block_reused();
    } else {
      const std::array<uint64_t, screen::kBenefits> passed_before = p->passed;
      Decide(st, r, person_key, p, &facts, d);
      prepared->remembered = Remember(id_hash, check, request_hash, d, st);
      if (!prepared->remembered) {
        // Another thread decided this payment id (for another person's stripe) meanwhile:
        // this request is a repeat of it, or the id reused with other content, never a second
        // decision of its own (two payees could otherwise both be paid under one id).
        p->passed = passed_before;
        bool again = false;
        if (FindDecided(r, person_key, id_hash, check, request_hash, &again, &d)) {
          ++tally.repeated;
          prepared->Put(r, request_hash, d, facts, false);
          return Status::Ok();
        }
        block_reused();
      }
    }
    prepared->id_hash = id_hash;
    prepared->Put(r, request_hash, d, facts, prepared->remembered);
    return Status::Ok();
  }
};

Screener::Screener(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Screener::~Screener() = default;

namespace {
Status ValidateOptions(const ScreenerOptions& o) {
  if (o.window_months < 1 || o.window_months > 64 - screen::kMonthsAhead - 1) {
    return Status::InvalidArgument("ScreenerOptions.window_months " +
                                   std::to_string(o.window_months) + " is out of range [1, 57]");
  }
  if (o.audit_flush_interval_ms < 1) {
    return Status::InvalidArgument("ScreenerOptions.audit_flush_interval_ms must be >= 1");
  }
  if (o.catch_up_interval_ms < 1) {
    return Status::InvalidArgument("ScreenerOptions.catch_up_interval_ms must be >= 1");
  }
  if (o.threads < 0) return Status::InvalidArgument("ScreenerOptions.threads must be >= 0");
  return Status::Ok();
}

// `audit_dir`: the store folder the screener audits to (its journal is a folder inside it).
Result<std::unique_ptr<Screener::Impl>> Build(std::unique_ptr<Screener::Impl> impl,
                                              const std::string& audit_dir) {
  // Decisions on part of a delivery would miss the facts of its rows not loaded (a death among
  // them would be paid). A delivery this process is loading is the freshness path's to follow,
  // and so is the primary's for a secondary, which cannot tell it from one whose loader died
  // (docs/screening.md, "Interrupted deliveries").
  if (impl->store->options().mode == OpenMode::kReadWrite) {
    VIGIL_RETURN_IF_ERROR(CheckNoUnfinishedLoad(*impl->store, "before screening", true));
  }
  // Then: a second process on the same journal fails here, before the build's seconds.
  storage::AuditJournal::Options journal_options;
  journal_options.sync = impl->options.audit_sync;
  VIGIL_ASSIGN_OR_RETURN(impl->journal,
                         storage::AuditJournal::OpenShared(JournalDir(audit_dir), journal_options));
  impl->state = std::make_unique<ScreeningState>();
  const int threads =
      impl->options.threads > 0 ? impl->options.threads : tbb::task_arena::automatic;
  impl->batch_arena = std::make_unique<tbb::task_arena>(threads);
  const std::optional<uint64_t> version = impl->DataVersion();
  VIGIL_RETURN_IF_ERROR(screen::BuildState(
      *impl->store, impl->options, version.value_or(screen::kNeverChecked), impl->state.get()));
  impl->score_runs.push_back(impl->state->score_run);
  if (impl->options.persistent_idempotence) VIGIL_RETURN_IF_ERROR(impl->LoadPersistedIds());
  impl->StartThreads();
  return impl;
}
}  // namespace

Result<std::unique_ptr<Screener>> Screener::Open(Store& store, const Policy& policy,
                                                 const ScreenerOptions& options) {
  VIGIL_RETURN_IF_ERROR(ValidateOptions(options));
  if (store.options().mode != OpenMode::kReadWrite) {
    return Status::FailedPrecondition(
        "screening on a shared store needs it read-write (the audit journal is written inside "
        "its folder, and no other process may hold it)");
  }
  auto impl = std::make_unique<Impl>();
  impl->policy = policy;
  impl->options = options;
  impl->store = &store;
  impl->legacy_audit = &store;
  VIGIL_ASSIGN_OR_RETURN(impl, Build(std::move(impl), store.options().path));
  return std::unique_ptr<Screener>(new Screener(std::move(impl)));
}

Result<std::unique_ptr<Screener>> Screener::Open(const ScreenerStoreOptions& store_options,
                                                 const Policy& policy,
                                                 const ScreenerOptions& options) {
  VIGIL_RETURN_IF_ERROR(ValidateOptions(options));
  if (store_options.db_path.empty()) {
    return Status::InvalidArgument("ScreenerStoreOptions.db_path is required");
  }
  auto impl = std::make_unique<Impl>();
  impl->policy = policy;
  impl->options = options;
  StoreOptions so;
  so.path = store_options.db_path;
  so.create_if_missing = false;
  if (store_options.secondary_path.empty()) {
    VIGIL_ASSIGN_OR_RETURN(impl->owned_store, Store::Open(so));
    impl->legacy_audit = impl->owned_store.get();
  } else {
    if (store_options.audit_path.empty()) {
      return Status::InvalidArgument(
          "ScreenerStoreOptions.audit_path is required with secondary_path (a secondary cannot "
          "write the audit log)");
    }
    so.mode = OpenMode::kSecondary;
    so.secondary_path = store_options.secondary_path;
    VIGIL_ASSIGN_OR_RETURN(impl->owned_store, Store::Open(so));
    // Earlier versions wrote the audit to a store of its own at audit_path: read it, if there.
    std::error_code ec;
    if (std::filesystem::exists(store_options.audit_path + "/CURRENT", ec)) {
      StoreOptions ao;
      ao.path = store_options.audit_path;
      ao.mode = OpenMode::kReadOnly;
      ao.block_cache_bytes = size_t{8} << 20;
      VIGIL_ASSIGN_OR_RETURN(impl->owned_audit, Store::Open(ao));
      impl->legacy_audit = impl->owned_audit.get();
    }
  }
  impl->store = impl->owned_store.get();
  const std::string& audit_dir =
      store_options.secondary_path.empty() ? store_options.db_path : store_options.audit_path;
  VIGIL_ASSIGN_OR_RETURN(impl, Build(std::move(impl), audit_dir));
  return std::unique_ptr<Screener>(new Screener(std::move(impl)));
}

Result<Decision> Screener::Screen(const PaymentRequest& request) {
  Impl::Prepared prepared;
  Decision decision;
  {
    std::shared_lock lock(impl_->state_mu);
    Impl::Tally tally;
    Status s = impl_->DecideOne(request, &prepared, decision, tally);
    impl_->Add(tally);
    VIGIL_RETURN_IF_ERROR(s);
  }
  const uint64_t ticket = impl_->Enqueue(std::move(prepared.entry));
  Status s = impl_->options.audit_mode == AuditMode::kDurable ? impl_->WaitCommitted(ticket)
                                                              : impl_->JournalError();
  if (!s.ok()) {
    // kDeferred: a queued record is not written once a write failed (its ticket fails too).
    if (prepared.remembered) impl_->Forget(prepared.id_hash);
    return s.WithContext("audit");
  }
  return decision;
}

Status Screener::ScreenBatch(std::span<const PaymentRequest> requests,
                             std::vector<Result<Decision>>* out) {
  // Every slot is overwritten below, in parallel, and a slot holding a decision of the
  // caller's previous batch is decided into (its strings' memory reused): the old decisions are
  // not freed here, one after the other, nor the new ones allocated.
  out->resize(requests.size(), Result<Decision>(Decision()));
  std::unique_ptr<Impl::BatchScratch> scratch = impl_->TakeScratch();
  std::vector<Impl::Prepared>& prepared = scratch->prepared;
  std::vector<uint32_t>& order = scratch->order;
  std::vector<uint64_t>& keys = scratch->keys;
  std::vector<uint32_t>& group_starts = scratch->group_starts;
  prepared.assign(requests.size(), Impl::Prepared());
  tbb::task_arena& arena = *impl_->batch_arena;
  const auto threads = static_cast<size_t>(arena.max_concurrency());
  // Room in the id tables for the batch's new ids: no table grows while the batch is decided.
  // The shards grow in parallel: a table that doubles rehashes every id decided before, and
  // one thread rehashing all of them left the other core idle.
  const size_t room = requests.size() / kIdShards + requests.size() / (4 * kIdShards) + 8;
  arena.execute([&] {
    tbb::parallel_for(size_t{0}, impl_->ids.size(), [&](size_t s) {
      IdShard& shard = impl_->ids[s];
      std::lock_guard lock(shard.mu);
      shard.map.Reserve(room);
    });
  });
  Status written = Status::Ok();
  {
    std::shared_lock lock(impl_->state_mu);
    // Requests of one person are decided in input order by one task, so the outcome (which of
    // two payments for one period passes) does not depend on the number of threads.
    keys.resize(requests.size());
    order.resize(requests.size());
    arena.execute([&] {
      tbb::parallel_for(tbb::blocked_range<size_t>(0, requests.size(), 4096),
                        [&](const tbb::blocked_range<size_t>& range) {
                          for (size_t i = range.begin(); i != range.end(); ++i) {
                            keys[i] = PersonKeyOf(requests[i].person_id);
                            order[i] = static_cast<uint32_t>(i);
                          }
                        });
      tbb::parallel_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
        return keys[a] != keys[b] ? keys[a] < keys[b] : a < b;
      });
    });
    group_starts.clear();
    for (size_t i = 0; i < order.size(); ++i) {
      if (i == 0 || keys[order[i]] != keys[order[i - 1]]) {
        group_starts.push_back(static_cast<uint32_t>(i));
      }
    }
    group_starts.push_back(static_cast<uint32_t>(order.size()));
    const size_t groups = group_starts.size() - 1;
    // Sub-batches in person-key order: the records of one are written (on a thread of its own)
    // while the next one is decided, so the write, and a write that waits for the kernel's
    // writeback, does not leave both cores idle. Small batches are one sub-batch.
    const size_t parts = std::clamp<size_t>(groups / 8192, 1, 8);
    scratch->buffers.resize(parts * threads);
    scratch->chunks.resize(parts * threads);
    scratch->pieces.resize(parts);
    std::future<Status> writing;
    auto wait_written = [&] {
      if (!writing.valid()) return;
      Status s = writing.get();
      if (written.ok()) written = std::move(s);
    };
    for (size_t part = 0; part < parts; ++part) {
      const size_t first_group = groups * part / parts;
      const size_t end_group = groups * (part + 1) / parts;
      const size_t part_requests = group_starts[end_group] - group_starts[first_group];
      // Sized for the whole sub-batch (a clean record is about 120 bytes): a buffer that grows
      // by doubling copies itself, and pages never written are never resident.
      for (size_t t = 0; t < threads; ++t) {
        scratch->buffers[part * threads + t].clear();
        scratch->buffers[part * threads + t].reserve(part_requests * 136 + 4096);
        scratch->chunks[part * threads + t].clear();
      }
      arena.execute([&] {
        tbb::parallel_for(tbb::blocked_range<size_t>(first_group, end_group, 64),
                          [&](const tbb::blocked_range<size_t>& range) {
                            const size_t slot_of_thread =
                                part * threads +
                                static_cast<size_t>(tbb::this_task_arena::current_thread_index());
                            std::string& buffer = scratch->buffers[slot_of_thread];
                            const size_t from = buffer.size();
                            const size_t end = group_starts[range.end()];
                            Impl::Tally tally;
                            constexpr uint32_t kAhead = 4;
                            for (size_t g = range.begin(); g != range.end(); ++g) {
                              for (uint32_t k = group_starts[g]; k < group_starts[g + 1]; ++k) {
                                // The requests are visited in person-key order, not in memory
                                // order: ask for a later one's lines while this one is decided.
                                if (k + kAhead < end) {
                                  const uint32_t ahead = order[k + kAhead];
                                  __builtin_prefetch(&requests[ahead]);
                                  __builtin_prefetch(&(*out)[ahead]);
                                  __builtin_prefetch(&prepared[ahead]);
                                }
                                const uint32_t i = order[k];
                                prepared[i].buffer = &buffer;
                                Result<Decision>& slot = (*out)[i];
                                if (!slot.ok()) slot = Decision();
                                Status s = impl_->DecideOne(requests[i], &prepared[i], *slot, tally,
                                                            keys[i]);
                                if (!s.ok()) slot = std::move(s);
                              }
                            }
                            impl_->Add(tally);
                            if (buffer.size() > from) {
                              scratch->chunks[slot_of_thread].push_back(
                                  {range.begin(), slot_of_thread, from, buffer.size()});
                            }
                          });
      });
      // The sub-batch's records in the order they were decided (person key, then input
      // order: each task's records are contiguous in its thread's buffer, and the tasks are
      // put back in group order).
      std::vector<Impl::BatchScratch::Chunk>& all = scratch->all_chunks;
      all.clear();
      for (size_t t = 0; t < threads; ++t) {
        const auto& mine = scratch->chunks[part * threads + t];
        all.insert(all.end(), mine.begin(), mine.end());
      }
      std::sort(all.begin(), all.end(),
                [](const auto& a, const auto& b) { return a.group < b.group; });
      std::vector<std::string_view>& pieces = scratch->pieces[part];
      pieces.clear();
      for (const auto& c : all) {
        pieces.push_back(
            std::string_view(scratch->buffers[c.buffer]).substr(c.from, c.to - c.from));
      }
      size_t records = 0;
      for (size_t k = group_starts[first_group]; k < group_starts[end_group]; ++k) {
        records += (*out)[order[k]].ok() ? 1 : 0;
      }
      // Journal order is sub-batch order: the write before must have returned.
      wait_written();
      if (!written.ok() || pieces.empty()) continue;
      bool behind = part + 1 < parts;
      if (behind) {
        try {
          writing = std::async(std::launch::async, [impl = impl_.get(), &pieces, records] {
            return impl->WriteJournal(pieces, records);
          });
        } catch (const std::system_error&) {
          behind = false;  // no thread to be had: write it here, as the last sub-batch
        }
      }
      if (!behind) written = impl_->WriteJournal(pieces, records);
    }
    wait_written();
  }
  if (!written.ok()) {
    // The records of sub-batches written before the failed write stay in the journal: a
    // restart answers those payment ids as repeats; this process decides them again.
    for (const Impl::Prepared& p : prepared) {
      if (p.remembered) impl_->Forget(p.id_hash);
    }
  }
  impl_->ReturnScratch(std::move(scratch));
  return written.ok() ? written : written.WithContext("audit");
}

Status Screener::Flush() { return impl_->Flush(); }

Status Screener::Rebuild() {
  auto fresh = std::make_unique<ScreeningState>();
  const std::optional<uint64_t> version = impl_->DataVersion();
  VIGIL_RETURN_IF_ERROR(screen::BuildState(*impl_->store, impl_->options,
                                           version.value_or(screen::kNeverChecked), fresh.get()));
  std::unique_lock lock(impl_->state_mu);
  // Passes decided since the first build still count against the new state's periods: those
  // of persons built at Open and of persons first seen later (the old state's overflow).
  ScreeningState& old_state = *impl_->state;
  const int shift = MonthNumber(fresh->anchor) - MonthNumber(old_state.anchor);
  const auto carry_passes = [shift](const PersonState& old, PersonState* p) {
    for (size_t b = 0; b < screen::kBenefits; ++b) {
      const uint64_t passed = old.passed[b];
      p->passed[b] = shift >= 64 || shift <= -64 ? 0
                     : shift >= 0                ? passed >> shift
                                                 : passed << -shift;
    }
  };
  fresh->ForEachPerson([&](PersonState& p) {
    if (const PersonState* old = old_state.FindBuiltOrOverflow(p.person_key)) {
      carry_passes(*old, &p);
    }
  });
  old_state.ForEachOverflow([&](const PersonState& old) {
    if (fresh->Find(old.person_key) == nullptr) carry_passes(old, fresh->Overflow(old.person_key));
  });
  fresh->generation = old_state.generation + 1;
  impl_->score_runs.push_back(fresh->score_run);
  impl_->state = std::move(fresh);
  return Status::Ok();
}

ScreenerStats Screener::stats() const {
  ScreenerStats s;
  std::shared_lock lock(impl_->state_mu);
  s.persons = impl_->state->person_count;
  s.build_seconds = impl_->state->build_seconds;
  s.state_bytes = impl_->state->Bytes() + impl_->persisted.Bytes();
  s.screened = impl_->screened.load();
  s.repeated = impl_->repeated.load();
  s.refreshed = impl_->refreshed.load();
  s.audit_written = impl_->audit_written.load();
  return s;
}

Result<ScreenerAuditScan> ScanScreenerAudit(
    const std::string& store_path, const std::function<bool(std::string_view entry)>& visit) {
  storage::AuditJournal::ScanReport report;
  VIGIL_RETURN_IF_ERROR(storage::AuditJournal::ScanFolder(
      JournalDir(store_path),
      [&](uint64_t, std::string_view entry) { return !visit || visit(entry); }, &report));
  ScreenerAuditScan scan;
  scan.entries = report.records;
  scan.torn_tail_bytes = report.torn_tail_bytes;
  return scan;
}

const Policy& Screener::policy() const { return impl_->policy; }

std::string Screener::score_run() const {
  std::shared_lock lock(impl_->state_mu);
  return impl_->state->score_run;
}

}  // namespace vigil

// Pre-disbursement screening: the library the payment platform links.
//
// Before money leaves the fund, the platform asks vigil about each payment request:
// PAY, HOLD (a person looks at it first) or BLOCK (do not pay), with a risk, pattern codes and
// reasons. A decision combines
//   - the last `vigil score` run (the cases in the store: action, risk, patterns, reasons), and
//   - facts newer than that run, checked on every request: a death, cremation or prison event
//     ingested after the run, a second payment for the same benefit and period, an amount far
//     from the approved benefit, an account other than the registered one.
//
// How it is fast (docs/screening.md): Open() builds a compact in-memory state per person key
// from the store (registrations, approved benefit, account fingerprints, registry flags, paid
// periods of recent months, the last run's verdict). Screen() is then a hash lookup, a few
// checks and an audit append. Freshness: the state remembers the store's write sequence it was
// built at; when the store has moved on (ingest wrote something), the person being screened is
// re-read from the store before deciding (one aggregate read, plus a history read only when
// that person's registry events or payments changed), so an event acknowledged by ingest is
// seen by the very next request for that person.
//
// Idempotence: a payment_id screened again with the same content returns the first decision
// (marked `repeated`), from memory or, after a restart, from the audit log. Every
// decision is appended to the screener's audit journal (the folder "screen-audit" inside the
// store folder: an append-only file of checksummed entries) with the inputs that made it, the
// policy version and the score run (policy version and model id).
//
// Thread-safety: Screener is thread-safe: Screen() and ScreenBatch() may be called from any
// number of threads at once, also while another thread of the process ingests into the same
// Store. Two requests for the same person are decided one after the other (per-person lock), so
// two payments for one period cannot both pass.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/codes.h"
#include "vigil/money.h"
#include "vigil/policy.h"
#include "vigil/status.h"
#include "vigil/time.h"

namespace vigil {

class Store;

// One payment the platform is about to make. Thread-safety: value type.
struct PaymentRequest {
  std::string payment_id;  // unique per payment (the payments feed's natural key)
  std::string person_id;   // resident id of the payee (18 characters)
  uint16_t region = 0;     // city whose fund pays
  Benefit benefit = Benefit::kPension;
  Month period{};  // month the payment is for
  Money amount;
  std::string bank_account;
  Channel channel = Channel::kBank;
};

// Which check produced a reason. Stable values (they are in the audit log): append only.
enum class ScreenCheck : uint8_t {
  kLastRun,             // the last score run's case for this person
  kDeath,               // a death, cremation or death at hospital discharge is registered
  kPrison,              // in prison (PRISON_IN without a later PRISON_OUT)
  kMissing,             // registered missing or emigrated
  kRegistrationStatus,  // the registration of this region is SUSPENDED or TERMINATED
  kNotRegistered,       // a pension for a region where the person is not registered
  kUnknownPerson,       // the fund knows nothing of this person
  kDuplicatePeriod,     // this benefit was already paid (or passed) for this period
  kAmount,              // amount far from the approved benefit
  kAccount,             // account other than the registered one
  kPeriodOutOfWindow,   // period outside the months whose payments are known to the screener
  kIdentity,            // the resident id fails its check character
  kPaymentIdReused,     // this payment_id was screened before with other content
};
std::string_view ScreenCheckName(ScreenCheck check);

struct ScreenReason {
  ScreenCheck check = ScreenCheck::kLastRun;
  Action action = Action::kPay;  // what this reason alone asks for
  std::string text;              // for people, with the numbers; no resident id or account
};

// The answer to one request. A verdict is not an error: BLOCK is an OK result.
// Thread-safety: value type.
struct Decision {
  std::string payment_id;
  Action action = Action::kPay;
  double risk = 0;                    // 0..1
  std::vector<Pattern> patterns;      // contract pattern codes, most severe first
  std::vector<ScreenReason> reasons;  // most severe first; empty for a clean PAY
  // True when this payment_id was decided before: this is that decision, unchanged.
  bool repeated = false;
  uint64_t person_key = 0;     // PersonKey(person_id): what logs may show
  std::string policy_version;  // policy the screener runs
  std::string score_run;       // meta "last_score_run": as-of/policy/model of the cases used
};

// How the audit entry of Screen() is written. ScreenBatch always writes its entries before
// returning.
enum class AuditMode : uint8_t {
  // Screen() returns once its entry is written to the audit journal (in the kernel: it survives
  // a crash of the process; see ScreenerOptions::audit_sync for a power loss). Concurrent
  // callers share one write (group commit).
  kDurable,
  // Screen() queues the entry; a background thread writes queued entries every
  // audit_flush_interval_ms (and Flush() / the destructor write the rest). Faster; a crash may
  // lose the entries of the last interval (docs/screening.md).
  kDeferred,
};

// Options of Screener::Open. Plain struct; Open validates it. None can change after Open.
// Thread-safety: value type.
struct ScreenerOptions {
  // Months of payment periods whose payments the state keeps, counted back from the as-of
  // month of the last `vigil score` run (meta "last_score_run"; the current month when the
  // store has none) and ahead of it: 6 months. A request for a period outside is HELD (its
  // duplicates are not known to the state). Default: 24. Range 1..57.
  int window_months = 24;
  // Default: AuditMode::kDurable.
  AuditMode audit_mode = AuditMode::kDurable;
  // fdatasync the audit journal after every write, so that a returned decision's entry also
  // survives a power loss (not only a crash of the process): one device flush per write,
  // shared by the concurrent callers of one group commit. Screeners of one process auditing to
  // one folder must agree on it (Open fails with FailedPrecondition otherwise). Default: false.
  bool audit_sync = false;
  // kDeferred only: how often queued audit entries are written, in ms. Default: 50.
  int audit_flush_interval_ms = 50;
  // kSecondary stores only (Open by path with secondary_path): how often the store catches up
  // with its primary, in ms. Default: 100.
  int catch_up_interval_ms = 100;
  // Worker threads for the build at Open and for ScreenBatch; 0 = one per hardware thread.
  // Default: 0.
  int threads = 0;
  // Find the first decisions of earlier processes (and of other screeners of this process on
  // the same store) in the audit journal, so a payment decided before a restart keeps its
  // decision. Costs one pass over the journal at Open and 32 bytes per payment id ever decided;
  // a new payment id then costs no read unless another screener appended to the journal.
  // Default: true.
  bool persistent_idempotence = true;
  // Called now and then during the build with (key ranges done, key ranges in all), from
  // the build's worker threads (one call at a time is not guaranteed); may be empty.
  std::function<void(uint64_t, uint64_t)> progress;
};

// Where the Screener gets its store, when it opens one itself.
struct ScreenerStoreOptions {
  // The database folder (written by vigil ingest / vigil score). Required.
  std::string db_path;
  // Empty: open the database read-write (no other process may have it open). Not empty: open
  // it as a RocksDB secondary that follows a running ingest process (kept here), and write the
  // audit journal under audit_path. Default: empty.
  std::string secondary_path;
  // Required with secondary_path: folder of the screener's own audit journal (created if
  // missing; the journal is its "screen-audit" folder, and an audit store an earlier version
  // wrote there is still read). Default: empty.
  std::string audit_path;
};

// Counts of a Screener's life, for monitoring. Thread-safety: value type.
struct ScreenerStats {
  uint64_t persons = 0;        // persons in the state built at Open
  uint64_t screened = 0;       // decisions made (repeats included)
  uint64_t repeated = 0;       // requests answered from an earlier decision
  uint64_t refreshed = 0;      // persons re-read from the store because it changed
  uint64_t audit_written = 0;  // audit entries written
  double build_seconds = 0;    // time Open took to build the state
  size_t state_bytes = 0;      // memory held by the per-person state (approximate)
};

class Screener {
 public:
  // Screens against a store the caller owns and keeps open (the shared-handle mode: the
  // platform process ingests and screens on one Store). The store must be kReadWrite (the audit
  // journal is written inside its folder) and must outlive the Screener.
  // Errors: InvalidArgument for bad options, FailedPrecondition for a store that cannot be
  // written, a journal another process holds, or a store holding part of an interrupted load
  // (Store::UnfinishedDeliveries not loading here, Store::BulkLoadPending; the message names
  // the folder to load again), Corruption / IoError from the store or the journal.
  static Result<std::unique_ptr<Screener>> Open(Store& store, const Policy& policy,
                                                const ScreenerOptions& options = {});
  // Opens the store itself (read-write, or as a secondary of a running ingest process: see
  // ScreenerStoreOptions). Errors: those of Store::Open and of the other Open (a secondary is
  // not refused for a delivery mark: its primary may be loading it).
  static Result<std::unique_ptr<Screener>> Open(const ScreenerStoreOptions& store_options,
                                                const Policy& policy,
                                                const ScreenerOptions& options = {});
  // Writes the queued audit entries, then closes.
  ~Screener();
  Screener(const Screener&) = delete;
  Screener& operator=(const Screener&) = delete;

  // Decides one payment. Errors (no decision, nothing audited): InvalidArgument for a request
  // that is not well formed (empty payment_id, bad period, negative amount, ...); IoError /
  // Corruption from the store. Everything else is a decision.
  Result<Decision> Screen(const PaymentRequest& request);

  // Decides many payments in parallel (oneTBB) and writes their audit entries (in person-key
  // order, one write per sub-batch of up to 8). out[i] answers requests[i] (a slot holding a
  // decision of an earlier call is reused); a malformed request gets its error in out[i] and the
  // others are still decided. The returned Status is an error only when an audit write failed
  // (then no decision of the batch is recorded as made in this process).
  Status ScreenBatch(std::span<const PaymentRequest> requests, std::vector<Result<Decision>>* out);

  // Writes every queued audit entry (kDeferred) and waits until they are in the journal.
  Status Flush();

  // Re-reads the whole state from the store (e.g. after a new `vigil score` run, whose cases
  // a per-person refresh does not reread). Requests wait while it runs.
  Status Rebuild();

  ScreenerStats stats() const;
  const Policy& policy() const;
  // The score run the current state reflects (a copy: Rebuild replaces the state).
  std::string score_run() const;

  struct Impl;

 private:
  explicit Screener(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The text forms of a decision used by `vigil screen` and the C ABI. Thread-safety: pure functions.
std::string JoinPatternNames(const std::vector<Pattern>& patterns, char separator = ';');
std::string JoinReasonTexts(const std::vector<ScreenReason>& reasons, std::string_view separator);

// One audit entry as a JSON line, for people and tools (`vigil audit show --all`): a screening
// decision stored in the compact binary form is rendered with the fields of the JSON form
// ("v":3); any other entry (JSON text) is returned unchanged. Corruption for a binary entry
// that does not decode. Thread-safety: pure function.
Result<std::string> AuditEntryJson(std::string_view entry);

// The audit journal of the screeners that audit to the store folder `store_path` (the
// database, or ScreenerStoreOptions::audit_path of a secondary): it is the folder
// "screen-audit" inside it (docs/screening.md). Earlier versions wrote the decisions to the
// store's audit family instead (Store::ScanAudit reads those).
struct ScreenerAuditScan {
  uint64_t entries = 0;  // entries visited
  // Bytes after the last complete entry: a write in progress, or one a crash tore (the next
  // Screener::Open truncates them; its caller never got the decision).
  uint64_t torn_tail_bytes = 0;
};
// Visits every complete entry of that journal in the order written (render one with
// AuditEntryJson), without locking or changing it: a screener may be appending meanwhile. A
// folder without a journal has no entries. Errors: IoError, Corruption for damage before the
// tail. Thread-safety: thread-safe.
Result<ScreenerAuditScan> ScanScreenerAudit(
    const std::string& store_path, const std::function<bool(std::string_view entry)>& visit);

}  // namespace vigil

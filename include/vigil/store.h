// The history store: every feed row of every person, kept in one RocksDB database.
//
// Layout (docs/storage.md has the byte-level format):
//   persons      PersonKey | region             -> PersonRecord
//   events       PersonKey | time | kind | nk   -> one contribution, payment, signal, registry
//                                                  event or appraisal (the person's history,
//                                                  ordered by time)
//   aggregates   PersonKey | month              -> MonthAggregate of the events *known* in that
//                                                  month, maintained incrementally by a merge
//                                                  operator
//   payment_ids  payment_id                     -> events key of that payment (a correction may
//                                                  move a payment to another person or date)
//   cases        caller's key                   -> caller's bytes (scoring owns the format)
//   audit        8-byte big-endian sequence     -> caller's bytes, append-only
//   meta         name                           -> value (schema version, ...)
//   histories    PersonKey                      -> the person's events packed into one value,
//                                                  in events-key order: a second copy of
//                                                  `events` that makes whole-range scans read
//                                                  one entry per person (stores created by
//                                                  schema 2 on; see MaintainsHistories)
//
// Every event carries its *known-at* time: the moment vigil could first have known it
// (registry: reported_date; contributions: recorded_at; payments: paid_date; signals:
// occurred_at; appraisals: appraisal_date). Reads "as of" a date use only rows known by then.
//
// Writes are idempotent: re-writing a row whose natural key (feeds.md) is already stored with
// identical content changes nothing; with different content it replaces the old row (a
// correction) and the aggregates are corrected in the same atomic write.
//
// No RocksDB type appears here: the implementation lives in storage/.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/codes.h"
#include "vigil/records.h"
#include "vigil/status.h"
#include "vigil/time.h"

namespace vigil {

// Version of the on-disk layout written by this build. A database written by a newer version
// is refused at Open (FailedPrecondition naming both versions); an older one is opened as is.
// 2: the `histories` family, kept equal to `events` by every write of a store created (or first
// opened while empty) by schema 2, which a schema-1 build would not do and therefore refuses.
// A schema-1 store holding data stays at 1: it is read and written as before, and its range
// scans read `events`, until Store::RebuildHistories (`vigil upgrade`) upgrades it to 2.
inline constexpr uint32_t kStoreSchemaVersion = 2;

// 64-bit XXH3 of the person id text exactly as stored (18 characters, upper-case X).
// It leads every per-person key, spreads persons evenly over the key space and is the shard
// key of a future multi-node store. It is also what logs and error messages show instead of
// the resident id. Thread-safety: pure function.
uint64_t PersonKey(std::string_view person_id);

// Kind of a history event: byte 17 of an events key. Stable values: stored on disk.
enum class EventKind : uint8_t {
  kContribution = 1,
  kPayment = 2,
  kSignal = 3,
  kRegistry = 4,
  kAppraisal = 5,
};
std::string_view EventKindName(EventKind kind);

// How the store is opened.
enum class OpenMode : uint8_t {
  kReadWrite,  // the one writer process (ingest, score)
  kReadOnly,   // a fixed view of the database as it was at Open; no writes
  kSecondary,  // follows a live primary: call Store::CatchUp() to see its newer writes
};

// Options for Store::Open. Plain struct; Open() validates it. None can change after Open.
// Thread-safety: value type.
struct StoreOptions {
  // Directory of the database. Required.
  std::string path;
  // Create the database (and its column families) when `path` holds none.
  // Default: true. Ignored unless mode == kReadWrite.
  bool create_if_missing = true;
  // Default: OpenMode::kReadWrite.
  OpenMode mode = OpenMode::kReadWrite;
  // Directory where a kSecondary instance keeps its own info log and metadata; must differ
  // from `path`. Required when mode == kSecondary, ignored otherwise. Default: empty.
  std::string secondary_path;
  // Size of the block cache shared by all column families, in bytes. Default: 256 MiB.
  size_t block_cache_bytes = size_t{256} << 20;
  // Memtable size per column family, in bytes (events and aggregates; the small column
  // families use a quarter of it). Default: 64 MiB.
  size_t write_buffer_bytes = size_t{64} << 20;
  // Bloom filter bits per key (per-person prefix filters on events/aggregates, whole-key on
  // the others). 0 disables the filters. Default: 10 (about 1% false positives).
  int bloom_bits_per_key = 10;
  // Background flush and compaction threads. Default: 2.
  int background_jobs = 2;
  // fsync the WAL on every write. The WAL is always on, so an acknowledged write survives a
  // crash of the process (kill -9) either way; sync_writes also makes it survive a power loss,
  // at the cost of one fsync per batch. Default: false.
  bool sync_writes = false;
  // How a write-ahead log found damaged at Open is replayed. Off: only a torn last record (a
  // process killed while writing it) is dropped; damage anywhere else refuses to open
  // (Corruption naming the log), since replaying up to it would silently drop acknowledged
  // writes after it (a whole delivery). On: replay stops at the damage and the store opens at
  // that consistent point, losing the writes after it; for a store whose log a power loss
  // damaged (sync_writes off), after which the deliveries since are loaded again.
  // Default: false.
  bool recover_wal_to_consistent_point = false;
  // Number of mutexes that serialise the read-check-write of concurrent writers, striped by
  // person key (and payment id). Default: 1024. Must be > 0.
  size_t lock_stripes = 1024;
  // VisitEventsInRange reads the packed per-person copy (`histories`) when the store maintains
  // it (MaintainsHistories): one RocksDB entry per person instead of one per event, about 3x
  // faster over a whole store. false reads `events` instead (same answers; a baseline for
  // benchmarks and tests). Default: true.
  bool scan_packed_histories = true;
};

// Per-row outcome counts of one Store::Write. Thread-safety: value type.
struct WriteCounts {
  uint64_t inserted = 0;   // natural key not stored before
  uint64_t replaced = 0;   // stored before with different content: corrected
  uint64_t unchanged = 0;  // stored before with identical content: nothing written
  uint64_t total() const { return inserted + replaced + unchanged; }
  WriteCounts& operator+=(const WriteCounts& o) {
    inserted += o.inserted;
    replaced += o.replaced;
    unchanged += o.unchanged;
    return *this;
  }
  friend bool operator==(const WriteCounts&, const WriteCounts&) = default;
};

// A batch of typed feed rows to be written atomically by Store::Write. Rows are encoded as
// they are added (so callers can build batches on several threads and keep the store's critical
// section short). Batches whose rows are grouped by person write faster: the aggregate deltas
// of one person-month combine into one merge (docs/storage.md, benchmarks). Within one batch a
// later row with the same natural key as an earlier one replaces it, exactly as in two successive
// batches. Thread-safety: thread-compatible (one builder per thread; const methods may be shared).
class RecordBatch {
 public:
  RecordBatch();
  ~RecordBatch();
  RecordBatch(RecordBatch&&) noexcept;
  RecordBatch& operator=(RecordBatch&&) noexcept;
  RecordBatch(const RecordBatch&) = delete;
  RecordBatch& operator=(const RecordBatch&) = delete;

  void Add(const AnyRecord& record);
  void Add(const PersonRecord& record);
  void Add(const ContributionRecord& record);
  void Add(const PaymentRecord& record);
  void Add(const SignalRecord& record);
  void Add(const RegistryRecord& record);
  void Add(const AppraisalRecord& record);

  // Makes room for `rows` more rows (avoids regrowing the row table while adding).
  void Reserve(size_t rows);
  size_t size() const;
  bool empty() const { return size() == 0; }
  // Total encoded bytes (keys + values), for sizing batches.
  size_t ByteSize() const;
  void Clear();

  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

// Options of a bulk load (Store::StartBulkLoad). Thread-safety: value type.
struct BulkLoadOptions {
  // Encoded bytes of rows (keys + values) buffered before they are sorted and written as one
  // run file (merged into SST files by Finish). Two runs may be in memory at once (one filling, one
  // being written), so memory is about 2.5x this. Default: 128 MiB. Must be >= 64 KiB.
  size_t run_bytes = size_t{128} << 20;
  // What is being loaded (ingest: the load id of the feed folder), kept in the pending mark.
  // When a load was interrupted, StartBulkLoad discards its partial content only to load the
  // same thing again (the same load_id, or an unnamed load on either side), or when
  // `discard_interrupted` is set; otherwise FailedPrecondition naming the interrupted load.
  // Default: "" (unnamed).
  std::string load_id;
  // Default: false.
  bool discard_interrupted = false;
};

// Writes rows into a store that held no persons and no events (an initial load), much faster
// than Store::Write: rows are buffered and sorted in runs written to files beside the
// database; Finish merges the runs, builds the aggregates from the merged events and has
// RocksDB ingest the result at once (no WAL, no memtable, no read-before-write, nothing for
// compaction to merge). Nothing is visible in the store before Finish.
//
// Semantics are those of Write for the final content: a later row with the same natural key
// replaces an earlier one (in the same or a later Add), a payment corrected to another person
// or date leaves only its last event. Counts: a row is `replaced` when an earlier row of the
// same run (about run_bytes of rows) had its natural key, `inserted` otherwise (a correction
// across runs is counted as inserted; the content is still right).
//
// Crash safety: from StartBulkLoad until Finish returns, the store carries a "bulk load
// pending" mark. A process killed in between leaves it; the next StartBulkLoad discards what
// the interrupted load wrote (it began from an empty store) and the load is simply run again.
// Store::Write refuses rows while the mark is there (the aggregates are not maintained).
// Destroying a writer without a successful Finish leaves the mark too, and removes the run
// files it wrote (the rerun does not need them).
// Thread-safety: thread-compatible (one caller at a time); it writes runs on a background
// thread of its own.
class BulkWriter {
 public:
  ~BulkWriter();
  BulkWriter(const BulkWriter&) = delete;
  BulkWriter& operator=(const BulkWriter&) = delete;

  // Buffers the rows of `batch` (the writer keeps the batch: no copy). Errors come from
  // writing an earlier run (IoError from RocksDB); after an error the writer refuses
  // everything.
  Result<WriteCounts> Add(RecordBatch batch);
  // Writes the last run, merges all runs (aggregates included), ingests the result
  // atomically and removes the mark. Errors: IoError, Corruption (a run file read back bad).
  Status Finish();

  struct Impl;
  explicit BulkWriter(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

// Options of Store::BeginDelivery. Thread-safety: value type.
struct DeliveryOptions {
  // What is delivered (ingest: the load id of the feed folder): two deliveries with one load
  // id are the same rows. Required.
  std::string load_id;
  // Where it comes from (ingest: the folder), kept in the mark so that a refusal can say what
  // to load again. Default: "".
  std::string source;
  // Load ids of interrupted deliveries whose marks go in the same synced write: the caller
  // chose to leave them as they are (`vigil ingest --discard-interrupted-load`). A delivery
  // this Store object is loading cannot be acknowledged (InvalidArgument). Default: none.
  std::vector<std::string> acknowledged;
};

// A delivery whose mark is in the store (Store::UnfinishedDeliveries).
struct UnfinishedDelivery {
  std::string load_id;
  std::string source;
  // True while this Store object is loading it (its Delivery exists and was not ended). False:
  // the loader stopped before Delivery::End (killed, or failed), so the store holds part of it.
  // Always false for a kReadOnly or kSecondary store: the primary may still be loading it.
  bool loading_here = false;
};

// One delivery of rows through Store::Write (Store::BeginDelivery). Its mark is in the store's
// meta from BeginDelivery until End, so a loader killed in between leaves a store that says
// it holds part of a delivery, and which one. Must not outlive the Store that made it.
// Thread-safety: thread-compatible.
class Delivery {
 public:
  // Without End the mark stays, and the store reports the delivery as interrupted from now on.
  ~Delivery();
  Delivery(const Delivery&) = delete;
  Delivery& operator=(const Delivery&) = delete;

  // Removes the mark, in a synced write (which makes every write acknowledged before it
  // durable too). Call it once the store holds the whole delivery, or none of it (a load
  // refused before its first row). Errors: IoError from RocksDB; the mark then stays. Ok when
  // called again.
  Status End();
  const std::string& load_id() const;

  struct Impl;
  explicit Delivery(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

namespace store_detail {
template <typename T, size_t N>
constexpr std::array<T, N> Filled(T v) {
  std::array<T, N> a{};
  a.fill(v);
  return a;
}
}  // namespace store_detail

// What the store keeps per (person, month of known-at), summed over months by reads.
// Counts and sums are exact; `latest`/`earliest` fields hold kNoTime/kNoDay when nothing was
// seen. Times are seconds since 1970 local (vigil::Seconds), days are vigil::DayNumber.
// Thread-safety: value type.
struct MonthAggregate {
  static constexpr int64_t kNoTime = std::numeric_limits<int64_t>::min();
  static constexpr int32_t kNoDay = std::numeric_limits<int32_t>::max();
  static constexpr size_t kSources = CodeCount<SignalSource>();
  static constexpr size_t kBenefits = CodeCount<Benefit>();
  static constexpr size_t kRegistryEvents = CodeCount<RegistryEvent>();

  // Signals per SignalSource: how many, and the latest occurred_at.
  std::array<int64_t, kSources> signal_count{};
  std::array<int64_t, kSources> signal_latest = store_detail::Filled<int64_t, kSources>(kNoTime);
  // FACE_CERT signals whose detail is FAIL (also counted in signal_count).
  int64_t face_cert_failed = 0;
  // HOSPITAL_DISCHARGE signals whose outcome is DIED (also counted in signal_count).
  int64_t discharged_dead = 0;

  // Payments per Benefit: how many and how much (fen).
  std::array<int64_t, kBenefits> payment_count{};
  std::array<int64_t, kBenefits> payment_fen{};

  // Registry events per RegistryEvent: how many, and the earliest event_date.
  std::array<int64_t, kRegistryEvents> registry_count{};
  std::array<int32_t, kRegistryEvents> registry_earliest_day =
      store_detail::Filled<int32_t, kRegistryEvents>(kNoDay);

  // Contribution spells: rows, months covered (sum of spell lengths, overlaps counted twice),
  // months in a special (hazardous) job type, months paid as BACK_PAYMENT, and the base sum
  // (monthly_base * months, fen).
  int64_t contribution_rows = 0;
  int64_t contribution_months = 0;
  int64_t special_job_months = 0;
  int64_t back_payment_months = 0;
  int64_t contribution_base_fen = 0;

  // Appraisals: how many, and how many concluded a complete loss (grade 1..4).
  int64_t appraisal_count = 0;
  int64_t appraisal_complete_loss = 0;

  // Payments and registry events: the sum of a 32-bit hash of each one's stored bytes. It moves
  // whenever one of them is added, removed or corrected, also where the counts and sums above
  // stay (a payment's period or account corrected), which is what a cache of the ledger (the
  // screener's state) compares. Only equality means anything. Stores written before it
  // existed hold the part of it that later writes added.
  int64_t ledger_digest = 0;

  // Adds `other` into this: counts and sums add, latest is max, earliest is min.
  void Merge(const MonthAggregate& other);
  // True when nothing at all was recorded.
  bool empty() const;
  // The contribution of one event (the unit the merge operator adds up). `value` is the
  // encoded events value of that kind; Corruption on bad bytes.
  static Result<MonthAggregate> OfEvent(EventKind kind, std::string_view value);

  friend bool operator==(const MonthAggregate&, const MonthAggregate&) = default;
};

// Encoding of MonthAggregate (the aggregates CF value). Exposed for tests and tools.
std::string EncodeAggregate(const MonthAggregate& aggregate);
Result<MonthAggregate> DecodeAggregate(std::string_view bytes);

// One stored event, seen without copying: the views point into RocksDB's buffers and are valid
// only during the visitor call that received them. Thread-safety: not thread-safe (a view).
struct EventView {
  uint64_t person_key = 0;
  EventKind kind = EventKind::kSignal;
  Timestamp time{};      // when it happened (see docs/storage.md per kind)
  Timestamp known_at{};  // when vigil could first know it
  uint64_t natural_key_hash = 0;
  std::string_view key;    // the raw events key (25 bytes)
  std::string_view value;  // the raw encoded value

  // Decoders: Corruption on bad bytes, InvalidArgument when `kind` is another kind.
  Result<ContributionRecord> AsContribution() const;
  Result<PaymentRecord> AsPayment() const;
  Result<SignalRecord> AsSignal() const;
  Result<RegistryRecord> AsRegistry() const;
  Result<AppraisalRecord> AsAppraisal() const;
  Result<AnyRecord> Decode() const;
  // Same, into an existing record whose string buffers are reused: a scan that recycles its
  // records decodes without allocating. On error `*out` is left partly written.
  Status DecodeInto(ContributionRecord* out) const;
  Status DecodeInto(PaymentRecord* out) const;
  Status DecodeInto(SignalRecord* out) const;
  Status DecodeInto(RegistryRecord* out) const;
  Status DecodeInto(AppraisalRecord* out) const;
  // The source of a signal, read without decoding the rest of it: a scan that needs a few
  // sources skips the others cheaply. Corruption on bad bytes before the source.
  Status SignalSourceInto(SignalSource* out) const;
};

// Which events a history visit returns. Times are inclusive; known_by filters on known-at.
// Thread-safety: value type.
struct HistoryFilter {
  // Events with time >= from. Default: the beginning of time.
  Timestamp from = TimestampFromSeconds(std::numeric_limits<int64_t>::min());
  // Events with time <= to. Default: the end of time.
  Timestamp to = TimestampFromSeconds(std::numeric_limits<int64_t>::max());
  // Only events with known_at <= known_by ("as of"). Default: no filter.
  std::optional<Timestamp> known_by;
  // Only these kinds (empty = all). Default: all.
  std::vector<EventKind> kinds;
};

// A visitor returns true to continue, false to stop early (not an error). What it receives is
// valid only during the call: copy what must outlive it (a range scan decodes every persons row
// over the same record).
using EventVisitor = std::function<bool(const EventView&)>;
using PersonVisitor = std::function<bool(const PersonRecord&)>;
using BytesVisitor = std::function<bool(std::string_view key, std::string_view value)>;
using AuditVisitor = std::function<bool(uint64_t sequence, std::string_view entry)>;

// Progress of Store::RebuildHistories, handed to its callback. Thread-safety: value type.
struct HistoriesRebuildProgress {
  uint64_t events = 0;           // events packed so far
  uint64_t events_estimate = 0;  // RocksDB's estimate of the events to pack; 0 when unknown
  uint64_t persons = 0;          // persons whose packed history is written
  bool ingesting = false;        // everything is packed; RocksDB is taking the files in
};
using HistoriesRebuildProgressFn = std::function<void(const HistoriesRebuildProgress&)>;

// What Store::RebuildHistories did. Thread-safety: value type.
struct HistoriesRebuild {
  bool rebuilt = false;  // false: the store maintained `histories` already; nothing was done
  uint64_t persons = 0;  // packed histories written (persons with at least one event)
  uint64_t events = 0;   // events packed into them
};

class Store;

// A consistent point-in-time view of the whole store. Every read taking a `const Snapshot*`
// sees exactly the writes acknowledged before the snapshot was taken, whatever is written
// after. Releases itself on destruction; must not outlive the Store that made it.
// Thread-safety: thread-safe (may be shared by concurrent readers).
class Snapshot {
 public:
  ~Snapshot();
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  friend class Store;
  explicit Snapshot(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The store. Open once per process per directory (RocksDB locks the directory for kReadWrite).
// Thread-safety: thread-safe. All methods may be called concurrently from any thread; writes
// of concurrent Write() calls are serialised per person (striped locks), so aggregates stay
// equal to a recomputation from the events whatever the interleaving.
// Every read takes an optional snapshot; nullptr reads the latest committed state.
class Store {
 public:
  // Opens (or creates) the database. Errors: InvalidArgument for bad options,
  // FailedPrecondition when the database was written by a newer schema version (the message
  // names both versions) or lacks a column family, IoError / Corruption from RocksDB.
  static Result<std::unique_ptr<Store>> Open(const StoreOptions& options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const StoreOptions& options() const;

  // ---- writes (kReadWrite only; others get FailedPrecondition) ----

  // Writes every row of `batch` atomically (one RocksDB WriteBatch: events, aggregate deltas and
  // indexes together): after a crash either all of it or none of it is there. Returns the
  // per-row outcomes once the batch is in the WAL (acknowledged). FailedPrecondition while a
  // bulk load is in progress or was interrupted (BulkLoadPending()): rerun that load first.
  Result<WriteCounts> Write(const RecordBatch& batch);

  // Bulk load into an empty store: sorts the batch, writes SST files beside the database and
  // ingests them (much faster than Write for an initial load). FailedPrecondition when the
  // store already holds persons or events. Counts are all `inserted` (duplicates within the
  // batch: last one wins and counts as `replaced`).
  Result<WriteCounts> BulkLoad(const RecordBatch& batch);

  // Starts a streaming bulk load (see BulkWriter). Allowed when the store holds no persons and
  // no events, or when a bulk load was started and never finished (its partial content is
  // then discarded first; see BulkLoadOptions::load_id for when that is refused).
  // FailedPrecondition otherwise, and while another BulkWriter exists.
  Result<std::unique_ptr<BulkWriter>> StartBulkLoad(const BulkLoadOptions& options = {});
  // True from StartBulkLoad until BulkWriter::Finish, also across a crash in between.
  bool BulkLoadPending() const;

  // Marks the start of a delivery of rows (see Delivery): writes the mark
  // "store.delivery_in_progress/<load_id>" = source into meta, synced, and removes the marks
  // of `options.acknowledged` in the same write. A mark left for the same load id (its
  // interrupted attempt) is simply taken over. Refused while the store holds an interrupted
  // delivery of another load id that is not acknowledged: FailedPrecondition naming it (its
  // missing rows would otherwise be forgotten). Deliveries this Store object is loading at the
  // same time are no obstacle. Errors also: InvalidArgument (no load id, or acknowledging a
  // delivery being loaded here), FailedPrecondition when this Store object is loading that load
  // id already or is not kReadWrite, IoError from RocksDB.
  Result<std::unique_ptr<Delivery>> BeginDelivery(const DeliveryOptions& options);
  // Every delivery mark in the store, in load id order. Errors: IoError from RocksDB.
  Result<std::vector<UnfinishedDelivery>> UnfinishedDeliveries(
      const Snapshot* snapshot = nullptr) const;

  // Cases: opaque bytes under a caller-chosen key (scoring owns the format).
  Status PutCase(std::string_view key, std::string_view value);
  // One key and its bytes, for ReplaceCases.
  struct KeyValue {
    std::string_view key;
    std::string_view value;
  };
  // Makes `cases` the whole content of the cases family and writes the `meta` values (names as
  // for PutMeta), all in one atomic write: a reader, and a store reopened after a crash, sees
  // either what was there before or all of this, never one run's cases beside another's.
  // Stored cases whose key is not in `cases` are deleted. Keys in `cases` must be distinct
  // (InvalidArgument otherwise, and nothing is written). Memory: the write holds the bytes of
  // every case once more. Serialised with other ReplaceCases and PutCase calls.
  Status ReplaceCases(std::span<const KeyValue> cases, std::span<const KeyValue> meta);
  // Meta: small named values. The names "schema_version", "store.bulk_load_pending" and
  // "store.histories_maintained", and those starting with "store.delivery_in_progress/", are
  // reserved (InvalidArgument).
  Status PutMeta(std::string_view name, std::string_view value);
  // Appends an audit entry; returns its sequence number (1, 2, ...; never reused).
  Result<uint64_t> AppendAudit(std::string_view entry);

  // One entry of AppendAuditBatch: the entry bytes and an optional lookup key.
  struct AuditAppend {
    std::string_view entry;
    // When not empty, FindAudit(index_key) returns this entry afterwards (the latest entry
    // appended with a key wins). Stored in meta under "audit_index/" + index_key, which is
    // therefore a reserved meta prefix.
    std::string_view index_key;
  };
  // Appends `entries` in one atomic write (consecutive sequence numbers, index keys in the same
  // write) and returns the first sequence; 0 when `entries` is empty. Much cheaper per entry
  // than AppendAudit when a caller decides many things at once (screening).
  Result<uint64_t> AppendAuditBatch(std::span<const AuditAppend> entries);

  // ---- reads ----

  // Takes a snapshot of the current state. Never fails on an open store.
  std::unique_ptr<Snapshot> GetSnapshot() const;

  // The persons row of (person_id, region). NotFound when absent.
  Result<PersonRecord> GetPerson(std::string_view person_id, uint16_t region,
                                 const Snapshot* snapshot = nullptr) const;
  // Every persons row (all regions) of one person key; empty when none.
  Result<std::vector<PersonRecord>> GetPersonRows(uint64_t person_key,
                                                  const Snapshot* snapshot = nullptr) const;
  // Visits every persons row in key order (person key, then region).
  Status ScanPersons(const PersonVisitor& visit, const Snapshot* snapshot = nullptr) const;

  // Visits, in key order, every person key that has at least one event (whether or not the
  // person has a persons row: benefits such as unemployment are paid to people who are not in
  // the pension registry). One seek per person.
  Status ScanEventPersonKeys(const std::function<bool(uint64_t)>& visit,
                             const Snapshot* snapshot = nullptr) const;

  // Visits one person's history in (time, kind, natural key) order, zero-copy.
  Status VisitHistory(uint64_t person_key, const HistoryFilter& filter, const EventVisitor& visit,
                      const Snapshot* snapshot = nullptr) const;

  // Aggregates of many persons: for each person key, the sum of its month buckets whose
  // known-at month is <= `as_of` (month granularity: rows known later in the as-of month are
  // included; use VisitHistory with known_by for a day-exact cut). `out` is resized to
  // person_keys.size(), in the same order; a person without events gets an empty aggregate.
  Status MultiGetAggregates(std::span<const uint64_t> person_keys, Month as_of,
                            std::vector<MonthAggregate>* out,
                            const Snapshot* snapshot = nullptr) const;
  // The month buckets of one person (month number, aggregate), in month order.
  Status GetAggregateBuckets(uint64_t person_key,
                             std::vector<std::pair<Month, MonthAggregate>>* out,
                             const Snapshot* snapshot = nullptr) const;

  // Range scans, for building a per-person cache in parallel over key ranges with one
  // sequential pass per range instead of one seek per person. Each visits the rows of every
  // person key in [first_key, last_key] in key order.
  // Persons rows, in (person key, region) order.
  Status ScanPersonsInRange(uint64_t first_key, uint64_t last_key, const PersonVisitor& visit,
                            const Snapshot* snapshot = nullptr) const;
  // Events in (person key, time, kind, natural key) order; `filter` applies as in
  // VisitHistory, and EventView::person_key is the event's person. Reads `histories` when the
  // store maintains it and StoreOptions::scan_packed_histories is on (EventView::key then points
  // at a copy of the events key, valid during the visitor call), `events` otherwise.
  Status VisitEventsInRange(uint64_t first_key, uint64_t last_key, const HistoryFilter& filter,
                            const EventVisitor& visit, const Snapshot* snapshot = nullptr) const;
  // Month buckets of the aggregates, in (person key, month) order.
  using AggregateBucketVisitor =
      std::function<bool(uint64_t person_key, Month month, const MonthAggregate& bucket)>;
  Status VisitAggregatesInRange(uint64_t first_key, uint64_t last_key,
                                const AggregateBucketVisitor& visit,
                                const Snapshot* snapshot = nullptr) const;

  // Looks up where a payment is stored: its events key, NotFound when unknown.
  Result<std::string> GetPaymentEventKey(std::string_view payment_id,
                                         const Snapshot* snapshot = nullptr) const;
  // The stored payment of `payment_id`, as last written (a correction replaces it). NotFound
  // when unknown; Corruption when the index points at no payment.
  Result<PaymentRecord> GetPayment(std::string_view payment_id,
                                   const Snapshot* snapshot = nullptr) const;

  Result<std::string> GetCase(std::string_view key, const Snapshot* snapshot = nullptr) const;
  Status ScanCases(const BytesVisitor& visit, const Snapshot* snapshot = nullptr) const;
  Result<std::string> GetMeta(std::string_view name, const Snapshot* snapshot = nullptr) const;
  // Visits every meta value whose name starts with `prefix`, in name order; the visitor gets
  // the name without the prefix. With prefix "audit_index/": every index key of
  // AppendAuditBatch (value: the audit key it points at).
  Status ScanMeta(std::string_view prefix, const BytesVisitor& visit,
                  const Snapshot* snapshot = nullptr) const;
  // Visits audit entries with sequence >= from, in order.
  Status ScanAudit(uint64_t from, const AuditVisitor& visit,
                   const Snapshot* snapshot = nullptr) const;
  // The audit entry last appended with `index_key` (AppendAuditBatch): its sequence and bytes.
  // NotFound when none.
  Result<std::pair<uint64_t, std::string>> FindAudit(std::string_view index_key,
                                                     const Snapshot* snapshot = nullptr) const;

  // A number that grows with every acknowledged write to the store (RocksDB's last sequence
  // number; for kSecondary, as of the last CatchUp). Equal values mean nothing was written in
  // between, which lets a cache built from the store check it is still current with one
  // atomic load. Thread-safe, never fails.
  uint64_t LatestSequence() const;

  // True when every write keeps the `histories` family equal to `events` (meta
  // "store.histories_maintained"): decided at Open, true for a store opened holding no persons
  // and no events (new stores), false for a store filled by schema 1 (its range scans read
  // `events`, and its writes do not maintain `histories`) until RebuildHistories upgrades it.
  // Never fails.
  bool MaintainsHistories() const;

  // Upgrades a store filled by schema 1 to schema 2 in place, without reloading any feed:
  // packs `histories` from `events` in one sequential pass (in parallel over slices of the
  // person-key space), writes the packed values as SST files that RocksDB ingests at once, then
  // writes the meta mark "store.histories_maintained" and schema version 2, last, in one
  // synced write. From then on every write keeps the copy equal to `events` and a Store opened
  // on the directory scans it; this Store object's range scans keep reading `events` until it
  // is reopened (a snapshot taken before the rebuild does not see the ingested copy).
  //
  // A store that maintains `histories` already: Ok, nothing done (`rebuilt` false). Creates
  // the `histories` family when the store was opened without it (create_if_missing false).
  // `progress` (may be empty) is called on the calling thread about every 200 ms.
  // Errors: FailedPrecondition for a kReadOnly or kSecondary store, and while a bulk load is
  // in progress or was interrupted (BulkLoadPending: rerun that load first); IoError /
  // Corruption from RocksDB or a bad events key. On error the store is still schema 1.
  //
  // Crash behaviour: until the mark is written the store is a schema-1 store, fully usable
  // (scans read `events`, writes ignore `histories`). A process killed at any point leaves
  // either that schema-1 store, whose next RebuildHistories first discards whatever the
  // killed one wrote into `histories` and its work folder (DB/histories-rebuild), or a
  // complete schema-2 store.
  // Memory: bounded, independent of the store's size: per slice one person's packed history
  // and one SST file being built.
  // Thread-safety: thread-safe, and exclusive with every write of rows: it holds every
  // person's write lock throughout, so Write, BulkLoad and StartBulkLoad calls made meanwhile
  // wait until it returns; readers, PutCase, PutMeta and the audit appends go on.
  Result<HistoriesRebuild> RebuildHistories(const HistoriesRebuildProgressFn& progress = {});

  // ---- maintenance ----

  // A consistent, openable copy of the database in `dir` (must not exist; same file system:
  // hard links, so it is cheap). Open it with StoreOptions{.path = dir}.
  Status CreateCheckpoint(const std::string& dir) const;
  // Adds an incremental backup of the current state to the backup directory `backup_dir`
  // (created when missing). Includes the WAL, so acknowledged writes are in it.
  Status CreateBackup(const std::string& backup_dir) const;
  // Restores the latest backup of `backup_dir` into `db_dir` (which must not be open).
  static Status RestoreLatestBackup(const std::string& backup_dir, const std::string& db_dir);
  // Flushes memtables to SST files (the WAL already makes writes durable; this shortens
  // recovery and is what tests and benchmarks use to measure reads from disk).
  Status Flush();
  // Compacts everything (merges folded, old versions dropped).
  Status CompactAll();
  // kSecondary only: replays the primary's newer writes. FailedPrecondition otherwise.
  Status CatchUp();

  struct Impl;

 private:
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil

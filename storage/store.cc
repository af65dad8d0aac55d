#include "vigil/store.h"

#include <rocksdb/db.h>
#include <rocksdb/slice.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/utilities/backup_engine.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <mutex>
#include <numeric>
#include <set>
#include <unordered_map>
#include <utility>

#include "aggregate.h"
#include "bulk_writer_impl.h"
#include "coding.h"
#include "db_options.h"
#include "histories.h"
#include "history_rebuild.h"
#include "keys.h"
#include "record_batch_impl.h"
#include "values.h"

namespace vigil {

using storage::CfIndex;

namespace {

std::string_view View(const rocksdb::Slice& s) { return {s.data(), s.size()}; }
rocksdb::Slice ToSlice(std::string_view s) { return {s.data(), s.size()}; }

// Converts a RocksDB status, keeping the retry semantics of our codes.
Status FromRocks(const rocksdb::Status& s, std::string_view context) {
  if (s.ok()) return Status::Ok();
  std::string m = std::string(context) + ": " + s.ToString();
  switch (s.code()) {
    case rocksdb::Status::kNotFound:
      return Status::NotFound(std::move(m));
    case rocksdb::Status::kCorruption:
      return Status::Corruption(std::move(m));
    case rocksdb::Status::kInvalidArgument:
      return Status::InvalidArgument(std::move(m));
    case rocksdb::Status::kIOError:
      return Status::IoError(std::move(m));
    case rocksdb::Status::kBusy:
    case rocksdb::Status::kTimedOut:
    case rocksdb::Status::kTryAgain:
      return Status::Unavailable(std::move(m));
    case rocksdb::Status::kAborted:
    case rocksdb::Status::kIncomplete:
      return Status::Aborted(std::move(m));
    case rocksdb::Status::kNotSupported:
      return Status::Unimplemented(std::move(m));
    default:
      return Status::Internal(std::move(m));
  }
}

std::string PersonUpperBound(uint64_t person_key) {
  // The smallest key of the next person; empty for the last possible person (no bound).
  if (person_key == UINT64_MAX) return {};
  return storage::PersonPrefix(person_key + 1);
}

// What a HistoryFilter asks of one events row, precomputed.
struct EventFilterBits {
  explicit EventFilterBits(const HistoryFilter& filter)
      : from(Seconds(filter.from)),
        to(Seconds(filter.to)),
        known_by(filter.known_by ? Seconds(*filter.known_by)
                                 : std::numeric_limits<int64_t>::max()) {
    for (EventKind k : filter.kinds)
      kind_mask |= static_cast<uint8_t>(1u << static_cast<uint8_t>(k));
  }
  int64_t from;
  int64_t to;
  int64_t known_by;
  uint8_t kind_mask = 0;  // bit per EventKind; 0 = all
};

// kAfter: its time is past the filter's `to`; kBadKind and kBadHeader: corrupt bytes
// (FitError says so).
enum class EventFit { kPass, kSkip, kAfter, kBadKind, kBadHeader };

// Fills `view` from one event when it passes `bits`: `key` is its 25-byte events key (person
// key, then the suffix read here), `value` its events value. Shared by the scan of `events` and
// that of `histories`, so that both apply a filter identically. Asked of every event of a
// scan, so it returns a plain code; the message of a corrupt event is built apart (FitError).
EventFit MatchEvent(std::string_view key, std::string_view value, const EventFilterBits& bits,
                    EventView* view) {
  const int64_t time = storage::UnflipSign64(storage::DecodeFixed64BE(key.data() + 8));
  if (time > bits.to) return EventFit::kAfter;
  if (time < bits.from) return EventFit::kSkip;
  const auto kind = static_cast<uint8_t>(key[16]);
  if (!storage::IsValidEventKind(kind)) return EventFit::kBadKind;
  if (bits.kind_mask != 0 && (bits.kind_mask & (1u << kind)) == 0) return EventFit::kSkip;
  int64_t known = 0;
  if (!storage::PeekKnownAt(value, &known)) return EventFit::kBadHeader;
  if (known > bits.known_by) return EventFit::kSkip;
  view->person_key = storage::DecodeFixed64BE(key.data());
  view->kind = static_cast<EventKind>(kind);
  view->time = TimestampFromSeconds(time);
  view->known_at = TimestampFromSeconds(known);
  view->natural_key_hash = storage::DecodeFixed64BE(key.data() + 17);
  view->key = key;
  view->value = value;
  return EventFit::kPass;
}

bool IsCorrupt(EventFit fit) { return fit == EventFit::kBadKind || fit == EventFit::kBadHeader; }

// The Corruption a corrupt fit stands for (`key` is the event's events key).
Status FitError(EventFit fit, std::string_view key) {
  if (fit == EventFit::kBadKind) return Status::Corruption("events key kind");
  return Status::Corruption("events value header of person key " +
                            std::to_string(storage::DecodeFixed64BE(key.data())));
}

// Fills `view` from the events row under `it` when it passes `bits`.
Status ReadEvent(const rocksdb::Iterator& it, const EventFilterBits& bits, EventView* view,
                 EventFit* fit) {
  const rocksdb::Slice key = it.key();
  if (key.size() != storage::kEventKeySize) return Status::Corruption("events key size");
  *fit = MatchEvent(View(key), View(it.value()), bits, view);
  if (IsCorrupt(*fit)) return FitError(*fit, View(key));
  return Status::Ok();
}

}  // namespace

// ---------------------------------------------------------------- Snapshot

struct Snapshot::Impl {
  rocksdb::DB* db = nullptr;
  const rocksdb::Snapshot* snapshot = nullptr;
};

Snapshot::Snapshot(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Snapshot::~Snapshot() {
  if (impl_->snapshot != nullptr) impl_->db->ReleaseSnapshot(impl_->snapshot);
}

// ---------------------------------------------------------------- EventView

namespace {
template <typename T>
Result<T> CheckKind(const EventView& v, EventKind want, Result<T> (*decode)(std::string_view)) {
  if (v.kind != want) {
    return Status::InvalidArgument("event is a " + std::string(EventKindName(v.kind)) + ", not a " +
                                   std::string(EventKindName(want)));
  }
  return decode(v.value);
}
}  // namespace

Result<ContributionRecord> EventView::AsContribution() const {
  return CheckKind(*this, EventKind::kContribution, &storage::DecodeContribution);
}
Result<PaymentRecord> EventView::AsPayment() const {
  return CheckKind(*this, EventKind::kPayment, &storage::DecodePayment);
}
Result<SignalRecord> EventView::AsSignal() const {
  return CheckKind(*this, EventKind::kSignal, &storage::DecodeSignal);
}
Result<RegistryRecord> EventView::AsRegistry() const {
  return CheckKind(*this, EventKind::kRegistry, &storage::DecodeRegistry);
}
Result<AppraisalRecord> EventView::AsAppraisal() const {
  return CheckKind(*this, EventKind::kAppraisal, &storage::DecodeAppraisal);
}
Result<AnyRecord> EventView::Decode() const { return storage::DecodeEvent(kind, value); }

namespace {
template <typename T>
Status CheckKindInto(const EventView& v, EventKind want, T* out,
                     Status (*decode)(std::string_view, T*)) {
  if (v.kind != want) {
    return Status::InvalidArgument("event is a " + std::string(EventKindName(v.kind)) + ", not a " +
                                   std::string(EventKindName(want)));
  }
  return decode(v.value, out);
}
}  // namespace

Status EventView::DecodeInto(ContributionRecord* out) const {
  return CheckKindInto(*this, EventKind::kContribution, out, &storage::DecodeContributionInto);
}
Status EventView::DecodeInto(PaymentRecord* out) const {
  return CheckKindInto(*this, EventKind::kPayment, out, &storage::DecodePaymentInto);
}
Status EventView::DecodeInto(SignalRecord* out) const {
  return CheckKindInto(*this, EventKind::kSignal, out, &storage::DecodeSignalInto);
}
Status EventView::SignalSourceInto(SignalSource* out) const {
  if (kind != EventKind::kSignal) {
    return Status::InvalidArgument("event is a " + std::string(EventKindName(kind)) +
                                   ", not a signal");
  }
  return storage::DecodeSignalSource(value, out);
}
Status EventView::DecodeInto(RegistryRecord* out) const {
  return CheckKindInto(*this, EventKind::kRegistry, out, &storage::DecodeRegistryInto);
}
Status EventView::DecodeInto(AppraisalRecord* out) const {
  return CheckKindInto(*this, EventKind::kAppraisal, out, &storage::DecodeAppraisalInto);
}

// ---------------------------------------------------------------- Store::Impl

struct Store::Impl {
  StoreOptions options;
  storage::DbConfig config;
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // indexed by CfIndex, then unknown CFs
  std::unique_ptr<std::mutex[]> stripes;
  std::mutex audit_mu;
  uint64_t next_audit = 1;  // guarded by audit_mu
  // Held by PutCase and ReplaceCases: a case put between ReplaceCases' scan and its write would
  // otherwise survive a replacement that never saw it.
  std::mutex cases_mu;
  // Reused by AppendAuditBatch (guarded by audit_mu): a screening batch is tens of MB, and a
  // fresh buffer of that size costs a page fault per 4 KiB on every call.
  rocksdb::WriteBatch audit_batch;
  std::atomic<uint64_t> bulk_files{0};
  // A bulk load was started and not finished (mirrors meta kMetaBulkPending); a BulkWriter
  // exists.
  std::atomic<bool> bulk_pending{false};
  std::atomic<bool> bulk_active{false};
  // Load ids of the deliveries this object is loading (a Delivery exists, not ended). Every
  // other mark in meta is an interrupted delivery's. Guarded by deliveries_mu, which also
  // serialises BeginDelivery's check and mark.
  std::mutex deliveries_mu;
  std::set<std::string, std::less<>> loading_here;
  // Every write keeps `histories` equal to `events` (meta kMetaHistoriesMaintained). Decided at
  // Open; RebuildHistories turns it on while it holds every stripe, so a writer, which reads it
  // under its stripes, sees one value for its whole write.
  std::atomic<bool> histories{false};
  // Range scans read `histories` (histories && options.scan_packed_histories).
  bool scan_histories = false;

  ~Impl() {
    if (db) {
      for (auto* h : handles) {
        if (h != nullptr) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
      }
      db->Close().PermitUncheckedError();
    }
  }

  rocksdb::ColumnFamilyHandle* cf(CfIndex i) const { return handles[i]; }
  // Every lock stripe, for the operations that exclude every writer.
  std::vector<size_t> AllStripes() const {
    std::vector<size_t> all(options.lock_stripes);
    std::iota(all.begin(), all.end(), size_t{0});
    return all;
  }
  // The handle of family `i` for callers that hold no stripe (Flush, CompactAll):
  // RebuildHistories may fill in the `histories` slot meanwhile. Every other reader of that
  // slot holds a stripe or reads it only once the store maintains the copy.
  rocksdb::ColumnFamilyHandle* LoadHandle(size_t i) {
    return std::atomic_ref<rocksdb::ColumnFamilyHandle*>(handles[i])
        .load(std::memory_order_acquire);
  }

  static rocksdb::ReadOptions Read(const Snapshot* snapshot) {
    rocksdb::ReadOptions ro;
    if (snapshot != nullptr) ro.snapshot = snapshot->impl().snapshot;
    return ro;
  }

  rocksdb::WriteOptions WriteOpts() const {
    rocksdb::WriteOptions wo;
    wo.sync = options.sync_writes;
    wo.disableWAL = false;
    return wo;
  }

  Status CheckWritable() const {
    if (options.mode != OpenMode::kReadWrite) {
      return Status::FailedPrecondition(
          "store is open read-only: writes need OpenMode::kReadWrite");
    }
    return Status::Ok();
  }
  // Rows may not be written around a pending bulk load: its aggregates are built at its end.
  Status CheckNoBulkLoad() const {
    if (bulk_pending.load() || bulk_active.load()) {
      return Status::FailedPrecondition(
          "a bulk load is in progress or was interrupted: run the load again to finish it");
    }
    return Status::Ok();
  }
  // Deletes every key of one column family (range tombstone + the last key).
  Status Wipe(CfIndex i);
  // Appends every delivery mark in meta to `out` (loading_here false).
  Status ReadDeliveryMarks(const Snapshot* snapshot, std::vector<UnfinishedDelivery>* out) const;
  // True when column family `i` holds no key (of any value).
  Result<bool> IsEmpty(CfIndex i) const;
  // The steps of Open, in order. OpenDatabase opens every family the directory holds (RocksDB
  // requires it), ours with our options, and maps the handles to CfIndex.
  Status OpenDatabase(bool writable);
  // Refuses a store of a newer schema or one that lacks a family; stamps a new store.
  Status CheckSchema(bool writable);
  // Decides at Open whether `histories` is maintained (see kMetaHistoriesMaintained).
  Status SetUpHistories();
  // The state a previous process left: a pending bulk load, the next audit sequence.
  Status ReadLeftState();
  // Writes the mark and schema version 2 in one synced write, then maintains `histories`.
  Status MarkHistoriesMaintained();
  // Store::RebuildHistories once every stripe is held.
  Result<HistoriesRebuild> RebuildHistoriesLocked(const HistoriesRebuildProgressFn& progress);
  // VisitEventsInRange over `histories`: one entry per person instead of one per event.
  Status VisitPackedInRange(uint64_t first_key, uint64_t last_key, const HistoryFilter& filter,
                            const EventVisitor& visit, const Snapshot* snapshot) const;

  size_t Stripe(uint64_t hash) const { return hash % options.lock_stripes; }

  // Outcome of one locked attempt: either done, or the stripes it still needs.
  struct Attempt {
    Status status;
    WriteCounts counts;
    std::vector<size_t> missing;
  };
  Attempt WriteLocked(const std::vector<RecordBatch::Impl::Row>& rows,
                      const std::vector<size_t>& locked);
  Status RecomputeBuckets(
      const std::set<std::string>& buckets,
      const std::unordered_map<std::string_view, std::optional<std::string_view>>& events,
      std::map<std::string, MonthAggregate>* out);
};

namespace {

// Locks a sorted, unique set of stripes in ascending order (so two writers never deadlock) and
// unlocks them on destruction.
class StripeGuard {
 public:
  // Owns its list of stripes: a temporary list cannot dangle.
  StripeGuard(std::mutex* stripes, std::vector<size_t> which)
      : stripes_(stripes), which_(std::move(which)) {
    for (size_t i : which_) stripes_[i].lock();
  }
  ~StripeGuard() {
    for (auto it = which_.rbegin(); it != which_.rend(); ++it) stripes_[*it].unlock();
  }
  StripeGuard(const StripeGuard&) = delete;
  StripeGuard& operator=(const StripeGuard&) = delete;

 private:
  std::mutex* stripes_;
  const std::vector<size_t> which_;
};

// Reads many keys of one column family with one batched MultiGet.
struct BatchLookup {
  std::vector<rocksdb::Slice> keys;
  std::vector<rocksdb::PinnableSlice> values;
  std::vector<rocksdb::Status> statuses;

  Status Run(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, const rocksdb::ReadOptions& ro,
             std::string_view what) {
    values.resize(keys.size());
    statuses.resize(keys.size());
    if (keys.empty()) return Status::Ok();
    // Callers index the answers by key, not by position, so the keys can be put in key order
    // here: cheaper than RocksDB's own sort of its key contexts, and the memtable and SST
    // lookups then walk forward.
    std::sort(keys.begin(), keys.end(),
              [](const rocksdb::Slice& a, const rocksdb::Slice& b) { return a.compare(b) < 0; });
    db->MultiGet(ro, cf, keys.size(), keys.data(), values.data(), statuses.data(),
                 /*sorted_input=*/true);
    for (const auto& s : statuses) {
      if (!s.ok() && !s.IsNotFound()) return FromRocks(s, what);
    }
    return Status::Ok();
  }
  std::optional<std::string_view> Value(size_t i) const {
    if (statuses[i].IsNotFound()) return std::nullopt;
    return View(values[i]);
  }
};

}  // namespace

Store::Impl::Attempt Store::Impl::WriteLocked(const std::vector<RecordBatch::Impl::Row>& rows,
                                              const std::vector<size_t>& locked) {
  Attempt out;
  const rocksdb::ReadOptions ro;

  // 1. Where are the payments of this batch stored now? A correction may have moved one to
  //    another person, whose stripe we must then hold too (its aggregates change).
  BatchLookup pay;
  for (const auto& row : rows) {
    if (!row.payment_id.empty()) pay.keys.emplace_back(ToSlice(row.payment_id));
  }
  out.status = pay.Run(db.get(), cf(storage::kPaymentIdsIdx), ro, "payment index read");
  if (!out.status.ok()) return out;
  // payment_id -> events key currently stored (or nullopt).
  std::unordered_map<std::string_view, std::optional<std::string_view>> pay_state;
  pay_state.reserve(pay.keys.size());
  for (size_t j = 0; j < pay.keys.size(); ++j) {
    auto old_key = pay.Value(j);
    if (old_key && old_key->size() != storage::kEventKeySize) {
      out.status = Status::Corruption("payment index value has " + std::to_string(old_key->size()) +
                                      " bytes");
      return out;
    }
    if (old_key) {
      const size_t s = Stripe(storage::PersonKeyOf(*old_key));
      if (!std::binary_search(locked.begin(), locked.end(), s)) out.missing.push_back(s);
    }
    pay_state.emplace(View(pay.keys[j]), old_key);
  }
  if (!out.missing.empty()) return out;

  // 2. Current values of every key this batch touches, in two batched reads.
  BatchLookup persons_read;
  BatchLookup events_read;
  for (const auto& row : rows) {
    (row.is_person ? persons_read : events_read).keys.emplace_back(ToSlice(row.key));
  }
  for (const auto& [pid, old_key] : pay_state) {
    if (old_key) events_read.keys.emplace_back(ToSlice(*old_key));
  }
  out.status = persons_read.Run(db.get(), cf(storage::kPersonsIdx), ro, "persons read");
  if (!out.status.ok()) return out;
  out.status = events_read.Run(db.get(), cf(storage::kEventsIdx), ro, "events read");
  if (!out.status.ok()) return out;

  // Key -> current value (nullopt = absent or deleted), overlaid by this batch as it goes, so a
  // later row sees an earlier row of the same batch exactly as if it had been written before.
  using State = std::unordered_map<std::string_view, std::optional<std::string_view>>;
  State persons;
  State events;
  persons.reserve(persons_read.keys.size());
  events.reserve(events_read.keys.size());
  for (size_t i = 0; i < persons_read.keys.size(); ++i) {
    persons.emplace(View(persons_read.keys[i]), persons_read.Value(i));
  }
  for (size_t i = 0; i < events_read.keys.size(); ++i) {
    events.emplace(View(events_read.keys[i]), events_read.Value(i));
  }
  std::vector<std::string_view> dirty_persons;
  std::vector<std::string_view> dirty_events;
  std::vector<std::string_view> dirty_payments;

  std::map<std::string, MonthAggregate> deltas;  // bucket key -> delta
  std::set<std::string> recompute;               // buckets to rebuild from their events

  // Takes an old event's contribution out of the aggregates. Counts and sums subtract; a
  // latest/earliest field cannot, unless the replacement lands in the same bucket with the
  // same extremes, so its bucket is rebuilt from the events instead.
  auto remove_old = [&](EventKind kind, std::string_view old_key, std::string_view old_value,
                        const RecordBatch::Impl::Row& row,
                        const MonthAggregate& row_delta) -> Status {
    auto old_agg = MonthAggregate::OfEvent(kind, old_value);
    if (!old_agg.ok()) return old_agg.status().WithContext("stored event");
    int64_t known = 0;
    if (!storage::PeekKnownAt(old_value, &known)) return Status::Corruption("stored event header");
    const uint64_t old_person = storage::PersonKeyOf(old_key);
    std::string bucket = storage::AggregateKey(old_person, storage::MonthNumberOfSeconds(known));
    const bool same_bucket =
        old_person == row.person_key && storage::MonthNumberOfSeconds(known) == row.known_month;
    if (!storage::HasExtremes(*old_agg) ||
        (same_bucket && storage::SameExtremes(*old_agg, row_delta))) {
      storage::SubtractSums(*old_agg, &deltas[bucket]);
      return Status::Ok();
    }
    if (!std::binary_search(locked.begin(), locked.end(), Stripe(old_person))) {
      return Status::Internal("bucket rebuild for a person whose stripe is not held");
    }
    recompute.insert(std::move(bucket));
    return Status::Ok();
  };

  for (const auto& row : rows) {
    if (row.is_person) {
      auto& cur = persons[row.key];
      if (cur && *cur == row.value) {
        ++out.counts.unchanged;
        continue;
      }
      ++(cur ? out.counts.replaced : out.counts.inserted);
      cur = row.value;
      dirty_persons.push_back(row.key);
      continue;
    }
    auto& cur = events[row.key];
    std::optional<std::string_view>* moved_from = nullptr;
    std::string_view moved_key;
    if (!row.payment_id.empty()) {
      auto& idx = pay_state[row.payment_id];
      if (idx && *idx != row.key) {
        moved_key = *idx;
        moved_from = &events[moved_key];
      }
    }
    if (cur && *cur == row.value && moved_from == nullptr) {
      ++out.counts.unchanged;
      continue;
    }
    // This row's contribution to its bucket, from the encoded value (the batch keeps no
    // decoded copy: that would cost ~400 bytes a row for rows that are mostly unchanged).
    auto row_delta = MonthAggregate::OfEvent(row.kind, row.value);
    if (!row_delta.ok()) {
      out.status = row_delta.status().WithContext("batch row");
      return out;
    }
    bool existed = false;
    if (cur) {
      existed = true;
      out.status = remove_old(row.kind, row.key, *cur, row, *row_delta);
      if (!out.status.ok()) return out;
    }
    if (moved_from != nullptr && *moved_from) {
      existed = true;
      out.status = remove_old(row.kind, moved_key, **moved_from, row, *row_delta);
      if (!out.status.ok()) return out;
      *moved_from = std::nullopt;
      dirty_events.push_back(moved_key);
    }
    ++(existed ? out.counts.replaced : out.counts.inserted);
    deltas[storage::AggregateKey(row.person_key, row.known_month)].Merge(*row_delta);
    cur = row.value;
    dirty_events.push_back(row.key);
    if (!row.payment_id.empty()) {
      pay_state[row.payment_id] = row.key;
      dirty_payments.push_back(row.payment_id);
    }
  }

  std::map<std::string, MonthAggregate> rebuilt;
  if (!recompute.empty()) {
    out.status = RecomputeBuckets(recompute, events, &rebuilt);
    if (!out.status.ok()) return out;
  }

  // 3. One WriteBatch: rows, indexes and aggregates land together or not at all.
  rocksdb::WriteBatch wb;
  auto check = [&out](const rocksdb::Status& s) {
    if (!s.ok() && out.status.ok()) out.status = FromRocks(s, "write batch");
  };
  // Operations go in key order: consecutive memtable inserts then land near each other and the
  // skiplist reuses its search path (memtable inserts dominate the write profile; see
  // docs/storage.md). A key dirtied twice in one batch is written once, in its final state.
  auto sort_unique = [](std::vector<std::string_view>* keys) {
    std::sort(keys->begin(), keys->end());
    keys->erase(std::unique(keys->begin(), keys->end()), keys->end());
  };
  sort_unique(&dirty_persons);
  sort_unique(&dirty_events);
  sort_unique(&dirty_payments);
  for (std::string_view k : dirty_persons) {
    check(wb.Put(cf(storage::kPersonsIdx), ToSlice(k), ToSlice(*persons[k])));
  }
  for (std::string_view k : dirty_events) {
    const auto& v = events[k];
    if (v) {
      check(wb.Put(cf(storage::kEventsIdx), ToSlice(k), ToSlice(*v)));
    } else {
      check(wb.Delete(cf(storage::kEventsIdx), ToSlice(k)));
    }
  }
  if (histories) {
    // The same changes as one merge operand per person: dirty_events is sorted, so each
    // person's keys are together and in key order (a moved payment's old key is a delete in
    // its old person's operand).
    storage::HistoryEdits edits;
    uint64_t person = 0;
    auto flush = [&] {
      if (edits.empty()) return;
      check(wb.Merge(cf(storage::kHistoriesIdx), storage::PersonPrefix(person),
                     ToSlice(edits.bytes())));
      edits.Clear();
    };
    for (std::string_view k : dirty_events) {
      const uint64_t pk = storage::PersonKeyOf(k);
      if (pk != person) flush();
      person = pk;
      const std::string_view suffix = k.substr(storage::kPersonPrefixSize);
      const auto& v = events[k];
      if (v) {
        edits.Upsert(suffix, *v);
      } else {
        edits.Delete(suffix);
      }
    }
    flush();
  }
  for (std::string_view pid : dirty_payments) {
    check(wb.Put(cf(storage::kPaymentIdsIdx), ToSlice(pid), ToSlice(*pay_state[pid])));
  }
  for (const auto& [bucket, delta] : deltas) {
    if (recompute.count(bucket) != 0 || delta.empty()) continue;
    check(wb.Merge(cf(storage::kAggregatesIdx), bucket, EncodeAggregate(delta)));
  }
  for (const auto& bucket : recompute) {
    const MonthAggregate& agg = rebuilt[bucket];
    if (agg.empty()) {
      check(wb.Delete(cf(storage::kAggregatesIdx), bucket));
    } else {
      check(wb.Put(cf(storage::kAggregatesIdx), bucket, EncodeAggregate(agg)));
    }
  }
  if (!out.status.ok()) return out;
  if (wb.Count() == 0) return out;
  out.status = FromRocks(db->Write(WriteOpts(), &wb), "write");
  return out;
}

Status Store::Impl::RecomputeBuckets(
    const std::set<std::string>& buckets,
    const std::unordered_map<std::string_view, std::optional<std::string_view>>& events,
    std::map<std::string, MonthAggregate>* out) {
  // Persons whose buckets need rebuilding, with the months wanted.
  std::map<uint64_t, std::set<int32_t>> wanted;
  for (const auto& b : buckets) {
    uint64_t pk = 0;
    int32_t month = 0;
    storage::ParseAggregateKey(b, &pk, &month);
    wanted[pk].insert(month);
    (*out)[b] = MonthAggregate();
  }
  auto add = [&](uint64_t pk, EventKind kind, std::string_view value) -> Status {
    int64_t known = 0;
    if (!storage::PeekKnownAt(value, &known)) return Status::Corruption("event header");
    const int32_t month = storage::MonthNumberOfSeconds(known);
    if (wanted[pk].count(month) == 0) return Status::Ok();
    auto agg = MonthAggregate::OfEvent(kind, value);
    if (!agg.ok()) return agg.status();
    (*out)[storage::AggregateKey(pk, month)].Merge(*agg);
    return Status::Ok();
  };
  for (const auto& [pk, months] : wanted) {
    // Stored events of this person, with this batch's pending changes applied on top.
    rocksdb::ReadOptions ro;
    ro.prefix_same_as_start = true;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, cf(storage::kEventsIdx)));
    const std::string prefix = storage::PersonPrefix(pk);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      const std::string_view key = View(it->key());
      if (events.count(key) != 0) continue;  // pending state wins, added below
      storage::ParsedEventKey parsed;
      if (!storage::ParseEventKey(key, &parsed)) return Status::Corruption("events key");
      VIGIL_RETURN_IF_ERROR(add(pk, parsed.kind, View(it->value())));
    }
    VIGIL_RETURN_IF_ERROR(FromRocks(it->status(), "events scan"));
  }
  for (const auto& [key, value] : events) {
    if (!value) continue;
    storage::ParsedEventKey parsed;
    if (!storage::ParseEventKey(key, &parsed)) return Status::Corruption("events key");
    if (wanted.count(parsed.person_key) == 0) continue;
    VIGIL_RETURN_IF_ERROR(add(parsed.person_key, parsed.kind, *value));
  }
  return Status::Ok();
}

Result<bool> Store::Impl::IsEmpty(CfIndex i) const {
  rocksdb::ReadOptions ro;
  ro.total_order_seek = true;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, cf(i)));
  it->SeekToFirst();
  VIGIL_RETURN_IF_ERROR(FromRocks(it->status(), "emptiness check"));
  return !it->Valid();
}

Status Store::Impl::SetUpHistories() {
  std::string flag;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), cf(storage::kMetaIdx),
                              storage::kMetaHistoriesMaintained, &flag);
  if (s.ok()) {
    if (cf(storage::kHistoriesIdx) == nullptr) {
      return Status::FailedPrecondition("store at " + options.path + " lacks column family " +
                                        storage::kHistoriesCf);
    }
    histories = true;
  } else if (!s.IsNotFound()) {
    return FromRocks(s, "read histories mark");
  } else if (options.mode == OpenMode::kReadWrite && cf(storage::kHistoriesIdx) != nullptr) {
    // Only a store without persons and events can start maintaining the copy: from then on
    // every write keeps it complete. A store filled by schema 1 keeps scanning `events`.
    for (CfIndex i : {storage::kPersonsIdx, storage::kEventsIdx}) {
      auto empty = IsEmpty(i);
      if (!empty.ok()) return empty.status();
      if (!*empty) return Status::Ok();
    }
    VIGIL_RETURN_IF_ERROR(Wipe(storage::kHistoriesIdx));  // nothing there but by hand
    VIGIL_RETURN_IF_ERROR(MarkHistoriesMaintained());
  }
  scan_histories = histories && options.scan_packed_histories;
  return Status::Ok();
}

Status Store::Impl::MarkHistoriesMaintained() {
  // Schema 2 from here on: an older build would write events without their copy.
  std::string version;
  storage::PutFixed32BE(&version, kStoreSchemaVersion);
  rocksdb::WriteBatch wb;
  rocksdb::Status s = wb.Put(cf(storage::kMetaIdx), storage::kMetaHistoriesMaintained, "1");
  if (s.ok()) s = wb.Put(cf(storage::kMetaIdx), storage::kMetaSchemaVersion, version);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  if (s.ok()) s = db->Write(wo, &wb);
  VIGIL_RETURN_IF_ERROR(FromRocks(s, "write histories mark"));
  histories = true;
  return Status::Ok();
}

Result<HistoriesRebuild> Store::Impl::RebuildHistoriesLocked(
    const HistoriesRebuildProgressFn& progress) {
  if (cf(storage::kHistoriesIdx) == nullptr) {
    // Opened without permission to create families: the schema-1 store lacks it. The slot can
    // be filled in now: its readers hold a stripe (all held here), read it only once the mark
    // exists, or load it atomically (LoadHandle).
    rocksdb::ColumnFamilyHandle* h = nullptr;
    VIGIL_RETURN_IF_ERROR(
        FromRocks(db->CreateColumnFamily(config.families[storage::kHistoriesIdx].options,
                                         storage::kHistoriesCf, &h),
                  "create column family histories"));
    std::atomic_ref<rocksdb::ColumnFamilyHandle*>(handles[storage::kHistoriesIdx])
        .store(h, std::memory_order_release);
  }
  storage::HistoryRebuildContext ctx;
  ctx.db = db.get();
  ctx.events = cf(storage::kEventsIdx);
  ctx.histories = cf(storage::kHistoriesIdx);
  ctx.config = &config;
  ctx.db_path = options.path;
  // A killed rebuild may have ingested its files without writing the mark: its files go
  // without being read, what is left (nothing, or a few memtable entries) is wiped.
  VIGIL_RETURN_IF_ERROR(storage::DropHistoryFiles(ctx));
  VIGIL_RETURN_IF_ERROR(Wipe(storage::kHistoriesIdx));
  auto built = storage::PackAndIngestHistories(ctx, progress);
  if (!built.ok()) return built.status().WithContext("rebuild histories");
  // Last: only a complete copy is ever marked as maintained.
  VIGIL_RETURN_IF_ERROR(MarkHistoriesMaintained());
  return built;
}

// ---------------------------------------------------------------- Store

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

const StoreOptions& Store::options() const { return impl_->options; }

namespace {
Status ValidateStoreOptions(const StoreOptions& options) {
  if (options.path.empty()) return Status::InvalidArgument("StoreOptions.path is empty");
  if (options.lock_stripes == 0) return Status::InvalidArgument("StoreOptions.lock_stripes is 0");
  if (options.bloom_bits_per_key < 0) {
    return Status::InvalidArgument("StoreOptions.bloom_bits_per_key is negative");
  }
  if (options.background_jobs < 1) {
    return Status::InvalidArgument("StoreOptions.background_jobs must be >= 1");
  }
  if (options.write_buffer_bytes < (size_t{1} << 20)) {
    return Status::InvalidArgument("StoreOptions.write_buffer_bytes must be >= 1 MiB");
  }
  if (options.mode == OpenMode::kSecondary &&
      (options.secondary_path.empty() || options.secondary_path == options.path)) {
    return Status::InvalidArgument(
        "StoreOptions.secondary_path must be set and differ from path for OpenMode::kSecondary");
  }
  return Status::Ok();
}
}  // namespace

Status Store::Impl::OpenDatabase(bool writable) {
  std::vector<std::string> existing;
  const rocksdb::Status listed =
      rocksdb::DB::ListColumnFamilies(config.db, options.path, &existing);
  if (!listed.ok() && (!writable || !options.create_if_missing)) {
    // A store whose files are there but unreadable is damaged, not missing.
    std::error_code ec;
    if (listed.IsCorruption() || (std::filesystem::exists(options.path + "/CURRENT", ec) &&
                                  !listed.IsNotFound() && !listed.IsPathNotFound())) {
      return FromRocks(listed, "open " + options.path);
    }
    return Status::NotFound("no vigil store at " + options.path + " (" + listed.ToString() + ")");
  }

  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  std::vector<int> our_index;  // family position -> CfIndex or -1
  for (size_t i = 0; i < config.families.size(); ++i) {
    const auto& d = config.families[i];
    const bool present = std::find(existing.begin(), existing.end(), d.name) != existing.end();
    // `histories` is new in schema 2: a store of schema 1 opened without permission to create
    // families simply lacks it (and scans `events`).
    const bool creatable = writable && (i != storage::kHistoriesIdx || options.create_if_missing);
    if (present || creatable) {
      families.push_back(d);
      our_index.push_back(static_cast<int>(i));
    }
  }
  for (const auto& name : existing) {
    const bool ours = std::any_of(config.families.begin(), config.families.end(),
                                  [&](const auto& d) { return d.name == name; });
    if (!ours) {
      families.emplace_back(name, rocksdb::ColumnFamilyOptions());
      our_index.push_back(-1);
    }
  }

  // RocksDB's diagnostics log where the process may write: not for a read-only open.
  if (options.mode != OpenMode::kReadOnly && (listed.ok() || writable)) {
    config.db.info_log = storage::OpenDiagnosticsLog(
        options.mode == OpenMode::kSecondary ? options.secondary_path : options.path,
        config.db.keep_log_file_num);
  }

  std::vector<rocksdb::ColumnFamilyHandle*> opened;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s;
  switch (options.mode) {
    case OpenMode::kReadWrite:
      s = rocksdb::DB::Open(config.db, options.path, families, &opened, &raw);
      break;
    case OpenMode::kReadOnly:
      s = rocksdb::DB::OpenForReadOnly(config.db, options.path, families, &opened, &raw);
      break;
    case OpenMode::kSecondary:
      s = rocksdb::DB::OpenAsSecondary(config.db, options.path, options.secondary_path, families,
                                       &opened, &raw);
      break;
  }
  if (!s.ok()) {
    Status failed = FromRocks(s, "open " + options.path);
    // RocksDB names a damaged table or manifest; a damaged log record it does not.
    const std::string& why = failed.message();
    if (s.IsCorruption() && !options.recover_wal_to_consistent_point &&
        why.find("sst") == std::string::npos && why.find("MANIFEST") == std::string::npos) {
      std::string logs;
      std::error_code ec;
      for (const auto& e : std::filesystem::directory_iterator(options.path, ec)) {
        if (e.path().extension() != ".log") continue;
        logs += (logs.empty() ? "" : ", ") + e.path().filename().string();
      }
      return Status::Corruption(
          why + ": a write-ahead log (" + logs +
          ") is damaged before its end (e.g. by a power loss); replaying it up to the damage "
          "would drop the writes after it. StoreOptions::recover_wal_to_consistent_point (vigil "
          "ingest --recover-to-consistent-point) opens the store at that point; then load the "
          "deliveries since again");
    }
    return failed;
  }
  db.reset(raw);
  handles.assign(storage::kCfCount, nullptr);
  for (size_t i = 0; i < opened.size(); ++i) {
    if (our_index[i] >= 0) {
      handles[static_cast<size_t>(our_index[i])] = opened[i];
    } else {
      handles.push_back(opened[i]);  // kept only to be destroyed at close
    }
  }
  return Status::Ok();
}

Status Store::Impl::CheckSchema(bool writable) {
  std::optional<uint32_t> stored_version;
  if (handles[storage::kMetaIdx] != nullptr) {
    std::string v;
    const rocksdb::Status s = db->Get(rocksdb::ReadOptions(), handles[storage::kMetaIdx],
                                      storage::kMetaSchemaVersion, &v);
    if (s.ok()) {
      if (v.size() != 4) return Status::Corruption("meta schema_version is not 4 bytes");
      stored_version = storage::DecodeFixed32BE(v.data());
    } else if (!s.IsNotFound()) {
      return FromRocks(s, "read schema version");
    }
  }
  if (stored_version && *stored_version > kStoreSchemaVersion) {
    return Status::FailedPrecondition(
        "store at " + options.path + " was written by schema version " +
        std::to_string(*stored_version) + ", newer than this build's schema version " +
        std::to_string(kStoreSchemaVersion) + ": open it with a newer vigil");
  }
  for (size_t i = 1; i < storage::kCfCount; ++i) {
    if (handles[i] == nullptr && i != storage::kHistoriesIdx) {
      return Status::FailedPrecondition("store at " + options.path + " lacks column family " +
                                        config.families[i].name);
    }
  }
  if (writable && !stored_version) {
    std::string v;
    storage::PutFixed32BE(&v, kStoreSchemaVersion);
    rocksdb::WriteOptions wo;
    wo.sync = true;
    return FromRocks(db->Put(wo, handles[storage::kMetaIdx], storage::kMetaSchemaVersion, v),
                     "write schema version");
  }
  return Status::Ok();
}

Status Store::Impl::ReadLeftState() {
  std::string v;
  const rocksdb::Status s =
      db->Get(rocksdb::ReadOptions(), handles[storage::kMetaIdx], storage::kMetaBulkPending, &v);
  if (s.ok()) {
    bulk_pending = true;
  } else if (!s.IsNotFound()) {
    return FromRocks(s, "read bulk load mark");
  }
  // The next audit sequence follows the last one stored.
  std::unique_ptr<rocksdb::Iterator> it(
      db->NewIterator(rocksdb::ReadOptions(), handles[storage::kAuditIdx]));
  it->SeekToLast();
  if (it->Valid()) {
    if (it->key().size() != storage::kAuditKeySize) return Status::Corruption("audit key size");
    next_audit = storage::DecodeFixed64BE(it->key().data()) + 1;
  }
  return FromRocks(it->status(), "audit scan");
}

Result<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  VIGIL_RETURN_IF_ERROR(ValidateStoreOptions(options));
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->config = storage::MakeDbConfig(options);
  const bool writable = options.mode == OpenMode::kReadWrite;
  if (!writable) {
    impl->config.db.create_if_missing = false;
    impl->config.db.create_missing_column_families = false;
  }
  VIGIL_RETURN_IF_ERROR(impl->OpenDatabase(writable));
  // The schema is checked before anything else looks at the data.
  VIGIL_RETURN_IF_ERROR(impl->CheckSchema(writable));
  VIGIL_RETURN_IF_ERROR(impl->SetUpHistories());
  if (writable) {
    // A histories rebuild killed while packing leaves its SST files (as large as the packed copy)
    // in its work folder. Holding the database lock, no rebuild can be running: remove them now
    // rather than at the next rebuild. Failing to is no reason to refuse the store.
    std::error_code ignored;
    std::filesystem::remove_all(storage::HistoryRebuildDir(options.path), ignored);
  }
  VIGIL_RETURN_IF_ERROR(impl->ReadLeftState());
  impl->stripes = std::make_unique<std::mutex[]>(options.lock_stripes);
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

Result<WriteCounts> Store::Write(const RecordBatch& batch) {
  VIGIL_RETURN_IF_ERROR(impl_->CheckWritable());
  VIGIL_RETURN_IF_ERROR(impl_->CheckNoBulkLoad());
  const auto& rows = batch.impl().rows;
  if (rows.empty()) return WriteCounts{};
  std::vector<size_t> stripes;
  stripes.reserve(rows.size() + 8);
  for (const auto& row : rows) {
    stripes.push_back(impl_->Stripe(row.person_key));
    if (!row.payment_id.empty()) stripes.push_back(impl_->Stripe(row.payment_hash));
  }
  // A moved payment reveals, only once read, another person to lock: retry with that stripe
  // added. Each retry adds at least one stripe, so this ends; a few rounds at most in practice.
  for (int round = 0; round < 64; ++round) {
    std::sort(stripes.begin(), stripes.end());
    stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
    Impl::Attempt attempt;
    {
      StripeGuard guard(impl_->stripes.get(), stripes);
      attempt = impl_->WriteLocked(rows, stripes);
    }
    if (attempt.missing.empty()) {
      if (!attempt.status.ok()) return attempt.status;
      return attempt.counts;
    }
    stripes.insert(stripes.end(), attempt.missing.begin(), attempt.missing.end());
  }
  return Status::Aborted("payments kept moving between persons during the write: retry");
}

Result<WriteCounts> Store::BulkLoad(const RecordBatch& batch) {
  VIGIL_RETURN_IF_ERROR(impl_->CheckWritable());
  VIGIL_RETURN_IF_ERROR(impl_->CheckNoBulkLoad());
  // Hold every stripe: no Write may interleave with the emptiness check and the ingestion.
  StripeGuard guard(impl_->stripes.get(), impl_->AllStripes());

  for (CfIndex i : {storage::kPersonsIdx, storage::kEventsIdx, storage::kAggregatesIdx,
                    storage::kPaymentIdsIdx, storage::kHistoriesIdx}) {
    if (impl_->cf(i) == nullptr) continue;
    auto empty = impl_->IsEmpty(i);
    if (!empty.ok()) return empty.status().WithContext("bulk load");
    if (!*empty) {
      return Status::FailedPrecondition("bulk load needs an empty store; use Write instead");
    }
  }

  WriteCounts counts;
  const auto& rows = batch.impl().rows;
  std::map<std::string_view, size_t> persons;  // key -> row (last wins)
  std::map<std::string_view, size_t> events;
  std::map<std::string_view, std::string_view> payments;  // payment_id -> events key
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    auto& target = row.is_person ? persons : events;
    auto [it, fresh] = target.insert_or_assign(row.key, i);
    bool replaced = !fresh;
    if (!row.payment_id.empty()) {
      auto [pit, pfresh] = payments.insert_or_assign(row.payment_id, row.key);
      if (!pfresh) replaced = true;
      (void)pit;
    }
    ++(replaced ? counts.replaced : counts.inserted);
  }
  // A payment corrected within the batch to another key: only its last key survives.
  for (auto it = events.begin(); it != events.end();) {
    const auto& row = rows[it->second];
    if (!row.payment_id.empty() && payments[row.payment_id] != it->first) {
      it = events.erase(it);
    } else {
      ++it;
    }
  }
  std::map<std::string, MonthAggregate> aggregates;
  for (const auto& [key, i] : events) {
    auto delta = MonthAggregate::OfEvent(rows[i].kind, rows[i].value);
    if (!delta.ok()) return delta.status().WithContext("batch row");
    aggregates[storage::AggregateKey(rows[i].person_key, rows[i].known_month)].Merge(*delta);
  }

  std::vector<rocksdb::IngestExternalFileArg> args;
  auto write_sst = [&](CfIndex cf, auto&& put_all) -> Status {
    const std::string file =
        impl_->options.path + "/bulk-" + std::to_string(impl_->bulk_files.fetch_add(1)) + ".sst";
    rocksdb::Options opts(impl_->config.db, impl_->config.families[cf].options);
    rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), opts, impl_->cf(cf));
    VIGIL_RETURN_IF_ERROR(FromRocks(writer.Open(file), "bulk load sst open"));
    Status filled = put_all(writer);
    if (!filled.ok()) return filled;
    VIGIL_RETURN_IF_ERROR(FromRocks(writer.Finish(), "bulk load sst finish"));
    rocksdb::IngestExternalFileArg arg;
    arg.column_family = impl_->cf(cf);
    arg.external_files = {file};
    arg.options.move_files = true;
    args.push_back(std::move(arg));
    return Status::Ok();
  };
  auto put_persons = [&](rocksdb::SstFileWriter& w) -> Status {
    for (const auto& [key, i] : persons) {
      VIGIL_RETURN_IF_ERROR(FromRocks(w.Put(ToSlice(key), ToSlice(rows[i].value)), "bulk put"));
    }
    return Status::Ok();
  };
  auto put_events = [&](rocksdb::SstFileWriter& w) -> Status {
    for (const auto& [key, i] : events) {
      VIGIL_RETURN_IF_ERROR(FromRocks(w.Put(ToSlice(key), ToSlice(rows[i].value)), "bulk put"));
    }
    return Status::Ok();
  };
  auto put_aggregates = [&](rocksdb::SstFileWriter& w) -> Status {
    for (const auto& [key, agg] : aggregates) {
      VIGIL_RETURN_IF_ERROR(FromRocks(w.Put(key, EncodeAggregate(agg)), "bulk put"));
    }
    return Status::Ok();
  };
  // One packed history per person: `events` is in key order, so a person's events are together.
  auto put_histories = [&](rocksdb::SstFileWriter& w) -> Status {
    storage::PackedHistoryBuilder packed;
    auto put = [&w](uint64_t person, std::string_view value) {
      return FromRocks(w.Put(storage::PersonPrefix(person), ToSlice(value)), "bulk put");
    };
    for (const auto& [key, i] : events) {
      VIGIL_RETURN_IF_ERROR(packed.Add(key, rows[i].value, put));
    }
    return packed.Finish(put);
  };
  auto put_payments = [&](rocksdb::SstFileWriter& w) -> Status {
    for (const auto& [pid, key] : payments) {
      VIGIL_RETURN_IF_ERROR(FromRocks(w.Put(ToSlice(pid), ToSlice(key)), "bulk put"));
    }
    return Status::Ok();
  };
  Status st;
  if (!persons.empty()) st = write_sst(storage::kPersonsIdx, put_persons);
  if (st.ok() && !events.empty()) st = write_sst(storage::kEventsIdx, put_events);
  if (st.ok() && !aggregates.empty()) st = write_sst(storage::kAggregatesIdx, put_aggregates);
  if (st.ok() && !payments.empty()) st = write_sst(storage::kPaymentIdsIdx, put_payments);
  if (st.ok() && impl_->histories && !events.empty()) {
    st = write_sst(storage::kHistoriesIdx, put_histories);
  }
  if (!st.ok()) return st;
  if (!args.empty()) {
    VIGIL_RETURN_IF_ERROR(FromRocks(impl_->db->IngestExternalFiles(args), "bulk ingest"));
  }
  return counts;
}

Status Store::Impl::Wipe(CfIndex i) {
  rocksdb::ReadOptions ro;
  ro.total_order_seek = true;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, cf(i)));
  it->SeekToFirst();
  if (!it->Valid()) return FromRocks(it->status(), "wipe scan");
  const std::string first = it->key().ToString();
  it->SeekToLast();
  if (!it->Valid()) return FromRocks(it->status(), "wipe scan");
  const std::string last = it->key().ToString();
  rocksdb::WriteBatch wb;
  rocksdb::Status s = wb.DeleteRange(cf(i), first, last);
  if (s.ok()) s = wb.Delete(cf(i), last);
  if (s.ok()) s = db->Write(WriteOpts(), &wb);
  return FromRocks(s, "wipe");
}

bool Store::BulkLoadPending() const { return impl_->bulk_pending.load(); }

Result<std::unique_ptr<BulkWriter>> Store::StartBulkLoad(const BulkLoadOptions& options) {
  VIGIL_RETURN_IF_ERROR(impl_->CheckWritable());
  if (options.run_bytes < (size_t{64} << 10) || options.run_bytes > (size_t{1} << 30)) {
    return Status::InvalidArgument("BulkLoadOptions.run_bytes must be in [64 KiB, 1 GiB]");
  }
  bool expected = false;
  if (!impl_->bulk_active.compare_exchange_strong(expected, true)) {
    return Status::FailedPrecondition("another bulk load is in progress");
  }
  // Every stripe: no Write may interleave with the emptiness check and the mark.
  StripeGuard guard(impl_->stripes.get(), impl_->AllStripes());
  auto fail = [this](Status s) {
    impl_->bulk_active = false;
    return s;
  };
  constexpr CfIndex kRowFamilies[] = {storage::kPersonsIdx, storage::kEventsIdx,
                                      storage::kAggregatesIdx, storage::kPaymentIdsIdx,
                                      storage::kHistoriesIdx};
  if (impl_->bulk_pending.load()) {
    // An interrupted bulk load began from an empty store: undo it, then start again; but not
    // silently for another delivery than the interrupted one, whose content would be lost.
    std::string interrupted;
    const rocksdb::Status got = impl_->db->Get(rocksdb::ReadOptions(), impl_->cf(storage::kMetaIdx),
                                               storage::kMetaBulkPending, &interrupted);
    if (!got.ok() && !got.IsNotFound()) return fail(FromRocks(got, "read bulk load mark"));
    const bool named = !interrupted.empty() && interrupted != storage::kUnnamedBulkLoad;
    if (named && !options.load_id.empty() && interrupted != options.load_id &&
        !options.discard_interrupted) {
      return fail(Status::FailedPrecondition(
          "the store holds an interrupted initial load of another delivery (load id " +
          interrupted +
          "): load that folder again to finish it, or discard it explicitly (vigil ingest "
          "--discard-interrupted-load)"));
    }
    for (CfIndex i : kRowFamilies) {
      if (impl_->cf(i) == nullptr) continue;
      Status s = impl_->Wipe(i);
      if (!s.ok()) return fail(s);
    }
  } else {
    for (CfIndex i : {storage::kPersonsIdx, storage::kEventsIdx}) {
      rocksdb::ReadOptions ro;
      ro.total_order_seek = true;
      std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ro, impl_->cf(i)));
      it->SeekToFirst();
      Status s = FromRocks(it->status(), "bulk load emptiness check");
      if (!s.ok()) return fail(s);
      if (it->Valid()) {
        return fail(Status::FailedPrecondition(
            "bulk load needs a store without persons and events; use Write instead"));
      }
    }
    // Leftovers without any row (only possible after a wipe by hand) would break the
    // aggregates built at the end.
    for (CfIndex i : {storage::kAggregatesIdx, storage::kPaymentIdsIdx, storage::kHistoriesIdx}) {
      if (impl_->cf(i) == nullptr) continue;
      Status s = impl_->Wipe(i);
      if (!s.ok()) return fail(s);
    }
  }
  {
    // The mark names the load, so that an interrupted one is not discarded by another.
    rocksdb::WriteOptions wo;
    wo.sync = true;
    const std::string mark =
        options.load_id.empty() ? std::string(storage::kUnnamedBulkLoad) : options.load_id;
    Status s =
        FromRocks(impl_->db->Put(wo, impl_->cf(storage::kMetaIdx), storage::kMetaBulkPending, mark),
                  "bulk load: pending mark");
    if (!s.ok()) return fail(s);
    impl_->bulk_pending = true;
  }
  storage::BulkContext ctx;
  ctx.db = impl_->db.get();
  ctx.handles.assign(impl_->handles.begin(), impl_->handles.begin() + storage::kCfCount);
  ctx.config = &impl_->config;
  ctx.path = impl_->options.path;
  ctx.file_counter = &impl_->bulk_files;
  ctx.pending = &impl_->bulk_pending;
  ctx.active = &impl_->bulk_active;
  ctx.histories = impl_->histories;
  auto writer = storage::MakeBulkWriter(std::move(ctx), options);
  if (!writer.ok()) return fail(writer.status());
  return writer;
}

struct Delivery::Impl {
  Store::Impl* store = nullptr;
  std::string load_id;
  bool ended = false;
};

Delivery::Delivery(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Delivery::~Delivery() {
  if (impl_->ended) return;
  std::lock_guard<std::mutex> lock(impl_->store->deliveries_mu);
  impl_->store->loading_here.erase(impl_->load_id);
}

const std::string& Delivery::load_id() const { return impl_->load_id; }

Status Delivery::End() {
  if (impl_->ended) return Status::Ok();
  Store::Impl& store = *impl_->store;
  std::lock_guard<std::mutex> lock(store.deliveries_mu);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  const std::string mark = std::string(storage::kMetaDeliveryPrefix) + impl_->load_id;
  VIGIL_RETURN_IF_ERROR(
      FromRocks(store.db->Delete(wo, store.cf(storage::kMetaIdx), mark), "delivery: clear mark"));
  store.loading_here.erase(impl_->load_id);
  impl_->ended = true;
  return Status::Ok();
}

Status Store::Impl::ReadDeliveryMarks(const Snapshot* snapshot,
                                      std::vector<UnfinishedDelivery>* out) const {
  rocksdb::ReadOptions ro = Read(snapshot);
  ro.total_order_seek = true;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, cf(storage::kMetaIdx)));
  const rocksdb::Slice prefix = ToSlice(storage::kMetaDeliveryPrefix);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string_view load_id = View(it->key());
    load_id.remove_prefix(prefix.size());
    out->push_back({std::string(load_id), it->value().ToString(), false});
  }
  return FromRocks(it->status(), "delivery marks");
}

Result<std::vector<UnfinishedDelivery>> Store::UnfinishedDeliveries(
    const Snapshot* snapshot) const {
  std::vector<UnfinishedDelivery> found;
  if (impl_->options.mode != OpenMode::kReadWrite) {
    VIGIL_RETURN_IF_ERROR(impl_->ReadDeliveryMarks(snapshot, &found));
    return found;
  }
  // Under the lock: a delivery of this object ending meanwhile must not look interrupted.
  std::lock_guard<std::mutex> lock(impl_->deliveries_mu);
  VIGIL_RETURN_IF_ERROR(impl_->ReadDeliveryMarks(snapshot, &found));
  for (UnfinishedDelivery& d : found) d.loading_here = impl_->loading_here.contains(d.load_id);
  return found;
}

namespace {
// Why BeginDelivery refuses while `interrupted` is not acknowledged: its rows not loaded yet
// would be forgotten. Loading that folder again finishes it (rows are keyed by their natural
// keys); acknowledging it leaves the rows it wrote, since Write cannot be undone.
Status InterruptedDeliveryInTheWay(const UnfinishedDelivery& interrupted,
                                   const DeliveryOptions& options) {
  if (!options.source.empty() && interrupted.source == options.source) {
    return Status::FailedPrecondition(
        "the store holds part of an interrupted delivery from " + interrupted.source +
        " (load id " + interrupted.load_id +
        ") and that folder's files have changed since (load id " + options.load_id +
        " now): acknowledge the interrupted one to load the folder as it is now (vigil ingest "
        "--discard-interrupted-load; the rows it wrote stay)");
  }
  return Status::FailedPrecondition(
      "the store holds part of an interrupted delivery (load id " + interrupted.load_id + " from " +
      interrupted.source +
      "): load that folder again to finish it, or acknowledge it (vigil ingest "
      "--discard-interrupted-load; the rows it wrote stay)");
}
}  // namespace

Result<std::unique_ptr<Delivery>> Store::BeginDelivery(const DeliveryOptions& options) {
  VIGIL_RETURN_IF_ERROR(impl_->CheckWritable());
  if (options.load_id.empty()) return Status::InvalidArgument("a delivery needs a load id");
  std::lock_guard<std::mutex> lock(impl_->deliveries_mu);
  std::vector<UnfinishedDelivery> marks;
  VIGIL_RETURN_IF_ERROR(impl_->ReadDeliveryMarks(nullptr, &marks));
  if (impl_->loading_here.contains(options.load_id)) {
    return Status::FailedPrecondition("delivery " + options.load_id + " is being loaded already");
  }
  auto acknowledged = [&options](std::string_view load_id) {
    return std::find(options.acknowledged.begin(), options.acknowledged.end(), load_id) !=
           options.acknowledged.end();
  };
  for (const std::string& load_id : options.acknowledged) {
    if (impl_->loading_here.contains(load_id)) {
      return Status::InvalidArgument("delivery " + load_id +
                                     " is being loaded: it cannot be acknowledged as interrupted");
    }
  }
  for (const UnfinishedDelivery& m : marks) {
    if (m.load_id == options.load_id || impl_->loading_here.contains(m.load_id) ||
        acknowledged(m.load_id)) {
      continue;
    }
    return InterruptedDeliveryInTheWay(m, options);
  }
  rocksdb::WriteBatch wb;
  for (const std::string& load_id : options.acknowledged) {
    VIGIL_RETURN_IF_ERROR(FromRocks(wb.Delete(impl_->cf(storage::kMetaIdx),
                                              std::string(storage::kMetaDeliveryPrefix) + load_id),
                                    "delivery: acknowledge"));
  }
  VIGIL_RETURN_IF_ERROR(
      FromRocks(wb.Put(impl_->cf(storage::kMetaIdx),
                       std::string(storage::kMetaDeliveryPrefix) + options.load_id, options.source),
                "delivery: mark"));
  rocksdb::WriteOptions wo;
  wo.sync = true;
  VIGIL_RETURN_IF_ERROR(FromRocks(impl_->db->Write(wo, &wb), "delivery: mark"));
  impl_->loading_here.insert(options.load_id);
  auto impl = std::make_unique<Delivery::Impl>();
  impl->store = impl_.get();
  impl->load_id = options.load_id;
  return std::make_unique<Delivery>(std::move(impl));
}

Status Store::PutCase(std::string_view key, std::string_view value) {
  VIGIL_RETURN_IF_ERROR(impl_->CheckWritable());
  std::lock_guard<std::mutex> lock(impl_->cases_mu);
  return FromRocks(impl_->db->Put(impl_->WriteOpts(), impl_->cf(storage::kCasesIdx), ToSlice(key),
                                  ToSlice(value)),
                   "put case");
}

namespace {
Status CheckMetaName(std::string_view name) {
  if (name == storage::kMetaSchemaVersion || name == storage::kMetaBulkPending ||
      name == storage::kMetaHistoriesMaintained || name.starts_with(storage::kMetaDeliveryPrefix)) {
    return Status::InvalidArgument("meta name '" + std::string(name) +
                                   "' is reserved for the store");
  }
  return Status::Ok();
}
}  // namespace

Status Store::ReplaceCases(std::span<const KeyValue> cases, std::span<const KeyValue> meta) {
  VIGIL_RETURN_IF_ERROR(impl_->CheckWritable());
  for (const KeyValue& m : meta) VIGIL_RETURN_IF_ERROR(CheckMetaName(m.key));
  std::vector<std::string_view> keys;
  keys.reserve(cases.size());
  size_t bytes = 64;
  for (const KeyValue& c : cases) {
    keys.push_back(c.key);
    bytes += c.key.size() + c.value.size() + 16;
  }
  for (const KeyValue& m : meta) bytes += m.key.size() + m.value.size() + 16;
  std::sort(keys.begin(), keys.end());
  if (auto twice = std::adjacent_find(keys.begin(), keys.end()); twice != keys.end()) {
    return Status::InvalidArgument("replace cases: a case key is given twice");
  }
  std::lock_guard<std::mutex> lock(impl_->cases_mu);
  rocksdb::WriteBatch wb(bytes);
  // Both sides are in key order (the family's comparator is bytewise), so the stale keys come
  // out of one merge.
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->cf(storage::kCasesIdx)));
  auto next_new = keys.begin();
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view stored = View(it->key());
    while (next_new != keys.end() && *next_new < stored) ++next_new;
    if (next_new != keys.end() && *next_new == stored) continue;
    VIGIL_RETURN_IF_ERROR(
        FromRocks(wb.Delete(impl_->cf(storage::kCasesIdx), it->key()), "replace cases"));
  }
  VIGIL_RETURN_IF_ERROR(FromRocks(it->status(), "cases scan"));
  for (const KeyValue& c : cases) {
    VIGIL_RETURN_IF_ERROR(FromRocks(
        wb.Put(impl_->cf(storage::kCasesIdx), ToSlice(c.key), ToSlice(c.value)), "replace cases"));
  }
  for (const KeyValue& m : meta) {
    VIGIL_RETURN_IF_ERROR(FromRocks(
        wb.Put(impl_->cf(storage::kMetaIdx), ToSlice(m.key), ToSlice(m.value)), "replace cases"));
  }
  return FromRocks(impl_->db->Write(impl_->WriteOpts(), &wb), "replace cases");
}

Status Store::PutMeta(std::string_view name, std::string_view value) {
  VIGIL_RETURN_IF_ERROR(impl_->CheckWritable());
  VIGIL_RETURN_IF_ERROR(CheckMetaName(name));
  return FromRocks(impl_->db->Put(impl_->WriteOpts(), impl_->cf(storage::kMetaIdx), ToSlice(name),
                                  ToSlice(value)),
                   "put meta");
}

Result<uint64_t> Store::AppendAudit(std::string_view entry) {
  VIGIL_RETURN_IF_ERROR(impl_->CheckWritable());
  std::lock_guard<std::mutex> lock(impl_->audit_mu);
  const uint64_t seq = impl_->next_audit;
  VIGIL_RETURN_IF_ERROR(FromRocks(impl_->db->Put(impl_->WriteOpts(), impl_->cf(storage::kAuditIdx),
                                                 storage::AuditKey(seq), ToSlice(entry)),
                                  "append audit"));
  impl_->next_audit = seq + 1;
  return seq;
}

namespace {
constexpr std::string_view kAuditIndexPrefix = "audit_index/";
std::string AuditIndexName(std::string_view index_key) {
  std::string name(kAuditIndexPrefix);
  name += index_key;
  return name;
}
}  // namespace

Result<uint64_t> Store::AppendAuditBatch(std::span<const AuditAppend> entries) {
  VIGIL_RETURN_IF_ERROR(impl_->CheckWritable());
  if (entries.empty()) return uint64_t{0};
  // The sequence lock is held across the write so that sequences land in the order they are
  // handed out (a reader scanning from its last sequence never skips an entry written late).
  std::lock_guard<std::mutex> lock(impl_->audit_mu);
  const uint64_t first = impl_->next_audit;
  size_t bytes = 64;
  for (const AuditAppend& e : entries) {
    bytes += e.entry.size() + storage::kAuditKeySize + 16;
    if (!e.index_key.empty()) {
      bytes += kAuditIndexPrefix.size() + e.index_key.size() + storage::kAuditKeySize + 16;
    }
  }
  // The reused batch keeps its buffer up to 64 MiB; a larger write gets its own, presized
  // (growing a batch by doubling copies it).
  constexpr size_t kReusedBytes = size_t{64} << 20;
  std::optional<rocksdb::WriteBatch> own;
  rocksdb::WriteBatch* wb = &impl_->audit_batch;
  if (bytes > kReusedBytes) wb = &own.emplace(bytes);
  wb->Clear();
  std::string name(kAuditIndexPrefix);
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string key = storage::AuditKey(first + i);
    VIGIL_RETURN_IF_ERROR(FromRocks(
        wb->Put(impl_->cf(storage::kAuditIdx), key, ToSlice(entries[i].entry)), "append audit"));
    if (!entries[i].index_key.empty()) {
      name.resize(kAuditIndexPrefix.size());
      name += entries[i].index_key;
      VIGIL_RETURN_IF_ERROR(
          FromRocks(wb->Put(impl_->cf(storage::kMetaIdx), name, key), "append audit index"));
    }
  }
  const Status written = FromRocks(impl_->db->Write(impl_->WriteOpts(), wb), "append audit");
  if (wb == &impl_->audit_batch && impl_->audit_batch.GetDataSize() > kReusedBytes) {
    impl_->audit_batch = rocksdb::WriteBatch();  // do not keep more than that
  }
  VIGIL_RETURN_IF_ERROR(written);
  impl_->next_audit = first + entries.size();
  return first;
}

Result<std::pair<uint64_t, std::string>> Store::FindAudit(std::string_view index_key,
                                                          const Snapshot* snapshot) const {
  std::string key;
  rocksdb::Status s = impl_->db->Get(Impl::Read(snapshot), impl_->cf(storage::kMetaIdx),
                                     AuditIndexName(index_key), &key);
  if (s.IsNotFound()) return Status::NotFound("no audit entry under that index key");
  VIGIL_RETURN_IF_ERROR(FromRocks(s, "find audit"));
  if (key.size() != storage::kAuditKeySize) return Status::Corruption("audit index value size");
  std::string entry;
  s = impl_->db->Get(Impl::Read(snapshot), impl_->cf(storage::kAuditIdx), key, &entry);
  if (s.IsNotFound()) return Status::Corruption("audit index points at a missing entry");
  VIGIL_RETURN_IF_ERROR(FromRocks(s, "find audit"));
  return std::make_pair(storage::DecodeFixed64BE(key.data()), std::move(entry));
}

bool Store::MaintainsHistories() const { return impl_->histories.load(); }

Result<HistoriesRebuild> Store::RebuildHistories(const HistoriesRebuildProgressFn& progress) {
  VIGIL_RETURN_IF_ERROR(impl_->CheckWritable());
  // Every stripe, throughout: no Write or BulkLoad may change `events` while it is packed, nor
  // write between the ingestion and the mark without maintaining the copy.
  StripeGuard guard(impl_->stripes.get(), impl_->AllStripes());
  if (impl_->histories.load()) return HistoriesRebuild{};
  VIGIL_RETURN_IF_ERROR(impl_->CheckNoBulkLoad());
  return impl_->RebuildHistoriesLocked(progress);
}

uint64_t Store::LatestSequence() const { return impl_->db->GetLatestSequenceNumber(); }

std::unique_ptr<Snapshot> Store::GetSnapshot() const {
  auto s = std::make_unique<Snapshot::Impl>();
  s->db = impl_->db.get();
  s->snapshot = impl_->db->GetSnapshot();
  return std::unique_ptr<Snapshot>(new Snapshot(std::move(s)));
}

Result<PersonRecord> Store::GetPerson(std::string_view person_id, uint16_t region,
                                      const Snapshot* snapshot) const {
  const uint64_t pk = PersonKey(person_id);
  rocksdb::PinnableSlice v;
  const rocksdb::Status s = impl_->db->Get(Impl::Read(snapshot), impl_->cf(storage::kPersonsIdx),
                                           storage::PersonsKey(pk, region), &v);
  if (s.IsNotFound()) {
    return Status::NotFound("no persons row for person key " + std::to_string(pk) + " region " +
                            std::to_string(region));
  }
  VIGIL_RETURN_IF_ERROR(FromRocks(s, "get person"));
  return storage::DecodePerson(View(v));
}

Result<std::vector<PersonRecord>> Store::GetPersonRows(uint64_t person_key,
                                                       const Snapshot* snapshot) const {
  std::vector<PersonRecord> out;
  rocksdb::ReadOptions ro = Impl::Read(snapshot);
  ro.prefix_same_as_start = true;
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(ro, impl_->cf(storage::kPersonsIdx)));
  const std::string prefix = storage::PersonPrefix(person_key);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    auto r = storage::DecodePerson(View(it->value()));
    if (!r.ok()) return r.status();
    out.push_back(std::move(r).value());
  }
  VIGIL_RETURN_IF_ERROR(FromRocks(it->status(), "persons scan"));
  return out;
}

Status Store::ScanPersons(const PersonVisitor& visit, const Snapshot* snapshot) const {
  rocksdb::ReadOptions ro = Impl::Read(snapshot);
  ro.total_order_seek = true;
  ro.readahead_size = 2 << 20;
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(ro, impl_->cf(storage::kPersonsIdx)));
  PersonRecord row;  // decoded over for every row, as in ScanPersonsInRange
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    VIGIL_RETURN_IF_ERROR(storage::DecodePersonInto(View(it->value()), &row));
    if (!visit(row)) break;
  }
  return FromRocks(it->status(), "persons scan");
}

Status Store::ScanEventPersonKeys(const std::function<bool(uint64_t)>& visit,
                                  const Snapshot* snapshot) const {
  rocksdb::ReadOptions ro = Impl::Read(snapshot);
  ro.total_order_seek = true;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ro, impl_->cf(storage::kEventsIdx)));
  it->SeekToFirst();
  while (it->Valid()) {
    const rocksdb::Slice key = it->key();
    if (key.size() != storage::kEventKeySize) return Status::Corruption("events key size");
    const uint64_t person_key = storage::DecodeFixed64BE(key.data());
    if (!visit(person_key)) break;
    // Jump past this person's events: one seek per person, not one step per event.
    if (person_key == std::numeric_limits<uint64_t>::max()) break;
    it->Seek(storage::PersonPrefix(person_key + 1));
  }
  return FromRocks(it->status(), "events person-key scan");
}

Status Store::VisitHistory(uint64_t person_key, const HistoryFilter& filter,
                           const EventVisitor& visit, const Snapshot* snapshot) const {
  rocksdb::ReadOptions ro = Impl::Read(snapshot);
  ro.prefix_same_as_start = true;
  const std::string upper = PersonUpperBound(person_key);
  rocksdb::Slice upper_slice(upper);
  if (!upper.empty()) ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ro, impl_->cf(storage::kEventsIdx)));

  std::string start = storage::PersonPrefix(person_key);
  storage::PutFixed64BE(&start, storage::FlipSign64(Seconds(filter.from)));
  const EventFilterBits bits(filter);
  EventView view;
  for (it->Seek(start); it->Valid(); it->Next()) {
    EventFit fit = EventFit::kSkip;
    VIGIL_RETURN_IF_ERROR(ReadEvent(*it, bits, &view, &fit));
    if (fit == EventFit::kAfter) break;
    if (fit == EventFit::kPass && !visit(view)) break;
  }
  return FromRocks(it->status(), "history scan");
}

Status Store::MultiGetAggregates(std::span<const uint64_t> person_keys, Month as_of,
                                 std::vector<MonthAggregate>* out, const Snapshot* snapshot) const {
  out->assign(person_keys.size(), MonthAggregate());
  // Visiting persons in key order makes successive seeks move forward through the same blocks.
  std::vector<uint32_t> order(person_keys.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return person_keys[a] < person_keys[b]; });
  rocksdb::ReadOptions ro = Impl::Read(snapshot);
  ro.prefix_same_as_start = true;
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(ro, impl_->cf(storage::kAggregatesIdx)));
  const uint32_t last = storage::FlipSign32(MonthNumber(as_of));
  std::string start;
  for (uint32_t i : order) {
    const uint64_t pk = person_keys[i];
    start.clear();
    storage::PutFixed64BE(&start, pk);
    MonthAggregate& sum = (*out)[i];
    for (it->Seek(start); it->Valid(); it->Next()) {
      const rocksdb::Slice key = it->key();
      if (key.size() != storage::kAggregateKeySize || storage::DecodeFixed64BE(key.data()) != pk) {
        break;
      }
      if (storage::DecodeFixed32BE(key.data() + 8) > last) break;
      auto bucket = DecodeAggregate(View(it->value()));
      if (!bucket.ok()) return bucket.status().WithContext("person key " + std::to_string(pk));
      sum.Merge(*bucket);
    }
    VIGIL_RETURN_IF_ERROR(FromRocks(it->status(), "aggregates scan"));
  }
  return Status::Ok();
}

Status Store::GetAggregateBuckets(uint64_t person_key,
                                  std::vector<std::pair<Month, MonthAggregate>>* out,
                                  const Snapshot* snapshot) const {
  out->clear();
  rocksdb::ReadOptions ro = Impl::Read(snapshot);
  ro.prefix_same_as_start = true;
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(ro, impl_->cf(storage::kAggregatesIdx)));
  const std::string prefix = storage::PersonPrefix(person_key);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    uint64_t pk = 0;
    int32_t month = 0;
    if (!storage::ParseAggregateKey(View(it->key()), &pk, &month)) {
      return Status::Corruption("aggregates key size");
    }
    auto bucket = DecodeAggregate(View(it->value()));
    if (!bucket.ok()) return bucket.status();
    out->emplace_back(MonthFromNumber(month), *bucket);
  }
  return FromRocks(it->status(), "aggregates scan");
}

namespace {
// An iterator over the rows of person keys [first, last] of one family, read sequentially.
std::unique_ptr<rocksdb::Iterator> RangeIterator(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                                                 rocksdb::ReadOptions ro, uint64_t first,
                                                 uint64_t last, std::string* upper,
                                                 rocksdb::Slice* upper_slice) {
  // No fixed readahead: many ranges are read at once, and RocksDB's own readahead grows
  // for sequential reads.
  ro.total_order_seek = true;
  ro.fill_cache = false;  // a whole-family pass would evict the hot blocks of point reads
  *upper = PersonUpperBound(last);
  *upper_slice = rocksdb::Slice(*upper);
  if (!upper->empty()) ro.iterate_upper_bound = upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, cf));
  it->Seek(storage::PersonPrefix(first));
  return it;
}
}  // namespace

Status Store::ScanPersonsInRange(uint64_t first_key, uint64_t last_key, const PersonVisitor& visit,
                                 const Snapshot* snapshot) const {
  if (first_key > last_key) return Status::Ok();
  std::string upper;
  rocksdb::Slice upper_slice;
  auto it = RangeIterator(impl_->db.get(), impl_->cf(storage::kPersonsIdx), Impl::Read(snapshot),
                          first_key, last_key, &upper, &upper_slice);
  // One record decoded over for every row: its strings keep their buffers.
  PersonRecord row;
  for (; it->Valid(); it->Next()) {
    VIGIL_RETURN_IF_ERROR(storage::DecodePersonInto(View(it->value()), &row));
    if (!visit(row)) break;
  }
  return FromRocks(it->status(), "persons range scan");
}

Status Store::VisitEventsInRange(uint64_t first_key, uint64_t last_key, const HistoryFilter& filter,
                                 const EventVisitor& visit, const Snapshot* snapshot) const {
  if (first_key > last_key) return Status::Ok();
  if (impl_->scan_histories) {
    return impl_->VisitPackedInRange(first_key, last_key, filter, visit, snapshot);
  }
  std::string upper;
  rocksdb::Slice upper_slice;
  auto it = RangeIterator(impl_->db.get(), impl_->cf(storage::kEventsIdx), Impl::Read(snapshot),
                          first_key, last_key, &upper, &upper_slice);
  const EventFilterBits bits(filter);
  EventView view;
  for (; it->Valid(); it->Next()) {
    EventFit fit = EventFit::kSkip;
    VIGIL_RETURN_IF_ERROR(ReadEvent(*it, bits, &view, &fit));
    // Past `to` for this person only: the next person's events follow.
    if (fit == EventFit::kPass && !visit(view)) break;
  }
  return FromRocks(it->status(), "events range scan");
}

Status Store::Impl::VisitPackedInRange(uint64_t first_key, uint64_t last_key,
                                       const HistoryFilter& filter, const EventVisitor& visit,
                                       const Snapshot* snapshot) const {
  std::string upper;
  rocksdb::Slice upper_slice;
  auto it = RangeIterator(db.get(), cf(storage::kHistoriesIdx), Read(snapshot), first_key, last_key,
                          &upper, &upper_slice);
  const EventFilterBits bits(filter);
  EventView view;
  // The events key of the event being visited: what EventView::key shows, valid during the
  // visitor call as the events scan's is.
  char key[storage::kEventKeySize];
  storage::PackedHistoryReader reader;
  for (; it->Valid(); it->Next()) {
    const rocksdb::Slice person = it->key();
    if (person.size() != storage::kPersonPrefixSize)
      return Status::Corruption("histories key size");
    std::memcpy(key, person.data(), storage::kPersonPrefixSize);
    if (!reader.Start(View(it->value()))) {
      return Status::Corruption("histories value format of person key " +
                                std::to_string(storage::DecodeFixed64BE(key)));
    }
    while (!reader.done()) {
      std::string_view suffix;
      std::string_view value;
      if (!reader.Next(&suffix, &value)) {
        return Status::Corruption("histories value of person key " +
                                  std::to_string(storage::DecodeFixed64BE(key)) +
                                  ": an event runs past the end");
      }
      std::memcpy(key + storage::kPersonPrefixSize, suffix.data(), storage::kHistorySuffixSize);
      const std::string_view event_key(key, sizeof key);
      const EventFit fit = MatchEvent(event_key, value, bits, &view);
      if (IsCorrupt(fit)) return FitError(fit, event_key);
      if (fit == EventFit::kAfter) break;  // the rest of this person is later still
      if (fit == EventFit::kPass && !visit(view)) return FromRocks(it->status(), "histories scan");
    }
  }
  return FromRocks(it->status(), "histories range scan");
}

Status Store::VisitAggregatesInRange(uint64_t first_key, uint64_t last_key,
                                     const AggregateBucketVisitor& visit,
                                     const Snapshot* snapshot) const {
  if (first_key > last_key) return Status::Ok();
  std::string upper;
  rocksdb::Slice upper_slice;
  auto it = RangeIterator(impl_->db.get(), impl_->cf(storage::kAggregatesIdx), Impl::Read(snapshot),
                          first_key, last_key, &upper, &upper_slice);
  for (; it->Valid(); it->Next()) {
    uint64_t pk = 0;
    int32_t month = 0;
    if (!storage::ParseAggregateKey(View(it->key()), &pk, &month)) {
      return Status::Corruption("aggregates key size");
    }
    auto bucket = DecodeAggregate(View(it->value()));
    if (!bucket.ok()) return bucket.status().WithContext("person key " + std::to_string(pk));
    if (!visit(pk, MonthFromNumber(month), *bucket)) break;
  }
  return FromRocks(it->status(), "aggregates range scan");
}

Result<std::string> Store::GetPaymentEventKey(std::string_view payment_id,
                                              const Snapshot* snapshot) const {
  std::string v;
  const rocksdb::Status s = impl_->db->Get(Impl::Read(snapshot), impl_->cf(storage::kPaymentIdsIdx),
                                           ToSlice(payment_id), &v);
  if (s.IsNotFound()) return Status::NotFound("unknown payment id");
  VIGIL_RETURN_IF_ERROR(FromRocks(s, "payment index"));
  return v;
}

Result<PaymentRecord> Store::GetPayment(std::string_view payment_id,
                                        const Snapshot* snapshot) const {
  VIGIL_ASSIGN_OR_RETURN(std::string key, GetPaymentEventKey(payment_id, snapshot));
  std::string v;
  const rocksdb::Status s =
      impl_->db->Get(Impl::Read(snapshot), impl_->cf(storage::kEventsIdx), ToSlice(key), &v);
  if (s.IsNotFound()) return Status::Corruption("payment index: points at no stored event");
  VIGIL_RETURN_IF_ERROR(FromRocks(s, "get payment"));
  return storage::DecodePayment(v);
}

Result<std::string> Store::GetCase(std::string_view key, const Snapshot* snapshot) const {
  std::string v;
  const rocksdb::Status s =
      impl_->db->Get(Impl::Read(snapshot), impl_->cf(storage::kCasesIdx), ToSlice(key), &v);
  if (s.IsNotFound()) return Status::NotFound("no case under that key");
  VIGIL_RETURN_IF_ERROR(FromRocks(s, "get case"));
  return v;
}

Status Store::ScanCases(const BytesVisitor& visit, const Snapshot* snapshot) const {
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(Impl::Read(snapshot), impl_->cf(storage::kCasesIdx)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (!visit(View(it->key()), View(it->value()))) break;
  }
  return FromRocks(it->status(), "cases scan");
}

Result<std::string> Store::GetMeta(std::string_view name, const Snapshot* snapshot) const {
  std::string v;
  const rocksdb::Status s =
      impl_->db->Get(Impl::Read(snapshot), impl_->cf(storage::kMetaIdx), ToSlice(name), &v);
  if (s.IsNotFound()) return Status::NotFound("no meta value '" + std::string(name) + "'");
  VIGIL_RETURN_IF_ERROR(FromRocks(s, "get meta"));
  return v;
}

Status Store::ScanMeta(std::string_view prefix, const BytesVisitor& visit,
                       const Snapshot* snapshot) const {
  rocksdb::ReadOptions ro = Impl::Read(snapshot);
  ro.total_order_seek = true;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ro, impl_->cf(storage::kMetaIdx)));
  for (it->Seek(ToSlice(prefix)); it->Valid() && it->key().starts_with(ToSlice(prefix));
       it->Next()) {
    std::string_view name = View(it->key());
    name.remove_prefix(prefix.size());
    if (!visit(name, View(it->value()))) break;
  }
  return FromRocks(it->status(), "meta scan");
}

Status Store::ScanAudit(uint64_t from, const AuditVisitor& visit, const Snapshot* snapshot) const {
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(Impl::Read(snapshot), impl_->cf(storage::kAuditIdx)));
  for (it->Seek(storage::AuditKey(from)); it->Valid(); it->Next()) {
    if (it->key().size() != storage::kAuditKeySize) return Status::Corruption("audit key size");
    if (!visit(storage::DecodeFixed64BE(it->key().data()), View(it->value()))) break;
  }
  return FromRocks(it->status(), "audit scan");
}

Status Store::CreateCheckpoint(const std::string& dir) const {
  rocksdb::Checkpoint* raw = nullptr;
  VIGIL_RETURN_IF_ERROR(
      FromRocks(rocksdb::Checkpoint::Create(impl_->db.get(), &raw), "checkpoint"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  return FromRocks(checkpoint->CreateCheckpoint(dir), "checkpoint " + dir);
}

Status Store::CreateBackup(const std::string& backup_dir) const {
  rocksdb::BackupEngine* raw = nullptr;
  VIGIL_RETURN_IF_ERROR(
      FromRocks(rocksdb::BackupEngine::Open(rocksdb::BackupEngineOptions(backup_dir),
                                            rocksdb::Env::Default(), &raw),
                "open backup " + backup_dir));
  std::unique_ptr<rocksdb::BackupEngine> engine(raw);
  rocksdb::CreateBackupOptions opts;
  opts.flush_before_backup = true;
  return FromRocks(engine->CreateNewBackup(opts, impl_->db.get()), "backup " + backup_dir);
}

Status Store::RestoreLatestBackup(const std::string& backup_dir, const std::string& db_dir) {
  rocksdb::BackupEngineReadOnly* raw = nullptr;
  VIGIL_RETURN_IF_ERROR(
      FromRocks(rocksdb::BackupEngineReadOnly::Open(rocksdb::BackupEngineOptions(backup_dir),
                                                    rocksdb::Env::Default(), &raw),
                "open backup " + backup_dir));
  std::unique_ptr<rocksdb::BackupEngineReadOnly> engine(raw);
  return FromRocks(engine->RestoreDBFromLatestBackup(db_dir, db_dir), "restore " + db_dir);
}

Status Store::Flush() {
  VIGIL_RETURN_IF_ERROR(impl_->CheckWritable());
  std::vector<rocksdb::ColumnFamilyHandle*> ours;
  for (size_t i = 0; i < storage::kCfCount; ++i) {
    if (auto* h = impl_->LoadHandle(i); h != nullptr) ours.push_back(h);
  }
  return FromRocks(impl_->db->Flush(rocksdb::FlushOptions(), ours), "flush");
}

Status Store::CompactAll() {
  VIGIL_RETURN_IF_ERROR(impl_->CheckWritable());
  for (size_t i = 1; i < storage::kCfCount; ++i) {
    rocksdb::ColumnFamilyHandle* h = impl_->LoadHandle(i);
    if (h == nullptr) continue;
    rocksdb::CompactRangeOptions opts;
    opts.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    VIGIL_RETURN_IF_ERROR(FromRocks(impl_->db->CompactRange(opts, h, nullptr, nullptr), "compact"));
  }
  return Status::Ok();
}

Status Store::CatchUp() {
  if (impl_->options.mode != OpenMode::kSecondary) {
    return Status::FailedPrecondition("CatchUp needs OpenMode::kSecondary");
  }
  return FromRocks(impl_->db->TryCatchUpWithPrimary(), "catch up with primary");
}

}  // namespace vigil

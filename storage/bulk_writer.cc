// The streaming bulk load (vigil::BulkWriter, docs/storage.md "Bulk load"): an external
// merge sort whose output RocksDB ingests as finished, non-overlapping bottom-level files.
//
// A run keeps the batches it is given (their rows are encoded already) plus a small entry per
// row. A hash index over the run's keys (and payment ids) makes a later row replace an earlier
// one as it is added, so counts are known at Add time. A full run is handed to a background
// thread that sorts it and writes one sorted SST file per column family into DB/bulk/; the
// next run fills meanwhile.
//
// Finish merges the runs per column family (for a key in several runs the latest run wins;
// a payment whose latest run stores it under another events key drops its older event), builds
// the aggregates from the merged events as they stream by (each person's events arrive
// together), and ingests everything in one atomic IngestExternalFiles. Only then is the
// pending mark removed. Nothing is visible in the store before that ingestion.
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <thread>
#include <unordered_set>
#include <utility>

#include <rocksdb/sst_file_reader.h>
#include <rocksdb/sst_file_writer.h>

#include "bulk_writer_impl.h"
#include "coding.h"
#include "keys.h"
#include "record_batch_impl.h"
#include "values.h"

namespace vigil {

using storage::CfIndex;

namespace {

std::string_view View(const rocksdb::Slice& s) { return {s.data(), s.size()}; }
rocksdb::Slice ToSlice(std::string_view s) { return {s.data(), s.size()}; }

Status FromRocks(const rocksdb::Status& s, std::string_view context) {
  if (s.ok()) return Status::Ok();
  std::string m = std::string(context) + ": " + s.ToString();
  if (s.IsCorruption()) return Status::Corruption(std::move(m));
  if (s.IsIOError()) return Status::IoError(std::move(m));
  if (s.IsInvalidArgument()) return Status::InvalidArgument(std::move(m));
  return Status::Internal(std::move(m));
}

// One buffered row: a view of a row of one of the run's batches (which the run owns, so the
// bytes stay put), with the first 16 key bytes as integers for the sort's fast path.
struct RunRow {
  const RecordBatch::Impl::Row* row = nullptr;
  uint64_t k0 = 0;  // key bytes 0..7 (person key)
  uint64_t k1 = 0;  // key bytes 8..15 (events: time; persons: region, zero-padded)
  bool dead = false;  // replaced by a later row of the same run
};

// Open-addressing hash index: 64-bit hash -> row number. The caller compares the bytes.
class RowIndex {
 public:
  static constexpr uint32_t kEmpty = std::numeric_limits<uint32_t>::max();
  struct Slot {
    uint64_t hash = 0;
    uint32_t row = kEmpty;
  };

  // Finds the slot of `hash` whose row satisfies `same`, or the empty slot where it would go.
  template <typename Same>
  Slot* Find(uint64_t hash, Same&& same) {
    if (slots_.empty() || (used_ + 1) * 2 > slots_.size()) Grow();
    const size_t mask = slots_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.row == kEmpty) return &s;
      if (s.hash == hash && same(s.row)) return &s;
    }
  }
  // Marks an empty slot returned by Find as used.
  void Fill(Slot* s, uint64_t hash, uint32_t row) {
    s->hash = hash;
    s->row = row;
    ++used_;
  }
  // Empties the index, keeping (or making) room for `rows` entries without growing.
  void Reset(size_t rows) {
    size_t want = 1024;
    while (want < rows * 2) want *= 2;
    if (slots_.size() < want) {
      slots_.assign(want, Slot());
    } else {
      std::fill(slots_.begin(), slots_.end(), Slot());
    }
    used_ = 0;
  }

 private:
  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(std::max<size_t>(1024, old.size() * 2), Slot());
    const size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.row == kEmpty) continue;
      size_t i = s.hash & mask;
      while (slots_[i].row != kEmpty) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }
  std::vector<Slot> slots_;
  size_t used_ = 0;
};

struct Run {
  std::vector<RecordBatch> batches;
  std::vector<RunRow> rows;
  RowIndex keys;
  RowIndex payments;
  size_t bytes = 0;  // what the run holds in memory, about

  std::string_view Key(const RunRow& r) const { return r.row->key; }
  std::string_view Value(const RunRow& r) const { return r.row->value; }
  std::string_view PaymentId(const RunRow& r) const { return r.row->payment_id; }
  bool empty() const { return rows.empty(); }
  // Frees the rows; keeps the index's and the entries' memory for the next run.
  void Clear() {
    batches.clear();
    rows.clear();
    bytes = 0;
    prepared = false;
  }
  // Sizes the indexes for a run of about `expected_rows` rows.
  void Prepare(size_t expected_rows) {
    if (prepared) return;
    rows.reserve(expected_rows);
    keys.Reset(expected_rows);
    payments.Reset(0);
    prepared = true;
  }
  bool prepared = false;
};

// Memory per row as counted in Run::bytes, for a short row (a signal): sizes the indexes.
constexpr size_t kRowBytesEstimate = 220;

bool KeyLess(const RunRow& a, const RunRow& b) {
  if (a.k0 != b.k0) return a.k0 < b.k0;
  if (a.k1 != b.k1) return a.k1 < b.k1;
  return a.row->key < b.row->key;
}

uint64_t Word(std::string_view key, size_t at) {
  char b[8] = {};
  if (key.size() > at) std::memcpy(b, key.data() + at, std::min<size_t>(8, key.size() - at));
  return storage::DecodeFixed64BE(b);
}

}  // namespace

// Sorted files of one run, one per column family (empty name: the run had no such rows).
struct RunFiles {
  std::string persons;
  std::string events;
  std::string payments;
};

struct BulkWriter::Impl {
  storage::BulkContext ctx;
  BulkLoadOptions options;
  std::unique_ptr<Run> filling = std::make_unique<Run>();
  std::unique_ptr<Run> spare = std::make_unique<Run>();  // reused after its spill
  std::thread spiller;
  Status spill_status;     // written by the spill thread, read after join
  RunFiles spill_files;    // likewise
  std::vector<RunFiles> runs;  // written runs, oldest first
  Status failed;           // sticky: the writer refuses everything after an error
  bool finished = false;

  rocksdb::ColumnFamilyHandle* cf(CfIndex i) const { return ctx.handles[i]; }

  std::string Dir() const { return storage::BulkDir(ctx.path); }
  std::string NewSstPath() {
    return Dir() + "/" + std::to_string(ctx.file_counter->fetch_add(1)) + ".sst";
  }

  // Waits for the spill thread and records the files it wrote.
  Status JoinSpill() {
    if (!spiller.joinable()) return Status::Ok();
    spiller.join();
    if (spill_status.ok()) runs.push_back(std::move(spill_files));
    spill_files = RunFiles();
    return spill_status;
  }

  void AddRow(const RecordBatch::Impl::Row& src, WriteCounts* counts);
  Status Spill(Run& run, RunFiles* files);
  Status MergeAndIngest();
};

namespace {

// The family's options, but with its light compression for every file: run files are read
// once by the merge, and zstd here cost a third of the bulk writer's time. Compaction applies
// the bottom level's zstd when it rewrites the merged files.
rocksdb::Options BulkFileOptions(const storage::BulkContext& ctx, CfIndex cf) {
  rocksdb::Options o(ctx.config->db, ctx.config->families[cf].options);
  o.bottommost_compression = rocksdb::kDisableCompressionOption;
  return o;
}

// Writes sorted entries of one column family into SST files of about `file_bytes` each
// (so that later compactions touch a slice of the key space, not all of it).
class SstOut {
 public:
  SstOut(BulkWriter::Impl* im, CfIndex cf, uint64_t file_bytes = UINT64_MAX)
      : im_(im), options_(BulkFileOptions(im->ctx, cf)), cf_(cf), file_bytes_(file_bytes) {}

  Status Put(std::string_view key, std::string_view value) {
    if (writer_ == nullptr || bytes_ >= file_bytes_) VIGIL_RETURN_IF_ERROR(Next());
    bytes_ += key.size() + value.size();
    return FromRocks(writer_->Put(ToSlice(key), ToSlice(value)), "bulk load: put");
  }
  Status Delete(std::string_view key) {
    if (writer_ == nullptr) VIGIL_RETURN_IF_ERROR(Next());
    bytes_ += key.size();
    return FromRocks(writer_->Delete(ToSlice(key)), "bulk load: delete");
  }
  // Finishes the last file. `files()` then lists every file written, in key order.
  Status Finish() {
    if (writer_ == nullptr) return Status::Ok();
    auto w = std::move(writer_);
    return FromRocks(w->Finish(), "bulk load: finish " + files_.back());
  }
  const std::vector<std::string>& files() const { return files_; }

 private:
  Status Next() {
    VIGIL_RETURN_IF_ERROR(Finish());
    writer_ = std::make_unique<rocksdb::SstFileWriter>(rocksdb::EnvOptions(), options_,
                                                       im_->cf(cf_));
    files_.push_back(im_->NewSstPath());
    bytes_ = 0;
    return FromRocks(writer_->Open(files_.back()), "bulk load: open " + files_.back());
  }

  BulkWriter::Impl* im_;
  rocksdb::Options options_;
  CfIndex cf_;
  uint64_t file_bytes_;
  uint64_t bytes_ = 0;
  std::unique_ptr<rocksdb::SstFileWriter> writer_;
  std::vector<std::string> files_;
};

// Reads the sorted run files of one column family together, in key order. A key present in
// several runs is passed once to `emit` with the value of the latest run; the older values go
// to `shadowed` (if set).
class RunMerger {
 public:
  using Visit = std::function<Status(std::string_view key, std::string_view value)>;

  RunMerger(BulkWriter::Impl* im, CfIndex cf) : options_(BulkFileOptions(im->ctx, cf)) {}

  // Keys in [lower, upper) only (empty: unbounded), so that key ranges can merge in parallel.
  Status Merge(const std::vector<std::string>& files, const Visit& emit, const Visit& shadowed,
               const std::string& lower = {}, const std::string& upper = {}) {
    rocksdb::ReadOptions ro;
    ro.fill_cache = false;
    ro.readahead_size = size_t{512} << 10;  // bounds memory: one buffer per run file
    ro.verify_checksums = true;
    // Events files carry a per-person prefix extractor: without this, Seek would only look
    // within the prefix of `lower`.
    ro.total_order_seek = true;
    rocksdb::Slice upper_slice(upper);
    if (!upper.empty()) ro.iterate_upper_bound = &upper_slice;
    std::vector<std::unique_ptr<rocksdb::SstFileReader>> readers;
    std::vector<std::unique_ptr<rocksdb::Iterator>> its;
    for (const std::string& f : files) {
      readers.push_back(std::make_unique<rocksdb::SstFileReader>(options_));
      VIGIL_RETURN_IF_ERROR(FromRocks(readers.back()->Open(f), "bulk load: open run " + f));
      its.emplace_back(readers.back()->NewIterator(ro));
      if (lower.empty()) {
        its.back()->SeekToFirst();
      } else {
        its.back()->Seek(lower);
      }
    }
    // Min-heap on key; for equal keys the latest run (highest index) comes first.
    auto after = [&its](size_t a, size_t b) {
      const int c = its[a]->key().compare(its[b]->key());
      return c != 0 ? c > 0 : a < b;
    };
    std::vector<size_t> heap;
    for (size_t i = 0; i < its.size(); ++i) {
      if (its[i]->Valid()) heap.push_back(i);
      VIGIL_RETURN_IF_ERROR(FromRocks(its[i]->status(), "bulk load: read run"));
    }
    std::make_heap(heap.begin(), heap.end(), after);
    std::string key;
    auto advance = [&](size_t i) -> Status {
      its[i]->Next();
      VIGIL_RETURN_IF_ERROR(FromRocks(its[i]->status(), "bulk load: read run"));
      if (its[i]->Valid()) {
        heap.push_back(i);
        std::push_heap(heap.begin(), heap.end(), after);
      }
      return Status::Ok();
    };
    while (!heap.empty()) {
      std::pop_heap(heap.begin(), heap.end(), after);
      const size_t top = heap.back();
      heap.pop_back();
      key.assign(its[top]->key().data(), its[top]->key().size());
      VIGIL_RETURN_IF_ERROR(emit(key, View(its[top]->value())));
      while (!heap.empty() && View(its[heap.front()]->key()) == key) {
        std::pop_heap(heap.begin(), heap.end(), after);
        const size_t older = heap.back();
        heap.pop_back();
        if (shadowed) VIGIL_RETURN_IF_ERROR(shadowed(key, View(its[older]->value())));
        VIGIL_RETURN_IF_ERROR(advance(older));
      }
      VIGIL_RETURN_IF_ERROR(advance(top));
    }
    return Status::Ok();
  }

 private:
  rocksdb::Options options_;
};

}  // namespace

void BulkWriter::Impl::AddRow(const RecordBatch::Impl::Row& src, WriteCounts* counts) {
  Run& run = *filling;
  const auto row_no = static_cast<uint32_t>(run.rows.size());
  RunRow r;
  r.row = &src;
  r.k0 = Word(src.key, 0);
  r.k1 = Word(src.key, 8);
  run.rows.push_back(r);
  // Bytes of the row plus its share of the batch's row table, this entry and the indexes.
  run.bytes += src.key.size() + src.value.size() + src.payment_id.size() + 144;

  bool replaced = false;
  const std::string_view key = src.key;
  RowIndex::Slot* slot = run.keys.Find(src.key_hash, [&](uint32_t other) {
    const RunRow& o = run.rows[other];
    return o.row->is_person == src.is_person && o.row->key == key;
  });
  if (slot->row == RowIndex::kEmpty) {
    run.keys.Fill(slot, src.key_hash, row_no);
  } else {
    replaced = true;
    run.rows[slot->row].dead = true;
    slot->row = row_no;
  }
  if (!src.payment_id.empty()) {
    const std::string_view pid = src.payment_id;
    RowIndex::Slot* ps = run.payments.Find(src.payment_hash, [&](uint32_t other) {
      return run.rows[other].row->payment_id == pid;
    });
    if (ps->row == RowIndex::kEmpty) {
      run.payments.Fill(ps, src.payment_hash, row_no);
    } else {
      // The payment moved within the run: only its last event survives.
      RunRow& earlier = run.rows[ps->row];
      if (!earlier.dead) {
        earlier.dead = true;
        replaced = true;
      }
      ps->row = row_no;
    }
  }
  ++(replaced ? counts->replaced : counts->inserted);
}

Status BulkWriter::Impl::Spill(Run& run, RunFiles* files) {
  // Entries are sorted by value (not as indices into run.rows): most comparisons then read
  // only the two key words inside the entry, not the row's bytes elsewhere in memory.
  std::vector<RunRow> persons;
  std::vector<RunRow> events;
  std::vector<const RecordBatch::Impl::Row*> payments;
  events.reserve(run.rows.size());
  for (const RunRow& r : run.rows) {
    if (r.dead) continue;
    (r.row->is_person ? persons : events).push_back(r);
    if (!r.row->payment_id.empty()) payments.push_back(r.row);
  }
  std::sort(persons.begin(), persons.end(), KeyLess);
  std::sort(events.begin(), events.end(), KeyLess);
  std::sort(payments.begin(), payments.end(),
            [](const auto* a, const auto* b) { return a->payment_id < b->payment_id; });

  if (!persons.empty()) {
    SstOut out(this, storage::kPersonsIdx);
    for (const RunRow& r : persons) VIGIL_RETURN_IF_ERROR(out.Put(r.row->key, r.row->value));
    VIGIL_RETURN_IF_ERROR(out.Finish());
    files->persons = out.files().front();
  }
  if (!events.empty()) {
    SstOut out(this, storage::kEventsIdx);
    for (const RunRow& r : events) VIGIL_RETURN_IF_ERROR(out.Put(r.row->key, r.row->value));
    VIGIL_RETURN_IF_ERROR(out.Finish());
    files->events = out.files().front();
  }
  if (!payments.empty()) {
    SstOut out(this, storage::kPaymentIdsIdx);
    for (const auto* p : payments) VIGIL_RETURN_IF_ERROR(out.Put(p->payment_id, p->key));
    VIGIL_RETURN_IF_ERROR(out.Finish());
    files->payments = out.files().front();
  }
  return Status::Ok();
}

Status BulkWriter::Impl::MergeAndIngest() {
  const uint64_t file_bytes =
      ctx.config->families[storage::kEventsIdx].options.target_file_size_base;
  auto list = [this](std::string RunFiles::*member) {
    std::vector<std::string> out;
    for (const RunFiles& r : runs) {
      if (!(r.*member).empty()) out.push_back(r.*member);
    }
    return out;
  };

  // 1. Payment index: the latest run's events key wins. An older, different key is the event
  //    a correction moved away from: it must not survive the events merge.
  std::unordered_set<std::string> dead;
  SstOut payments(this, storage::kPaymentIdsIdx, file_bytes);
  {
    std::string winner;
    RunMerger merger(this, storage::kPaymentIdsIdx);
    auto emit = [&](std::string_view key, std::string_view value) {
      winner.assign(value);
      return payments.Put(key, value);
    };
    auto shadowed = [&](std::string_view, std::string_view older) {
      if (older != winner) dead.emplace(older);
      return Status::Ok();
    };
    VIGIL_RETURN_IF_ERROR(merger.Merge(list(&RunFiles::payments), emit, shadowed));
    VIGIL_RETURN_IF_ERROR(payments.Finish());
  }

  // 2. Events, and the aggregates from them: the merge yields each person's events together.
  //    Person keys are uniform hashes, so equal slices of the key space are about equal work:
  //    one slice per core, each with its own output files (the slices do not overlap).
  const unsigned parts = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
  std::vector<std::string> bounds(parts + 1);  // bounds[0] and bounds[parts] empty: open
  for (unsigned p = 1; p < parts; ++p) bounds[p] = storage::PersonPrefix(UINT64_MAX / parts * p);
  std::vector<std::unique_ptr<SstOut>> event_outs;
  std::vector<std::unique_ptr<SstOut>> aggregate_outs;
  for (unsigned p = 0; p < parts; ++p) {
    event_outs.push_back(std::make_unique<SstOut>(this, storage::kEventsIdx, file_bytes));
    aggregate_outs.push_back(std::make_unique<SstOut>(this, storage::kAggregatesIdx, file_bytes));
  }
  const std::vector<std::string> event_runs = list(&RunFiles::events);
  std::vector<Status> part_status(parts);
  auto merge_part = [&](unsigned p) {
    SstOut& events = *event_outs[p];
    SstOut& aggregates = *aggregate_outs[p];
    std::map<int32_t, MonthAggregate> buckets;  // one person's, by month
    uint64_t person = 0;
    auto flush = [&]() -> Status {
      for (const auto& [month, agg] : buckets) {
        VIGIL_RETURN_IF_ERROR(
            aggregates.Put(storage::AggregateKey(person, month), EncodeAggregate(agg)));
      }
      buckets.clear();
      return Status::Ok();
    };
    RunMerger merger(this, storage::kEventsIdx);
    auto emit = [&](std::string_view key, std::string_view value) -> Status {
      if (!dead.empty() && dead.count(std::string(key)) != 0) return Status::Ok();
      storage::ParsedEventKey parsed;
      if (!storage::ParseEventKey(key, &parsed)) return Status::Corruption("events key");
      if (parsed.person_key != person && !buckets.empty()) {
        Status flushed = flush();
        if (!flushed.ok()) return flushed;
      }
      person = parsed.person_key;
      int64_t known = 0;
      if (!storage::PeekKnownAt(value, &known)) return Status::Corruption("events value header");
      auto agg = MonthAggregate::OfEvent(parsed.kind, value);
      if (!agg.ok()) return agg.status().WithContext("bulk load aggregates");
      buckets[storage::MonthNumberOfSeconds(known)].Merge(*agg);
      return events.Put(key, value);
    };
    Status st = merger.Merge(event_runs, emit, nullptr, bounds[p], bounds[p + 1]);
    if (st.ok() && !buckets.empty()) st = flush();
    if (st.ok()) st = events.Finish();
    if (st.ok()) st = aggregates.Finish();
    part_status[p] = st;
  };
  {
    std::vector<std::thread> threads;
    for (unsigned p = 1; p < parts; ++p) threads.emplace_back(merge_part, p);
    merge_part(0);
    for (auto& t : threads) t.join();
  }
  for (const Status& st : part_status) VIGIL_RETURN_IF_ERROR(st);
  std::vector<std::string> event_files;
  std::vector<std::string> aggregate_files;
  for (unsigned p = 0; p < parts; ++p) {
    for (const auto& f : event_outs[p]->files()) event_files.push_back(f);
    for (const auto& f : aggregate_outs[p]->files()) aggregate_files.push_back(f);
  }

  // 3. Persons.
  SstOut persons(this, storage::kPersonsIdx, file_bytes);
  {
    RunMerger merger(this, storage::kPersonsIdx);
    auto emit = [&](std::string_view key, std::string_view value) {
      return persons.Put(key, value);
    };
    VIGIL_RETURN_IF_ERROR(merger.Merge(list(&RunFiles::persons), emit, nullptr));
    VIGIL_RETURN_IF_ERROR(persons.Finish());
  }

  // 4. One atomic ingestion of non-overlapping files into the empty families: they go
  //    straight to the bottom level, nothing for compaction to merge.
  std::vector<rocksdb::IngestExternalFileArg> args;
  for (auto [cf_index, files] : {std::pair{storage::kPersonsIdx, &persons.files()},
                                 std::pair{storage::kEventsIdx, &std::as_const(event_files)},
                                 std::pair{storage::kAggregatesIdx, &std::as_const(aggregate_files)},
                                 std::pair{storage::kPaymentIdsIdx, &payments.files()}}) {
    if (files->empty()) continue;
    rocksdb::IngestExternalFileArg arg;
    arg.column_family = cf(cf_index);
    arg.external_files = *files;
    arg.options.move_files = true;
    args.push_back(std::move(arg));
  }
  if (args.empty()) return Status::Ok();
  return FromRocks(ctx.db->IngestExternalFiles(args), "bulk load: ingest");
}

BulkWriter::BulkWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

BulkWriter::~BulkWriter() {
  (void)impl_->JoinSpill();  // an unfinished load stays pending; nothing to report here
  impl_->ctx.active->store(false);
}

Result<WriteCounts> BulkWriter::Add(RecordBatch batch) {
  Impl& im = *impl_;
  if (!im.failed.ok()) return im.failed;
  if (im.finished) return Status::FailedPrecondition("bulk load already finished");
  WriteCounts counts;
  if (batch.empty()) return counts;
  im.filling->Prepare(im.options.run_bytes / kRowBytesEstimate);
  // The run keeps the batch itself: its rows are indexed in place, never copied.
  im.filling->batches.push_back(std::move(batch));
  for (const auto& row : im.filling->batches.back().impl().rows) im.AddRow(row, &counts);
  if (im.filling->bytes >= im.options.run_bytes) {
    // Hand the full run to the spill thread (after the previous one is done).
    im.failed = im.JoinSpill();
    if (!im.failed.ok()) return im.failed;
    std::swap(im.filling, im.spare);  // spare: the run written last time, now free
    im.filling->Clear();
    Run* full = im.spare.get();
    im.spill_status = Status::Ok();
    im.spiller = std::thread([&im, full] {
      im.spill_status = im.Spill(*full, &im.spill_files);
      full->Clear();  // give the memory back while the next run fills
    });
  }
  return counts;
}

Status BulkWriter::Finish() {
  Impl& im = *impl_;
  if (!im.failed.ok()) return im.failed;
  if (im.finished) return Status::Ok();
  im.failed = im.JoinSpill();
  if (im.failed.ok() && !im.filling->empty()) {
    RunFiles last;
    im.failed = im.Spill(*im.filling, &last);
    if (im.failed.ok()) im.runs.push_back(std::move(last));
  }
  im.filling->Clear();
  im.spare->Clear();
  if (im.failed.ok()) im.failed = im.MergeAndIngest();
  if (im.failed.ok()) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    im.failed = FromRocks(
        im.ctx.db->Delete(wo, im.cf(storage::kMetaIdx), storage::kMetaBulkPending),
        "bulk load: clear pending mark");
  }
  if (!im.failed.ok()) return im.failed;
  std::error_code ec;
  std::filesystem::remove_all(im.Dir(), ec);  // the run files; a leftover is removed next time
  im.ctx.pending->store(false);
  im.finished = true;
  return Status::Ok();
}

namespace storage {

std::string BulkDir(const std::string& db_path) { return db_path + "/bulk"; }

Result<std::unique_ptr<BulkWriter>> MakeBulkWriter(BulkContext context,
                                                   const BulkLoadOptions& options) {
  auto impl = std::make_unique<BulkWriter::Impl>();
  impl->ctx = std::move(context);
  impl->options = options;
  // Run files of an earlier, interrupted load are of no use: start with an empty folder.
  std::error_code ec;
  std::filesystem::remove_all(impl->Dir(), ec);
  std::filesystem::create_directories(impl->Dir(), ec);
  if (ec) return Status::IoError(impl->Dir() + ": cannot create: " + ec.message());
  return std::make_unique<BulkWriter>(std::move(impl));
}

}  // namespace storage
}  // namespace vigil

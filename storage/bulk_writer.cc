// The streaming bulk load (vigil::BulkWriter, docs/storage.md "Bulk load").
//
// A run keeps the batches it is given (their rows are encoded already) plus a small entry
// per row. A hash index over the run's keys (and payment ids) makes a later row replace an earlier one
// as it is added, so counts are known at Add time. A full run is handed to a background
// thread that sorts it, looks up where its payments are stored by earlier runs (a correction
// may have moved one), writes one SST per column family and ingests them atomically; the next
// run fills meanwhile. Later runs get newer sequence numbers, so they win over earlier ones.
//
// Aggregates are not written per run: a correction across runs would count twice. Finish
// builds them once from the stored events (a sequential scan, split between threads by person
// key range) and ingests them; only then is the pending mark removed.
#include <xxhash.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include <rocksdb/sst_file_writer.h>
#include <rocksdb/write_batch.h>

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

struct BulkWriter::Impl {
  storage::BulkContext ctx;
  BulkLoadOptions options;
  std::unique_ptr<Run> filling = std::make_unique<Run>();
  std::unique_ptr<Run> spare = std::make_unique<Run>();  // reused after its spill
  std::thread spiller;
  Status spill_status;  // written by the spill thread, read after join
  Status failed;        // sticky: the writer refuses everything after an error
  bool finished = false;

  rocksdb::ColumnFamilyHandle* cf(CfIndex i) const { return ctx.handles[i]; }

  std::string NewSstPath() {
    return ctx.path + "/bulk-" + std::to_string(ctx.file_counter->fetch_add(1)) + ".sst";
  }

  Status JoinSpill() {
    if (spiller.joinable()) spiller.join();
    return spill_status;
  }

  void AddRow(const RecordBatch::Impl::Row& src, WriteCounts* counts);
  Status Spill(Run& run);
  Status BuildAggregates();
};

namespace {

// The family's options, but with its light compression even for the bottom level: these files
// are rewritten by compaction anyway (which then applies zstd), and zstd here cost a third of
// the bulk writer's time.
rocksdb::Options BulkFileOptions(const storage::BulkContext& ctx, CfIndex cf) {
  rocksdb::Options o(ctx.config->db, ctx.config->families[cf].options);
  o.bottommost_compression = rocksdb::kDisableCompressionOption;
  return o;
}

// Writes sorted entries of one column family into a new SST file and describes its ingestion.
class SstOut {
 public:
  SstOut(const storage::BulkContext& ctx, CfIndex cf, std::string path)
      : options_(BulkFileOptions(ctx, cf)),
        writer_(rocksdb::EnvOptions(), options_, ctx.handles[cf]),
        handle_(ctx.handles[cf]),
        path_(std::move(path)) {}

  Status Open() {
    open_ = true;
    return FromRocks(writer_.Open(path_), "bulk load: open " + path_);
  }
  Status Put(std::string_view key, std::string_view value) {
    ++entries_;
    return FromRocks(writer_.Put(ToSlice(key), ToSlice(value)), "bulk load: put");
  }
  Status Delete(std::string_view key) {
    ++entries_;
    return FromRocks(writer_.Delete(ToSlice(key)), "bulk load: delete");
  }
  // Finishes the file; adds it to `args` when it holds anything (an empty file is removed).
  Status Finish(std::vector<rocksdb::IngestExternalFileArg>* args) {
    if (!open_) return Status::Ok();
    if (entries_ == 0) {
      writer_.Finish().PermitUncheckedError();
      std::remove(path_.c_str());
      return Status::Ok();
    }
    VIGIL_RETURN_IF_ERROR(FromRocks(writer_.Finish(), "bulk load: finish " + path_));
    rocksdb::IngestExternalFileArg arg;
    arg.column_family = handle_;
    arg.external_files = {path_};
    arg.options.move_files = true;
    args->push_back(std::move(arg));
    return Status::Ok();
  }

 private:
  rocksdb::Options options_;
  rocksdb::SstFileWriter writer_;
  rocksdb::ColumnFamilyHandle* handle_;
  std::string path_;
  uint64_t entries_ = 0;
  bool open_ = false;
};

Status Ingest(rocksdb::DB* db, std::vector<rocksdb::IngestExternalFileArg>& args) {
  if (args.empty()) return Status::Ok();
  const rocksdb::Status s = db->IngestExternalFiles(args);
  if (!s.ok()) {
    for (const auto& a : args) {
      for (const auto& f : a.external_files) std::remove(f.c_str());
    }
  }
  return FromRocks(s, "bulk load: ingest");
}

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

Status BulkWriter::Impl::Spill(Run& run) {
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

  // Payments stored by an earlier run under another events key (a correction moved them):
  // their old events are deleted in this run's events file.
  std::vector<std::string> deletes;
  if (!payments.empty()) {
    std::vector<rocksdb::Slice> keys;
    keys.reserve(payments.size());
    for (const auto* p : payments) keys.push_back(ToSlice(p->payment_id));
    std::vector<rocksdb::PinnableSlice> values(keys.size());
    std::vector<rocksdb::Status> statuses(keys.size());
    ctx.db->MultiGet(rocksdb::ReadOptions(), cf(storage::kPaymentIdsIdx), keys.size(), keys.data(),
                     values.data(), statuses.data(), /*sorted_input=*/true);
    for (size_t j = 0; j < keys.size(); ++j) {
      if (statuses[j].IsNotFound()) continue;
      VIGIL_RETURN_IF_ERROR(FromRocks(statuses[j], "bulk load: payment index read"));
      const std::string_view old_key = View(values[j]);
      if (old_key.size() != storage::kEventKeySize) {
        return Status::Corruption("payment index value has " + std::to_string(old_key.size()) +
                                  " bytes");
      }
      if (old_key == payments[j]->key) continue;
      const uint64_t h = storage::Hash64(old_key);
      RowIndex::Slot* s = run.keys.Find(h, [&](uint32_t other) {
        const RunRow& o = run.rows[other];
        return !o.row->is_person && run.Key(o) == old_key;
      });
      if (s->row != RowIndex::kEmpty && !run.rows[s->row].dead) continue;  // rewritten here
      deletes.emplace_back(old_key);
    }
    std::sort(deletes.begin(), deletes.end());
    deletes.erase(std::unique(deletes.begin(), deletes.end()), deletes.end());
  }

  std::vector<rocksdb::IngestExternalFileArg> args;
  if (!persons.empty()) {
    SstOut out(ctx, storage::kPersonsIdx, NewSstPath());
    VIGIL_RETURN_IF_ERROR(out.Open());
    for (const RunRow& r : persons) VIGIL_RETURN_IF_ERROR(out.Put(r.row->key, r.row->value));
    VIGIL_RETURN_IF_ERROR(out.Finish(&args));
  }
  if (!events.empty() || !deletes.empty()) {
    SstOut out(ctx, storage::kEventsIdx, NewSstPath());
    VIGIL_RETURN_IF_ERROR(out.Open());
    size_t d = 0;
    for (const RunRow& r : events) {
      const std::string_view key = r.row->key;
      for (; d < deletes.size() && deletes[d] < key; ++d) {
        VIGIL_RETURN_IF_ERROR(out.Delete(deletes[d]));
      }
      if (d < deletes.size() && deletes[d] == key) ++d;
      VIGIL_RETURN_IF_ERROR(out.Put(key, r.row->value));
    }
    for (; d < deletes.size(); ++d) VIGIL_RETURN_IF_ERROR(out.Delete(deletes[d]));
    VIGIL_RETURN_IF_ERROR(out.Finish(&args));
  }
  if (!payments.empty()) {
    SstOut out(ctx, storage::kPaymentIdsIdx, NewSstPath());
    VIGIL_RETURN_IF_ERROR(out.Open());
    for (const auto* p : payments) VIGIL_RETURN_IF_ERROR(out.Put(p->payment_id, p->key));
    VIGIL_RETURN_IF_ERROR(out.Finish(&args));
  }
  return Ingest(ctx.db, args);
}

Status BulkWriter::Impl::BuildAggregates() {
  // Person keys are uniform hashes, so equal slices of the key space hold about equal work.
  const unsigned parts = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
  std::vector<std::string> bounds;  // parts - 1 split points
  for (unsigned p = 1; p < parts; ++p) {
    bounds.push_back(storage::PersonPrefix(UINT64_MAX / parts * p));
  }
  std::vector<Status> statuses(parts);
  std::vector<std::vector<rocksdb::IngestExternalFileArg>> part_args(parts);
  auto work = [&](unsigned p) {
    rocksdb::ReadOptions ro;
    ro.total_order_seek = true;
    ro.fill_cache = false;
    ro.readahead_size = size_t{2} << 20;
    rocksdb::Slice upper;
    if (p + 1 < parts) {
      upper = bounds[p];
      ro.iterate_upper_bound = &upper;
    }
    std::unique_ptr<rocksdb::Iterator> it(ctx.db->NewIterator(ro, cf(storage::kEventsIdx)));
    SstOut out(ctx, storage::kAggregatesIdx, NewSstPath());
    Status st = out.Open();
    std::map<int32_t, MonthAggregate> buckets;  // one person's, by month
    uint64_t person = 0;
    auto flush = [&]() -> Status {
      for (const auto& [month, agg] : buckets) {
        VIGIL_RETURN_IF_ERROR(out.Put(storage::AggregateKey(person, month), EncodeAggregate(agg)));
      }
      buckets.clear();
      return Status::Ok();
    };
    if (p == 0) {
      it->SeekToFirst();
    } else {
      it->Seek(bounds[p - 1]);
    }
    for (; st.ok() && it->Valid(); it->Next()) {
      storage::ParsedEventKey parsed;
      if (!storage::ParseEventKey(View(it->key()), &parsed)) {
        st = Status::Corruption("events key");
        break;
      }
      if (parsed.person_key != person && !buckets.empty()) st = flush();
      person = parsed.person_key;
      const std::string_view value = View(it->value());
      int64_t known = 0;
      if (!storage::PeekKnownAt(value, &known)) {
        st = Status::Corruption("events value header");
        break;
      }
      auto agg = MonthAggregate::OfEvent(parsed.kind, value);
      if (!agg.ok()) {
        st = agg.status().WithContext("bulk load aggregates");
        break;
      }
      buckets[storage::MonthNumberOfSeconds(known)].Merge(*agg);
    }
    if (st.ok()) st = FromRocks(it->status(), "bulk load: events scan");
    if (st.ok() && !buckets.empty()) st = flush();
    if (st.ok()) st = out.Finish(&part_args[p]);
    statuses[p] = st;
  };
  std::vector<std::thread> threads;
  for (unsigned p = 1; p < parts; ++p) threads.emplace_back(work, p);
  work(0);
  for (auto& t : threads) t.join();
  std::vector<rocksdb::IngestExternalFileArg> args;
  for (unsigned p = 0; p < parts; ++p) {
    if (!statuses[p].ok()) {
      for (const auto& a : part_args[p]) std::remove(a.external_files[0].c_str());
    }
  }
  for (unsigned p = 0; p < parts; ++p) {
    VIGIL_RETURN_IF_ERROR(statuses[p]);
  }
  // One ingestion per column family: the files of the parts do not overlap.
  rocksdb::IngestExternalFileArg all;
  for (auto& pa : part_args) {
    for (auto& a : pa) {
      all.column_family = a.column_family;
      all.options = a.options;
      all.external_files.push_back(a.external_files[0]);
    }
  }
  if (all.external_files.empty()) return Status::Ok();
  args.push_back(std::move(all));
  return Ingest(ctx.db, args);
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
  // The run keeps the batch itself: its rows are indexed in place, never copied.
  im.filling->Prepare(im.options.run_bytes / kRowBytesEstimate);
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
      im.spill_status = im.Spill(*full);
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
  if (im.failed.ok() && !im.filling->empty()) im.failed = im.Spill(*im.filling);
  im.filling->Clear();
  im.spare->Clear();
  if (im.failed.ok()) im.failed = im.BuildAggregates();
  if (im.failed.ok()) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    im.failed = FromRocks(
        im.ctx.db->Delete(wo, im.cf(storage::kMetaIdx), storage::kMetaBulkPending),
        "bulk load: clear pending mark");
  }
  if (!im.failed.ok()) return im.failed;
  im.ctx.pending->store(false);
  im.finished = true;
  return Status::Ok();
}

namespace storage {

std::unique_ptr<BulkWriter> MakeBulkWriter(BulkContext context, const BulkLoadOptions& options) {
  auto impl = std::make_unique<BulkWriter::Impl>();
  impl->ctx = std::move(context);
  impl->options = options;
  return std::make_unique<BulkWriter>(std::move(impl));
}

}  // namespace storage
}  // namespace vigil

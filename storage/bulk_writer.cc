// The streaming bulk load (vigil::BulkWriter, docs/storage.md "Bulk load"): an external
// merge sort whose output RocksDB ingests as finished, non-overlapping bottom-level files.
//
// A run keeps the batches it is given (their rows are encoded already) plus a small entry per
// row. A hash index over the run's keys (and payment ids) makes a later row replace an earlier
// one as it is added, so counts are known at Add time. A full run is handed to a background
// thread that sorts it and writes it into sorted run files in DB/bulk/ (plain checksummed
// frames, see "run files" below; the events cut into one file per merge slice); the next run
// fills meanwhile.
//
// Finish merges the runs per column family (for a key in several runs the latest run wins;
// a payment whose latest run stores it under another events key drops its older event), builds
// the aggregates from the merged events as they stream by (each person's events arrive
// together), and ingests everything in one atomic IngestExternalFiles. Only then is the
// pending mark removed. Nothing is visible in the store before that ingestion.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iterator>
#include <limits>
#include <span>
#include <thread>
#include <unordered_set>
#include <utility>

#include "bulk_writer_impl.h"
#include "coding.h"
#include "histories.h"
#include "keys.h"
#include "record_batch_impl.h"
#include "sst_out.h"
#include "values.h"

namespace vigil {

using storage::CfIndex;

namespace {

Status FromRocks(const rocksdb::Status& s, std::string_view context) {
  return storage::FromRocksStatus(s, context);
}

// One buffered row: a view of a row of one of the run's batches (which the run owns, so the
// bytes stay put), with the first 16 key bytes as integers for the sort's fast path.
struct RunRow {
  const RecordBatch::Impl::Row* row = nullptr;
  uint64_t k0 = 0;    // key bytes 0..7 (person key)
  uint64_t k1 = 0;    // key bytes 8..15 (events: time; persons: region, zero-padded)
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
  // Starts loading the slot of `hash` into the cache: the index is far larger than the cache,
  // so a lookup is a cache miss, and asking a few rows ahead overlaps those misses.
  void Prefetch(uint64_t hash) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[hash & (slots_.size() - 1)], 1);
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

// ---- run files ----
// A run file is read once, front to back, by the merge of the same process, and a killed load
// discards it. So it is not an SST file: no blocks, index, filters, properties or compression
// to build and undo (about a quarter of a signals load's CPU). It is a sequence of frames
//   payload size (4, big-endian) | XXH3 of the payload (8) | payload
// and a payload is entries `key size (4) | value size (4) | key | value`, an entry never
// split across frames. The checksum keeps a damaged file from loading silently.
constexpr size_t kFrameHeaderBytes = 12;
constexpr size_t kFramePayloadBytes = size_t{256} << 10;

Status Errno(std::string_view what, const std::string& path) {
  return Status::IoError(std::string(what) + " " + path + ": " + std::strerror(errno));
}

// Thread-compatible; one per file being written.
class RunFileWriter {
 public:
  RunFileWriter() = default;
  RunFileWriter(const RunFileWriter&) = delete;
  RunFileWriter& operator=(const RunFileWriter&) = delete;
  ~RunFileWriter() {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Open(std::string path) {
    path_ = std::move(path);
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) return Errno("bulk load: cannot create", path_);
    buf_.reserve(kFrameHeaderBytes + kFramePayloadBytes + 4096);
    buf_.assign(kFrameHeaderBytes, '\0');
    return Status::Ok();
  }
  Status Put(std::string_view key, std::string_view value) {
    const size_t entry = 8 + key.size() + value.size();
    if (buf_.size() > kFrameHeaderBytes &&
        buf_.size() + entry > kFrameHeaderBytes + kFramePayloadBytes) {
      VIGIL_RETURN_IF_ERROR(Flush());
    }
    char sizes[8];
    EncodeFixed32(sizes, static_cast<uint32_t>(key.size()));
    EncodeFixed32(sizes + 4, static_cast<uint32_t>(value.size()));
    buf_.append(sizes, 8);
    buf_.append(key);
    buf_.append(value);
    return Status::Ok();
  }
  // Writes what is buffered and closes the file. No fsync: the file only has to outlive this
  // process's merge; a crash restarts the whole load.
  Status Finish() {
    VIGIL_RETURN_IF_ERROR(Flush());
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return Errno("bulk load: cannot close", path_);
    return Status::Ok();
  }
  const std::string& path() const { return path_; }

  static void EncodeFixed32(char* out, uint32_t v) {
    out[0] = static_cast<char>(v >> 24);
    out[1] = static_cast<char>(v >> 16);
    out[2] = static_cast<char>(v >> 8);
    out[3] = static_cast<char>(v);
  }

 private:
  Status Flush() {
    const size_t payload = buf_.size() - kFrameHeaderBytes;
    if (payload == 0) return Status::Ok();
    EncodeFixed32(buf_.data(), static_cast<uint32_t>(payload));
    const uint64_t hash = storage::Hash64(std::string_view(buf_).substr(kFrameHeaderBytes));
    for (int i = 0; i < 8; ++i) buf_[4 + i] = static_cast<char>(hash >> (56 - 8 * i));
    std::string_view bytes = buf_;
    while (!bytes.empty()) {
      const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return Errno("bulk load: cannot write", path_);
      }
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    buf_.resize(kFrameHeaderBytes);
    return Status::Ok();
  }

  int fd_ = -1;
  std::string path_;
  std::string buf_;  // frame header room, then the payload being built
};

// Reads a run file front to back. key() and value() stay valid until the next Next().
// Thread-compatible; one per file being read.
class RunFileReader {
 public:
  RunFileReader() = default;
  RunFileReader(const RunFileReader&) = delete;
  RunFileReader& operator=(const RunFileReader&) = delete;
  ~RunFileReader() {
    if (fd_ >= 0) ::close(fd_);
  }

  // Opens the file and moves to its first entry.
  Status Open(std::string path) {
    path_ = std::move(path);
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return Errno("bulk load: cannot open run", path_);
    (void)::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
    return Next();
  }
  bool Valid() const { return valid_; }
  std::string_view key() const { return key_; }
  std::string_view value() const { return value_; }

  Status Next() {
    if (pos_ == frame_.size()) {
      bool eof = false;
      VIGIL_RETURN_IF_ERROR(ReadFrame(&eof));
      if (eof) {
        valid_ = false;
        return Status::Ok();
      }
    }
    if (frame_.size() - pos_ < 8) return Corrupt("truncated entry");
    const uint32_t key_size = storage::DecodeFixed32BE(frame_.data() + pos_);
    const uint32_t value_size = storage::DecodeFixed32BE(frame_.data() + pos_ + 4);
    pos_ += 8;
    if (frame_.size() - pos_ < size_t{key_size} + value_size) return Corrupt("truncated entry");
    key_ = std::string_view(frame_).substr(pos_, key_size);
    value_ = std::string_view(frame_).substr(pos_ + key_size, value_size);
    pos_ += size_t{key_size} + value_size;
    valid_ = true;
    return Status::Ok();
  }

 private:
  Status Corrupt(std::string_view what) const {
    return Status::Corruption("bulk load: run file " + path_ + ": " + std::string(what));
  }
  // Reads exactly `n` bytes; *got tells how many arrived before the end of the file.
  Status ReadFully(char* out, size_t n, size_t* got) {
    *got = 0;
    while (*got < n) {
      const ssize_t r = ::read(fd_, out + *got, n - *got);
      if (r < 0) {
        if (errno == EINTR) continue;
        return Errno("bulk load: cannot read run", path_);
      }
      if (r == 0) break;
      *got += static_cast<size_t>(r);
    }
    return Status::Ok();
  }
  Status ReadFrame(bool* eof) {
    char header[kFrameHeaderBytes];
    size_t got = 0;
    VIGIL_RETURN_IF_ERROR(ReadFully(header, sizeof header, &got));
    if (got == 0) {
      *eof = true;
      return Status::Ok();
    }
    if (got != sizeof header) return Corrupt("truncated frame header");
    const uint32_t size = storage::DecodeFixed32BE(header);
    const uint64_t hash = storage::DecodeFixed64BE(header + 4);
    if (size == 0 || size > kFramePayloadBytes + (size_t{64} << 20))
      return Corrupt("bad frame size");
    frame_.resize(size);
    VIGIL_RETURN_IF_ERROR(ReadFully(frame_.data(), size, &got));
    if (got != size) return Corrupt("truncated frame");
    if (storage::Hash64(frame_) != hash) return Corrupt("checksum mismatch");
    pos_ = 0;
    return Status::Ok();
  }

  int fd_ = -1;
  std::string path_;
  std::string frame_;
  size_t pos_ = 0;
  bool valid_ = false;
  std::string_view key_;
  std::string_view value_;
};

}  // namespace

// Sorted files of one run (empty name: the run had no such rows). Events are cut into one
// file per slice of the person-key space (BulkWriter::Impl::slice_bounds), so that the slices
// merge in parallel, each reading only its own files.
struct RunFiles {
  std::string persons;
  std::vector<std::string> events;  // one per slice
  std::string payments;
};

struct BulkWriter::Impl {
  storage::BulkContext ctx;
  BulkLoadOptions options;
  std::unique_ptr<Run> filling = std::make_unique<Run>();
  std::unique_ptr<Run> spare = std::make_unique<Run>();  // reused after its spill
  std::thread spiller;
  Status spill_status;         // written by the spill thread, read after join
  RunFiles spill_files;        // likewise
  std::vector<RunFiles> runs;  // written runs, oldest first
  Status failed;               // sticky: the writer refuses everything after an error
  bool finished = false;
  // Person-key slices merged in parallel: slice p holds keys with k0 in
  // [slice_bounds[p], slice_bounds[p + 1]) (the last one up to the end of the key space).
  std::vector<uint64_t> slice_bounds;

  rocksdb::ColumnFamilyHandle* cf(CfIndex i) const { return ctx.handles[i]; }

  std::string Dir() const { return storage::BulkDir(ctx.path); }
  std::string NewSstPath() {
    return Dir() + "/" + std::to_string(ctx.file_counter->fetch_add(1)) + ".sst";
  }
  // Output files of column family `family` for the final ingestion, cut at about `file_bytes`.
  std::unique_ptr<storage::SstOut> NewSstOut(CfIndex family, uint64_t file_bytes) {
    return std::make_unique<storage::SstOut>(
        storage::SstFileOptions(*ctx.config, family), cf(family), [this] { return NewSstPath(); },
        file_bytes);
  }
  std::string NewRunPath() {
    return Dir() + "/" + std::to_string(ctx.file_counter->fetch_add(1)) + ".run";
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

// Reads sorted run files together, in key order. A key present in several runs is passed
// once to `emit` with the value of the latest run (files are given oldest first); the older
// values go to `shadowed` (if set).
class RunMerger {
 public:
  using Visit = std::function<Status(std::string_view key, std::string_view value)>;

  Status Merge(const std::vector<std::string>& files, const Visit& emit, const Visit& shadowed) {
    std::vector<std::unique_ptr<RunFileReader>> its;
    for (const std::string& f : files) {
      its.push_back(std::make_unique<RunFileReader>());
      VIGIL_RETURN_IF_ERROR(its.back()->Open(f));
    }
    // Min-heap on key; for equal keys the latest run (highest index) comes first.
    auto after = [&its](size_t a, size_t b) {
      const int c = its[a]->key().compare(its[b]->key());
      return c != 0 ? c > 0 : a < b;
    };
    std::vector<size_t> heap;
    for (size_t i = 0; i < its.size(); ++i) {
      if (its[i]->Valid()) heap.push_back(i);
    }
    std::make_heap(heap.begin(), heap.end(), after);
    std::string key;
    auto advance = [&](size_t i) -> Status {
      VIGIL_RETURN_IF_ERROR(its[i]->Next());
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
      key.assign(its[top]->key());
      VIGIL_RETURN_IF_ERROR(emit(key, its[top]->value()));
      while (!heap.empty() && its[heap.front()]->key() == key) {
        std::pop_heap(heap.begin(), heap.end(), after);
        const size_t older = heap.back();
        heap.pop_back();
        if (shadowed) VIGIL_RETURN_IF_ERROR(shadowed(key, its[older]->value()));
        VIGIL_RETURN_IF_ERROR(advance(older));
      }
      VIGIL_RETURN_IF_ERROR(advance(top));
    }
    return Status::Ok();
  }
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
    RowIndex::Slot* ps = run.payments.Find(
        src.payment_hash, [&](uint32_t other) { return run.rows[other].row->payment_id == pid; });
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

  auto write = [this](const auto& entries, auto&& key_of, auto&& value_of, std::string* path) {
    RunFileWriter out;
    VIGIL_RETURN_IF_ERROR(out.Open(NewRunPath()));
    for (const auto& e : entries) VIGIL_RETURN_IF_ERROR(out.Put(key_of(e), value_of(e)));
    VIGIL_RETURN_IF_ERROR(out.Finish());
    *path = out.path();
    return Status::Ok();
  };
  auto row_key = [](const RunRow& r) { return r.row->key; };
  auto row_value = [](const RunRow& r) { return r.row->value; };
  if (!persons.empty()) VIGIL_RETURN_IF_ERROR(write(persons, row_key, row_value, &files->persons));
  // Events: one file per slice of the key space (the slices are contiguous in sorted order).
  files->events.assign(slice_bounds.size(), std::string());
  auto from = events.begin();
  for (size_t p = 0; p < slice_bounds.size(); ++p) {
    auto to =
        p + 1 < slice_bounds.size()
            ? std::partition_point(from, events.end(),
                                   [&](const RunRow& r) { return r.k0 < slice_bounds[p + 1]; })
            : events.end();
    if (to != from) {
      VIGIL_RETURN_IF_ERROR(write(std::span<const RunRow>(&*from, static_cast<size_t>(to - from)),
                                  row_key, row_value, &files->events[p]));
    }
    from = to;
  }
  if (!payments.empty()) {
    VIGIL_RETURN_IF_ERROR(write(
        payments, [](const auto* p) { return p->payment_id; }, [](const auto* p) { return p->key; },
        &files->payments));
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
  auto payments_out = NewSstOut(storage::kPaymentIdsIdx, file_bytes);
  storage::SstOut& payments = *payments_out;
  {
    std::string winner;
    RunMerger merger;
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
  const size_t parts = slice_bounds.size();
  std::vector<std::unique_ptr<storage::SstOut>> event_outs;
  std::vector<std::unique_ptr<storage::SstOut>> aggregate_outs;
  std::vector<std::unique_ptr<storage::SstOut>> history_outs;
  for (size_t p = 0; p < parts; ++p) {
    event_outs.push_back(NewSstOut(storage::kEventsIdx, file_bytes));
    aggregate_outs.push_back(NewSstOut(storage::kAggregatesIdx, file_bytes));
    history_outs.push_back(NewSstOut(storage::kHistoriesIdx, file_bytes));
  }
  std::vector<Status> part_status(parts);
  auto merge_part = [&](size_t p) {
    storage::SstOut& events = *event_outs[p];
    storage::SstOut& aggregates = *aggregate_outs[p];
    storage::SstOut& histories = *history_outs[p];
    // The packed history of the person being merged (storage/histories.h), when the store
    // keeps that copy.
    storage::PackedHistoryBuilder packed;
    auto put_packed = [&histories](uint64_t packed_person, std::string_view value) {
      return histories.Put(storage::PersonPrefix(packed_person), value);
    };
    // One person's aggregates by month, kept in month order. A flat vector reused for every
    // person (no node per month); events mostly come in time order, so a new month is
    // usually appended at the end.
    std::vector<std::pair<int32_t, MonthAggregate>> buckets;
    auto bucket = [&buckets](int32_t month) -> MonthAggregate& {
      auto at = buckets.end();
      while (at != buckets.begin() && std::prev(at)->first >= month) --at;
      if (at == buckets.end() || at->first != month)
        at = buckets.emplace(at, month, MonthAggregate());
      return at->second;
    };
    uint64_t person = 0;
    auto flush = [&]() -> Status {
      for (const auto& [month, agg] : buckets) {
        VIGIL_RETURN_IF_ERROR(
            aggregates.Put(storage::AggregateKey(person, month), EncodeAggregate(agg)));
      }
      buckets.clear();
      return Status::Ok();
    };
    std::vector<std::string> event_runs;
    for (const RunFiles& r : runs) {
      if (!r.events[p].empty()) event_runs.push_back(r.events[p]);
    }
    RunMerger merger;
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
      bucket(storage::MonthNumberOfSeconds(known)).Merge(*agg);
      if (ctx.histories) VIGIL_RETURN_IF_ERROR(packed.Add(key, value, put_packed));
      return events.Put(key, value);
    };
    Status st = merger.Merge(event_runs, emit, nullptr);
    if (st.ok() && !buckets.empty()) st = flush();
    if (st.ok()) st = packed.Finish(put_packed);
    if (st.ok()) st = events.Finish();
    if (st.ok()) st = aggregates.Finish();
    if (st.ok()) st = histories.Finish();
    part_status[p] = st;
  };
  {
    std::vector<std::thread> threads;
    for (size_t p = 1; p < parts; ++p) threads.emplace_back(merge_part, p);
    merge_part(0);
    for (auto& t : threads) t.join();
  }
  for (const Status& st : part_status) VIGIL_RETURN_IF_ERROR(st);
  std::vector<std::string> event_files;
  std::vector<std::string> aggregate_files;
  std::vector<std::string> history_files;
  for (size_t p = 0; p < parts; ++p) {
    for (const auto& f : event_outs[p]->files()) event_files.push_back(f);
    for (const auto& f : aggregate_outs[p]->files()) aggregate_files.push_back(f);
    for (const auto& f : history_outs[p]->files()) history_files.push_back(f);
  }

  // 3. Persons.
  auto persons_out = NewSstOut(storage::kPersonsIdx, file_bytes);
  storage::SstOut& persons = *persons_out;
  {
    RunMerger merger;
    auto emit = [&](std::string_view key, std::string_view value) {
      return persons.Put(key, value);
    };
    VIGIL_RETURN_IF_ERROR(merger.Merge(list(&RunFiles::persons), emit, nullptr));
    VIGIL_RETURN_IF_ERROR(persons.Finish());
  }

  // 4. One atomic ingestion of non-overlapping files into the empty families: they go
  //    straight to the bottom level, nothing for compaction to merge.
  std::vector<rocksdb::IngestExternalFileArg> args;
  for (auto [cf_index, files] :
       {std::pair{storage::kPersonsIdx, &persons.files()},
        std::pair{storage::kEventsIdx, &std::as_const(event_files)},
        std::pair{storage::kAggregatesIdx, &std::as_const(aggregate_files)},
        std::pair{storage::kHistoriesIdx, &std::as_const(history_files)},
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
  if (!impl_->finished) {
    // A failed or abandoned load's run and output files (gigabytes for a large feed): its
    // rerun starts from an empty folder (MakeBulkWriter) and needs none of them. Removed before
    // `active` is cleared, so that no new writer of this store is using the folder yet.
    std::error_code ec;
    std::filesystem::remove_all(impl_->Dir(), ec);
  }
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
  const auto& rows = im.filling->batches.back().impl().rows;
  constexpr size_t kAhead = 8;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i + kAhead < rows.size()) im.filling->keys.Prefetch(rows[i + kAhead].key_hash);
    im.AddRow(rows[i], &counts);
  }
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
    im.failed =
        FromRocks(im.ctx.db->Delete(wo, im.cf(storage::kMetaIdx), storage::kMetaBulkPending),
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
  // Person keys are uniform hashes, so equal slices of the key space are about equal work:
  // one slice per core (at most 4: each slice reads one file per run).
  const unsigned slices = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
  for (unsigned p = 0; p < slices; ++p) impl->slice_bounds.push_back(UINT64_MAX / slices * p);
  // Run files of an earlier, interrupted load are of no use: start with an empty folder.
  std::error_code ec;
  std::filesystem::remove_all(impl->Dir(), ec);
  std::filesystem::create_directories(impl->Dir(), ec);
  if (ec) return Status::IoError(impl->Dir() + ": cannot create: " + ec.message());
  return std::make_unique<BulkWriter>(std::move(impl));
}

}  // namespace storage
}  // namespace vigil

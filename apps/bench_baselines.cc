#include "bench_baselines.h"

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/write_batch.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include "storage/db_options.h"  // storage internal: the store's own RocksDB options and families
#include "storage/keys.h"        // storage internal: the persons key format

namespace vigil::cli {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  std::string message(what);
  message += ": ";
  message += s.ToString();
  if (s.IsNotFound()) return Status::NotFound(message);
  return Status::IoError(message);
}

// The slices of the person-key space the scan splits into: as many as scoring's range loader
// uses, so both spread the same work over the same threads.
constexpr int kSliceBits = 8;
constexpr uint64_t kSlices = uint64_t{1} << kSliceBits;

// About what one ingest chunk turns into: the unit of a raw write.
constexpr size_t kWriteBatchBytes = size_t{1} << 20;
// Rows read ahead of the timed writes; bounds the baseline's own memory.
constexpr size_t kChunkBytes = size_t{64} << 20;

struct OpenDb {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // indexed by storage::CfIndex

  ~OpenDb() {
    if (db) {
      for (auto* h : handles) (void)db->DestroyColumnFamilyHandle(h);
    }
  }
};

struct Row {
  std::string key;
  std::string value;
};

}  // namespace

struct RawBaselines::Impl {
  int threads = 1;
  OpenDb store;  // the store's database, read-only
  OpenDb raw;    // the plain copy
  std::function<void(uint64_t)> progress;
};

RawBaselines::RawBaselines(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RawBaselines::~RawBaselines() = default;

void RawBaselines::set_progress(std::function<void(uint64_t rows)> progress) {
  impl_->progress = std::move(progress);
}

Result<std::unique_ptr<RawBaselines>> RawBaselines::Open(const std::string& store_path,
                                                         const std::string& raw_path, int threads) {
  auto impl = std::make_unique<Impl>();
  impl->threads = std::max(1, threads);
  StoreOptions options;
  options.path = store_path;
  storage::DbConfig config = storage::MakeDbConfig(options);
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::OpenForReadOnly(config.db, store_path, config.families,
                                                   &impl->store.handles, &db);
  if (!s.ok()) return FromRocks(s, "opening the store read-only");
  impl->store.db.reset(db);

  options.path = raw_path;
  storage::DbConfig raw_config = storage::MakeDbConfig(options);
  raw_config.db.create_if_missing = true;
  raw_config.db.create_missing_column_families = true;
  raw_config.db.error_if_exists = true;
  s = rocksdb::DB::Open(raw_config.db, raw_path, raw_config.families, &impl->raw.handles, &db);
  if (!s.ok()) return FromRocks(s, "creating the baseline database");
  impl->raw.db.reset(db);
  return std::unique_ptr<RawBaselines>(new RawBaselines(std::move(impl)));
}

namespace {

// Reads the rows of one family of the store in key order, about kChunkBytes at a time, and
// hands each chunk to `consume` (which the callers time: the reading is not part of a baseline).
Status ForEachChunk(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* family,
                    const std::function<Status(const std::vector<Row>&)>& consume) {
  rocksdb::ReadOptions read;
  read.total_order_seek = true;  // across person prefixes
  read.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(read, family));
  std::vector<Row> chunk;
  size_t bytes = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    chunk.push_back({it->key().ToString(), it->value().ToString()});
    bytes += chunk.back().key.size() + chunk.back().value.size();
    if (bytes >= kChunkBytes) {
      VIGIL_RETURN_IF_ERROR(consume(chunk));
      chunk.clear();
      bytes = 0;
    }
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading the store");
  if (!chunk.empty()) return consume(chunk);
  return Status::Ok();
}

// The families a baseline copies: the feed rows themselves (the aggregates and the payment
// index are what ingest derives from them).
constexpr storage::CfIndex kRowFamilies[] = {storage::kPersonsIdx, storage::kEventsIdx};

}  // namespace

Result<BaselineFigure> RawBaselines::WriteRows(uint64_t* persons_rows) {
  BaselineFigure figure;
  *persons_rows = 0;
  rocksdb::DB& to = *impl_->raw.db;
  for (const storage::CfIndex cf : kRowFamilies) {
    Status s = ForEachChunk(
        *impl_->store.db, impl_->store.handles[cf], [&](const std::vector<Row>& chunk) -> Status {
          const auto start = Clock::now();
          rocksdb::WriteBatch batch;
          for (const Row& row : chunk) {
            rocksdb::Status put = batch.Put(impl_->raw.handles[cf], row.key, row.value);
            if (!put.ok()) return FromRocks(put, "baseline batch");
            if (batch.GetDataSize() >= kWriteBatchBytes) {
              rocksdb::Status w = to.Write(rocksdb::WriteOptions(), &batch);
              if (!w.ok()) return FromRocks(w, "baseline write");
              batch.Clear();
            }
            figure.bytes += row.key.size() + row.value.size();
          }
          rocksdb::Status w = to.Write(rocksdb::WriteOptions(), &batch);
          if (!w.ok()) return FromRocks(w, "baseline write");
          figure.seconds += SecondsSince(start);
          figure.rows += chunk.size();
          if (cf == storage::kPersonsIdx) *persons_rows += chunk.size();
          if (impl_->progress) impl_->progress(figure.rows);
          return Status::Ok();
        });
    VIGIL_RETURN_IF_ERROR(s);
  }
  // The bulk load leaves its rows in table files; so does this, to compare like with like.
  const auto start = Clock::now();
  rocksdb::Status s = to.Flush(rocksdb::FlushOptions(), impl_->raw.handles);
  if (!s.ok()) return FromRocks(s, "baseline flush");
  figure.seconds += SecondsSince(start);
  return figure;
}

Result<BaselineFigure> RawBaselines::IngestRows(const std::string& sst_db_path) {
  StoreOptions options;
  options.path = sst_db_path;
  storage::DbConfig config = storage::MakeDbConfig(options);
  config.db.create_if_missing = true;
  config.db.create_missing_column_families = true;
  config.db.error_if_exists = true;
  OpenDb target;
  rocksdb::DB* db = nullptr;
  rocksdb::Status opened =
      rocksdb::DB::Open(config.db, sst_db_path, config.families, &target.handles, &db);
  if (!opened.ok()) return FromRocks(opened, "creating the table-file baseline database");
  target.db.reset(db);

  // The table files are written beside the database and moved into it by the ingestion.
  const std::string files_dir = sst_db_path + "-files";
  std::error_code ec;
  std::filesystem::create_directories(files_dir, ec);
  if (ec) return Status::IoError("creating " + files_dir + ": " + ec.message());
  BaselineFigure figure;
  std::vector<rocksdb::IngestExternalFileArg> args;
  uint64_t file_number = 0;
  for (const storage::CfIndex cf : kRowFamilies) {
    rocksdb::IngestExternalFileArg arg;
    arg.column_family = target.handles[cf];
    arg.options.move_files = true;
    const rocksdb::Options file_options(config.db, config.families[cf].options);
    Status s = ForEachChunk(
        *impl_->store.db, impl_->store.handles[cf], [&](const std::vector<Row>& chunk) -> Status {
          const auto start = Clock::now();
          // One file per chunk: the chunks come in key order, so the files do not overlap and
          // go straight to the bottom level, as the bulk load's do.
          const std::string file = files_dir + "/" + std::to_string(++file_number) + ".sst";
          rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), file_options, target.handles[cf]);
          rocksdb::Status w = writer.Open(file);
          for (const Row& row : chunk) {
            if (!w.ok()) break;
            w = writer.Put(row.key, row.value);
            figure.bytes += row.key.size() + row.value.size();
          }
          if (w.ok()) w = writer.Finish();
          if (!w.ok()) return FromRocks(w, "baseline table file");
          figure.seconds += SecondsSince(start);
          figure.rows += chunk.size();
          arg.external_files.push_back(file);
          if (impl_->progress) impl_->progress(figure.rows);
          return Status::Ok();
        });
    VIGIL_RETURN_IF_ERROR(s);
    if (!arg.external_files.empty()) args.push_back(std::move(arg));
  }
  const auto start = Clock::now();
  if (!args.empty()) {
    rocksdb::Status s = target.db->IngestExternalFiles(args);
    if (!s.ok()) return FromRocks(s, "baseline ingest of the table files");
  }
  figure.seconds += SecondsSince(start);
  return figure;
}

Result<BaselineFigure> RawBaselines::ScanEvents() {
  rocksdb::DB& db = *impl_->store.db;
  rocksdb::ColumnFamilyHandle* events = impl_->store.handles[storage::kEventsIdx];
  std::atomic<uint64_t> next_slice{0};
  std::atomic<uint64_t> rows{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<bool> failed{false};
  std::string error;
  std::mutex error_mutex;
  auto work = [&] {
    uint64_t my_rows = 0;
    uint64_t my_bytes = 0;
    for (uint64_t slice = next_slice++; slice < kSlices; slice = next_slice++) {
      const uint64_t first = slice << (64 - kSliceBits);
      const std::string lower = storage::PersonPrefix(first);
      const std::string upper =
          slice + 1 < kSlices ? storage::PersonPrefix((slice + 1) << (64 - kSliceBits)) : "";
      rocksdb::Slice lower_slice(lower);
      rocksdb::Slice upper_slice(upper);
      rocksdb::ReadOptions read;
      read.total_order_seek = true;
      read.iterate_lower_bound = &lower_slice;
      if (!upper.empty()) read.iterate_upper_bound = &upper_slice;
      std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(read, events));
      for (it->Seek(lower_slice); it->Valid(); it->Next()) {
        ++my_rows;
        // Touch the value as a decoder would have to (its first byte), not just its size.
        const rocksdb::Slice v = it->value();
        my_bytes += it->key().size() + v.size() + (v.empty() ? 0 : (v[0] & 1));
      }
      if (!it->status().ok()) {
        std::lock_guard lock(error_mutex);
        error = it->status().ToString();
        failed = true;
        return;
      }
    }
    rows += my_rows;
    bytes += my_bytes;
  };
  const auto start = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 1; t < impl_->threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  BaselineFigure figure;
  figure.seconds = SecondsSince(start);
  if (failed) return Status::IoError("scanning the events family: " + error);
  figure.rows = rows;
  figure.bytes = bytes;
  return figure;
}

Result<BaselineFigure> RawBaselines::PointReads(std::span<const PersonPoint> points) {
  BaselineFigure figure;
  rocksdb::DB& db = *impl_->raw.db;
  rocksdb::ColumnFamilyHandle* persons = impl_->raw.handles[storage::kPersonsIdx];
  std::vector<double> us;
  us.reserve(points.size());
  rocksdb::PinnableSlice value;
  const auto start = Clock::now();
  for (const PersonPoint& p : points) {
    const std::string key = storage::PersonsKey(p.person_key, p.region);
    value.Reset();
    const auto t = Clock::now();
    rocksdb::Status s = db.Get(rocksdb::ReadOptions(), persons, key, &value);
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t).count());
    if (!s.ok()) return FromRocks(s, "baseline point read");
    figure.bytes += key.size() + value.size();
    ++figure.rows;
  }
  figure.seconds = SecondsSince(start);
  std::sort(us.begin(), us.end());
  figure.p50_us = SortedPercentile(us, 50);
  figure.p99_us = SortedPercentile(us, 99);
  return figure;
}

double SortedPercentile(const std::vector<double>& sorted, size_t percent) {
  if (sorted.empty()) return 0;
  return sorted[std::min(sorted.size() - 1, sorted.size() * percent / 100)];
}

Result<BaselineFigure> RawBaselines::ParallelPointReads(std::span<const PersonPoint> points) {
  rocksdb::DB& db = *impl_->raw.db;
  rocksdb::ColumnFamilyHandle* persons = impl_->raw.handles[storage::kPersonsIdx];
  const size_t threads = static_cast<size_t>(impl_->threads);
  std::atomic<uint64_t> rows{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<bool> missing{false};
  auto work = [&](size_t part) {
    rocksdb::PinnableSlice value;
    uint64_t my_rows = 0;
    uint64_t my_bytes = 0;
    for (size_t i = part; i < points.size(); i += threads) {
      const std::string key = storage::PersonsKey(points[i].person_key, points[i].region);
      value.Reset();
      if (!db.Get(rocksdb::ReadOptions(), persons, key, &value).ok()) {
        missing = true;
        return;
      }
      ++my_rows;
      my_bytes += key.size() + value.size();
    }
    rows += my_rows;
    bytes += my_bytes;
  };
  const auto start = Clock::now();
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& t : pool) t.join();
  BaselineFigure figure;
  figure.seconds = SecondsSince(start);
  if (missing) return Status::NotFound("baseline point read: a payee's persons row is absent");
  figure.rows = rows;
  figure.bytes = bytes;
  return figure;
}

uint64_t PeakRssBytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<uint64_t>(usage.ru_maxrss) * 1024;  // Linux reports KiB
}

}  // namespace vigil::cli

#include "bench_baselines.h"

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
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

}  // namespace

struct RawBaselines::Impl {
  int threads = 1;
  OpenDb store;  // the store's database, read-only
  OpenDb raw;    // the plain copy
};

RawBaselines::RawBaselines(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RawBaselines::~RawBaselines() = default;

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

Result<BaselineFigure> RawBaselines::WriteRows(uint64_t* persons_rows) {
  BaselineFigure figure;
  *persons_rows = 0;
  rocksdb::DB& from = *impl_->store.db;
  rocksdb::DB& to = *impl_->raw.db;
  std::vector<rocksdb::WriteBatch> chunk;
  size_t chunk_bytes = 0;
  auto write_chunk = [&]() -> Status {
    const auto start = Clock::now();
    for (rocksdb::WriteBatch& batch : chunk) {
      rocksdb::Status s = to.Write(rocksdb::WriteOptions(), &batch);
      if (!s.ok()) return FromRocks(s, "baseline write");
    }
    figure.seconds += SecondsSince(start);
    chunk.clear();
    chunk_bytes = 0;
    return Status::Ok();
  };
  for (const size_t cf : {size_t{storage::kPersonsIdx}, size_t{storage::kEventsIdx}}) {
    rocksdb::ReadOptions read;
    read.total_order_seek = true;  // across person prefixes
    read.fill_cache = false;
    std::unique_ptr<rocksdb::Iterator> it(from.NewIterator(read, impl_->store.handles[cf]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (chunk.empty() || chunk.back().GetDataSize() >= kWriteBatchBytes) chunk.emplace_back();
      rocksdb::Status s = chunk.back().Put(impl_->raw.handles[cf], it->key(), it->value());
      if (!s.ok()) return FromRocks(s, "baseline batch");
      ++figure.rows;
      if (cf == storage::kPersonsIdx) ++*persons_rows;
      const size_t bytes = it->key().size() + it->value().size();
      figure.bytes += bytes;
      chunk_bytes += bytes;
      if (chunk_bytes >= kChunkBytes) VIGIL_RETURN_IF_ERROR(write_chunk());
    }
    if (!it->status().ok()) return FromRocks(it->status(), "reading the store");
  }
  VIGIL_RETURN_IF_ERROR(write_chunk());
  // The bulk load leaves its rows in table files; so does this, to compare like with like.
  const auto start = Clock::now();
  rocksdb::Status s = to.Flush(rocksdb::FlushOptions(), impl_->raw.handles);
  if (!s.ok()) return FromRocks(s, "baseline flush");
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
  if (!us.empty()) {
    std::sort(us.begin(), us.end());
    figure.p50_us = us[us.size() / 2];
    figure.p99_us = us[std::min(us.size() - 1, us.size() * 99 / 100)];
  }
  return figure;
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

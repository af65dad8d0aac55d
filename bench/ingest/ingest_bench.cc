// Ingest throughput for signals.csv, beside its baseline: the same rows, already encoded by
// the store's RecordBatch, written to a bare RocksDB (WAL on, batches of the same size).
// Target (docs/ingest.md): >= 1,000,000 rows/s on 2 cores, and <= 1.5x the baseline's time.
// Both benchmarks check their output (row counts), so a fast wrong answer fails.
#include <benchmark/benchmark.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "record_batch_impl.h"  // storage internal: the exact bytes the store writes
#include "vigil/ingest.h"
#include "vigil/resident_id.h"
#include "vigil/store.h"

namespace vigil {
namespace {

constexpr uint64_t kRows = 1'000'000;
constexpr size_t kRowsPerBatch = 15'000;  // about what one 1 MiB chunk of signals holds

std::string BenchDir() {
  static const std::string dir = [] {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "vigil-ingest-bench-XXXXXX").string();
    return std::string(::mkdtemp(tmpl.data()));
  }();
  return dir;
}

std::string Id(uint64_t i) {
  char first17[18];
  std::snprintf(first17, sizeof first17, "370202%04d%02d%02d%03d",
                1930 + static_cast<int>(i / 12000 % 40), static_cast<int>(1 + i / 1000 % 12),
                1 + static_cast<int>(i % 28), static_cast<int>(i % 1000));
  std::string id(first17, 17);
  id += ResidentId::ComputeCheckChar(id);
  return id;
}

// signals.csv with kRows rows: 50,000 persons, 20 signals each, realistic mix of sources.
const std::string& FeedDir() {
  static const std::string dir = [] {
    const std::string feeds = BenchDir() + "/feeds";
    std::filesystem::create_directories(feeds);
    std::ofstream out(feeds + "/signals.csv", std::ios::binary);
    out << "person_id,source,occurred_at,place,detail\n";
    static const char* kSources[] = {"TRANSIT", "BANK_ACTIVITY", "TELECOM", "MEDICAL_SETTLEMENT",
                                     "FACE_CERT"};
    std::string line;
    for (uint64_t i = 0; i < kRows; ++i) {
      const uint64_t person = i % 50'000;
      const uint64_t k = i / 50'000;
      const char* source = kSources[k % 5];
      char buf[160];
      std::snprintf(buf, sizeof buf, "%s,%s,2024-%02d-%02dT%02d:%02d:%02d,ST%04d,%s\n",
                    Id(person).c_str(), source, static_cast<int>(1 + k % 12),
                    static_cast<int>(1 + i % 28), static_cast<int>(i % 24),
                    static_cast<int>(i / 24 % 60), static_cast<int>(i / 1440 % 60),
                    static_cast<int>(i % 9000), k % 5 == 4 ? "PASS" : "card");
      out << buf;
    }
    return feeds;
  }();
  return dir;
}

// Arg 0: threads. Arg 1: 1 = initial load through the bulk writer (the default for an empty
// store), 0 = through Store::Write (read-check-write batches, what every later load uses).
void BM_IngestSignals(benchmark::State& state) {
  const std::string feeds = FeedDir();
  uint64_t loaded = 0;
  int round = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const std::string db = BenchDir() + "/db" + std::to_string(round++);
    std::filesystem::remove_all(db);
    StoreOptions so;
    so.path = db;
    auto store = Store::Open(so);
    if (!store.ok()) {
      state.SkipWithError(store.status().ToString().c_str());
      return;
    }
    IngestOptions options;
    options.threads = static_cast<int>(state.range(0));
    options.bulk_initial_load = state.range(1) != 0;
    state.ResumeTiming();
    auto summary = IngestFolder(**store, feeds, db + "/rejects", options);
    state.PauseTiming();
    if (!summary.ok() || summary->files.size() != 1 || summary->files[0].loaded != kRows) {
      state.SkipWithError("ingest did not load every row");
      return;
    }
    loaded += summary->files[0].loaded;
    store->reset();
    std::filesystem::remove_all(db);
    state.ResumeTiming();
  }
  state.counters["rows_per_s"] =
      benchmark::Counter(static_cast<double>(loaded), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_IngestSignals)
    ->ArgNames({"threads", "bulk"})
    ->Args({2, 1})
    ->Args({2, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);

// Baseline: the same rows, encoded by RecordBatch beforehand (outside the timing), put into a
// bare RocksDB: no parsing, no validation, no read-before-write, no aggregates.
void BM_RawRocksDbSignals(benchmark::State& state) {
  auto contents = ReadFeedFile(FeedDir() + "/signals.csv", Feed::kSignals);
  if (!contents.ok() || contents->records.size() != kRows) {
    state.SkipWithError("could not prepare rows");
    return;
  }
  std::vector<RecordBatch> batches(1);
  for (const AnyRecord& r : contents->records) {
    if (batches.back().size() == kRowsPerBatch) batches.emplace_back();
    batches.back().Add(r);
  }
  contents->records.clear();
  uint64_t written = 0;
  int round = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const std::string db_path = BenchDir() + "/raw" + std::to_string(round++);
    std::filesystem::remove_all(db_path);
    rocksdb::Options options;
    options.create_if_missing = true;
    options.write_buffer_size = size_t{64} << 20;
    options.max_background_jobs = 2;
    rocksdb::DB* raw = nullptr;
    if (!rocksdb::DB::Open(options, db_path, &raw).ok()) {
      state.SkipWithError("cannot open rocksdb");
      return;
    }
    std::unique_ptr<rocksdb::DB> db(raw);
    state.ResumeTiming();
    for (const RecordBatch& batch : batches) {
      rocksdb::WriteBatch wb;
      for (const auto& row : batch.impl().rows)
        wb.Put(rocksdb::Slice(row.key.data(), row.key.size()),
               rocksdb::Slice(row.value.data(), row.value.size()));
      if (!db->Write(rocksdb::WriteOptions(), &wb).ok()) {
        state.SkipWithError("write failed");
        return;
      }
      written += batch.size();
    }
    state.PauseTiming();
    uint64_t keys = 0;
    db->GetIntProperty("rocksdb.estimate-num-keys", &keys);
    if (keys < kRows * 9 / 10) {
      state.SkipWithError("rows missing after the write");
      return;
    }
    db.reset();
    std::filesystem::remove_all(db_path);
    state.ResumeTiming();
  }
  state.counters["rows_per_s"] =
      benchmark::Counter(static_cast<double>(written), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RawRocksDbSignals)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

// Reading + validation alone, one thread, no store: the ingest side's own cost per row.
void BM_ParseValidateSignals(benchmark::State& state) {
  const std::string path = FeedDir() + "/signals.csv";
  uint64_t rows = 0;
  for (auto _ : state) {
    auto contents = ReadFeedFile(path, Feed::kSignals);
    if (!contents.ok() || contents->records.size() != kRows) {
      state.SkipWithError("parse did not accept every row");
      return;
    }
    rows += contents->rows_read;
    benchmark::DoNotOptimize(contents->records.data());
  }
  state.counters["rows_per_s"] =
      benchmark::Counter(static_cast<double>(rows), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ParseValidateSignals)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2);

}  // namespace
}  // namespace vigil

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  // The generated feed and the databases: about 1 GB of scratch space, not left behind.
  std::error_code ec;
  std::filesystem::remove_all(vigil::BenchDir(), ec);
  return 0;
}

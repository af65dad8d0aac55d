// Same-run baselines of `vigil bench`: what raw RocksDB does with the bytes the store holds,
// measured in the same process and on the same machine load as the product stages, so a
// product figure can be read as a ratio to its floor (docs/bench.md).
//
// The baselines open the store's database read-only beside the open Store (RocksDB takes no
// lock for a read-only instance) and copy its rows into a second, plain database that they own.
// No RocksDB type appears here: the implementation lives in bench_baselines.cc.
// Thread-safety: RawBaselines is thread-compatible (one caller at a time); each call may use
// `threads` threads of its own.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "vigil/status.h"

namespace vigil::cli {

// One baseline measurement: rows handled, wall seconds, and any latency percentiles.
struct BaselineFigure {
  uint64_t rows = 0;
  uint64_t bytes = 0;  // keys + values handled
  double seconds = 0;
  double p50_us = 0;  // point reads only
  double p99_us = 0;  // point reads only
};

// A persons-family point to read: the person key and region of one registration.
struct PersonPoint {
  uint64_t person_key = 0;
  uint16_t region = 0;
};

class RawBaselines {
 public:
  // Opens the store at `store_path` read-only (the snapshot of what is on disk and in its WAL
  // now) and creates the plain database at `raw_path` (must not exist) with the store's own
  // RocksDB options. Errors: IoError from RocksDB.
  static Result<std::unique_ptr<RawBaselines>> Open(const std::string& store_path,
                                                    const std::string& raw_path, int threads);
  ~RawBaselines();
  RawBaselines(const RawBaselines&) = delete;
  RawBaselines& operator=(const RawBaselines&) = delete;

  // Called after each chunk of a copy (WriteRows, IngestRows) with the rows done so far, from
  // the calling thread; may be empty. Default: empty.
  void set_progress(std::function<void(uint64_t rows)> progress);

  // Copies every row of the store's persons and events families into the plain database with
  // WriteBatches of about 1 MiB (WAL on, default write options) and flushes it at the end.
  // Only the writes and the flush are timed: rows are read from the store in chunks of about
  // 64 MiB beforehand. `persons_rows` receives the persons rows written (the rest are events).
  Result<BaselineFigure> WriteRows(uint64_t* persons_rows);

  // The same rows written the way the bulk load writes its own: table files built with
  // SstFileWriter (one per 64 MiB chunk, already in key order) and ingested at once into a
  // fresh plain database at `sst_db_path` (must not exist; the files are written to the folder
  // `sst_db_path`-files and moved in). The writing of the files and the ingestion are timed, the
  // reading is not.
  Result<BaselineFigure> IngestRows(const std::string& sst_db_path);

  // Visits every row of the store's events family with plain iterators, one per slice of the
  // person-key space, on `threads` threads (the same split as scoring's range scans); touches
  // each value so nothing is skipped.
  Result<BaselineFigure> ScanEvents();

  // One Get per point from the plain database's persons family: p50/p99 of single reads, on
  // one thread. NotFound when a point is absent (a wrong baseline fails).
  Result<BaselineFigure> PointReads(std::span<const PersonPoint> points);

  // The same Gets spread over `threads` threads: rows/s of reads, the floor of a batch that
  // must look up each payee once.
  Result<BaselineFigure> ParallelPointReads(std::span<const PersonPoint> points);

  struct Impl;

 private:
  explicit RawBaselines(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Peak resident set size of this process so far, in bytes (getrusage).
uint64_t PeakRssBytes();

// The percentile (0..100) of latencies already sorted ascending, by the nearest lower rank; 0
// when there are none.
double SortedPercentile(const std::vector<double>& sorted, size_t percent);

}  // namespace vigil::cli

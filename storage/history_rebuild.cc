#include "history_rebuild.h"

#include <rocksdb/convenience.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "histories.h"
#include "keys.h"
#include "sst_out.h"

namespace vigil::storage {
namespace {

std::string_view View(const rocksdb::Slice& s) { return {s.data(), s.size()}; }

// Counters shared by the slices, read by the progress reports.
struct Counts {
  std::atomic<uint64_t> events{0};
  std::atomic<uint64_t> persons{0};
};

// Packs the events of person keys [first, end) (end 0: to the end of the key space) into
// `out`. One sequential pass; only the person being packed is held in memory.
Status PackSlice(const HistoryRebuildContext& ctx, const rocksdb::Snapshot* snapshot,
                 uint64_t first, uint64_t end, SstOut* out, Counts* counts) {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  ro.total_order_seek = true;
  // A pass over the whole family: keep the block cache for the point reads of other users, and
  // read ahead in large steps (one long sequential read per slice, nothing else to share it).
  ro.fill_cache = false;
  ro.readahead_size = size_t{2} << 20;
  const std::string upper = end == 0 ? std::string() : PersonPrefix(end);
  const rocksdb::Slice upper_slice(upper);
  if (!upper.empty()) ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(ctx.db->NewIterator(ro, ctx.events));

  PackedHistoryBuilder packed;
  auto put = [out, counts](uint64_t person, std::string_view value) {
    counts->persons.fetch_add(1, std::memory_order_relaxed);
    return out->Put(PersonPrefix(person), value);
  };
  // Counted in steps, so that the slices do not contend for the shared counter on every event.
  constexpr uint64_t kStep = 4096;
  uint64_t pending = 0;
  for (it->Seek(PersonPrefix(first)); it->Valid(); it->Next()) {
    const std::string_view key = View(it->key());
    if (key.size() != kEventKeySize) return Status::Corruption("events key size");
    VIGIL_RETURN_IF_ERROR(packed.Add(key, View(it->value()), put));
    if (++pending == kStep) {
      counts->events.fetch_add(pending, std::memory_order_relaxed);
      pending = 0;
    }
  }
  VIGIL_RETURN_IF_ERROR(FromRocksStatus(it->status(), "events scan"));
  counts->events.fetch_add(pending, std::memory_order_relaxed);
  VIGIL_RETURN_IF_ERROR(packed.Finish(put));
  return out->Finish();
}

}  // namespace

std::string HistoryRebuildDir(const std::string& db_path) { return db_path + "/histories-rebuild"; }

Status DropHistoryFiles(const HistoryRebuildContext& ctx) {
  return FromRocksStatus(rocksdb::DeleteFilesInRange(ctx.db, ctx.histories, nullptr, nullptr),
                         "discard histories");
}

Result<HistoriesRebuild> PackAndIngestHistories(const HistoryRebuildContext& ctx,
                                                const HistoriesRebuildProgressFn& progress) {
  const std::string dir = HistoryRebuildDir(ctx.db_path);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);  // a killed rebuild's files are of no use
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IoError(dir + ": cannot create: " + ec.message());
  // The folder goes however this ends, after the writers below are destroyed (declared first):
  // after an error its files can be as large as the packed copy, and the error may be a full
  // disk, which they would keep full until a rerun.
  struct RemoveOnExit {
    const std::string& dir;
    ~RemoveOnExit() {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    }
  } remove_on_exit{dir};

  HistoriesRebuildProgress report;
  {
    uint64_t estimate = 0;
    if (ctx.db->GetIntProperty(ctx.events, "rocksdb.estimate-num-keys", &estimate)) {
      report.events_estimate = estimate;
    }
  }

  // Person keys are uniform hashes, so equal slices of the key space are about equal work:
  // one slice per core (at most 4), each with its own output files (they do not overlap).
  const unsigned slices = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
  const uint64_t file_bytes = ctx.config->families[kHistoriesIdx].options.target_file_size_base;
  std::atomic<uint64_t> file_counter{0};
  auto new_path = [&dir, &file_counter] {
    return dir + "/" + std::to_string(file_counter.fetch_add(1)) + ".sst";
  };
  std::vector<std::unique_ptr<SstOut>> outs;
  for (unsigned p = 0; p < slices; ++p) {
    outs.push_back(std::make_unique<SstOut>(SstFileOptions(*ctx.config, kHistoriesIdx),
                                            ctx.histories, new_path, file_bytes));
  }

  Counts counts;
  std::vector<Status> status(slices);
  std::mutex mu;
  std::condition_variable cv;
  unsigned running = slices;  // guarded by mu
  {
    std::vector<std::thread> threads;
    threads.reserve(slices);  // before the snapshot: emplace_back then only starts the thread
    // One snapshot for every slice: one consistent cut of `events` (nothing writes it anyway).
    const rocksdb::Snapshot* snapshot = ctx.db->GetSnapshot();
    for (unsigned p = 0; p < slices; ++p) {
      const uint64_t first = UINT64_MAX / slices * p;
      const uint64_t end = p + 1 < slices ? UINT64_MAX / slices * (p + 1) : 0;
      try {
        threads.emplace_back([&, p, first, end] {
          status[p] = PackSlice(ctx, snapshot, first, end, outs[p].get(), &counts);
          std::lock_guard lock(mu);
          --running;
          cv.notify_all();
        });
      } catch (const std::exception& e) {
        // No thread for this slice or the ones after it (out of threads or memory): they
        // fail, the started ones finish and are joined, and the rebuild reports the error.
        std::lock_guard lock(mu);
        for (unsigned q = p; q < slices; ++q) {
          status[q] = Status::IoError(
              std::string("rebuild histories: cannot start a worker thread: ") + e.what());
        }
        running -= slices - p;
        break;
      }
    }
    // The calling thread reports progress while the slices work.
    {
      std::unique_lock lock(mu);
      while (running > 0) {
        cv.wait_for(lock, std::chrono::milliseconds(200));
        if (running > 0 && progress) {
          report.events = counts.events.load(std::memory_order_relaxed);
          report.persons = counts.persons.load(std::memory_order_relaxed);
          lock.unlock();
          progress(report);
          lock.lock();
        }
      }
    }
    for (auto& t : threads) t.join();
    ctx.db->ReleaseSnapshot(snapshot);
  }
  for (const Status& s : status) VIGIL_RETURN_IF_ERROR(s);

  HistoriesRebuild out;
  out.rebuilt = true;
  out.events = counts.events.load();
  out.persons = counts.persons.load();
  report.events = out.events;
  report.persons = out.persons;
  report.ingesting = true;
  if (progress) progress(report);

  // One atomic ingestion of non-overlapping files (slices in key order) into the empty family:
  // they go straight to the bottom level, nothing for compaction to merge.
  std::vector<std::string> files;
  for (const auto& o : outs) files.insert(files.end(), o->files().begin(), o->files().end());
  if (!files.empty()) {
    rocksdb::IngestExternalFileOptions io;
    io.move_files = true;
    VIGIL_RETURN_IF_ERROR(FromRocksStatus(ctx.db->IngestExternalFile(ctx.histories, files, io),
                                          "ingest packed histories"));
  }
  return out;
}

}  // namespace vigil::storage

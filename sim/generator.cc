// GenerateCity: runs the City block by block on a TBB pipeline and streams the feeds to disk.
//
// Stage 1 (serial, in order) hands out block numbers; stage 2 (parallel) draws a block's
// persons; stage 3 (serial, in order) registers their resident ids, re-sequencing any already
// issued in an earlier block, so ids are unique in the whole city whatever the thread count;
// stage 4 (parallel) formats the rows into text buffers and, with gzip, compresses each buffer
// into its own gzip member; stage 5 (serial, in order) appends the buffers to the files.
// Concatenated gzip members form a valid .gz file, so compression runs in parallel without
// changing the bytes with thread count.
#include "vigil/generator.h"

#include <tbb/concurrent_queue.h>
#include <tbb/global_control.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>

#include "city.h"
#include "vigil/tsan_hand_off.h"

namespace vigil {
namespace {

using sim::BlockOutput;
using sim::kOutFiles;

struct Work {
  BlockOutput out;
  std::array<std::string, kOutFiles> packed;  // gzip members when compressing
};

// One gzip member holding `text`.
Status GzipMember(const std::string& text, std::string& packed) {
  packed.clear();
  z_stream zs{};
  // windowBits 15 + 16: gzip wrapper. Level 1: the feeds are large and repetitive enough that
  // faster levels lose little.
  if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Status::Internal("zlib deflateInit2 failed");
  }
  packed.resize(deflateBound(&zs, text.size()) + 64);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  zs.avail_in = static_cast<uInt>(text.size());
  zs.next_out = reinterpret_cast<Bytef*>(packed.data());
  zs.avail_out = static_cast<uInt>(packed.size());
  const int rc = deflate(&zs, Z_FINISH);
  packed.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return Status::Internal("zlib deflate did not finish");
  return Status::Ok();
}

class Files {
 public:
  ~Files() {
    for (auto* f : files_) {
      if (f != nullptr) std::fclose(f);
    }
  }
  Status Open(const std::filesystem::path& dir, bool gzip) {
    for (int i = 0; i < kOutFiles; ++i) {
      std::string name = sim::OutFileName(i);
      if (gzip) name += ".gz";
      paths_[i] = (dir / name).string();
      files_[i] = std::fopen(paths_[i].c_str(), "wb");
      if (files_[i] == nullptr) return Status::IoError("cannot create " + paths_[i]);
      std::setvbuf(files_[i], nullptr, _IOFBF, 1 << 20);
    }
    return Status::Ok();
  }
  Status Write(int i, const std::string& bytes) {
    if (bytes.empty()) return Status::Ok();
    if (std::fwrite(bytes.data(), 1, bytes.size(), files_[i]) != bytes.size()) {
      return Status::IoError("cannot write " + paths_[i]);
    }
    return Status::Ok();
  }
  Status Close() {
    Status st;
    for (int i = 0; i < kOutFiles; ++i) {
      if (files_[i] != nullptr && std::fclose(files_[i]) != 0 && st.ok()) {
        st = Status::IoError("cannot close " + paths_[i]);
      }
      files_[i] = nullptr;
    }
    return st;
  }

 private:
  std::array<std::FILE*, kOutFiles> files_{};
  std::array<std::string, kOutFiles> paths_;
};

Status Validate(const GeneratorOptions& o) {
  if (o.out_dir.empty()) return Status::InvalidArgument("generator: out_dir is required");
  if (o.persons < 1) return Status::InvalidArgument("generator: persons must be at least 1");
  if (o.months < 6 || o.months > 120) {
    return Status::InvalidArgument(
        "generator: months must be within [6, 120] (the planted behaviours need half a year of "
        "history)");
  }
  if (!o.as_of.ok() || o.as_of.year() < std::chrono::year(2000) ||
      o.as_of.year() > std::chrono::year(2090)) {
    return Status::InvalidArgument("generator: as_of must be a real date between 2000 and 2090");
  }
  if (o.threads < 0) return Status::InvalidArgument("generator: threads must be >= 0");
  const auto rates = o.rates.ByPattern();
  double sum = 0;
  for (double x : rates) {
    if (!(x >= 0 && x <= 1))
      return Status::InvalidArgument("generator: pattern rates must be within [0, 1]");
    sum += x;
  }
  if (sum > 0.5) {
    return Status::InvalidArgument("generator: pattern rates add up to more than 0.5 of the city");
  }
  return Status::Ok();
}

Result<GeneratorStats> Run(const GeneratorOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  const std::filesystem::path dir(o.out_dir);
  std::filesystem::create_directories(dir / "truth", ec);
  if (ec) return Status::IoError("cannot create " + (dir / "truth").string() + ": " + ec.message());
  Files files;
  VIGIL_RETURN_IF_ERROR(files.Open(dir, o.gzip));
  GeneratorStats stats;
  for (int i = 0; i < kOutFiles; ++i) {
    const std::string header = sim::OutFileHeader(i);
    stats.bytes[i] += header.size();
    if (o.gzip) {
      std::string packed;
      VIGIL_RETURN_IF_ERROR(GzipMember(header, packed));
      VIGIL_RETURN_IF_ERROR(files.Write(i, packed));
    } else {
      VIGIL_RETURN_IF_ERROR(files.Write(i, header));
    }
  }

  const sim::City city(o);
  const uint64_t blocks = city.block_count();
  sim::IdRegistry registry(o.persons);
  uint64_t next_block = 0;
  tbb::concurrent_queue<Work*> pool;
  std::vector<std::unique_ptr<Work>> owned;
  const int concurrency = tbb::this_task_arena::max_concurrency();
  const size_t tokens = 2 * static_cast<size_t>(concurrency) + 1;
  for (size_t i = 0; i < tokens; ++i) {
    owned.push_back(std::make_unique<Work>());
    pool.push(owned.back().get());
  }
  // Set by either serial stage (which may run at the same time as each other); read by the
  // first to stop handing out blocks.
  Status failure;
  std::mutex failure_mu;
  std::atomic<bool> failed{false};
  auto fail = [&](Status st) {
    const std::lock_guard<std::mutex> lock(failure_mu);
    if (failure.ok()) failure = std::move(st);
    failed.store(true, std::memory_order_relaxed);
  };
  auto last_report = start;
  // The first filter's turns continue this thread (vigil/tsan_hand_off.h).
  AnnotateHandOff(&next_block);
  tbb::parallel_pipeline(
      tokens,
      tbb::make_filter<
          void, Work*>(tbb::filter_mode::serial_in_order, [&](tbb::flow_control& fc) -> Work* {
        const HandOffTurn turn(&next_block);
        if (next_block >= blocks || failed.load(std::memory_order_relaxed)) {
          fc.stop();
          return nullptr;
        }
        Work* w = nullptr;
        while (!pool.try_pop(w)) {
        }
        AnnotateTakeOver(w);  // from the last filter, which put it back in the pool
        w->out.block = next_block++;
        AnnotateHandOff(w);
        return w;
      }) & tbb::make_filter<Work*, Work*>(tbb::filter_mode::parallel, [&](Work* w) -> Work* {
        const HandOffTurn token(w);
        city.DrawBlock(w->out.block, w->out);
        return w;
      }) & tbb::make_filter<Work*, Work*>(tbb::filter_mode::serial_in_order, [&](Work* w) -> Work* {
        const HandOffTurn token(w);
        const HandOffTurn turn(&registry);
        if (!failed.load(std::memory_order_relaxed)) {
          Status st = city.ResolveIds(w->out, registry);
          if (!st.ok()) fail(std::move(st));
        }
        return w;
      }) & tbb::make_filter<Work*, Work*>(tbb::filter_mode::parallel, [&](Work* w) -> Work* {
        const HandOffTurn token(w);
        city.WriteBlock(w->out);
        if (o.gzip) {
          for (int i = 0; i < kOutFiles; ++i) {
            Status st =
                GzipMember(w->out.text[static_cast<size_t>(i)], w->packed[static_cast<size_t>(i)]);
            (void)st;  // deflate on memory cannot fail once initialised
          }
        }
        return w;
      }) & tbb::make_filter<Work*, void>(tbb::filter_mode::serial_in_order, [&](Work* w) {
        const HandOffTurn turn(&stats);
        AnnotateTakeOver(w);
        for (int i = 0; i < kOutFiles && !failed.load(std::memory_order_relaxed); ++i) {
          const auto& text = w->out.text[static_cast<size_t>(i)];
          stats.bytes[i] += text.size();
          stats.rows[i] += w->out.rows[static_cast<size_t>(i)];
          Status st = files.Write(i, o.gzip ? w->packed[static_cast<size_t>(i)] : text);
          if (!st.ok()) fail(std::move(st));
        }
        for (size_t k = 0; k < w->out.patterns.size(); ++k) stats.injected[k] += w->out.patterns[k];
        stats.persons += w->out.persons;
        AnnotateHandOff(w);  // before the first filter can pop it again
        pool.push(w);
        if (o.progress) {
          const auto now = std::chrono::steady_clock::now();
          if (now - last_report > std::chrono::milliseconds(500) || stats.persons == o.persons) {
            last_report = now;
            GeneratorProgress pr;
            pr.persons_done = stats.persons;
            pr.persons_total = o.persons;
            pr.rows_written = stats.total_rows();
            pr.seconds = std::chrono::duration<double>(now - start).count();
            o.progress(pr);
          }
        }
      }));
  // Every token ended in the last filter, whose turns handed off `stats`: the blocks, the
  // registry and the files are all this thread's again.
  AnnotateTakeOver(&stats);
  VIGIL_RETURN_IF_ERROR(failure);
  VIGIL_RETURN_IF_ERROR(files.Close());
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return stats;
}

}  // namespace

Result<GeneratorStats> GenerateCity(const GeneratorOptions& options) {
  VIGIL_RETURN_IF_ERROR(Validate(options));
  try {
    if (options.threads > 0) {
      tbb::task_arena arena(options.threads);
      Result<GeneratorStats> result = Status::Internal("generator did not run");
      arena.execute([&] { result = Run(options); });
      return result;
    }
    return Run(options);
  } catch (const std::exception& e) {
    return Status::Internal(std::string("generator: ") + e.what());
  }
}

}  // namespace vigil

// The loader: a TBB pipeline per file, rejects file, per-file summary and feed health.
//
// Pipeline (one per file, files in load order):
//   read chunk (serial, in order) -> cut into rows (serial, in order)
//   -> parse + validate + encode (parallel) -> write batch + rejects (serial, in order).
// Writing in file order keeps "a later row with the same natural key replaces the earlier"
// true inside a file and across its parts. Memory is bounded by the tokens in flight.
//
// Exactly once: every row is written under its natural key, so replaying a load (after a
// kill -9 at any point) rewrites identical rows as `unchanged` and ends in the same content.
// The rejects file is built under a temporary name and renamed into place at the end, and
// the stored feed health holds only figures that do not depend on what an interrupted
// earlier attempt already wrote.
#include <fcntl.h>
#include <sys/stat.h>
#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <new>
#include <nlohmann/json.hpp>
#include <optional>

#include "chunk_source.h"
#include "record_splitter.h"
#include "row_processing.h"
#include "vigil/csv_field.h"
#include "vigil/durable_file.h"
#include "vigil/ingest.h"
#include "vigil/store.h"
#include "vigil/tsan_hand_off.h"

namespace vigil {
namespace {

using ingest_internal::ChunkSource;
using ingest_internal::RecordBlock;
using ingest_internal::RecordFlag;
using ingest_internal::RecordSplitter;

constexpr std::string_view kHealthMetaPrefix = "ingest.health.";
constexpr std::string_view kLoadMetaPrefix = "ingest.load.";

// ---- activity dates (see ActivityDate in ingest.h) ----
int32_t ActivityDay(const PersonRecord& r) { return DayNumber(r.retirement_date); }
int32_t ActivityDay(const ContributionRecord& r) { return DayNumber(r.paid_date); }
int32_t ActivityDay(const PaymentRecord& r) { return DayNumber(r.paid_date); }
int32_t ActivityDay(const SignalRecord& r) { return DayNumber(DateOf(r.occurred_at)); }
int32_t ActivityDay(const RegistryRecord& r) { return DayNumber(r.reported_date); }
int32_t ActivityDay(const AppraisalRecord& r) { return DayNumber(r.appraisal_date); }

// ---- the rejects file ----

void AppendRejectLine(std::string* out, const Reject& r) {
  AppendCsvField(*out, r.file);
  out->push_back(',');
  out->append(std::to_string(r.line));
  out->push_back(',');
  AppendCsvField(*out, r.column);
  out->push_back(',');
  AppendCsvField(*out, r.ReasonText());
  out->push_back(',');
  AppendCsvField(*out, r.raw);
  out->push_back('\n');
}

// The rejects file of load `load_id`, and the temporary it is written as.
std::string RejectsPath(const std::string& dir, const std::string& load_id) {
  return dir + "/" + load_id + ".csv";
}
std::string RejectsTemporaryPath(const std::string& dir, const std::string& load_id) {
  return RejectsPath(dir, load_id) + ".tmp";
}

class RejectsFile {
 public:
  Status Open(const std::string& dir, const std::string& load_id) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Status::IoError(dir + ": cannot create: " + ec.message());
    final_path_ = RejectsPath(dir, load_id);
    tmp_path_ = RejectsTemporaryPath(dir, load_id);
    // O_TRUNC: a temporary left by a killed attempt is started over, never appended to.
    fd_ = ::open(tmp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) return Status::IoError(tmp_path_ + ": cannot create: " + std::strerror(errno));
    return Write("file,line,column,reason,raw\n");
  }
  ~RejectsFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  Status Write(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status::IoError(tmp_path_ + ": write failed: " + std::strerror(errno));
      }
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return Status::Ok();
  }
  // Makes the file durable and gives it its final name (atomically replacing an earlier one).
  Status Commit() {
    if (::fsync(fd_) != 0) return Status::IoError(tmp_path_ + ": fsync failed");
    ::close(fd_);
    fd_ = -1;
    if (::rename(tmp_path_.c_str(), final_path_.c_str()) != 0) {
      return Status::IoError(final_path_ + ": rename failed: " + std::strerror(errno));
    }
    return SyncDirectory(DirectoryOf(final_path_));  // vigil/durable_file.h
  }
  const std::string& path() const { return final_path_; }

 private:
  int fd_ = -1;
  std::string tmp_path_;
  std::string final_path_;
};

// ---- per-feed accumulation ----
struct FeedTally {
  uint64_t rows = 0;
  uint64_t loaded = 0;
  uint64_t rejected = 0;
  int32_t min_day = std::numeric_limits<int32_t>::max();
  int32_t max_day = std::numeric_limits<int32_t>::min();
};

// ---- one file through the pipeline ----

struct Chunk {
  std::string bytes;
  bool eof = false;
  uint64_t disk_offset = 0;  // of the source once this chunk was read
};

struct Work {
  RecordBlock block;
  size_t first_record = 0;  // 1 when the block starts with the header
  RecordBatch batch;
  std::vector<Reject> rejects;
  uint64_t rows = 0;
  int32_t min_day = std::numeric_limits<int32_t>::max();
  int32_t max_day = std::numeric_limits<int32_t>::min();
  uint64_t disk_offset = 0;
};

struct LoadContext {
  Store* store = nullptr;
  BulkWriter* bulk = nullptr;  // set for an initial load into an empty store
  RejectsFile* rejects = nullptr;
  const IngestOptions* options = nullptr;
  size_t tokens = 0;
  // Progress across the whole load.
  uint64_t rows_before = 0;
  uint64_t bytes_before = 0;
  uint64_t bytes_total = 0;
  std::chrono::steady_clock::time_point start;
  uint64_t next_progress = 0;
};

template <typename R>
void ParseBlock(const FeedParser& parser, const std::string& file_name, Work* work) {
  std::vector<std::string_view> fields;
  fields.reserve(parser.field_count() + 1);
  std::string arena;
  R record;
  RowReject reject;
  const auto& records = work->block.records;
  work->batch.Reserve(records.size());
  for (size_t i = work->first_record; i < records.size(); ++i) {
    const auto& span = records[i];
    const std::string_view text = work->block.record_text(span);
    ++work->rows;
    if (ingest_internal::ProcessRecord(parser, text, span.flag, &fields, &arena, &record,
                                       &reject)) {
      const int32_t day = ActivityDay(record);
      work->min_day = std::min(work->min_day, day);
      work->max_day = std::max(work->max_day, day);
      work->batch.Add(record);
    } else {
      work->rejects.push_back(
          ingest_internal::MakeReject(file_name, span.line, text, std::move(reject)));
      reject = RowReject();
    }
  }
  // The row text is no longer needed once encoded: free it before the token waits to write.
  work->block = RecordBlock();
}

template <typename R>
Status LoadFile(const FeedFile& file, LoadContext& ctx, FileSummary* summary, FeedTally* tally) {
  auto source_result = ChunkSource::Open(file.path);
  if (!source_result.ok()) {
    summary->error = source_result.status().message();
    return Status::Ok();  // the file is reported; the load goes on
  }
  std::unique_ptr<ChunkSource> source = std::move(source_result).value();
  RecordSplitter splitter;
  std::optional<FeedParser> parser;
  bool read_done = false;
  // Each stage owns its own error (stages run concurrently); `stop` tells the reader to quit.
  Status read_error;    // I/O or gzip error: the file is reported, the load goes on
  Status header_error;  // header refused: likewise
  Status fatal_error;   // the store or rejects file failed: the load stops
  std::atomic<bool> stop{false};
  uint64_t last_disk_offset = 0;

  // Each filter opens a turn on the token it receives and each serial filter one on what it
  // keeps between its turns (vigil/tsan_hand_off.h), named by read_done (with the source),
  // the splitter and the summary.
  auto read_stage = [&](tbb::flow_control& fc) -> std::shared_ptr<Chunk> {
    const HandOffTurn turn(&read_done);
    if (read_done || stop.load(std::memory_order_relaxed)) {
      fc.stop();
      return nullptr;
    }
    auto chunk = std::make_shared<Chunk>();
    Status s = source->Read(ctx.options->chunk_bytes, &chunk->bytes);
    if (!s.ok()) {
      read_error = s;
      read_done = true;
      fc.stop();
      return nullptr;
    }
    chunk->eof = chunk->bytes.empty();
    // Taken here, by the only filter that touches the source: the split filter runs beside the
    // next read, which moves the offset (and a gzip stream's state) under it.
    chunk->disk_offset = source->disk_offset();
    read_done = chunk->eof;
    AnnotateHandOff(chunk.get());
    return chunk;
  };

  auto split_stage = [&](const std::shared_ptr<Chunk>& chunk) -> std::shared_ptr<Work> {
    const HandOffTurn turn(&splitter);
    if (chunk == nullptr || !header_error.ok()) return nullptr;
    const HandOffTurn token(chunk.get());
    auto work = std::make_shared<Work>();
    splitter.Split(std::move(chunk->bytes), chunk->eof, &work->block);
    work->disk_offset = chunk->disk_offset;
    if (!parser && !work->block.records.empty()) {
      const auto& span = work->block.records[0];
      std::vector<std::string_view> fields;
      std::string arena;
      const std::string_view text = work->block.record_text(span);
      const auto split = ingest_internal::SplitFields(text, &fields, &arena);
      if (span.flag != RecordFlag::kHeader || split.error != ingest_internal::FieldError::kNone ||
          !ingest_internal::IsValidUtf8(text)) {
        header_error = Status::InvalidArgument(file.name +
                                               ": header row is not valid CSV/UTF-8; file refused");
        stop = true;
        return nullptr;
      }
      auto created = FeedParser::Create(file.feed, fields, file.name);
      if (!created.ok()) {
        header_error = created.status();
        stop = true;
        return nullptr;
      }
      parser.emplace(std::move(created).value());
      work->first_record = 1;
    }
    if (chunk->eof && !parser) {
      header_error =
          Status::InvalidArgument(file.name + ": empty file, no header row; file refused");
      return nullptr;
    }
    AnnotateHandOff(work.get());
    return work;
  };

  auto parse_stage = [&](std::shared_ptr<Work> work) -> std::shared_ptr<Work> {
    if (work == nullptr) return work;
    const HandOffTurn token(work.get());
    ParseBlock<R>(*parser, file.name, work.get());
    return work;
  };

  auto write_stage = [&](const std::shared_ptr<Work>& work) {
    const HandOffTurn turn(summary);
    if (work == nullptr || !fatal_error.ok()) return;
    const HandOffTurn token(work.get());
    if (!work->batch.empty()) {
      auto counts = ctx.bulk != nullptr ? ctx.bulk->Add(std::move(work->batch))
                                        : ctx.store->Write(work->batch);
      if (!counts.ok()) {
        fatal_error = counts.status().WithContext(file.name);
        stop = true;
        return;
      }
      summary->inserted += counts->inserted;
      summary->replaced += counts->replaced;
      summary->unchanged += counts->unchanged;
    }
    if (!work->rejects.empty()) {
      std::string text;
      for (const Reject& r : work->rejects) AppendRejectLine(&text, r);
      Status s = ctx.rejects->Write(text);
      if (!s.ok()) {
        fatal_error = s;
        stop = true;
        return;
      }
    }
    summary->rows_read += work->rows;
    summary->rejected += work->rejects.size();
    tally->min_day = std::min(tally->min_day, work->min_day);
    tally->max_day = std::max(tally->max_day, work->max_day);
    last_disk_offset = work->disk_offset;
    const uint64_t rows_so_far = ctx.rows_before + summary->rows_read;
    if (ctx.options->progress && rows_so_far >= ctx.next_progress) {
      ctx.next_progress = rows_so_far + std::max<uint64_t>(1, ctx.options->progress_interval_rows);
      IngestProgress p;
      p.file = file.name;
      p.rows = rows_so_far;
      p.bytes_done = ctx.bytes_before + last_disk_offset;
      p.bytes_total = ctx.bytes_total;
      p.seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - ctx.start).count();
      ctx.options->progress(p);
    }
  };

  AnnotateHandOff(&read_done);  // the read filter's turns continue this thread
  tbb::parallel_pipeline(
      ctx.tokens, tbb::make_filter<void, std::shared_ptr<Chunk>>(tbb::filter_mode::serial_in_order,
                                                                 read_stage) &
                      tbb::make_filter<std::shared_ptr<Chunk>, std::shared_ptr<Work>>(
                          tbb::filter_mode::serial_in_order, split_stage) &
                      tbb::make_filter<std::shared_ptr<Work>, std::shared_ptr<Work>>(
                          tbb::filter_mode::parallel, parse_stage) &
                      tbb::make_filter<std::shared_ptr<Work>, void>(
                          tbb::filter_mode::serial_in_order, write_stage));
  // The serial filters' last turns wrote the errors and the counts read below.
  AnnotateTakeOver(&read_done);
  AnnotateTakeOver(&splitter);
  AnnotateTakeOver(summary);

  summary->loaded = summary->inserted + summary->replaced + summary->unchanged;
  tally->rows += summary->rows_read;
  tally->loaded += summary->loaded;
  tally->rejected += summary->rejected;
  if (!header_error.ok()) {
    summary->error = header_error.message();
  } else if (!read_error.ok()) {
    summary->error = read_error.message();
  }
  return fatal_error;
}

Status LoadOneFile(const FeedFile& file, LoadContext& ctx, FileSummary* summary, FeedTally* tally) {
  switch (file.feed) {
    case Feed::kPersons:
      return LoadFile<PersonRecord>(file, ctx, summary, tally);
    case Feed::kContributions:
      return LoadFile<ContributionRecord>(file, ctx, summary, tally);
    case Feed::kPayments:
      return LoadFile<PaymentRecord>(file, ctx, summary, tally);
    case Feed::kSignals:
      return LoadFile<SignalRecord>(file, ctx, summary, tally);
    case Feed::kRegistry:
      return LoadFile<RegistryRecord>(file, ctx, summary, tally);
    case Feed::kAppraisals:
      return LoadFile<AppraisalRecord>(file, ctx, summary, tally);
  }
  return Status::Internal("unknown feed");
}

std::string LoadId(const std::vector<FeedFile>& files) {
  // Where the files are, their sizes and modification times: the same folder reloaded gets the
  // same id (so its rejects file is replaced, not duplicated); a changed file gets a new one,
  // and so does another folder holding files of the same names, sizes and times (copies keep
  // their times), whose rejects must not replace the first delivery's.
  std::string key;
  for (const FeedFile& f : files) {
    std::error_code ec;
    const std::filesystem::path where = std::filesystem::weakly_canonical(f.path, ec);
    key += ec ? f.path : where.string();
    key += '\0';
    key += std::to_string(f.size);
    key += '\0';
    key += std::to_string(f.mtime_ns);
    key += '\n';
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(XXH3_64bits(key.data(), key.size())));
  return hex;
}

bool IsLoadId(std::string_view id) {
  return id.size() == 16 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// Begins the delivery of `folder` (Store::BeginDelivery). With discard_interrupted_load the
// interrupted deliveries of other folders are acknowledged, and their rejects temporaries go:
// a rerun of such a folder starts its temporary over anyway (O_TRUNC).
Result<std::unique_ptr<Delivery>> BeginFolderDelivery(Store& store, const std::string& load_id,
                                                      const std::string& folder,
                                                      const std::string& rejects_dir,
                                                      const IngestOptions& options) {
  DeliveryOptions delivery;
  delivery.load_id = load_id;
  delivery.source = folder;
  if (options.discard_interrupted_load) {
    VIGIL_ASSIGN_OR_RETURN(std::vector<UnfinishedDelivery> unfinished,
                           store.UnfinishedDeliveries());
    for (const UnfinishedDelivery& u : unfinished) {
      if (!u.loading_here && u.load_id != load_id) delivery.acknowledged.push_back(u.load_id);
    }
  }
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<Delivery> begun, store.BeginDelivery(delivery));
  for (const std::string& acknowledged : delivery.acknowledged) {
    if (!IsLoadId(acknowledged)) continue;  // not a folder's load: no rejects file of ours
    std::error_code ignored;  // a temporary left behind misleads nobody: it is not a .csv
    std::filesystem::remove(RejectsTemporaryPath(rejects_dir, acknowledged), ignored);
  }
  return begun;
}

// Feeds whose newest row says whether the feed is flowing. The persons registry is a
// snapshot and appraisals are rare events, so their newest date says nothing about staleness.
bool StalenessApplies(Feed feed) {
  return feed == Feed::kContributions || feed == Feed::kPayments || feed == Feed::kSignals ||
         feed == Feed::kRegistry;
}

std::string Percent(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.1f%%", fraction * 100.0);
  return buf;
}

Status StoreHealth(Store& store, const std::string& load_id, std::vector<FeedHealth>* health,
                   const IngestOptions& options, std::optional<Date> reference) {
  for (FeedHealth& h : *health) {
    const std::string key = std::string(kHealthMetaPrefix) + std::string(CodeName(h.feed));
    // The previous load of this feed: the stored one, unless it is this very load (a rerun
    // after an interruption), in which case the one before it.
    auto stored = store.GetMeta(key);
    if (stored.ok()) {
      const auto prev = nlohmann::json::parse(*stored, nullptr, /*allow_exceptions=*/false);
      if (prev.is_object()) {
        if (prev.value("load_id", "") != load_id) {
          h.previous_rows = prev.value("rows", uint64_t{0});
        } else if (prev.contains("previous_rows")) {
          h.previous_rows = prev.value("previous_rows", uint64_t{0});
        }
      }
    } else if (stored.status().code() != StatusCode::kNotFound) {
      return stored.status();
    }
    if (h.previous_rows && *h.previous_rows > 0) {
      const double change = (static_cast<double>(h.rows) - static_cast<double>(*h.previous_rows)) /
                            static_cast<double>(*h.previous_rows);
      if (std::abs(change) > options.volume_change_warn) {
        h.warnings.push_back("volume " + Percent(change) + " vs previous load (" +
                             std::to_string(*h.previous_rows) + " -> " + std::to_string(h.rows) +
                             " rows)");
      }
    }
    if (h.loaded == 0) {
      h.warnings.push_back("no rows loaded");
    } else if (StalenessApplies(h.feed) && reference && h.last) {
      const auto age = (Days(*reference) - Days(*h.last)).count();
      if (age > options.staleness_days) {
        h.warnings.push_back("stale: newest row " + FormatDate(*h.last) + " is " +
                             std::to_string(age) + " days before " + FormatDate(*reference) +
                             " (limit " + std::to_string(options.staleness_days) + ")");
      }
    }
    nlohmann::json j;
    j["load_id"] = load_id;
    j["rows"] = h.rows;
    j["loaded"] = h.loaded;
    j["rejected"] = h.rejected;
    j["reject_rate"] = h.reject_rate();
    j["first"] = h.first ? FormatDate(*h.first) : "";
    j["last"] = h.last ? FormatDate(*h.last) : "";
    if (h.previous_rows) j["previous_rows"] = *h.previous_rows;
    j["warnings"] = h.warnings;
    VIGIL_RETURN_IF_ERROR(store.PutMeta(key, j.dump()));
  }
  return Status::Ok();
}

}  // namespace

bool IngestSummary::any_file_failed() const {
  return std::any_of(files.begin(), files.end(),
                     [](const FileSummary& f) { return !f.error.empty(); });
}

uint64_t IngestSummary::total_rows() const {
  uint64_t n = 0;
  for (const auto& f : files) n += f.rows_read;
  return n;
}

Result<IngestSummary> IngestFolder(Store& store, const std::string& feed_dir,
                                   const std::string& rejects_dir, const IngestOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  IngestSummary summary;
  VIGIL_ASSIGN_OR_RETURN(std::vector<FeedFile> files,
                         DiscoverFeedFiles(feed_dir, &summary.ignored));
  summary.load_id = LoadId(files);
  std::error_code ec;
  const std::filesystem::path canonical = std::filesystem::weakly_canonical(feed_dir, ec);
  const std::string folder = ec ? feed_dir : canonical.string();

  // The delivery's mark comes before anything is written: until it is ended, the store says it
  // holds part of this folder (docs/ingest.md, "Interrupted loads"), and scoring refuses it.
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<Delivery> delivery,
                         BeginFolderDelivery(store, summary.load_id, folder, rejects_dir, options));
  // A load refused before its first row leaves the store without any of it: no mark either.
  auto refuse = [&delivery](Status refusal) {
    (void)delivery->End();  // if that fails, the mark stays: a rerun of the folder takes it over
    return refusal;
  };

  // An initial load streams sorted runs into the store instead of read-check-write batches.
  // Started before anything is written, so that a refused load leaves no file behind.
  std::unique_ptr<BulkWriter> bulk;
  if (options.bulk_initial_load) {
    BulkLoadOptions bo;
    bo.run_bytes = options.bulk_run_bytes;
    // The pending mark names the folder too: a refusal must say which delivery to rerun.
    bo.load_id = summary.load_id + " from " + folder;
    bo.discard_interrupted = options.discard_interrupted_load;
    auto started = store.StartBulkLoad(bo);
    if (started.ok()) {
      bulk = std::move(started).value();
    } else if (started.status().code() != StatusCode::kFailedPrecondition ||
               store.BulkLoadPending()) {
      // Not "the store already holds data" (then rows go through Write): an interrupted
      // initial load of another folder, or a failure.
      return refuse(started.status());
    }
  }
  if (bulk == nullptr && store.BulkLoadPending()) {
    // Write would refuse the first batch: say so before it.
    return refuse(Status::FailedPrecondition(
        "the store holds an interrupted initial load: load that folder again, as an initial "
        "load (IngestOptions::bulk_initial_load), before any other"));
  }

  RejectsFile rejects;
  if (Status opened = rejects.Open(rejects_dir, summary.load_id); !opened.ok()) {
    return refuse(opened);
  }
  summary.rejects_path = rejects.path();

  const int threads = options.threads > 0 ? options.threads : tbb::info::default_concurrency();
  LoadContext ctx;
  ctx.store = &store;
  ctx.bulk = bulk.get();
  ctx.rejects = &rejects;
  ctx.options = &options;
  ctx.tokens = options.max_tokens > 0 ? options.max_tokens : static_cast<size_t>(2 * threads + 2);
  ctx.start = start;
  for (const FeedFile& f : files) ctx.bytes_total += f.size;

  std::map<Feed, FeedTally> tallies;
  Status status;
  tbb::task_arena arena(threads);
  try {
    arena.execute([&] {
      for (const FeedFile& file : files) {
        FileSummary fs;
        fs.file = file.name;
        fs.feed = file.feed;
        const auto file_start = std::chrono::steady_clock::now();
        status = LoadOneFile(file, ctx, &fs, &tallies[file.feed]);
        fs.seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - file_start).count();
        ctx.rows_before += fs.rows_read;
        ctx.bytes_before += file.size;
        summary.files.push_back(std::move(fs));
        if (!status.ok()) return;
      }
    });
  } catch (const std::bad_alloc&) {
    return Status::Internal("out of memory while loading " + feed_dir);
  } catch (const std::exception& e) {
    return Status::Internal(std::string("load failed: ") + e.what());
  }
  VIGIL_RETURN_IF_ERROR(status);
  if (bulk != nullptr) {
    const auto finish_start = std::chrono::steady_clock::now();
    VIGIL_RETURN_IF_ERROR(bulk->Finish());
    bulk.reset();
    summary.bulk = true;
    summary.bulk_finish_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - finish_start).count();
  }
  VIGIL_RETURN_IF_ERROR(rejects.Commit());

  std::optional<Date> reference = options.as_of;
  for (const auto& [feed, t] : tallies) {
    FeedHealth h;
    h.feed = feed;
    h.rows = t.rows;
    h.loaded = t.loaded;
    h.rejected = t.rejected;
    if (t.loaded > 0 && t.min_day <= t.max_day) {
      h.first = DateFromDayNumber(t.min_day);
      h.last = DateFromDayNumber(t.max_day);
      if (!options.as_of && (!reference || Days(*h.last) > Days(*reference))) reference = h.last;
    }
    summary.health.push_back(std::move(h));
  }
  VIGIL_RETURN_IF_ERROR(StoreHealth(store, summary.load_id, &summary.health, options, reference));

  nlohmann::json load;
  for (const FileSummary& f : summary.files) {
    load["files"].push_back({{"file", f.file},
                             {"rows", f.rows_read},
                             {"loaded", f.loaded},
                             {"rejected", f.rejected},
                             {"error", f.error}});
  }
  VIGIL_RETURN_IF_ERROR(store.PutMeta(std::string(kLoadMetaPrefix) + summary.load_id, load.dump()));
  // Last: every row, the rejects file and the health are durable before the mark goes (its
  // synced write syncs the log of the writes before it). A file that could not be read to its
  // end (refused, damaged, unreadable) leaves the store holding part of the delivery: the mark
  // stays until the folder loads in full or the load is acknowledged.
  if (!summary.any_file_failed()) VIGIL_RETURN_IF_ERROR(delivery->End());
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

std::string FormatIngestSummary(const IngestSummary& s) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "load %s: %zu file(s), %llu rows in %.2f s (%.0f rows/s)\n",
                s.load_id.c_str(), s.files.size(), static_cast<unsigned long long>(s.total_rows()),
                s.seconds, s.seconds > 0 ? static_cast<double>(s.total_rows()) / s.seconds : 0.0);
  out += line;
  std::snprintf(line, sizeof line, "%-28s %10s %10s %9s %9s %10s %10s\n", "file", "read", "loaded",
                "rejected", "replaced", "unchanged", "rows/s");
  out += line;
  for (const FileSummary& f : s.files) {
    std::snprintf(
        line, sizeof line, "%-28s %10llu %10llu %9llu %9llu %10llu %10.0f\n", f.file.c_str(),
        static_cast<unsigned long long>(f.rows_read), static_cast<unsigned long long>(f.loaded),
        static_cast<unsigned long long>(f.rejected), static_cast<unsigned long long>(f.replaced),
        static_cast<unsigned long long>(f.unchanged),
        f.seconds > 0 ? static_cast<double>(f.rows_read) / f.seconds : 0.0);
    out += line;
    if (!f.error.empty()) out += "  ERROR: " + f.error + "\n";
  }
  if (s.bulk) {
    std::snprintf(line, sizeof line,
                  "initial load written as sorted files; last run and aggregates took %.2f s\n",
                  s.bulk_finish_seconds);
    out += line;
  }
  for (const FeedHealth& h : s.health) {
    std::snprintf(line, sizeof line, "feed %-13s rows %llu, %s..%s, reject rate %.2f%%\n",
                  std::string(CodeName(h.feed)).c_str(), static_cast<unsigned long long>(h.rows),
                  h.first ? FormatDate(*h.first).c_str() : "-",
                  h.last ? FormatDate(*h.last).c_str() : "-", h.reject_rate() * 100.0);
    out += line;
    for (const std::string& w : h.warnings) {
      out += "  WARNING " + std::string(CodeName(h.feed)) + ": " + w + "\n";
    }
  }
  for (const std::string& name : s.ignored) out += "ignored (not a feed file): " + name + "\n";
  out += "rejects: " + s.rejects_path + "\n";
  return out;
}

}  // namespace vigil

#include "db_options.h"

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "keys.h"
#include "merge_operator.h"

namespace vigil::storage {
namespace {

bool Supported(rocksdb::CompressionType type) {
  const auto all = rocksdb::GetSupportedCompressions();
  return std::find(all.begin(), all.end(), type) != all.end();
}

rocksdb::ColumnFamilyOptions BaseFamily(const StoreOptions& o,
                                        const std::shared_ptr<rocksdb::Cache>& cache,
                                        size_t write_buffer, bool per_person) {
  rocksdb::ColumnFamilyOptions cf;
  cf.write_buffer_size = write_buffer;
  cf.max_write_buffer_number = 3;
  cf.target_file_size_base = std::max<uint64_t>(write_buffer, 8 << 20);
  cf.max_bytes_for_level_base = cf.target_file_size_base * 4;
  cf.level_compaction_dynamic_level_bytes = true;
  // lz4 is cheap enough for every level; zstd squeezes the bottom level, which holds ~90% of
  // the data and is rarely rewritten.
  if (Supported(rocksdb::kLZ4Compression)) cf.compression = rocksdb::kLZ4Compression;
  if (Supported(rocksdb::kZSTD)) cf.bottommost_compression = rocksdb::kZSTD;

  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.block_size = size_t{16} * 1024;
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  table.format_version = 5;
  if (o.bloom_bits_per_key > 0) {
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(o.bloom_bits_per_key));
    // With a prefix extractor the filter holds both prefixes (for per-person scans) and whole
    // keys (so the idempotence check's point reads of new keys skip the data blocks).
    table.whole_key_filtering = true;
  }
  if (per_person) {
    cf.prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(kPersonPrefixSize));
  }
  // A memtable bloom on whole keys: the write path's idempotence check looks up every new key
  // first, and most are absent; without it each miss walks the memtable skiplist.
  if (o.bloom_bits_per_key > 0) {
    cf.memtable_prefix_bloom_size_ratio = 0.05;
    cf.memtable_whole_key_filtering = true;
  }
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return cf;
}

// `histories` is read by whole-range scans only (never by key, never by prefix), so it has no
// filters and no prefix extractor, and it stays lz4 on the bottom level too: it exists to make
// full scans cheap, and zstd costs several times lz4's decompression time per byte.
rocksdb::ColumnFamilyOptions HistoriesFamily(const StoreOptions& o,
                                             const std::shared_ptr<rocksdb::Cache>& cache,
                                             size_t write_buffer) {
  StoreOptions unfiltered = o;
  unfiltered.bloom_bits_per_key = 0;
  rocksdb::ColumnFamilyOptions cf = BaseFamily(unfiltered, cache, write_buffer, false);
  cf.bottommost_compression = rocksdb::kDisableCompressionOption;  // = `compression` everywhere
  cf.merge_operator = NewHistoryMergeOperator();
  return cf;
}

// Thread-safe: RocksDB logs from its background threads.
class DiagnosticsLog : public rocksdb::Logger {
 public:
  explicit DiagnosticsLog(std::FILE* file)
      : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL), file_(file) {}
  ~DiagnosticsLog() override {
    std::lock_guard lock(mu_);
    std::fclose(file_);
  }
  DiagnosticsLog(const DiagnosticsLog&) = delete;
  DiagnosticsLog& operator=(const DiagnosticsLog&) = delete;

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    const auto now = std::chrono::system_clock::now();
    const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() %
        1000000;
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    std::lock_guard lock(mu_);
    // Every result ignored: a log line that cannot be written is lost, nothing else.
    (void)std::fprintf(file_, "%04d/%02d/%02d-%02d:%02d:%02d.%06lld ", utc.tm_year + 1900,
                       utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                       static_cast<long long>(micros));
    (void)std::vfprintf(file_, format, ap);
    (void)std::fputc('\n', file_);
    (void)std::fflush(file_);
  }
  // RocksDB calls Flush at some points: stdio is flushed per line already.
  void Flush() override {}

 private:
  std::mutex mu_;
  std::FILE* file_;
};

}  // namespace

std::shared_ptr<rocksdb::Logger> OpenDiagnosticsLog(const std::string& dir, size_t keep) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  const fs::path log = fs::path(dir) / "LOG";
  if (fs::exists(log, ec) && fs::file_size(log, ec) > 0) {
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    fs::rename(log, fs::path(dir) / ("LOG.old." + std::to_string(micros)), ec);
    std::vector<fs::path> old;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (entry.path().filename().string().rfind("LOG.old.", 0) == 0) old.push_back(entry.path());
    }
    // The names end in a time of the same number of digits: name order is time order.
    std::sort(old.begin(), old.end());
    for (size_t i = 0; i + keep < old.size(); ++i) fs::remove(old[i], ec);
  }
  std::FILE* file = std::fopen(log.c_str(), "ae");
  if (file == nullptr) return nullptr;
  return std::make_shared<DiagnosticsLog>(file);
}

DbConfig MakeDbConfig(const StoreOptions& o) {
  DbConfig config;
  rocksdb::DBOptions& db = config.db;
  db.create_if_missing = o.create_if_missing;
  db.create_missing_column_families = o.create_if_missing;
  db.max_background_jobs = o.background_jobs;
  db.bytes_per_sync = 1 << 20;
  db.wal_bytes_per_sync = 1 << 20;
  db.keep_log_file_num = 5;
  // RocksDB's default stops replay at the first damaged record and opens without a word,
  // dropping every acknowledged write after it (StoreOptions::recover_wal_to_consistent_point).
  db.wal_recovery_mode = o.recover_wal_to_consistent_point
                             ? rocksdb::WALRecoveryMode::kPointInTimeRecovery
                             : rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  // Secondary instances need every file open (RocksDB requirement).
  db.max_open_files = -1;
#if defined(__SANITIZE_THREAD__)
  // ThreadSanitizer cannot see RocksDB's write-group hand-over (a leader copying its followers'
  // batches, synchronised inside the uninstrumented library) and reports it as a race on the
  // batches' memory. Under TSan every write goes alone (a group is capped at its leader), so
  // what TSan reports is ours. Release builds keep group commit.
  db.max_write_batch_group_size_bytes = 1;
#endif

  auto cache = rocksdb::NewLRUCache(o.block_cache_bytes);
  const size_t big = o.write_buffer_bytes;
  const size_t small = std::max<size_t>(big / 4, 1 << 20);

  config.families.resize(kCfCount);
  config.families[kDefaultIdx] = {rocksdb::kDefaultColumnFamilyName,
                                  BaseFamily(o, cache, 1 << 20, false)};
  config.families[kPersonsIdx] = {kPersonsCf, BaseFamily(o, cache, small, true)};
  config.families[kEventsIdx] = {kEventsCf, BaseFamily(o, cache, big, true)};
  auto aggregates = BaseFamily(o, cache, big, true);
  aggregates.merge_operator = NewAggregateMergeOperator();
  config.families[kAggregatesIdx] = {kAggregatesCf, aggregates};
  config.families[kPaymentIdsIdx] = {kPaymentIdsCf, BaseFamily(o, cache, small, false)};
  config.families[kCasesIdx] = {kCasesCf, BaseFamily(o, cache, small, false)};
  config.families[kAuditIdx] = {kAuditCf, BaseFamily(o, cache, small, false)};
  config.families[kMetaIdx] = {kMetaCf, BaseFamily(o, cache, 1 << 20, false)};
  config.families[kHistoriesIdx] = {kHistoriesCf, HistoriesFamily(o, cache, big)};
  return config;
}

}  // namespace vigil::storage

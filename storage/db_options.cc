#include "db_options.h"

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>

#include <algorithm>

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

}  // namespace

DbConfig MakeDbConfig(const StoreOptions& o) {
  DbConfig config;
  rocksdb::DBOptions& db = config.db;
  db.create_if_missing = o.create_if_missing;
  db.create_missing_column_families = o.create_if_missing;
  db.max_background_jobs = o.background_jobs;
  db.bytes_per_sync = 1 << 20;
  db.wal_bytes_per_sync = 1 << 20;
  db.keep_log_file_num = 5;
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

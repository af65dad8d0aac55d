// RocksDB configuration of the store: database options and one descriptor per column family.
// Kept apart from the Store so the benchmarks can open a raw RocksDB baseline with exactly the
// same options. Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include "vigil/store.h"

namespace vigil::storage {

// Column family names, in the order of the handles the store keeps.
inline constexpr const char* kPersonsCf = "persons";
inline constexpr const char* kEventsCf = "events";
inline constexpr const char* kAggregatesCf = "aggregates";
inline constexpr const char* kPaymentIdsCf = "payment_ids";
inline constexpr const char* kCasesCf = "cases";
inline constexpr const char* kAuditCf = "audit";
inline constexpr const char* kMetaCf = "meta";

enum CfIndex : size_t {
  kDefaultIdx = 0,
  kPersonsIdx,
  kEventsIdx,
  kAggregatesIdx,
  kPaymentIdsIdx,
  kCasesIdx,
  kAuditIdx,
  kMetaIdx,
  kCfCount,
};

inline constexpr const char* kMetaSchemaVersion = "schema_version";

struct DbConfig {
  rocksdb::DBOptions db;
  // Indexed by CfIndex; [0] is RocksDB's "default" family (unused, but always present).
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
};

// Validated options in, RocksDB options out (shared block cache, bloom filters, prefix
// extractor on the per-person families, lz4 / zstd when this RocksDB build has them).
DbConfig MakeDbConfig(const StoreOptions& options);

}  // namespace vigil::storage

// RocksDB configuration of the store: database options and one descriptor per column family.
// Kept apart from the Store so the benchmarks can open a raw RocksDB baseline with exactly the
// same options. Thread-safety: pure functions.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <string>
#include <vector>

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
inline constexpr const char* kHistoriesCf = "histories";

enum CfIndex : size_t {
  kDefaultIdx = 0,
  kPersonsIdx,
  kEventsIdx,
  kAggregatesIdx,
  kPaymentIdsIdx,
  kCasesIdx,
  kAuditIdx,
  kMetaIdx,
  // Person key -> packed history (storage/histories.h). Absent from stores of schema 1, and
  // maintained only when meta kMetaHistoriesMaintained is there.
  kHistoriesIdx,
  kCfCount,
};

inline constexpr const char* kMetaSchemaVersion = "schema_version";
// Present when every write keeps `histories` equal to `events`: set when a store is opened
// holding no persons and no events (from the start, the copy is complete). A store filled by an
// older version lacks it, and its scans read `events`.
inline constexpr const char* kMetaHistoriesMaintained = "store.histories_maintained";
// Followed by a load id: the mark of a delivery begun and not ended (Store::BeginDelivery); its
// value is where the delivery comes from.
inline constexpr std::string_view kMetaDeliveryPrefix = "store.delivery_in_progress/";

struct DbConfig {
  rocksdb::DBOptions db;
  // Indexed by CfIndex; [0] is RocksDB's "default" family (unused, but always present).
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
};

// Validated options in, RocksDB options out (shared block cache, bloom filters, prefix
// extractor on the per-person families, lz4 / zstd when this RocksDB build has them).
DbConfig MakeDbConfig(const StoreOptions& options);

// RocksDB's own diagnostics log, `dir`/LOG (the earlier one kept as LOG.old.<microseconds>, the
// `keep` newest of those kept). It drops what it cannot write: Debian's RocksDB is built with
// assertions on, and its own file logger aborted the whole process on the first write after a
// failed one (a full disk), where the data path returns the error. Null when the file cannot be
// opened (RocksDB then logs nothing).
std::shared_ptr<rocksdb::Logger> OpenDiagnosticsLog(const std::string& dir, size_t keep);

}  // namespace vigil::storage

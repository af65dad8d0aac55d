// Internal side of the bulk load (vigil::BulkWriter): what the Store hands the writer, and the
// name of the meta entry that marks a bulk load as started and not finished.
// Thread-safety: see BulkWriter in vigil/store.h.
#pragma once

#include <rocksdb/db.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "db_options.h"
#include "vigil/store.h"

namespace vigil::storage {

// Present in `meta` from the start of a bulk load until its aggregates are in place. While it
// is there the store's aggregates are not maintained, so Store::Write refuses rows and the next
// StartBulkLoad discards the partial content and starts over.
inline constexpr const char* kMetaBulkPending = "store.bulk_load_pending";
// The mark's value when the load was not named (BulkLoadOptions::load_id empty; also every mark
// written before loads were named).
inline constexpr const char* kUnnamedBulkLoad = "1";

// What a BulkWriter needs of its Store (which outlives it).
struct BulkContext {
  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // indexed by CfIndex
  const DbConfig* config = nullptr;
  std::string path;                     // database directory (SST files are built there)
  std::atomic<uint64_t>* file_counter;  // unique names for the SST files
  std::atomic<bool>* pending;           // mirrors the meta marker
  std::atomic<bool>* active;            // a BulkWriter exists
  bool histories = false;               // write the packed `histories` too
};

// Folder of the run files of a bulk load, inside the database directory.
std::string BulkDir(const std::string& db_path);

Result<std::unique_ptr<BulkWriter>> MakeBulkWriter(BulkContext context,
                                                   const BulkLoadOptions& options);

}  // namespace vigil::storage

// Builds the `histories` family of a schema-1 store from its `events` (Store::RebuildHistories,
// docs/storage.md "Upgrading a schema-1 store"). The Store does the locking and writes the
// meta mark afterwards; this part discards leftovers, packs and ingests.
// Thread-safety: one call at a time per store, with no write of `events` or `histories`
// meanwhile (the Store holds every write lock).
#pragma once

#include <rocksdb/db.h>

#include <string>

#include "db_options.h"
#include "vigil/store.h"

namespace vigil::storage {

struct HistoryRebuildContext {
  rocksdb::DB* db = nullptr;
  rocksdb::ColumnFamilyHandle* events = nullptr;
  rocksdb::ColumnFamilyHandle* histories = nullptr;
  const DbConfig* config = nullptr;
  std::string db_path;  // the work folder for the SST files goes inside it
};

// Folder where a rebuild builds its SST files, inside the database directory. Removed when the
// rebuild ends; a killed rebuild's leftover is removed by the next read-write Store::Open (or
// the next rebuild).
std::string HistoryRebuildDir(const std::string& db_path);

// Drops every file of `histories` (what a killed rebuild ingested, or nothing) without reading
// it: it can be as large as the events. Entries outside files are the caller's to wipe.
Status DropHistoryFiles(const HistoryRebuildContext& ctx);

// Packs every person's events, as of one snapshot taken here, into SST files of `histories`
// (storage/histories.h format) and has RocksDB ingest them in one call. Precondition:
// `histories` is empty (DropHistoryFiles, then a wipe of the rest). Calls `progress` (if set) on
// the calling thread.
Result<HistoriesRebuild> PackAndIngestHistories(const HistoryRebuildContext& ctx,
                                                const HistoriesRebuildProgressFn& progress);

}  // namespace vigil::storage

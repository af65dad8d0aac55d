// Sorted entries of one column family written as SST files for RocksDB to ingest
// (IngestExternalFiles): the output side of the streaming bulk load (bulk_writer.cc) and of the
// rebuild of the packed histories (history_rebuild.cc). Thread-safety: an SstOut is
// thread-compatible (one writer thread); several may write at once if `new_path` is
// thread-safe.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_writer.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "db_options.h"
#include "vigil/status.h"

namespace vigil::storage {

// A RocksDB status as ours: Corruption, IoError and InvalidArgument keep their code, the rest
// is Internal; the message is `context: ` and RocksDB's text.
Status FromRocksStatus(const rocksdb::Status& s, std::string_view context);

// The family's options for files RocksDB ingests, with its light compression on every level:
// they are built once and soon read back, and zstd there cost a third of the bulk load's time.
// Compaction applies the bottom level's zstd when it rewrites them.
rocksdb::Options SstFileOptions(const DbConfig& config, CfIndex cf);

// Writes entries, given in key order, into SST files cut at about `file_bytes` each (so that
// later compactions touch a slice of the key space, not all of it).
class SstOut {
 public:
  // `new_path` names each new file (it must not exist yet).
  SstOut(rocksdb::Options options, rocksdb::ColumnFamilyHandle* cf,
         std::function<std::string()> new_path, uint64_t file_bytes = UINT64_MAX);
  ~SstOut();
  SstOut(const SstOut&) = delete;
  SstOut& operator=(const SstOut&) = delete;

  Status Put(std::string_view key, std::string_view value);
  Status Delete(std::string_view key);
  // Finishes the last file. `files()` then lists every file written, in key order.
  Status Finish();
  const std::vector<std::string>& files() const { return files_; }

 private:
  Status Next();

  rocksdb::Options options_;
  rocksdb::ColumnFamilyHandle* cf_;
  std::function<std::string()> new_path_;
  uint64_t file_bytes_;
  uint64_t bytes_ = 0;
  std::unique_ptr<rocksdb::SstFileWriter> writer_;
  std::vector<std::string> files_;
};

}  // namespace vigil::storage

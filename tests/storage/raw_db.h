// A raw RocksDB over a store's directory, with the store's families: lets the storage tests
// forge what an older build (schema 1) or a killed process leaves behind.
#pragma once

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <memory>
#include <string>
#include <vector>

#include "storage/coding.h"
#include "storage/db_options.h"
#include "vigil/store.h"

namespace vigil::testing {

struct RawDb {
  explicit RawDb(const std::string& path) {
    StoreOptions o;
    o.path = path;
    config = storage::MakeDbConfig(o);
    rocksdb::DB* raw = nullptr;
    const rocksdb::Status s = rocksdb::DB::Open(config.db, path, config.families, &handles, &raw);
    EXPECT_TRUE(s.ok()) << s.ToString();
    db.reset(raw);
  }
  ~RawDb() {
    for (auto* h : handles) {
      if (h != nullptr) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    }
  }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  // Makes the store look as schema 1 left it: no mark, version 1, no histories family.
  void MakeSchemaOne() {
    Unmark();
    ASSERT_TRUE(db->DropColumnFamily(handles[storage::kHistoriesIdx]).ok());
    ASSERT_TRUE(db->DestroyColumnFamilyHandle(handles[storage::kHistoriesIdx]).ok());
    handles[storage::kHistoriesIdx] = nullptr;
  }
  // Removes the mark and sets version 1 but keeps `histories` and its content: what a rebuild
  // killed after its ingestion, before the mark, leaves.
  void Unmark() {
    std::string v;
    storage::PutFixed32BE(&v, 1);
    ASSERT_TRUE(db->Put({}, handles[storage::kMetaIdx], storage::kMetaSchemaVersion, v).ok());
    ASSERT_TRUE(db->Delete({}, handles[storage::kMetaIdx], storage::kMetaHistoriesMaintained).ok());
  }
  size_t HistoriesEntries() {
    size_t n = 0;
    std::unique_ptr<rocksdb::Iterator> it(
        db->NewIterator(rocksdb::ReadOptions(), handles[storage::kHistoriesIdx]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
    return n;
  }
  storage::DbConfig config;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  std::unique_ptr<rocksdb::DB> db;
};

// The store's schema version as stored in meta (0 when absent or malformed).
inline uint32_t StoredSchema(const Store& store) {
  auto v = store.GetMeta(storage::kMetaSchemaVersion);
  EXPECT_TRUE(v.ok() && v->size() == 4);
  return v.ok() && v->size() == 4 ? storage::DecodeFixed32BE(v->data()) : 0;
}

}  // namespace vigil::testing

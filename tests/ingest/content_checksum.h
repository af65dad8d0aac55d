// A checksum of the logical content of a store: every key and value of every column family,
// read through RocksDB directly (read-only, so it works beside a closed or crashed writer).
// Merge operands of the aggregates are folded with MonthAggregate::Merge (the public contract
// of store.h), so two histories that end in the same aggregates give the same checksum.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/options.h>
#include <xxhash.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "vigil/store.h"

namespace vigil::testing {

class SumAggregates final : public rocksdb::MergeOperator {
 public:
  const char* Name() const override { return "vigil.test.SumAggregates"; }
  bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override {
    MonthAggregate sum;
    if (in.existing_value != nullptr) {
      auto base = DecodeAggregate({in.existing_value->data(), in.existing_value->size()});
      if (!base.ok()) return false;
      sum = *base;
    }
    for (const rocksdb::Slice& op : in.operand_list) {
      auto delta = DecodeAggregate({op.data(), op.size()});
      if (!delta.ok()) return false;
      sum.Merge(*delta);
    }
    out->new_value = EncodeAggregate(sum);
    return true;
  }
};

inline std::string ContentChecksum(const std::string& db_path) {
  std::vector<std::string> names;
  auto s = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), db_path, &names);
  if (!s.ok()) return "error: " + s.ToString();
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.merge_operator = std::make_shared<SumAggregates>();
  // `histories` is the store's packed copy of `events` (its own merge operator; tests/storage
  // checks it equals `events`): left out, as read-only opens may leave families out.
  std::erase(names, std::string("histories"));
  for (const auto& n : names) cfs.emplace_back(n, cf_options);
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  s = rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), db_path, cfs, &handles, &raw);
  if (!s.ok()) return "error: " + s.ToString();
  std::unique_ptr<rocksdb::DB> db(raw);
  XXH64_state_t* state = XXH64_createState();
  XXH64_reset(state, 0);
  for (size_t i = 0; i < handles.size(); ++i) {
    XXH64_update(state, names[i].data(), names[i].size());
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), handles[i]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const uint64_t sizes[2] = {it->key().size(), it->value().size()};
      XXH64_update(state, sizes, sizeof sizes);
      XXH64_update(state, it->key().data(), it->key().size());
      XXH64_update(state, it->value().data(), it->value().size());
    }
  }
  const uint64_t h = XXH64_digest(state);
  XXH64_freeState(state);
  for (auto* h2 : handles) db->DestroyColumnFamilyHandle(h2);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

}  // namespace vigil::testing

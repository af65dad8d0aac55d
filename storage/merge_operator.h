// The merge operators of the store.
//
// The aggregates column family's merge operator: operands are MonthAggregate deltas (encoded
// with EncodeAggregate) and merging is MonthAggregate::Merge, which is associative and
// commutative (counts and sums add, latest is max, earliest is min). So operands may be
// combined in any grouping, which lets RocksDB fold them during compaction (PartialMergeMulti).
// Thread-safety: thread-safe (stateless).
#pragma once

#include <rocksdb/merge_operator.h>

#include <memory>

namespace vigil::storage {

std::shared_ptr<rocksdb::MergeOperator> NewAggregateMergeOperator();

// The histories column family's merge operator (storage/histories.h): operands are lists of
// edits (upsert or delete of one event) applied in order to the person's packed history. Not
// commutative, but associative: operands combine by concatenation (PartialMergeMulti), and
// FullMergeV2 applies them to the stored value, giving the packed value in events-key order.
// Bad bytes make it return false, which RocksDB reports as Corruption.
// Thread-safety: thread-safe (stateless).
std::shared_ptr<rocksdb::MergeOperator> NewHistoryMergeOperator();

}  // namespace vigil::storage

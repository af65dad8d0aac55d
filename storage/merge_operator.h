// The aggregates column family's merge operator: operands are MonthAggregate deltas (encoded
// with EncodeAggregate) and merging is MonthAggregate::Merge, which is associative and
// commutative (counts and sums add, latest is max, earliest is min). So operands may be
// combined in any grouping, which lets RocksDB fold them during compaction (PartialMergeMulti).
// Thread-safety: thread-safe (stateless).
#pragma once

#include <memory>

#include <rocksdb/merge_operator.h>

namespace vigil::storage {

std::shared_ptr<rocksdb::MergeOperator> NewAggregateMergeOperator();

}  // namespace vigil::storage

#include "merge_operator.h"

#include <string_view>
#include <vector>

#include "histories.h"
#include "vigil/store.h"

namespace vigil::storage {
namespace {

class AggregateMergeOperator final : public rocksdb::MergeOperator {
 public:
  const char* Name() const override { return "vigil.MonthAggregate.v1"; }

  bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override {
    MonthAggregate sum;
    if (in.existing_value != nullptr) {
      auto base = DecodeAggregate(ToView(*in.existing_value));
      // Returning false makes RocksDB report Corruption for this key instead of guessing.
      if (!base.ok()) return false;
      sum = *base;
    }
    for (const rocksdb::Slice& operand : in.operand_list) {
      auto delta = DecodeAggregate(ToView(operand));
      if (!delta.ok()) return false;
      sum.Merge(*delta);
    }
    out->new_value = EncodeAggregate(sum);
    return true;
  }

  bool PartialMergeMulti(const rocksdb::Slice& /*key*/, const std::deque<rocksdb::Slice>& operands,
                         std::string* new_value, rocksdb::Logger* /*logger*/) const override {
    MonthAggregate sum;
    for (const rocksdb::Slice& operand : operands) {
      auto delta = DecodeAggregate(ToView(operand));
      if (!delta.ok()) return false;
      sum.Merge(*delta);
    }
    *new_value = EncodeAggregate(sum);
    return true;
  }

  bool AllowSingleOperand() const override { return true; }

 private:
  static std::string_view ToView(const rocksdb::Slice& s) { return {s.data(), s.size()}; }
};

// The operands as views (the histories codec works on string_view).
template <typename Slices>
std::vector<std::string_view> Views(const Slices& slices) {
  std::vector<std::string_view> views;
  views.reserve(slices.size());
  for (const rocksdb::Slice& s : slices) views.emplace_back(s.data(), s.size());
  return views;
}

class HistoryMergeOperator final : public rocksdb::MergeOperator {
 public:
  const char* Name() const override { return "vigil.PackedHistory.v1"; }

  bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override {
    const std::vector<std::string_view> operands = Views(in.operand_list);
    if (in.existing_value == nullptr) {
      return ApplyHistoryEdits(nullptr, operands, &out->new_value);
    }
    const std::string_view base(in.existing_value->data(), in.existing_value->size());
    return ApplyHistoryEdits(&base, operands, &out->new_value);
  }

  bool PartialMergeMulti(const rocksdb::Slice& /*key*/,
                         const std::deque<rocksdb::Slice>& operand_list, std::string* new_value,
                         rocksdb::Logger* /*logger*/) const override {
    return ConcatHistoryEdits(Views(operand_list), new_value);
  }
};

}  // namespace

std::shared_ptr<rocksdb::MergeOperator> NewAggregateMergeOperator() {
  return std::make_shared<AggregateMergeOperator>();
}

std::shared_ptr<rocksdb::MergeOperator> NewHistoryMergeOperator() {
  return std::make_shared<HistoryMergeOperator>();
}

}  // namespace vigil::storage

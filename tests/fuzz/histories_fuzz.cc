// Fuzz target: the packed per-person histories (storage/histories.h) and the merge operator of
// the `histories` column family (storage/merge_operator.h). Packed values and merge operands are
// read back from RocksDB, where they may be damaged on disk: they must never crash the process.
//
// Input: byte 0 picks the mode (even: a packed value, odd: edits), the rest is
// - a packed value: the bytes given to PackedHistoryReader;
// - edits: parts, each a 2-byte big-endian length then that many bytes (fewer when the input
//   ends first); the first part is the stored packed value (empty: none stored yet), the next
//   ones (at most kMaxOperands) the merge operands, oldest first.
//
// Invariants, for any bytes: no crash, leak or UB, and
// - reader: Start refuses exactly a value that is neither empty nor starts with the format
//   byte; each event read lies inside the value, right after the previous one, with a 17-byte
//   suffix; a refused Next is a real fault (fewer than 18 bytes left, a length that is malformed,
//   longer than 5 bytes or runs past the end), and the reader stays put after it; a value read
//   to its end re-packs (PackedHistoryBuilder over the events read) to the very same bytes, or,
//   when a length was written in more bytes than needed, to shorter bytes that re-pack to
//   themselves; ApplyHistoryEdits with no operands succeeds exactly on a value that reads in
//   full with strictly ascending suffixes, and gives its re-packing;
// - edits: ApplyHistoryEdits succeeds exactly when the stored value is valid (as above) and
//   every operand is well formed (a reference parser written here decides), and its result is
//   what a std::map of the events, edited in order, packs to: so it reads in full and is sorted;
//   no stored value, an empty one and the format byte alone are the same empty history;
//   ConcatHistoryEdits succeeds exactly when every operand is well formed, and applying its one
//   operand equals applying the operands (histories.h: "one operand with the same effect");
//   applying the operands in two runs (every split point) equals applying them in one; the merge
//   operator's FullMergeV2 and PartialMergeMulti (called directly, no database needed) answer
//   what ApplyHistoryEdits and ConcatHistoryEdits answer.
#include <rocksdb/merge_operator.h>
#include <rocksdb/slice.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/coding.h"
#include "storage/histories.h"
#include "storage/merge_operator.h"
#include "tests/fuzz/fuzz_check.h"

namespace vigil {
namespace {

using storage::kHistorySuffixSize;
using Events = std::vector<std::pair<std::string_view, std::string_view>>;

// Enough operands to cover every way of combining them, few enough that checking every split
// point stays cheap.
constexpr size_t kMaxOperands = 8;
// PackedHistoryReader reads a value length of at most 5 varint bytes (values are far below
// 2^35 bytes); Reader::Varint of coding.h takes up to 10.
constexpr size_t kMaxLengthBytes = 5;

const std::string kFormatOnly(1, static_cast<char>(storage::kPackedHistoryFormat));

bool IsFormat(char c) { return static_cast<uint8_t>(c) == storage::kPackedHistoryFormat; }

// Whether the reader was right to refuse the event starting at `rest`: decided here without
// PackedHistoryReader.
bool RefusalIsGenuine(std::string_view rest) {
  if (rest.size() < kHistorySuffixSize + 1) return true;
  storage::Reader r(rest.substr(kHistorySuffixSize));
  std::string_view value;
  if (!r.String(&value)) return true;
  return r.offset() - value.size() > kMaxLengthBytes;
}

// Reads `packed` to its end into `events`, checking where each view points. False when the
// reader refuses it (after checking the refusal is real).
bool ReadPacked(std::string_view packed, Events* events) {
  events->clear();
  storage::PackedHistoryReader reader;
  if (!reader.Start(packed)) {
    VIGIL_FUZZ_CHECK(!packed.empty() && !IsFormat(packed[0]));
    return false;
  }
  VIGIL_FUZZ_CHECK(packed.empty() || IsFormat(packed[0]));
  const char* cursor = packed.data() + (packed.empty() ? 0 : 1);
  const char* const end = packed.data() + packed.size();
  while (!reader.done()) {
    VIGIL_FUZZ_CHECK(cursor < end);
    std::string_view suffix;
    std::string_view value;
    if (!reader.Next(&suffix, &value)) {
      VIGIL_FUZZ_CHECK(RefusalIsGenuine(std::string_view(cursor, end - cursor)));
      VIGIL_FUZZ_CHECK(!reader.done() && !reader.Next(&suffix, &value));  // stays put
      return false;
    }
    VIGIL_FUZZ_CHECK(suffix.data() == cursor && suffix.size() == kHistorySuffixSize);
    const char* const value_start = suffix.data() + kHistorySuffixSize;
    VIGIL_FUZZ_CHECK(value.data() > value_start && value.data() <= end);
    VIGIL_FUZZ_CHECK(value.data() - value_start <= static_cast<ptrdiff_t>(kMaxLengthBytes));
    VIGIL_FUZZ_CHECK(value.size() <= static_cast<size_t>(end - value.data()));
    cursor = value.data() + value.size();
    events->emplace_back(suffix, value);
  }
  VIGIL_FUZZ_CHECK(cursor == end);
  return true;
}

bool StrictlyAscending(const Events& events) {
  return std::adjacent_find(events.begin(), events.end(), [](const auto& a, const auto& b) {
           return !(a.first < b.first);
         }) == events.end();
}

// The packed value of one person holding `events` (in this order), as the bulk loads pack it;
// the format byte alone for no events.
std::string Repack(const Events& events) {
  constexpr uint64_t kPerson = 0x0123456789abcdef;
  std::string key;
  storage::PutFixed64BE(&key, kPerson);
  std::string packed = kFormatOnly;
  int emitted = 0;
  auto emit = [&](uint64_t person, std::string_view value) {
    VIGIL_FUZZ_CHECK(person == kPerson);
    packed.assign(value);
    ++emitted;
    return Status::Ok();
  };
  storage::PackedHistoryBuilder builder;
  for (const auto& [suffix, value] : events) {
    key.resize(storage::kPersonPrefixSize);
    key.append(suffix);
    VIGIL_FUZZ_CHECK(builder.Add(key, value, emit).ok());
  }
  VIGIL_FUZZ_CHECK(builder.Finish(emit).ok());
  VIGIL_FUZZ_CHECK(emitted == (events.empty() ? 0 : 1));
  return packed;
}

// One edit as the reference parser reads it; no value: a delete.
struct ModelEdit {
  std::string_view suffix;
  std::optional<std::string_view> value;
};

// The edits of one operand (histories.h), read without the parser of histories.cc.
bool ParseOperand(std::string_view operand, std::vector<ModelEdit>* edits) {
  if (operand.empty() || static_cast<uint8_t>(operand[0]) != storage::kHistoryEditsFormat) {
    return false;
  }
  std::string_view rest = operand.substr(1);
  while (!rest.empty()) {
    const auto op = static_cast<storage::HistoryEditOp>(static_cast<uint8_t>(rest[0]));
    if (op != storage::HistoryEditOp::kUpsert && op != storage::HistoryEditOp::kDelete) {
      return false;
    }
    if (rest.size() < 1 + kHistorySuffixSize) return false;
    ModelEdit edit{rest.substr(1, kHistorySuffixSize), std::nullopt};
    rest.remove_prefix(1 + kHistorySuffixSize);
    if (op == storage::HistoryEditOp::kUpsert) {
      storage::Reader r(rest);
      std::string_view value;
      if (!r.String(&value)) return false;
      edit.value = value;
      rest.remove_prefix(r.offset());
    }
    edits->push_back(edit);
  }
  return true;
}

std::vector<std::string_view> SplitParts(std::string_view rest) {
  std::vector<std::string_view> parts;
  while (rest.size() >= 2 && parts.size() < 1 + kMaxOperands) {
    const size_t n = std::min<size_t>(
        (static_cast<size_t>(static_cast<uint8_t>(rest[0])) << 8) | static_cast<uint8_t>(rest[1]),
        rest.size() - 2);
    parts.push_back(rest.substr(2, n));
    rest.remove_prefix(2 + n);
  }
  return parts;
}

std::optional<std::string> Apply(const std::string_view* base,
                                 std::span<const std::string_view> operands) {
  std::string out;
  if (!storage::ApplyHistoryEdits(base, operands, &out)) return std::nullopt;
  return out;
}

std::optional<std::string> Concat(std::span<const std::string_view> operands) {
  std::string out;
  if (!storage::ConcatHistoryEdits(operands, &out)) return std::nullopt;
  return out;
}

void CheckPacked(std::string_view packed) {
  Events events;
  const bool read = ReadPacked(packed, &events);
  if (read) {
    const std::string repacked = Repack(events);
    if (events.empty()) {
      VIGIL_FUZZ_CHECK(packed.empty() || packed == kFormatOnly);
    } else if (repacked.size() != packed.size()) {
      // Only a length written in more varint bytes than needed can make the value shorter.
      VIGIL_FUZZ_CHECK(repacked.size() < packed.size());
      Events again;
      VIGIL_FUZZ_CHECK(ReadPacked(repacked, &again) && again == events);
      VIGIL_FUZZ_CHECK(Repack(again) == repacked);
    } else {
      VIGIL_FUZZ_CHECK(repacked == packed);
    }
  }
  const auto applied = Apply(&packed, {});
  VIGIL_FUZZ_CHECK(applied.has_value() == (read && StrictlyAscending(events)));
  if (applied) VIGIL_FUZZ_CHECK(*applied == Repack(events));
}

void CheckEdits(std::string_view input) {
  const std::vector<std::string_view> parts = SplitParts(input);
  if (parts.empty()) return;
  const std::string_view base = parts[0];
  const std::span<const std::string_view> operands(parts.begin() + 1, parts.end());
  const std::string_view* base_or_none = base.empty() ? nullptr : &base;

  // The reference: the stored events in a map, edited in order.
  Events base_events;
  const bool base_ok = ReadPacked(base, &base_events) && StrictlyAscending(base_events);
  std::map<std::string_view, std::string_view> model(base_events.begin(), base_events.end());
  bool operands_ok = true;
  for (std::string_view operand : operands) {
    std::vector<ModelEdit> edits;
    if (!ParseOperand(operand, &edits)) {
      operands_ok = false;
      break;
    }
    for (const ModelEdit& e : edits) {
      if (e.value) {
        model[e.suffix] = *e.value;
      } else {
        model.erase(e.suffix);
      }
    }
  }

  const auto applied = Apply(base_or_none, operands);
  VIGIL_FUZZ_CHECK(applied.has_value() == (base_ok && operands_ok));
  if (applied) {
    const std::string expected = Repack(Events(model.begin(), model.end()));
    VIGIL_FUZZ_CHECK(*applied == expected);
    Events events;
    VIGIL_FUZZ_CHECK(ReadPacked(*applied, &events) && StrictlyAscending(events));
  }
  if (base.empty()) {
    const std::string_view empty_value;
    const std::string_view format_only = kFormatOnly;
    VIGIL_FUZZ_CHECK(Apply(&empty_value, operands) == applied);
    VIGIL_FUZZ_CHECK(Apply(&format_only, operands) == applied);
  }

  const auto concatenated = Concat(operands);
  VIGIL_FUZZ_CHECK(concatenated.has_value() == operands_ok);
  if (concatenated) {
    const std::string_view one = *concatenated;
    VIGIL_FUZZ_CHECK(Apply(base_or_none, std::span(&one, 1)) == applied);
  }

  for (size_t split = 0; split <= operands.size(); ++split) {
    const auto first = Apply(base_or_none, operands.first(split));
    if (!first) {
      VIGIL_FUZZ_CHECK(!applied);
      continue;
    }
    const std::string_view stored = *first;
    VIGIL_FUZZ_CHECK(Apply(&stored, operands.subspan(split)) == applied);
  }

  // The merge operator as RocksDB calls it.
  static const std::shared_ptr<rocksdb::MergeOperator> merge = storage::NewHistoryMergeOperator();
  const rocksdb::Slice key("person-k");
  const rocksdb::Slice base_slice(base.data(), base.size());
  std::vector<rocksdb::Slice> operand_list;
  for (std::string_view operand : operands)
    operand_list.emplace_back(operand.data(), operand.size());
  const rocksdb::MergeOperator::MergeOperationInput in(key, base.empty() ? nullptr : &base_slice,
                                                       operand_list, nullptr);
  std::string new_value;
  rocksdb::Slice existing_operand;
  rocksdb::MergeOperator::MergeOperationOutput out(new_value, existing_operand);
  const bool merged = merge->FullMergeV2(in, &out);
  VIGIL_FUZZ_CHECK(merged == applied.has_value());
  if (merged) VIGIL_FUZZ_CHECK(existing_operand.empty() && new_value == *applied);

  const std::deque<rocksdb::Slice> operand_deque(operand_list.begin(), operand_list.end());
  std::string partial;
  const bool combined = merge->PartialMergeMulti(key, operand_deque, &partial, nullptr);
  VIGIL_FUZZ_CHECK(combined == concatenated.has_value());
  if (combined) VIGIL_FUZZ_CHECK(partial == *concatenated);
}

}  // namespace
}  // namespace vigil

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    vigil::CheckPacked(rest);
  } else {
    vigil::CheckEdits(rest);
  }
  return 0;
}

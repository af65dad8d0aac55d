#include "histories.h"

#include <algorithm>
#include <vector>

#include "coding.h"

namespace vigil::storage {
namespace {

struct Edit {
  std::string_view suffix;
  std::string_view value;
  HistoryEditOp op = HistoryEditOp::kUpsert;
};

// Appends the edits of one operand to `out`; false on bad bytes.
bool ParseEdits(std::string_view operand, std::vector<Edit>* out) {
  if (operand.empty() || static_cast<uint8_t>(operand[0]) != kHistoryEditsFormat) return false;
  std::string_view rest = operand.substr(1);
  while (!rest.empty()) {
    const auto op = static_cast<uint8_t>(rest[0]);
    rest.remove_prefix(1);
    if (rest.size() < kHistorySuffixSize) return false;
    Edit e;
    e.suffix = rest.substr(0, kHistorySuffixSize);
    rest.remove_prefix(kHistorySuffixSize);
    if (op == static_cast<uint8_t>(HistoryEditOp::kUpsert)) {
      Reader r(rest);
      if (!r.String(&e.value)) return false;
      rest.remove_prefix(r.offset());
    } else if (op == static_cast<uint8_t>(HistoryEditOp::kDelete)) {
      e.op = HistoryEditOp::kDelete;
    } else {
      return false;
    }
    out->push_back(e);
  }
  return true;
}

}  // namespace

void AppendPackedEvent(std::string* out, std::string_view suffix, std::string_view value) {
  out->append(suffix);
  PutString(out, value);
}

void HistoryEdits::Upsert(std::string_view suffix, std::string_view value) {
  bytes_.push_back(static_cast<char>(HistoryEditOp::kUpsert));
  bytes_.append(suffix);
  PutString(&bytes_, value);
}

void HistoryEdits::Delete(std::string_view suffix) {
  bytes_.push_back(static_cast<char>(HistoryEditOp::kDelete));
  bytes_.append(suffix);
}

bool ApplyHistoryEdits(const std::string_view* base, std::span<const std::string_view> operands,
                       std::string* out) {
  std::vector<Edit> edits;
  for (std::string_view operand : operands) {
    if (!ParseEdits(operand, &edits)) return false;
  }
  // The last edit of each suffix decides; a stable sort keeps the edits of one suffix in
  // the order they were made.
  std::stable_sort(edits.begin(), edits.end(),
                   [](const Edit& a, const Edit& b) { return a.suffix < b.suffix; });
  size_t kept = 0;
  for (size_t i = 0; i < edits.size(); ++i) {
    if (i + 1 < edits.size() && edits[i + 1].suffix == edits[i].suffix) continue;
    edits[kept++] = edits[i];
  }
  edits.resize(kept);

  PackedHistoryReader reader;
  std::string_view base_bytes = base != nullptr ? *base : std::string_view();
  if (!reader.Start(base_bytes)) return false;
  out->clear();
  size_t edit_bytes = 0;
  for (const Edit& e : edits) edit_bytes += kHistorySuffixSize + 5 + e.value.size();
  out->reserve(base_bytes.size() + edit_bytes + 1);
  out->push_back(static_cast<char>(kPackedHistoryFormat));

  // Merge of two sorted sequences: the stored events and the edits.
  std::string_view suffix;
  std::string_view value;
  std::string_view previous;
  bool have = false;
  auto next_base = [&]() -> bool {
    if (reader.done()) {
      have = false;
      return true;
    }
    if (!reader.Next(&suffix, &value)) return false;
    // The stored order is what every reader relies on: check it rather than trust it.
    if (!previous.empty() && !(previous < suffix)) return false;
    previous = suffix;
    have = true;
    return true;
  };
  if (!next_base()) return false;
  size_t i = 0;
  while (have || i < edits.size()) {
    if (i < edits.size() && (!have || edits[i].suffix <= suffix)) {
      const Edit& e = edits[i++];
      if (e.op == HistoryEditOp::kUpsert) AppendPackedEvent(out, e.suffix, e.value);
      if (have && e.suffix == suffix && !next_base()) return false;  // replaced or deleted
    } else {
      AppendPackedEvent(out, suffix, value);
      if (!next_base()) return false;
    }
  }
  return true;
}

bool ConcatHistoryEdits(std::span<const std::string_view> operands, std::string* out) {
  out->assign(1, static_cast<char>(kHistoryEditsFormat));
  std::vector<Edit> check;
  for (std::string_view operand : operands) {
    check.clear();
    if (!ParseEdits(operand, &check)) return false;
    out->append(operand.substr(1));
  }
  return true;
}

}  // namespace vigil::storage

// The per-row work shared by ReadFeedFile and the parallel loader: turn one record found by
// the RecordSplitter into a typed record or a RowReject.
// Thread-safety: pure; `fields` and `arena` are per-thread scratch buffers.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "fields.h"
#include "record_splitter.h"
#include "vigil/ingest.h"

namespace vigil::ingest_internal {

template <typename R>
bool ProcessRecord(const FeedParser& parser, std::string_view text, RecordFlag flag,
                   std::vector<std::string_view>* fields, std::string* arena, R* record,
                   RowReject* reject) {
  auto fail = [&](RejectReason reason, std::string column, std::string message) {
    reject->reason = reason;
    reject->column = std::move(column);
    reject->message = std::move(message);
    return false;
  };
  auto column_name = [&](size_t i) {
    return i < parser.header().size() ? parser.header()[i] : std::string();
  };
  if (flag == RecordFlag::kTooLong) {
    return fail(RejectReason::kRowTooLong, "", "row is longer than the row limit; skipped");
  }
  const SplitResult split = SplitFields(text, fields, arena);
  if (split.error == FieldError::kStrayQuote) {
    return fail(RejectReason::kStrayQuote, column_name(split.field),
                "a quote inside an unquoted value or text after a closing quote");
  }
  if (split.error == FieldError::kUnterminatedQuote) {
    return fail(RejectReason::kUnterminatedQuote, column_name(split.field),
                "a quoted field is not closed on this row");
  }
  if (!IsValidUtf8(text)) {
    size_t bad = 0;
    while (bad < fields->size() && IsValidUtf8((*fields)[bad])) ++bad;
    return fail(RejectReason::kBadUtf8, column_name(bad), "value is not valid UTF-8");
  }
  return parser.Parse(*fields, record, reject);
}

// A Reject for the rejects file.
inline Reject MakeReject(std::string_view file, uint64_t line, std::string_view raw,
                         RowReject&& row_reject) {
  Reject r;
  r.file.assign(file);
  r.line = line;
  r.column = std::move(row_reject.column);
  r.reason = row_reject.reason;
  r.message = std::move(row_reject.message);
  r.raw = IsValidUtf8(raw) ? std::string(raw) : EscapeInvalidUtf8(raw);
  return r;
}

// A default record of the type `feed` holds, for a reader to parse a row into.
inline AnyRecord EmptyRecord(Feed feed) {
  switch (feed) {
    case Feed::kPersons:
      return PersonRecord{};
    case Feed::kContributions:
      return ContributionRecord{};
    case Feed::kPayments:
      return PaymentRecord{};
    case Feed::kSignals:
      return SignalRecord{};
    case Feed::kRegistry:
      return RegistryRecord{};
    case Feed::kAppraisals:
      return AppraisalRecord{};
  }
  return PersonRecord{};
}

}  // namespace vigil::ingest_internal

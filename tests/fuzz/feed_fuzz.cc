// Fuzz target: the feed reader (ReadFeedFile, and beneath it the record splitter, field
// splitting, UTF-8 checks and FeedParser), plus the public CsvReader over the same bytes.
//
// Input: byte 0 picks the feed (mod 6), byte 1 the chunk size of the in-memory pass (1 to 64
// bytes), the rest is the file. ReadFeedFile itself reads the file too for one input in 32 (by
// a hash of the input, so mutants of one seed differ): it reads 1 MiB chunks into a fresh
// zero-filled buffer, whose page faults cost milliseconds, far more than parsing a small input.
// Invariants, for any bytes:
// - nothing crashes, leaks or hits UB (sanitizers in the libFuzzer build);
// - a refused file names the file in its error;
// - every reject names a line of the file, a reason, a message, and a column that is either
//   empty (the row as a whole) or one of the header's; its raw text is valid UTF-8;
// - every accepted record has a resident id that parses (strictly in the other agencies'
//   feeds; leniently, with id_checksum_ok telling the truth, in the fund's own ledgers), and
//   encodes to a stored value that decodes and encodes to the same bytes;
// - reading the bytes in tiny chunks gives exactly what one chunk gives, and what ReadFeedFile
//   gives (whether a newline ends a row must not depend on where a chunk ended);
// - CsvReader rows start on increasing lines within the file.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ingest/record_splitter.h"
#include "ingest/row_processing.h"
#include "storage/values.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_temp_file.h"
#include "vigil/csv.h"
#include "vigil/ingest.h"
#include "vigil/resident_id.h"

namespace vigil {
namespace {

using ingest_internal::RecordFlag;

// The stored form of a record: a canonical byte string to compare two reads by.
std::string Encoded(const AnyRecord& record) {
  return std::visit(
      [](const auto& r) -> std::string {
        using R = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<R, PersonRecord>) {
          return storage::EncodePerson(r);
        } else {
          return storage::EncodeEvent(r).value;
        }
      },
      record);
}

std::string ReEncoded(const AnyRecord& record, const std::string& bytes) {
  if (std::holds_alternative<PersonRecord>(record)) {
    auto decoded = storage::DecodePerson(bytes);
    VIGIL_FUZZ_CHECK(decoded.ok());
    return storage::EncodePerson(*decoded);
  }
  const EventKind kind = static_cast<EventKind>(record.index());
  auto decoded = storage::DecodeEvent(kind, bytes);
  VIGIL_FUZZ_CHECK(decoded.ok());
  return Encoded(*decoded);
}

// What reading one file gave: the header (empty when the file was refused), the records and
// the rejects in file order.
struct Outcome {
  bool refused = false;
  std::vector<std::string> header;
  std::vector<AnyRecord> records;
  std::vector<Reject> rejects;
  uint64_t rows_read = 0;
};

std::string RejectKey(const Reject& r) {
  return r.file + "|" + std::to_string(r.line) + "|" + r.column + "|" + r.ReasonText() + "|" +
         r.raw;
}

// ReadFeedFile's loop, fed `chunk` bytes at a time from memory.
Outcome ReadChunked(Feed feed, std::string_view bytes, size_t chunk, const std::string& name) {
  ingest_internal::RecordSplitter splitter;
  ingest_internal::RecordBlock block;
  std::vector<std::string_view> fields;
  std::string arena;
  std::optional<FeedParser> parser;
  Outcome out;
  for (size_t pos = 0;; pos += chunk) {
    const bool eof = pos >= bytes.size();
    splitter.Split(eof ? std::string() : std::string(bytes.substr(pos, chunk)), eof, &block);
    for (const auto& span : block.records) {
      const std::string_view text = block.record_text(span);
      if (!parser) {
        const auto split = ingest_internal::SplitFields(text, &fields, &arena);
        if (span.flag != RecordFlag::kHeader || split.error != ingest_internal::FieldError::kNone ||
            !ingest_internal::IsValidUtf8(text)) {
          out.refused = true;
          return out;
        }
        auto created = FeedParser::Create(feed, fields, name);
        if (!created.ok()) {
          out.refused = true;
          return out;
        }
        parser.emplace(std::move(*created));
        out.header = parser->header();
        continue;
      }
      ++out.rows_read;
      AnyRecord record = ingest_internal::EmptyRecord(feed);
      RowReject reject;
      const bool ok = std::visit(
          [&](auto& typed) {
            return ingest_internal::ProcessRecord(*parser, text, span.flag, &fields, &arena, &typed,
                                                  &reject);
          },
          record);
      if (ok) {
        out.records.push_back(std::move(record));
      } else {
        out.rejects.push_back(
            ingest_internal::MakeReject(name, span.line, text, std::move(reject)));
      }
    }
    if (eof) break;
  }
  if (!parser) out.refused = true;
  return out;
}

void CheckSame(const Outcome& a, const Outcome& b) {
  VIGIL_FUZZ_CHECK(a.refused == b.refused);
  VIGIL_FUZZ_CHECK(a.rows_read == b.rows_read);
  VIGIL_FUZZ_CHECK(a.records.size() == b.records.size());
  VIGIL_FUZZ_CHECK(a.rejects.size() == b.rejects.size());
  for (size_t i = 0; i < a.records.size(); ++i) {
    VIGIL_FUZZ_CHECK(Encoded(a.records[i]) == Encoded(b.records[i]));
  }
  for (size_t i = 0; i < a.rejects.size(); ++i) {
    VIGIL_FUZZ_CHECK(RejectKey(a.rejects[i]) == RejectKey(b.rejects[i]));
  }
}

void CheckRecord(Feed feed, const AnyRecord& record) {
  std::visit(
      [&](const auto& r) {
        using R = std::decay_t<decltype(r)>;
        const bool strict =
            feed == Feed::kSignals || feed == Feed::kRegistry || feed == Feed::kAppraisals;
        if (strict) {
          VIGIL_FUZZ_CHECK(ResidentId::Parse(r.person_id).ok());
        } else {
          VIGIL_FUZZ_CHECK(ResidentId::ParseLenient(r.person_id).ok());
          if constexpr (requires { r.id_checksum_ok; }) {
            VIGIL_FUZZ_CHECK(r.id_checksum_ok == ResidentId::Parse(r.person_id).ok());
          }
        }
        if constexpr (std::is_same_v<R, PaymentRecord>) VIGIL_FUZZ_CHECK(r.amount.fen() >= 0);
      },
      record);
  const std::string bytes = Encoded(record);
  VIGIL_FUZZ_CHECK(ReEncoded(record, bytes) == bytes);
}

size_t LinesIn(std::string_view bytes) {
  size_t lines = 1;
  for (char c : bytes) lines += c == '\n' ? 1 : 0;
  return lines;
}

void CheckCsvReader(const std::string& path, size_t chunk, size_t lines) {
  CsvOptions options;
  options.chunk_bytes = chunk;
  options.max_record_bytes = 512;  // small, so that ROW_TOO_LONG is reached too
  auto reader = CsvReader::Open(path, options);
  if (!reader.ok()) return;
  CsvRow row;
  uint64_t last_line = 0;
  while (true) {
    auto next = (*reader)->Next(&row);
    VIGIL_FUZZ_CHECK(next.ok());
    if (!*next) break;
    VIGIL_FUZZ_CHECK(row.line > last_line && row.line <= lines);
    last_line = row.line;
    if (row.problem == CsvProblem::kNone) VIGIL_FUZZ_CHECK(!row.fields.empty());
  }
}

}  // namespace
}  // namespace vigil

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil;  // NOLINT(google-build-using-namespace)
  if (size < 2) return 0;
  const Feed feed = static_cast<Feed>(data[0] % 6);
  const size_t chunk = size_t{1} + data[1] % 64;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 2, size - 2);
  const bool also_from_file = std::hash<std::string_view>{}(bytes) % 32 == 0;
  const std::string name = std::string(CodeName(feed)) + ".csv";
  const std::string path = fuzz::WriteTempFile(name, data + 2, size - 2);
  const size_t lines = LinesIn(bytes);

  const Outcome whole = ReadChunked(feed, bytes, bytes.size() + 1, name);
  CheckSame(whole, ReadChunked(feed, bytes, chunk, name));
  if (also_from_file) {
    auto read = ReadFeedFile(path, feed);
    VIGIL_FUZZ_CHECK(read.ok() != whole.refused);
    if (!read.ok()) {
      VIGIL_FUZZ_CHECK(read.status().message().find(name) != std::string::npos);
    } else {
      Outcome from_file;
      from_file.header = whole.header;
      from_file.records = std::move(read->records);
      from_file.rejects = std::move(read->rejects);
      from_file.rows_read = read->rows_read;
      CheckSame(whole, from_file);
    }
  }
  VIGIL_FUZZ_CHECK(whole.records.size() + whole.rejects.size() == whole.rows_read);
  for (const AnyRecord& record : whole.records) CheckRecord(feed, record);
  for (const Reject& r : whole.rejects) {
    VIGIL_FUZZ_CHECK(r.file == name);
    VIGIL_FUZZ_CHECK(r.line >= 1 && r.line <= lines);
    VIGIL_FUZZ_CHECK(!RejectReasonName(r.reason).empty() && !r.message.empty());
    VIGIL_FUZZ_CHECK(ingest_internal::IsValidUtf8(r.raw));
    // The column is named as the file's header wrote it.
    bool known_column = r.column.empty();
    for (const std::string& h : whole.header) known_column |= r.column == h;
    VIGIL_FUZZ_CHECK(known_column);
  }
  CheckCsvReader(path, chunk, lines);
  return 0;
}

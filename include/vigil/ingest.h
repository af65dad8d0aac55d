// Ingest: reads the feed files of the data contract (feeds.md), validates every row into the
// typed records of vigil/records.h, and loads them into the Store.
//
// Three layers, each usable alone:
//   1. Feed files: which files of a folder are feeds (`payments.csv`, `payments.0001.csv.gz`,
//      ...) and in what order they load.
//   2. FeedParser: binds a file's header to a feed's columns and turns one row's fields into a
//      record or a RowReject with a stable reason code (docs/ingest.md lists them all).
//   3. IngestFolder: the parallel loader. Bad rows go to DB/rejects/<load-id>.csv, all others
//      are written; loading the same folder again changes nothing, and a load killed at any
//      point and rerun leaves the same content as an uninterrupted one.
//
// The library never prints: progress goes to a callback, warnings into the summary.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/records.h"
#include "vigil/status.h"
#include "vigil/time.h"

namespace vigil {

class Store;

// ---------------------------------------------------------------------------------------------
// Reject reasons. The name is what the `reason` column of a rejects file starts with; it is
// stable (operators filter on it). Append, never reorder or rename.
enum class RejectReason : uint8_t {
  kFieldCount,           // FIELD_COUNT: not as many fields as the header
  kUnterminatedQuote,    // UNTERMINATED_QUOTE: a quoted field never closes on this row
  kStrayQuote,           // STRAY_QUOTE: quote inside an unquoted field / text after a quote
  kRowTooLong,           // ROW_TOO_LONG: longer than the reader's row limit
  kBadUtf8,              // BAD_UTF8: bytes that are not UTF-8
  kEmptyField,           // EMPTY_FIELD: a required value is empty
  kIdLength,             // ID_LENGTH: resident id is not 18 characters
  kIdCharacters,         // ID_CHARACTERS: not 17 digits + digit/X
  kIdBirthDate,          // ID_BIRTH_DATE: characters 7-14 are not a real date
  kIdChecksum,           // ID_CHECKSUM: check character wrong (agency feeds only)
  kBadDate,              // BAD_DATE: not a real YYYY-MM-DD
  kBadMonth,             // BAD_MONTH: not YYYY-MM
  kBadTimestamp,         // BAD_TIMESTAMP: not YYYY-MM-DDTHH:MM:SS
  kDateOutOfRange,       // DATE_OUT_OF_RANGE: year outside 1900..2100
  kBadMoney,             // BAD_MONEY: not a number with at most 2 decimals
  kNegativeMoney,        // NEGATIVE_MONEY: an amount below zero
  kUnknownCode,          // UNKNOWN_CODE: not one of the contract's values
  kBadRegion,            // BAD_REGION: not a 4-digit city code
  kBadDistrict,          // BAD_DISTRICT: not a 6-digit district code
  kBadIndustry,          // BAD_INDUSTRY: not a GB/T 4754 section letter + 2 digits
  kEndBeforeStart,       // END_BEFORE_START: end_month before start_month
  kBadGrade,             // BAD_GRADE: not an integer 1..10
  kBadDetail,            // BAD_DETAIL: detail not allowed for this source/event
  kReportedBeforeEvent,  // REPORTED_BEFORE_EVENT: reported_date before event_date
  kFieldTooLong,         // FIELD_TOO_LONG: a value longer than its column allows
  kControlCharacter,     // CONTROL_CHARACTER: an identifier holding a tab, newline, ...
};
std::string_view RejectReasonName(RejectReason reason);
// Every reason, in order (for docs and tests).
std::span<const RejectReason> AllRejectReasons();

// Why one row was refused: the column (header name; empty when the row as a whole is at fault)
// and a human-readable message that never repeats personal data beyond the offending value.
struct RowReject {
  RejectReason reason = RejectReason::kFieldCount;
  std::string column;
  std::string message;
};

// A row of the rejects file: file,line,column,reason,raw.
struct Reject {
  std::string file;   // file name inside the feed folder
  uint64_t line = 0;  // line the row starts on
  std::string column;
  RejectReason reason = RejectReason::kFieldCount;
  std::string message;
  std::string raw;  // the row as received (invalid UTF-8 bytes written as \xNN)
  // The `reason` column: "NAME: message".
  std::string ReasonText() const;
};

// ---------------------------------------------------------------------------------------------
// Feed files.
struct FeedFile {
  Feed feed = Feed::kPersons;
  std::string name;  // file name, e.g. "payments.0001.csv.gz"
  std::string path;  // full path
  int part = 0;      // 0 for "payments.csv", 1 for "payments.0001.csv", ...
  bool gzip = false;
  uint64_t size = 0;     // bytes on disk
  int64_t mtime_ns = 0;  // modification time, ns since 1970
};

// Recognises a feed file name: "<feed>.csv", "<feed>.<NNNN>.csv" (any number of digits), each
// optionally ".gz". Anything else is not a feed file.
std::optional<FeedFile> ParseFeedFileName(std::string_view name);

// Lists the feed files directly in `dir` (sub-folders are not read), in load order: by feed
// in contract order, then part number, then name. Names that are not feed files are returned
// in `ignored` (may be null). Errors: NotFound (no such folder), IoError.
Result<std::vector<FeedFile>> DiscoverFeedFiles(const std::string& dir,
                                                std::vector<std::string>* ignored = nullptr);

// ---------------------------------------------------------------------------------------------
// Validation.

// Column names of a feed: required ones first, then optional ones (which may be absent from the
// header; their values are then empty).
struct FeedColumns {
  std::span<const std::string_view> required;
  std::span<const std::string_view> optional;
};
FeedColumns ColumnsOf(Feed feed);

// Validates rows of one file of one feed. Built from the file's header: columns may come in
// any order (names compared after trimming blanks, case-insensitively), unknown columns are
// ignored. Thread-safety: immutable after Create; Parse may be called from many threads.
class FeedParser {
 public:
  // Errors (InvalidArgument, naming file and column): a required column missing, a known
  // column named twice.
  static Result<FeedParser> Create(Feed feed, std::span<const std::string> header,
                                   std::string_view file_name);
  // Same, with string_view column names.
  static Result<FeedParser> Create(Feed feed, std::span<const std::string_view> header,
                                   std::string_view file_name);

  Feed feed() const { return feed_; }
  size_t field_count() const { return header_.size(); }
  const std::vector<std::string>& header() const { return header_; }

  // Turns one row's fields into a record of this feed. Returns false and fills `reject` when
  // the row breaks the contract. `fields` must be unquoted CSV fields (see vigil/csv.h).
  bool Parse(std::span<const std::string_view> fields, AnyRecord* record, RowReject* reject) const;
  // Typed forms (the record type must be this feed's; used by the loader, no variant).
  bool Parse(std::span<const std::string_view> fields, PersonRecord* r, RowReject* rej) const;
  bool Parse(std::span<const std::string_view> fields, ContributionRecord* r, RowReject* rej) const;
  bool Parse(std::span<const std::string_view> fields, PaymentRecord* r, RowReject* rej) const;
  bool Parse(std::span<const std::string_view> fields, SignalRecord* r, RowReject* rej) const;
  bool Parse(std::span<const std::string_view> fields, RegistryRecord* r, RowReject* rej) const;
  bool Parse(std::span<const std::string_view> fields, AppraisalRecord* r, RowReject* rej) const;

  // Index in the row of each of the feed's columns (required, then optional); -1 if absent.
  const std::vector<int>& column_index() const { return index_; }

 private:
  FeedParser() = default;
  Feed feed_ = Feed::kPersons;
  std::vector<std::string> header_;
  std::vector<int> index_;
};

// The date a feed's health is measured on (its newest row, its date range): persons
// retirement_date, contributions paid_date, payments paid_date, signals occurred_at,
// registry reported_date, appraisals appraisal_date.
Date ActivityDate(const AnyRecord& record);

// Reads and validates a whole file serially, keeping every record in memory: for tests, tools
// and small files (the loader streams instead). Errors: those of CsvReader::Open and
// FeedParser::Create (the whole file refused), and I/O errors while reading.
struct FeedFileContents {
  std::vector<AnyRecord> records;
  std::vector<Reject> rejects;
  uint64_t rows_read = 0;
};
Result<FeedFileContents> ReadFeedFile(const std::string& path, Feed feed);

// ---------------------------------------------------------------------------------------------
// The loader.

struct IngestProgress {
  std::string_view file;     // file being read
  uint64_t rows = 0;         // rows read so far in this load
  uint64_t bytes_done = 0;   // bytes on disk read so far in this load (all files)
  uint64_t bytes_total = 0;  // bytes on disk of all files of the load
  double seconds = 0;        // since the load started
};

struct IngestOptions {
  // Worker threads for parsing and validation; 0 = one per hardware thread. Default: 0.
  int threads = 0;
  // Bytes read per chunk (after decompression). Default: 1 MiB.
  size_t chunk_bytes = size_t{1} << 20;
  // Chunks in flight in the pipeline; 0 = 2 per thread + 2. Bounds memory to about
  // tokens * chunk_bytes * 3. Default: 0.
  size_t max_tokens = 0;
  // A feed whose newest row is older than this many days before the reference date is
  // reported stale. Default: 45.
  int staleness_days = 45;
  // Reference date for staleness. Default: the newest activity date seen in the whole load
  // (deterministic, so a rerun stores the same health).
  std::optional<Date> as_of;
  // A feed whose row count moves more than this fraction from its previous load is reported.
  // Default: 0.20.
  double volume_change_warn = 0.20;
  // Initial load: when the store holds no persons and no events (or a bulk load that was
  // interrupted), rows go through Store::StartBulkLoad (sorted runs merged into SST files,
  // aggregates built at the end) instead of Store::Write. Same final content; much faster. Default:
  // true.
  bool bulk_initial_load = true;
  // Another folder's load was interrupted (killed, or failed): load this folder all the same.
  // An interrupted initial load is discarded (its partial content is wiped: it began from an
  // empty store); an interrupted later load cannot be undone, so its rows stay and this only
  // acknowledges it (its mark goes, and scoring accepts the store again). Either way its
  // rejects temporary is removed. Without it the load is refused (FailedPrecondition naming the
  // interrupted load id and folder), since the rest of that delivery would be forgotten.
  // Default: false.
  bool discard_interrupted_load = false;
  // Rows buffered per sorted run of the bulk load (BulkLoadOptions::run_bytes). Memory is
  // about 2.5x this. Default: 128 MiB.
  size_t bulk_run_bytes = size_t{128} << 20;
  // Called from the writing thread about every `progress_interval_rows` rows. May be empty.
  std::function<void(const IngestProgress&)> progress;
  uint64_t progress_interval_rows = 1'000'000;
};

struct FileSummary {
  std::string file;
  Feed feed = Feed::kPersons;
  uint64_t rows_read = 0;  // data rows (header and blank lines not counted)
  uint64_t loaded = 0;     // rows accepted = inserted + replaced + unchanged
  uint64_t rejected = 0;
  uint64_t inserted = 0;
  uint64_t replaced = 0;
  uint64_t unchanged = 0;
  double seconds = 0;  // wall time this file took (reading, checking and writing)
  // Non-empty when the file could not be read at all (refused header, I/O error); its rows,
  // if any were read before an I/O error, stay loaded.
  std::string error;
};

// Health of one feed in this load, also stored in the store's meta under
// "ingest.health.<feed>" (see docs/ingest.md for the format).
struct FeedHealth {
  Feed feed = Feed::kPersons;
  uint64_t rows = 0;  // data rows read
  uint64_t loaded = 0;
  uint64_t rejected = 0;
  std::optional<Date> first;  // oldest activity date among loaded rows
  std::optional<Date> last;   // newest
  double reject_rate() const { return rows == 0 ? 0.0 : static_cast<double>(rejected) / rows; }
  std::optional<uint64_t> previous_rows;  // rows of the previous load of this feed
  std::vector<std::string> warnings;
};

struct IngestSummary {
  std::string load_id;       // 16 hex digits: hash of the files' names, sizes and mtimes
  std::string rejects_path;  // DB/rejects/<load-id>.csv (written even when empty)
  std::vector<FileSummary> files;
  std::vector<FeedHealth> health;
  std::vector<std::string> ignored;  // names in the folder that are not feed files
  double seconds = 0;
  // The load went through the bulk writer (an initial load, IngestOptions::bulk_initial_load).
  bool bulk = false;
  // Bulk load only: seconds spent after the last file on writing the last run and building
  // the aggregates (not part of any file's `seconds`).
  double bulk_finish_seconds = 0;
  bool any_file_failed() const;
  uint64_t total_rows() const;
};

// Loads every feed file of `feed_dir` into `store`; rejects go to `rejects_dir`/<load-id>.csv
// (the folder is created). A file that cannot be read is reported in its FileSummary and the
// others still load. From before its first row until its last row, the rejects file and the
// feed health are durable, the store carries the delivery's mark (Store::BeginDelivery), so a
// load that fails or is killed leaves a store that names the folder to load again.
// Errors (the load as a whole failed): the folder cannot be listed, a store write or the
// rejects file failed; FailedPrecondition when another folder's load was interrupted (see
// IngestOptions::discard_interrupted_load). Not to be run twice concurrently on one store.
Result<IngestSummary> IngestFolder(Store& store, const std::string& feed_dir,
                                   const std::string& rejects_dir,
                                   const IngestOptions& options = {});

// Human-readable summary lines (per file, per feed health and warnings), for the CLI.
std::string FormatIngestSummary(const IngestSummary& summary);

}  // namespace vigil

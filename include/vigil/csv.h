// Streaming reader for the RFC 4180 CSV files of the data contract (feeds.md).
//
// Reads plain or gzip (".gz") files in chunks, so memory stays bounded by the chunk size and
// the longest row, never the file. Handles comma separation, `"` quoting with `""` escapes,
// quoted commas and newlines, LF or CRLF line ends, a leading UTF-8 byte order mark, and
// validates UTF-8. The first row is the header. Every row carries its file and the line it
// starts on. A broken row does not stop the reader: it is returned with a `problem` and the
// reader goes on (see docs/ingest.md for the unterminated-quote recovery rule).
//
// Thread-safety: not thread-safe; one CsvReader per file and thread. Distinct readers are
// independent.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/status.h"

namespace vigil {

struct CsvOptions {
  // Bytes read (after decompression) per chunk. Default: 1 MiB.
  size_t chunk_bytes = size_t{1} << 20;
  // Longest row accepted; a longer one is returned as kTooLong and skipped. Default: 1 MiB.
  size_t max_record_bytes = size_t{1} << 20;
};

// Why a row could not be split into fields.
enum class CsvProblem : uint8_t {
  kNone,
  kUnterminatedQuote,  // a quoted field never closes (row is its first line only)
  kStrayQuote,         // a quote inside an unquoted field, or text after a closing quote
  kTooLong,            // longer than max_record_bytes (raw is truncated)
  kBadUtf8,            // a field is not well-formed UTF-8
};

struct CsvRow {
  std::string_view file;  // file name (without folder) as opened
  uint64_t line = 0;      // 1-based line on which the row starts
  std::string_view raw;   // the row's text without its line end
  // Unquoted, unescaped fields (empty when problem is set, except kBadUtf8).
  std::vector<std::string_view> fields;
  CsvProblem problem = CsvProblem::kNone;
  size_t problem_field = 0;  // index of the offending field, when known
};

class CsvReader {
 public:
  // Opens `path` and reads its header. Errors: kNotFound, kIoError, kCorruption (damaged
  // gzip), kInvalidArgument (no header, or a header that is not valid CSV/UTF-8).
  static Result<std::unique_ptr<CsvReader>> Open(const std::string& path,
                                                 const CsvOptions& options = {});
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // Column names as written (BOM removed, not trimmed).
  const std::vector<std::string>& header() const;
  const std::string& file_name() const;

  // Reads the next row into `row`; its views stay valid until the next call. Returns false
  // at the end of the file. Errors are I/O errors only: a malformed row is a row with a
  // problem, not an error.
  Result<bool> Next(CsvRow* row);

 private:
  struct Impl;
  explicit CsvReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil

// Cuts a stream of CSV bytes into records (rows), respecting RFC 4180 quoting.
//
// This is the one inherently serial step of reading a CSV file: whether a newline ends a row
// depends on every quote before it. It therefore does as little as possible: find record
// boundaries and starting line numbers; splitting into fields happens later, in parallel.
//
// Rules (docs/ingest.md, "Reading"):
// - A record ends at a newline outside quotes; "\r\n" and "\n" both end a line, the "\r" is
//   not part of the record. Blank lines are skipped. A UTF-8 byte order mark at the start of
//   the file is skipped.
// - The first non-blank record is the header; its field count is the expected count.
// - A quoted field may hold newlines. But when a quote left open runs on into following lines
//   and the record so formed is not a valid row (the field splitter fails on it, or it has the
//   wrong field count), or the file ends inside the quote, or the record outgrows
//   `max_record_bytes`, the record's first line alone is returned, as an ordinary record (the
//   field splitter rejects it, naming the open field), and splitting resumes at the line
//   after it. This check runs only on records that span lines.
// - The last record needs no line break: the end of the file ends it, unless it is inside
//   quotes.
// - A line longer than `max_record_bytes` is returned truncated, flagged kTooLong, and the
//   rest of it skipped, so memory stays bounded whatever the input.
// Thread-safety: not thread-safe (one splitter per file, fed in file order).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::ingest_internal {

// No flag marks an unterminated quote: the first line of a runaway quote is returned as an
// ordinary record, so that the field splitter rejects it and names the field left open.
enum class RecordFlag : uint8_t { kNone, kHeader, kTooLong };

struct RecordSpan {
  uint32_t offset = 0;  // into RecordBlock::text
  uint32_t length = 0;  // without the line terminator
  uint64_t line = 0;    // 1-based line number where the record starts
  RecordFlag flag = RecordFlag::kNone;
};

// A run of complete records; owns their bytes.
struct RecordBlock {
  std::string text;
  std::vector<RecordSpan> records;
  std::string_view record_text(const RecordSpan& r) const {
    return std::string_view(text).substr(r.offset, r.length);
  }
};

class RecordSplitter {
 public:
  // Default 1 MiB: far above any legitimate row, small enough to bound memory.
  static constexpr size_t kDefaultMaxRecordBytes = size_t{1} << 20;
  explicit RecordSplitter(size_t max_record_bytes = kDefaultMaxRecordBytes)
      : max_record_bytes_(max_record_bytes) {}

  // Appends `chunk` (the next bytes of the file) and moves every complete record into `out`
  // (which is overwritten). Bytes of an unfinished record are carried to the next call. With
  // `eof`, whatever remains is the last record.
  void Split(std::string chunk, bool eof, RecordBlock* out);

  // Fields in the header, 0 until the header has been seen.
  size_t header_fields() const { return header_fields_; }
  // Lines consumed so far (the next record starts at line lines_consumed() + 1).
  uint64_t lines_consumed() const { return line_ - 1; }

 private:
  struct Scan {
    bool complete = false;
    bool in_quotes = false;  // the text ran out inside a quoted field
    size_t end = 0;          // index of the '\n' ending the record
    size_t lines = 1;        // physical lines spanned
    size_t fields = 1;
  };
  static Scan ScanRecord(std::string_view text, size_t pos);
  void Emit(RecordBlock* out, size_t begin, size_t end, uint64_t line, RecordFlag flag);
  // True when text[begin, end) (a record spanning lines) splits into the header's field count.
  bool IsWholeRecord(size_t begin, size_t end, std::string_view text);

  size_t max_record_bytes_;
  std::string carry_;
  uint64_t line_ = 1;
  size_t header_fields_ = 0;
  bool at_file_start_ = true;
  bool discard_until_newline_ = false;
  // Scratch for IsWholeRecord.
  std::vector<std::string_view> fields_;
  std::string arena_;
};

}  // namespace vigil::ingest_internal

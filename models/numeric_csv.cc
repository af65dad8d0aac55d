// Numeric CSV reader behind `vigil outliers`.
//
// The whole file is read through zlib's gzread, which decompresses gzip data and passes plain
// bytes through unchanged, so `.csv` and `.csv.gz` (or a gzip file under any name) share one
// path. Files for outlier detection are feature matrices of at most a few hundred megabytes;
// holding the bytes once keeps the parser a simple loop over a buffer.
//
// Error messages name the file, the line and the column (number and header name) but never
// quote the offending field: a mislabelled column may hold personal data.
#include <zlib.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "vigil/isolation_forest.h"

namespace vigil {
namespace {

Result<std::string> ReadAll(const std::string& path) {
  errno = 0;
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) {
    const int err = errno;
    if (err == ENOENT) return Status::NotFound(path + ": no such file");
    return Status::IoError(path + ": cannot open: " + (err ? std::strerror(err) : "out of memory"));
  }
  gzbuffer(file, 1 << 17);
  std::string bytes;
  char chunk[1 << 16];
  while (true) {
    const int got = gzread(file, chunk, sizeof(chunk));
    if (got < 0) {
      int code = 0;
      const std::string why = gzerror(file, &code);
      gzclose(file);
      return Status::IoError(path + ": read failed: " + why);
    }
    if (got == 0) break;
    bytes.append(chunk, static_cast<size_t>(got));
  }
  // gzclose reports a truncated gzip stream that gzread let through.
  if (gzclose(file) != Z_OK) return Status::IoError(path + ": truncated or corrupt gzip data");
  return bytes;
}

// Splits RFC 4180 records out of a buffer. Tracks the physical line each record starts on,
// counting newlines inside quoted fields, so error messages point at the right line.
class CsvRecords {
 public:
  CsvRecords(const std::string& path, std::string_view data) : path_(path), data_(data) {
    if (data_.starts_with("\xEF\xBB\xBF")) data_.remove_prefix(3);  // UTF-8 byte order mark
  }

  size_t line() const { return record_line_; }

  // Reads the next non-blank record into `fields`. Sets `done` at the end of the input.
  Status Next(std::vector<std::string>& fields, bool& done) {
    fields.clear();
    // Blank lines (typically a trailing newline or two) carry no row.
    while (pos_ < data_.size() && (data_[pos_] == '\n' || data_[pos_] == '\r')) {
      if (data_[pos_] == '\n') ++line_;
      ++pos_;
    }
    done = pos_ >= data_.size();
    if (done) return Status::Ok();
    record_line_ = line_;
    std::string field;
    while (true) {
      field.clear();
      if (pos_ < data_.size() && data_[pos_] == '"') {
        ++pos_;
        while (true) {
          if (pos_ >= data_.size()) {
            return Status::InvalidArgument(Where() + ": unterminated quoted field");
          }
          const char c = data_[pos_++];
          if (c == '"') {
            if (pos_ < data_.size() && data_[pos_] == '"') {
              field.push_back('"');
              ++pos_;
              continue;
            }
            break;
          }
          if (c == '\n') ++line_;
          field.push_back(c);
        }
        if (pos_ < data_.size() && data_[pos_] != ',' && data_[pos_] != '\n' &&
            data_[pos_] != '\r') {
          return Status::InvalidArgument(Where() + ", column " +
                                         std::to_string(fields.size() + 1) +
                                         ": text after a closing quote");
        }
      } else {
        const size_t start = pos_;
        while (pos_ < data_.size() && data_[pos_] != ',' && data_[pos_] != '\n' &&
               data_[pos_] != '\r') {
          ++pos_;
        }
        field.assign(data_.substr(start, pos_ - start));
      }
      fields.push_back(field);
      if (pos_ < data_.size() && data_[pos_] == ',') {
        ++pos_;
        continue;
      }
      // End of record: CRLF, LF, a lone CR, or end of input.
      if (pos_ < data_.size() && data_[pos_] == '\r') ++pos_;
      if (pos_ < data_.size() && data_[pos_] == '\n') {
        ++pos_;
        ++line_;
      }
      return Status::Ok();
    }
  }

 private:
  std::string Where() const { return path_ + " line " + std::to_string(record_line_); }

  const std::string& path_;
  std::string_view data_;
  size_t pos_ = 0;
  size_t line_ = 1;
  size_t record_line_ = 1;
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

enum class ParseError { kNone, kNotANumber, kNotFinite };

// from_chars is locale-independent and rounds correctly; it rejects a leading '+', which
// spreadsheets write, so that is skipped first.
ParseError ParseFloat(std::string_view text, float& out) {
  text = Trim(text);
  if (text.starts_with('+')) text.remove_prefix(1);
  if (text.empty()) return ParseError::kNotANumber;
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range) return ParseError::kNotFinite;
  if (ec != std::errc() || end != text.data() + text.size()) return ParseError::kNotANumber;
  if (!std::isfinite(value) || std::fabs(value) > std::numeric_limits<float>::max()) {
    return ParseError::kNotFinite;
  }
  out = static_cast<float>(value);
  return ParseError::kNone;
}

}  // namespace

Result<NumericTable> ReadNumericCsv(const std::string& path, std::string_view label_column) {
  VIGIL_ASSIGN_OR_RETURN(const std::string bytes, ReadAll(path));
  CsvRecords records(path, bytes);
  std::vector<std::string> fields;
  bool done = false;
  VIGIL_RETURN_IF_ERROR(records.Next(fields, done));
  if (done) return Status::InvalidArgument(path + ": empty file, expected a header row");
  const std::vector<std::string> header = fields;

  NumericTable table;
  size_t label_index = header.size();
  for (size_t c = 0; c < header.size(); ++c) {
    if (!label_column.empty() && Trim(header[c]) == label_column && label_index == header.size()) {
      label_index = c;
    } else {
      table.feature_names.emplace_back(Trim(header[c]));
    }
  }
  if (!label_column.empty() && label_index == header.size()) {
    return Status::InvalidArgument(path + " line 1: no label column \"" +
                                   std::string(label_column) + "\" in the header");
  }

  while (true) {
    VIGIL_RETURN_IF_ERROR(records.Next(fields, done));
    if (done) break;
    if (fields.size() != header.size()) {
      return Status::InvalidArgument(path + " line " + std::to_string(records.line()) +
                                     ": expected " + std::to_string(header.size()) +
                                     " fields as in the header, got " +
                                     std::to_string(fields.size()));
    }
    for (size_t c = 0; c < fields.size(); ++c) {
      float value = 0;
      const ParseError error = ParseFloat(fields[c], value);
      if (error != ParseError::kNone) {
        return Status::InvalidArgument(
            path + " line " + std::to_string(records.line()) + ", column " +
            std::to_string(c + 1) + " (" + std::string(Trim(header[c])) + "): " +
            (error == ParseError::kNotANumber ? "not a number" : "not a finite float value"));
      }
      if (c == label_index) {
        table.labels.push_back(value);
      } else {
        table.values.push_back(value);
      }
    }
    ++table.rows;
  }
  return table;
}

}  // namespace vigil

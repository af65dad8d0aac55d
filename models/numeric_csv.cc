// Numeric CSV reader behind `vigil outliers`.
//
// The whole file is read through zlib's gzread, which decompresses gzip data and passes plain
// bytes through unchanged, so `.csv` and `.csv.gz` (or a gzip file under any name) share one
// path. Files for outlier detection are feature matrices of at most a few hundred megabytes;
// holding the bytes once keeps the parser a simple loop over a buffer.
//
// Error messages name the file, the line and the column (number and header name) but never
// quote the offending field: a mislabelled column may hold personal data.
//
// Public outlier benchmarks come from many hands (UCI's `?`, R's `NA`, pandas' empty cells and
// `NaN`), so a missing feature value is imputed rather than fatal: the column median is what
// scikit-learn pipelines put in front of an isolation forest (SimpleImputer(strategy="median")),
// and unlike the mean it is not dragged by the very outliers being looked for. Everything that
// is not a number nor a recognised missing marker stays an error, as does infinity: it has no
// place on the feature's scale, and scikit-learn's IsolationForest rejects it too, so a
// published benchmark set never needs it.
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <limits>
#include <string>
#include <string_view>
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
  // Read straight into the result, sized from the file: zlib hands a plain file's bytes to a
  // request larger than its own buffer without copying them, and a string that never regrows
  // saves touching fresh pages again (that, not number parsing, was most of the time it took
  // to read a 2 MB file). A gzip file's size only starts the buffer; it grows as usual.
  constexpr size_t kMinRead = size_t{1} << 18;
  constexpr size_t kMaxRead = size_t{1} << 30;
  std::string bytes;
  std::error_code size_error;
  const uintmax_t file_size = std::filesystem::file_size(path, size_error);
  if (!size_error && file_size < kMaxRead) bytes.reserve(static_cast<size_t>(file_size) + kMinRead);
  while (true) {
    const size_t have = bytes.size();
    const size_t want = std::clamp(bytes.capacity() - have, kMinRead, kMaxRead);
    bytes.resize(have + want);
    const int got = gzread(file, bytes.data() + have, static_cast<unsigned>(want));
    if (got < 0) {
      int code = 0;
      std::string message = path + ": read failed: ";
      message += gzerror(file, &code);
      gzclose(file);
      return Status::IoError(message);
    }
    bytes.resize(have + static_cast<size_t>(got));
    if (got == 0) break;
  }
  // gzclose reports a truncated gzip stream that gzread let through.
  if (gzclose(file) != Z_OK) return Status::IoError(path + ": truncated or corrupt gzip data");
  return bytes;
}

// Splits RFC 4180 records out of a buffer. Tracks the physical line each record starts on,
// counting newlines inside quoted fields, so error messages point at the right line.
//
// Fields are views into the buffer; only a quoted field with a doubled quote inside is copied
// (unescaped) into storage owned here, valid until the next call. Not copying every field is
// what keeps the reader as fast as before while it checks more.
class CsvRecords {
 public:
  CsvRecords(const std::string& path, std::string_view data) : path_(path), data_(data) {
    if (data_.starts_with("\xEF\xBB\xBF")) data_.remove_prefix(3);  // UTF-8 byte order mark
  }

  size_t line() const { return record_line_; }

  // Reads the next non-blank record into `fields`. Sets `done` at the end of the input.
  Status Next(std::vector<std::string_view>& fields, bool& done) {
    fields.clear();
    unescaped_.clear();
    SkipBlankLines();
    done = pos_ >= data_.size();
    if (done) return Status::Ok();
    record_line_ = line_;
    while (true) {
      std::string_view field;
      if (pos_ < data_.size() && data_[pos_] == '"') {
        VIGIL_RETURN_IF_ERROR(ReadQuoted(fields.size(), field));
      } else {
        const size_t start = pos_;
        while (pos_ < data_.size() && !IsFieldEnd(data_[pos_])) ++pos_;
        field = data_.substr(start, pos_ - start);
      }
      fields.push_back(field);
      if (pos_ < data_.size() && data_[pos_] == ',') {
        ++pos_;
        continue;
      }
      // End of record: CRLF, LF, a lone CR, or end of input. Each of the first three ends a
      // line (a lone CR too, or every error of a CR-only file would name line 1).
      const bool ended = pos_ < data_.size();
      if (pos_ < data_.size() && data_[pos_] == '\r') ++pos_;
      if (pos_ < data_.size() && data_[pos_] == '\n') ++pos_;
      if (ended) ++line_;
      return Status::Ok();
    }
  }

 private:
  static bool IsFieldEnd(char c) { return c == ',' || c == '\n' || c == '\r'; }

  // Blank lines carry no row: a trailing newline or two, and lines of spaces or tabs that
  // editors leave at the end of a file.
  void SkipBlankLines() {
    while (pos_ < data_.size()) {
      size_t p = pos_;
      while (p < data_.size() && (data_[p] == ' ' || data_[p] == '\t')) ++p;
      if (p < data_.size() && data_[p] != '\n' && data_[p] != '\r') return;
      if (p < data_.size() && data_[p] == '\r') ++p;
      if (p < data_.size() && data_[p] == '\n') ++p;
      // Count the line whatever ended it (LF, CRLF, a lone CR or the end of input).
      ++line_;
      pos_ = p;
    }
  }

  // Reads a quoted field starting at pos_ (on the opening quote) into `field`.
  Status ReadQuoted(size_t column_index, std::string_view& field) {
    const size_t start = ++pos_;
    bool escaped = false;
    while (true) {
      if (pos_ >= data_.size()) {
        return Status::InvalidArgument(Where() + ": unterminated quoted field");
      }
      const char c = data_[pos_++];
      if (c == '\n') ++line_;
      if (c != '"') continue;
      if (pos_ < data_.size() && data_[pos_] == '"') {
        escaped = true;
        ++pos_;
        continue;
      }
      break;
    }
    field = data_.substr(start, pos_ - 1 - start);
    if (escaped) {
      std::string& text = unescaped_.emplace_back();
      text.reserve(field.size());
      for (size_t i = 0; i < field.size(); ++i) {
        text.push_back(field[i]);
        if (field[i] == '"') ++i;  // the second quote of a doubled pair
      }
      field = text;
    }
    if (pos_ < data_.size() && !IsFieldEnd(data_[pos_])) {
      return Status::InvalidArgument(Where() + ", column " + std::to_string(column_index + 1) +
                                     ": text after a closing quote");
    }
    return Status::Ok();
  }

  std::string Where() const { return path_ + " line " + std::to_string(record_line_); }

  const std::string& path_;
  std::string_view data_;
  // A deque, so the views handed out stay valid as more fields of the record are unescaped.
  std::deque<std::string> unescaped_;
  size_t pos_ = 0;
  size_t line_ = 1;
  size_t record_line_ = 1;
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// The markers public data sets use for "no value" besides an empty cell and NaN (which the
// number parser reads): UCI's `?`, R's `NA`, and what pandas writes or reads as missing.
bool IsMissingMarker(std::string_view text) {
  static constexpr std::array<std::string_view, 8> kMarkers = {"?",    "na",   "n/a",  "#n/a",
                                                               "null", "none", "<na>", "#na"};
  if (text.size() > 4) return false;
  for (std::string_view marker : kMarkers) {
    if (EqualsIgnoreCase(text, marker)) return true;
  }
  return false;
}

enum class Cell { kNumber, kMissing, kNotANumber, kNotFinite };

// from_chars is locale-independent and rounds correctly; it rejects a leading '+', which
// spreadsheets write, so that is skipped first. It reads "nan" and "inf" in any case.
Cell ParseCell(std::string_view text, float& out) {
  text = Trim(text);
  if (text.empty()) return Cell::kMissing;
  std::string_view number = text;
  if (number.starts_with('+')) number.remove_prefix(1);
  double value = 0;
  const char* const last = number.data() + number.size();
  const auto [end, ec] = std::from_chars(number.data(), last, value);
  if (ec == std::errc::result_out_of_range && end == last) {
    // Out of double range either way: an overflow is infinite, an underflow (1e-400) is a
    // number that rounds to zero. from_chars leaves `value` unset, so ask strtod which
    // (vigil never changes the C locale, so strtod reads '.' as the decimal point here).
    value = std::strtod(std::string(number).c_str(), nullptr);
  } else if (ec != std::errc() || end != last) {
    return IsMissingMarker(text) ? Cell::kMissing : Cell::kNotANumber;
  }
  if (std::isnan(value)) return Cell::kMissing;
  if (std::fabs(value) > std::numeric_limits<float>::max()) return Cell::kNotFinite;
  out = static_cast<float>(value);
  return Cell::kNumber;
}

enum class Label { kOutlier, kInlier, kMissing, kInvalid };

// 1 / 0 (also written 1.0 / 0.0), true / false, yes / no, and ODDS's text o / n (outlier /
// normal), in any case. -1 is refused rather than guessed: scikit-learn's predict() writes -1
// for an outlier and 1 for an inlier, the reverse of 0/1, so either reading could flip the AUC.
Label ParseLabel(std::string_view text) {
  float value = 0;
  switch (ParseCell(text, value)) {
    case Cell::kNumber:
      if (value == 1) return Label::kOutlier;
      if (value == 0) return Label::kInlier;
      return Label::kInvalid;
    case Cell::kMissing:
      return Label::kMissing;
    case Cell::kNotFinite:
      return Label::kInvalid;
    case Cell::kNotANumber:
      break;
  }
  text = Trim(text);
  for (std::string_view word : {"true", "yes", "o"}) {
    if (EqualsIgnoreCase(text, word)) return Label::kOutlier;
  }
  for (std::string_view word : {"false", "no", "n"}) {
    if (EqualsIgnoreCase(text, word)) return Label::kInlier;
  }
  return Label::kInvalid;
}

// Median of the present values of one column of a row-major table; the mean of the two middle
// values for an even count (as numpy and scikit-learn's SimpleImputer take it); 0 with none.
float ColumnMedian(const std::vector<float>& values, size_t cols, size_t col) {
  std::vector<float> present;
  for (size_t i = col; i < values.size(); i += cols) {
    if (!std::isnan(values[i])) present.push_back(values[i]);
  }
  if (present.empty()) return 0;
  const size_t mid = present.size() / 2;
  std::nth_element(present.begin(), present.begin() + static_cast<ptrdiff_t>(mid), present.end());
  const double upper = present[mid];
  if (present.size() % 2 == 1) return static_cast<float>(upper);
  const double lower =
      *std::max_element(present.begin(), present.begin() + static_cast<ptrdiff_t>(mid));
  return static_cast<float>((lower + upper) / 2);
}

// Index of the label column: an exact match of the trimmed header name, else the first match
// ignoring case (a `Label` header asked for as `label`); header.size() if none.
size_t FindLabelColumn(const std::vector<std::string>& header, std::string_view label_column) {
  if (label_column.empty()) return header.size();
  for (size_t c = 0; c < header.size(); ++c) {
    if (Trim(header[c]) == label_column) return c;
  }
  for (size_t c = 0; c < header.size(); ++c) {
    if (EqualsIgnoreCase(Trim(header[c]), label_column)) return c;
  }
  return header.size();
}

}  // namespace

Result<NumericTable> ReadNumericCsv(const std::string& path, std::string_view label_column) {
  VIGIL_ASSIGN_OR_RETURN(const std::string bytes, ReadAll(path));
  // Spreadsheets export "Unicode text" as UTF-16: every other byte is NUL, and without this
  // the first cell would fail as "not a number", which does not say what to do about it.
  if (bytes.starts_with("\xFF\xFE") || bytes.starts_with("\xFE\xFF")) {
    return Status::InvalidArgument(path + ": UTF-16 text, expected a UTF-8 or ASCII CSV");
  }
  CsvRecords records(path, bytes);
  std::vector<std::string_view> fields;
  bool done = false;
  VIGIL_RETURN_IF_ERROR(records.Next(fields, done));
  if (done) return Status::InvalidArgument(path + ": empty file, expected a header row");
  std::vector<std::string> header;
  header.reserve(fields.size());
  for (std::string_view field : fields) header.emplace_back(Trim(field));

  NumericTable table;
  const size_t label_index = FindLabelColumn(header, label_column);
  if (!label_column.empty() && label_index == header.size()) {
    return Status::InvalidArgument(path + " line 1: no label column \"" +
                                   std::string(label_column) + "\" in the header");
  }
  // Two columns of the label's name: one would be scored as a feature, the label itself.
  for (size_t c = label_index + 1; c < header.size(); ++c) {
    if (EqualsIgnoreCase(header[c], header[label_index])) {
      return Status::InvalidArgument(
          path + " line 1: label column \"" + header[label_index] + "\" appears twice (columns " +
          std::to_string(label_index + 1) + " and " + std::to_string(c + 1) + ")");
    }
  }
  for (size_t c = 0; c < header.size(); ++c) {
    if (c != label_index) table.feature_names.push_back(header[c]);
  }
  const size_t cols = table.feature_names.size();
  // Sized once, for the same reason as the byte buffer: regrowing a large array costs more in
  // fresh pages than parsing into it. Rows are at most the newlines, and at most one per
  // header.size() bytes (a record holds header.size() - 1 commas), so blank lines cannot make
  // this reserve more than four bytes per byte read.
  const size_t max_rows =
      std::min(static_cast<size_t>(std::count(bytes.begin(), bytes.end(), '\n')),
               bytes.size() / header.size() + 1);
  table.values.reserve(max_rows * cols);
  if (!label_column.empty()) table.labels.reserve(max_rows);
  std::vector<size_t> missing(cols, 0);

  const auto cell_error = [&](size_t c, const char* what) {
    return Status::InvalidArgument(path + " line " + std::to_string(records.line()) + ", column " +
                                   std::to_string(c + 1) + " (" + header[c] + "): " + what);
  };
  while (true) {
    VIGIL_RETURN_IF_ERROR(records.Next(fields, done));
    if (done) break;
    if (fields.size() != header.size()) {
      return Status::InvalidArgument(path + " line " + std::to_string(records.line()) +
                                     ": expected " + std::to_string(header.size()) +
                                     " fields as in the header, got " +
                                     std::to_string(fields.size()));
    }
    size_t feature = 0;
    for (size_t c = 0; c < fields.size(); ++c) {
      if (c == label_index) {
        switch (ParseLabel(fields[c])) {
          case Label::kOutlier:
            table.labels.push_back(1);
            break;
          case Label::kInlier:
            table.labels.push_back(0);
            break;
          case Label::kMissing:
            return cell_error(c, "missing label");
          case Label::kInvalid:
            return cell_error(c, "not an outlier label (0/1, true/false, yes/no or o/n)");
        }
        continue;
      }
      float value = 0;
      switch (ParseCell(fields[c], value)) {
        case Cell::kNumber:
          break;
        case Cell::kMissing:
          value = std::numeric_limits<float>::quiet_NaN();
          ++missing[feature];
          break;
        case Cell::kNotANumber:
          return cell_error(c, "not a number");
        case Cell::kNotFinite:
          return cell_error(c, "not a finite float value (infinite or beyond 3.4e38)");
      }
      table.values.push_back(value);
      ++feature;
    }
    ++table.rows;
  }

  for (size_t f = 0; f < cols; ++f) {
    if (missing[f] == 0) continue;
    const float median = ColumnMedian(table.values, cols, f);
    for (size_t i = f; i < table.values.size(); i += cols) {
      if (std::isnan(table.values[i])) table.values[i] = median;
    }
    table.imputed_cells += missing[f];
    ++table.imputed_columns;
  }
  return table;
}

}  // namespace vigil

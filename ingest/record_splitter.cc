#include "record_splitter.h"

#include <algorithm>
#include <cstring>

#include "fields.h"

namespace vigil::ingest_internal {
namespace {

// Raw text kept of a line too long to be a row: enough for an operator to recognise it.
constexpr size_t kTooLongRawBytes = 256;

}  // namespace

RecordSplitter::Scan RecordSplitter::ScanRecord(std::string_view text, size_t pos) {
  // RFC 4180 state machine. A quote only opens a quoted field at the start of a field; a quote
  // elsewhere is left for the field parser to reject, so one stray quote in a name cannot
  // swallow the rows after it.
  enum class State { kFieldStart, kUnquoted, kQuoted, kQuoteInQuoted };
  State state = State::kFieldStart;
  Scan scan;
  for (size_t i = pos; i < text.size(); ++i) {
    const char c = text[i];
    switch (state) {
      case State::kFieldStart:
        if (c == '"') {
          state = State::kQuoted;
        } else if (c == ',') {
          ++scan.fields;
        } else if (c == '\n') {
          scan.complete = true;
          scan.end = i;
          return scan;
        } else {
          state = State::kUnquoted;
        }
        break;
      case State::kUnquoted:
        if (c == ',') {
          ++scan.fields;
          state = State::kFieldStart;
        } else if (c == '\n') {
          scan.complete = true;
          scan.end = i;
          return scan;
        }
        break;
      case State::kQuoted:
        if (c == '"') {
          state = State::kQuoteInQuoted;
        } else if (c == '\n') {
          ++scan.lines;
        }
        break;
      case State::kQuoteInQuoted:
        if (c == '"') {
          state = State::kQuoted;  // "" is an escaped quote
        } else if (c == ',') {
          ++scan.fields;
          state = State::kFieldStart;
        } else if (c == '\n') {
          scan.complete = true;
          scan.end = i;
          return scan;
        } else {
          state = State::kUnquoted;  // text after a closing quote: the field parser rejects it
        }
        break;
    }
  }
  scan.in_quotes = state == State::kQuoted;
  return scan;
}

bool RecordSplitter::IsWholeRecord(size_t begin, size_t end, std::string_view text) {
  if (end - begin > max_record_bytes_) return false;
  if (end > begin && text[end - 1] == '\r') --end;
  const SplitResult split = SplitFields(text.substr(begin, end - begin), &fields_, &arena_);
  return split.error == FieldError::kNone && fields_.size() == header_fields_;
}

void RecordSplitter::Emit(RecordBlock* out, size_t begin, size_t end, uint64_t line,
                          RecordFlag flag) {
  if (end > begin && out->text[end - 1] == '\r') --end;
  // A record over the limit is never parsed: keep only a recognisable prefix of it.
  if (end - begin > max_record_bytes_ && flag != RecordFlag::kHeader) flag = RecordFlag::kTooLong;
  if (flag == RecordFlag::kTooLong) end = begin + std::min(kTooLongRawBytes, end - begin);
  out->records.push_back(
      RecordSpan{static_cast<uint32_t>(begin), static_cast<uint32_t>(end - begin), line, flag});
}

void RecordSplitter::Split(std::string chunk, bool eof, RecordBlock* out) {
  out->records.clear();
  if (carry_.empty()) {
    out->text = std::move(chunk);
  } else {
    out->text = std::move(carry_);
    out->text.append(chunk);
  }
  carry_.clear();
  std::string& text = out->text;

  size_t pos = 0;
  if (discard_until_newline_) {
    const size_t nl = text.find('\n');
    if (nl == std::string::npos) {
      text.clear();
      if (eof) discard_until_newline_ = false;
      return;
    }
    pos = nl + 1;
    ++line_;
    discard_until_newline_ = false;
  }
  if (at_file_start_ && text.size() - pos >= 3) {
    if (text.compare(pos, 3, "\xEF\xBB\xBF") == 0) pos += 3;
    at_file_start_ = false;
  } else if (at_file_start_ && eof) {
    at_file_start_ = false;
  } else if (at_file_start_ && text.size() - pos < 3) {
    // Too few bytes to tell whether a byte order mark starts the file: wait for more.
    carry_ = text.substr(pos);
    text.clear();
    return;
  }

  const char* base = text.data();
  const size_t size = text.size();
  while (pos < size) {
    const auto* nl_ptr = static_cast<const char*>(std::memchr(base + pos, '\n', size - pos));
    const size_t line_end = nl_ptr != nullptr ? static_cast<size_t>(nl_ptr - base) : size;
    const bool has_quote = std::memchr(base + pos, '"', line_end - pos) != nullptr;

    if (!has_quote && header_fields_ != 0) {
      // Fast path: a line without quotes is a whole record.
      if (nl_ptr == nullptr) {
        if (eof) {
          Emit(out, pos, size, line_, RecordFlag::kNone);
          ++line_;
          pos = size;
        } else if (size - pos > max_record_bytes_) {
          Emit(out, pos, size, line_, RecordFlag::kTooLong);
          discard_until_newline_ = true;
          pos = size;
        }
        break;
      }
      const size_t len = line_end - pos;
      if (len == 0 || (len == 1 && base[pos] == '\r')) {
        ++line_;  // blank line
      } else {
        Emit(out, pos, line_end, line_, RecordFlag::kNone);
        ++line_;
      }
      pos = line_end + 1;
      continue;
    }

    Scan scan = ScanRecord(text, pos);
    if (!scan.complete && eof && !scan.in_quotes) {
      // RFC 4180: the file's last record needs no line break.
      scan.complete = true;
      scan.end = size;
    }
    if (scan.complete) {
      const size_t next = std::min(scan.end + 1, size);
      const size_t len = scan.end - pos;
      if (scan.lines == 1 && (len == 0 || (len == 1 && base[pos] == '\r'))) {
        ++line_;
        pos = next;
        continue;
      }
      if (header_fields_ == 0) {
        header_fields_ = scan.fields;
        Emit(out, pos, scan.end, line_, RecordFlag::kHeader);
        line_ += scan.lines;
        pos = next;
        continue;
      }
      if (scan.lines > 1 && !IsWholeRecord(pos, scan.end, text)) {
        // An open quote ran into the following rows: give up on the first line only. It ends
        // inside the quote, so the field splitter rejects it and names the field.
        Emit(out, pos, line_end, line_, RecordFlag::kNone);
        ++line_;
        pos = line_end + 1;
        continue;
      }
      Emit(out, pos, scan.end, line_, RecordFlag::kNone);
      line_ += scan.lines;
      pos = next;
      continue;
    }

    // The record does not end within the bytes we have.
    const bool too_big = size - pos > max_record_bytes_;
    if (!eof && !too_big) break;  // wait for more bytes
    if (nl_ptr != nullptr || eof) {
      // The file ends inside its quote, or it spans lines and outgrew the limit: the quote is
      // unterminated. Give up on the first line only and resume after it (a first line cut
      // inside a quote is an ordinary record: the field splitter rejects it, naming the field).
      const RecordFlag flag = header_fields_ == 0 ? RecordFlag::kHeader : RecordFlag::kNone;
      if (header_fields_ == 0) {
        header_fields_ = ScanRecord(std::string_view(text).substr(0, line_end), pos).fields;
      }
      Emit(out, pos, line_end, line_, flag);
      ++line_;
      pos = std::min(line_end + 1, size);
      continue;
    }
    // One physical line, longer than the limit and no end in sight.
    Emit(out, pos, size, line_, RecordFlag::kTooLong);
    discard_until_newline_ = true;
    pos = size;
    break;
  }

  if (pos < size) carry_.assign(text, pos, size - pos);
  // Records reference text by offset; the carried tail is no longer needed here.
  text.resize(pos < size ? pos : size);
}

}  // namespace vigil::ingest_internal

// Splitting one CSV record into fields, and UTF-8 validation.
// Thread-safety: pure functions; callers own the output buffers (one per thread).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace vigil::ingest_internal {

enum class FieldError { kNone, kStrayQuote, kUnterminatedQuote };

struct SplitResult {
  FieldError error = FieldError::kNone;
  size_t field = 0;  // index of the offending field when error != kNone
};

// Splits `record` (no line terminator) into `fields`. Quoted fields lose their quotes and
// `""` becomes `"`; such unescaped text is written to `arena`, which is cleared and reserved
// up front so that the views stay valid until the next call with the same arena.
SplitResult SplitFields(std::string_view record, std::vector<std::string_view>* fields,
                        std::string* arena);

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or values above
// U+10FFFF).
bool IsValidUtf8(std::string_view text);

// `text` with every byte that is not part of well-formed UTF-8 written as \xNN, so that a
// rejects file stays valid UTF-8 and still shows what was received.
std::string EscapeInvalidUtf8(std::string_view text);

// `text` without leading and trailing spaces and tabs.
std::string_view TrimBlanks(std::string_view text);

}  // namespace vigil::ingest_internal

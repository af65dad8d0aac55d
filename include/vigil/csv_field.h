// Writing one CSV field the way the data contract reads it (RFC 4180): quoted only when it holds
// a comma, a quote or a line break, quotes doubled. Every CSV vigil writes (cases, certification,
// decisions, rejects) goes through it.
// Thread-safety: a pure function.
#pragma once

#include <string>
#include <string_view>

namespace vigil {

inline void AppendCsvField(std::string& out, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += field;
    return;
  }
  out += '"';
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

}  // namespace vigil

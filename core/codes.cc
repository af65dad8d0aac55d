#include "vigil/codes.h"

namespace vigil {

Status UnknownCodeError(std::string_view what, std::string_view text,
                        std::span<const std::string_view> allowed) {
  std::string m = "unknown ";
  m += what;
  m += " '";
  m += text;
  m += "' (expected one of ";
  for (size_t i = 0; i < allowed.size(); ++i) {
    if (i > 0) m += ", ";
    m += allowed[i];
  }
  m += ")";
  return Status::InvalidArgument(std::move(m));
}

}  // namespace vigil

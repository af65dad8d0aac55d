// Fuzz target: the text parsers behind the screener's C ABI (core/vigil_c.cc turns a
// vigil_payment's strings into a PaymentRequest with ParseCode<Benefit>, ParseMonth and
// ParseCode<Channel>; the screener checks the person id with ResidentId) and the other value
// parsers of the feeds (ParseDate, ParseTimestamp, ParseMoney).
//
// Input: the text of one field; byte 0 picks the parser (mod 7). Invariants, for any bytes: no
// crash or UB (the libFuzzer build catches signed overflow); a value parsed writes back
// (CodeName, FormatMonth, FormatDate, FormatTimestamp, FormatMoney) to text that parses to the
// same value, and for codes, months, dates and timestamps to the very text read.
#include <cstdint>
#include <string>
#include <string_view>

#include "tests/fuzz/fuzz_check.h"
#include "vigil/codes.h"
#include "vigil/money.h"
#include "vigil/time.h"

namespace vigil {
namespace {

template <typename E>
void CheckCode(std::string_view text) {
  auto code = ParseCode<E>(text);
  if (!code.ok()) {
    VIGIL_FUZZ_CHECK(code.status().code() == StatusCode::kInvalidArgument);
    return;
  }
  VIGIL_FUZZ_CHECK(CodeName(*code) == text);
}

// For the fixed-width formats: a parsed value writes back to exactly the text read, but for
// `written` (a timestamp may separate date and time by a blank; it is written with 'T').
template <typename Parse, typename Format>
void CheckExact(std::string_view text, Parse parse, Format format, std::string_view written) {
  auto value = parse(text);
  if (!value.ok()) {
    VIGIL_FUZZ_CHECK(value.status().code() == StatusCode::kInvalidArgument);
    return;
  }
  VIGIL_FUZZ_CHECK(format(*value) == written);
}

void CheckMoney(std::string_view text) {
  auto money = ParseMoney(text);
  if (!money.ok()) {
    VIGIL_FUZZ_CHECK(money.status().code() == StatusCode::kInvalidArgument);
    return;
  }
  // "12.5" and "012.50" are the same amount: compare values, not texts.
  auto again = ParseMoney(FormatMoney(*money));
  VIGIL_FUZZ_CHECK(again.ok() && again->fen() == money->fen());
  VIGIL_FUZZ_CHECK(FormatMoney(*money) == FormatMoney(*again));
}

}  // namespace
}  // namespace vigil

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil;  // NOLINT(google-build-using-namespace)
  if (size < 1) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 7) {
    case 0:
      CheckCode<Benefit>(text);
      break;
    case 1:
      CheckCode<Channel>(text);
      break;
    case 2:
      CheckExact(text, ParseMonth, FormatMonth, text);
      break;
    case 3:
      CheckExact(text, ParseDate, FormatDate, text);
      break;
    case 4: {
      std::string written(text);
      if (written.size() > 10 && written[10] == ' ') written[10] = 'T';
      CheckExact(text, ParseTimestamp, FormatTimestamp, written);
      break;
    }
    case 5:
      CheckMoney(text);
      break;
    default:
      CheckCode<SignalSource>(text);
      break;
  }
  return 0;
}

// Fuzz target: ResidentId::Parse and ParseLenient (GB 11643-1999 resident ids).
//
// Input: the id text. Invariants, for any bytes: no crash or UB; a strict parse implies a
// lenient one of the same id with checksum_ok; a lenient parse keeps the text (a lower-case
// x normalised to X), round-trips through text(), and agrees with ComputeCheckChar, the birth
// date written in characters 7-14, the sequence in 15-17 and the sex it implies; an error
// says "resident id".
#include <cstdint>
#include <string>
#include <string_view>

#include "tests/fuzz/fuzz_check.h"
#include "vigil/resident_id.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using vigil::ResidentId;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto strict = ResidentId::Parse(text);
  auto lenient = ResidentId::ParseLenient(text);
  if (!lenient.ok()) {
    VIGIL_FUZZ_CHECK(!strict.ok());
    VIGIL_FUZZ_CHECK(lenient.status().message().starts_with("resident id"));
    VIGIL_FUZZ_CHECK(strict.status().message() == lenient.status().message());
    return 0;
  }
  const ResidentId& id = *lenient;
  VIGIL_FUZZ_CHECK(id.text().size() == ResidentId::kLength);
  VIGIL_FUZZ_CHECK(id.text().substr(0, 17) == text.substr(0, 17));
  VIGIL_FUZZ_CHECK(id.text()[17] == (text[17] == 'x' ? 'X' : text[17]));
  VIGIL_FUZZ_CHECK(id.checksum_ok() == (ResidentId::ComputeCheckChar(text) == id.text()[17]));
  VIGIL_FUZZ_CHECK(strict.ok() == id.checksum_ok());
  if (strict.ok()) VIGIL_FUZZ_CHECK(*strict == id && strict->checksum_ok());
  if (!strict.ok()) VIGIL_FUZZ_CHECK(strict.status().message().starts_with("resident id"));
  auto again = ResidentId::ParseLenient(id.text());
  VIGIL_FUZZ_CHECK(again.ok() && *again == id && again->checksum_ok() == id.checksum_ok());
  VIGIL_FUZZ_CHECK(vigil::FormatDate(id.birth_date()) == std::string(text.substr(6, 4)) + "-" +
                                                             std::string(text.substr(10, 2)) + "-" +
                                                             std::string(text.substr(12, 2)));
  VIGIL_FUZZ_CHECK(id.sequence() == std::stoi(std::string(text.substr(14, 3))));
  VIGIL_FUZZ_CHECK(id.address_code() ==
                   static_cast<uint32_t>(std::stoul(std::string(text.substr(0, 6)))));
  VIGIL_FUZZ_CHECK((id.sex() == vigil::Sex::kMale) == (id.sequence() % 2 == 1));
  return 0;
}

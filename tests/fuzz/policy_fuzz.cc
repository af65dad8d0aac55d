// Fuzz target: Policy::FromJson, the loader of policy.json (edited by supervisors by hand).
//
// Input: the JSON text. Invariants, for any bytes: no crash, leak, UB or escaping exception;
// an error starts with the origin it was given; a policy read writes out (ToJson) to JSON that
// reads back to a policy writing out the very same text (ToJson is the policy's whole state).
#include <cstdint>
#include <string>
#include <string_view>

#include "tests/fuzz/fuzz_check.h"
#include "vigil/policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto policy = vigil::Policy::FromJson(text, "fuzz.json");
  if (!policy.ok()) {
    VIGIL_FUZZ_CHECK(policy.status().message().starts_with("fuzz.json"));
    return 0;
  }
  const std::string json = policy->ToJson();
  auto again = vigil::Policy::FromJson(json, "again.json");
  VIGIL_FUZZ_CHECK(again.ok());
  VIGIL_FUZZ_CHECK(again->ToJson() == json);
  VIGIL_FUZZ_CHECK(again->version == policy->version);
  return 0;
}

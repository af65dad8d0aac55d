// Fuzz target: the stored-value decoders (storage/values.h): bytes read back from RocksDB, which
// may be damaged on disk or written by another version, must never crash the process.
//
// Input: byte 0 picks the value kind (0 a person, 1-5 an event kind), the rest is the value.
// Invariants, for any bytes: no crash, leak or UB; an error is Corruption; a value that decodes
// re-encodes to bytes that decode and re-encode to themselves (encode(decode(x)) is a fixed
// point); the Into decoders agree with the plain ones; an events value that decodes has a
// readable known-at header, and its signal source reads alone as it does in the whole value.
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "storage/values.h"
#include "tests/fuzz/fuzz_check.h"

namespace vigil {
namespace {

std::string Encode(const AnyRecord& record) {
  return std::visit(
      [](const auto& r) -> std::string {
        if constexpr (std::is_same_v<std::decay_t<decltype(r)>, PersonRecord>) {
          return storage::EncodePerson(r);
        } else {
          return storage::EncodeEvent(r).value;
        }
      },
      record);
}

Result<AnyRecord> Decode(uint8_t kind, std::string_view value) {
  if (kind == 0) {
    auto person = storage::DecodePerson(value);
    if (!person.ok()) return person.status();
    return AnyRecord(std::move(*person));
  }
  return storage::DecodeEvent(static_cast<EventKind>(kind), value);
}

// The Into form of the decoder for `kind`, into a record that already holds other data (the
// buffers it reuses must not leak into the result).
Status DecodeInto(uint8_t kind, std::string_view value, AnyRecord* out) {
  auto fill = [](auto* r) {
    r->person_id = "stale";
    return r;
  };
  switch (static_cast<EventKind>(kind)) {
    case EventKind::kContribution:
      return storage::DecodeContributionInto(value, fill(&out->emplace<ContributionRecord>()));
    case EventKind::kPayment:
      return storage::DecodePaymentInto(value, fill(&out->emplace<PaymentRecord>()));
    case EventKind::kSignal:
      return storage::DecodeSignalInto(value, fill(&out->emplace<SignalRecord>()));
    case EventKind::kRegistry:
      return storage::DecodeRegistryInto(value, fill(&out->emplace<RegistryRecord>()));
    case EventKind::kAppraisal:
      return storage::DecodeAppraisalInto(value, fill(&out->emplace<AppraisalRecord>()));
  }
  return Status::InvalidArgument("not an event kind");
}

}  // namespace
}  // namespace vigil

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil;  // NOLINT(google-build-using-namespace)
  if (size < 1) return 0;
  const uint8_t kind = data[0] % 6;
  const std::string_view value(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto decoded = Decode(kind, value);
  if (kind != 0) {
    AnyRecord into;
    const Status status = DecodeInto(kind, value, &into);
    VIGIL_FUZZ_CHECK(status.ok() == decoded.ok());
    if (status.ok()) VIGIL_FUZZ_CHECK(Encode(into) == Encode(*decoded));
    if (static_cast<EventKind>(kind) == EventKind::kSignal) {
      SignalSource source{};
      const Status peek = storage::DecodeSignalSource(value, &source);
      if (decoded.ok()) {
        VIGIL_FUZZ_CHECK(peek.ok() && source == std::get<SignalRecord>(*decoded).source);
      }
    }
    int64_t known_at = 0;
    const bool peeked = storage::PeekKnownAt(value, &known_at);
    if (decoded.ok()) VIGIL_FUZZ_CHECK(peeked);
  }
  if (!decoded.ok()) {
    VIGIL_FUZZ_CHECK(decoded.status().code() == StatusCode::kCorruption);
    return 0;
  }
  const std::string once = Encode(*decoded);
  auto again = Decode(kind, once);
  VIGIL_FUZZ_CHECK(again.ok());
  VIGIL_FUZZ_CHECK(Encode(*again) == once);
  return 0;
}

// Value formats of the persons and events column families (docs/storage.md).
//
// Every value starts with a format version byte (kValueFormat) so the format can evolve
// without rewriting the database. Events values then carry their known-at time as 8 fixed
// big-endian bytes (two's complement seconds) at offset 1, so scans can filter "as of" without
// decoding the rest; then the record's fields as varints, zigzag varints, single bytes (codes)
// and length-prefixed strings. Decoders check every length, code and trailing byte and answer
// Corruption on bad bytes (never personal data in the message).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "coding.h"
#include "vigil/records.h"
#include "vigil/status.h"
#include "vigil/store.h"

namespace vigil::storage {

inline constexpr uint8_t kValueFormat = 1;
inline constexpr size_t kEventValueHeaderSize = 9;  // format byte + known-at

// An event ready to store: its key parts, known-at and encoded value.
struct EncodedEvent {
  uint64_t person_key = 0;
  int64_t time_seconds = 0;
  EventKind kind = EventKind::kSignal;
  uint64_t natural_key_hash = 0;
  int64_t known_at_seconds = 0;
  std::string value;
};

// Where each kind sits in time and when it becomes known (docs/storage.md):
//   contribution: time = first day of start_month,  known-at = recorded_at
//   payment:      time = paid_date,                 known-at = paid_date
//   signal:       time = occurred_at,               known-at = occurred_at
//   registry:     time = event_date,                known-at = reported_date
//   appraisal:    time = appraisal_date,            known-at = appraisal_date
EncodedEvent EncodeEvent(const ContributionRecord& r);
EncodedEvent EncodeEvent(const PaymentRecord& r);
EncodedEvent EncodeEvent(const SignalRecord& r);
EncodedEvent EncodeEvent(const RegistryRecord& r);
EncodedEvent EncodeEvent(const AppraisalRecord& r);
// Same, appending the value to `*value` (left empty in `*out`): lets a caller reuse one buffer.
void EncodeEvent(const ContributionRecord& r, EncodedEvent* out, std::string* value);
void EncodeEvent(const PaymentRecord& r, EncodedEvent* out, std::string* value);
void EncodeEvent(const SignalRecord& r, EncodedEvent* out, std::string* value);
void EncodeEvent(const RegistryRecord& r, EncodedEvent* out, std::string* value);
void EncodeEvent(const AppraisalRecord& r, EncodedEvent* out, std::string* value);

std::string EncodePerson(const PersonRecord& r);
Result<PersonRecord> DecodePerson(std::string_view value);
// Same, decoding over `*out`, whose strings keep their buffers (every field is overwritten).
Status DecodePersonInto(std::string_view value, PersonRecord* out);

Result<ContributionRecord> DecodeContribution(std::string_view value);
Result<PaymentRecord> DecodePayment(std::string_view value);
Result<SignalRecord> DecodeSignal(std::string_view value);
Result<RegistryRecord> DecodeRegistry(std::string_view value);
Result<AppraisalRecord> DecodeAppraisal(std::string_view value);
Result<AnyRecord> DecodeEvent(EventKind kind, std::string_view value);
// Same, decoding into an existing record whose string buffers are reused (no allocation once
// they are large enough). On error `*out` is left partly written.
Status DecodeContributionInto(std::string_view value, ContributionRecord* out);
Status DecodePaymentInto(std::string_view value, PaymentRecord* out);
Status DecodeSignalInto(std::string_view value, SignalRecord* out);
Status DecodeRegistryInto(std::string_view value, RegistryRecord* out);
Status DecodeAppraisalInto(std::string_view value, AppraisalRecord* out);
// Reads only the source of an encoded signal (header, person id, source code): a scan that
// wants a few sources skips the rest without decoding them. The bytes after the source are
// not checked here; DecodeSignalInto checks them.
Status DecodeSignalSource(std::string_view value, SignalSource* out);

// Known-at seconds of an events value, read from its fixed header. False on bad bytes.
inline bool PeekKnownAt(std::string_view value, int64_t* known_at_seconds) {
  if (value.size() < kEventValueHeaderSize || static_cast<uint8_t>(value[0]) != kValueFormat) {
    return false;
  }
  *known_at_seconds = static_cast<int64_t>(DecodeFixed64BE(value.data() + 1));
  return true;
}

// Month number (vigil::MonthNumber) of a seconds timestamp.
int32_t MonthNumberOfSeconds(int64_t seconds);

}  // namespace vigil::storage

#include "values.h"

#include <cstring>
#include <string>

#include "coding.h"
#include "keys.h"

namespace vigil::storage {
namespace {

int64_t MonthStartSeconds(Month m) {
  return Seconds(StartOfDay(Date(m.year(), m.month(), std::chrono::day(1))));
}

void PutHeader(std::string* out, int64_t known_at) {
  out->push_back(static_cast<char>(kValueFormat));
  PutFixed64BE(out, static_cast<uint64_t>(known_at));
}

void PutCode(std::string* out, auto code) { out->push_back(static_cast<char>(code)); }
void PutDate(std::string* out, Date d) { PutSigned(out, DayNumber(d)); }
void PutMonth(std::string* out, Month m) { PutSigned(out, MonthNumber(m)); }

// Copies `s` into `out`, reusing its buffer. This runs for every string of every event
// decoded, mostly over a recycled record whose string has the same length (ids, account
// numbers, place codes): then the bytes are copied in place, with no call into the string's
// out-of-line append; otherwise clear + append reuses the buffer without assign's checks for
// aliasing the source (the source is never the string itself).
inline void AssignInto(std::string* out, std::string_view s) {
  if (out->size() == s.size()) {
    std::memcpy(out->data(), s.data(), s.size());
    return;
  }
  out->clear();
  out->append(s.data(), s.size());
}

// The day numbers and month numbers a decoded value may hold: a day whose year std::chrono
// cannot hold (beyond +-32767) would come back as another day, so a damaged value would change
// each time it is rewritten. Month numbers are year * 12 + month - 1; dividing with floor
// (MonthFromNumber truncates towards zero) inverts that for negative numbers too.
constexpr int64_t kFirstDay =
    std::chrono::sys_days(std::chrono::year(-32767) / 1 / 1).time_since_epoch().count();
constexpr int64_t kLastDay =
    std::chrono::sys_days(std::chrono::year(32767) / 12 / 31).time_since_epoch().count();
constexpr bool DayInRange(int64_t v) { return v >= kFirstDay && v <= kLastDay; }
constexpr int64_t YearOfMonthNumber(int64_t v) { return v / 12 - (v % 12 < 0 ? 1 : 0); }
constexpr bool MonthInRange(int64_t v) {
  const int64_t year = YearOfMonthNumber(v);
  return year >= -32767 && year <= 32767;
}
Month MonthFromInRangeNumber(int64_t v) {
  const int64_t year = YearOfMonthNumber(v);
  return Month(std::chrono::year(static_cast<int>(year)),
               std::chrono::month(static_cast<unsigned>(v - year * 12 + 1)));
}

// Decoding cursor that remembers the first failure, so decoders read straight through and
// check once at the end.
class Decoder {
 public:
  Decoder(std::string_view value, std::string_view what) : reader_(value), what_(what) {}

  void Header(bool event) {
    uint8_t format = 0;
    if (!reader_.Byte(&format)) return Fail("empty value");
    if (format != kValueFormat) {
      return Fail("unknown value format " + std::to_string(format) + " (this build reads " +
                  std::to_string(kValueFormat) + ")");
    }
    if (event) {
      uint64_t known = 0;
      if (!reader_.Fixed64BE(&known)) return Fail("truncated header");
      known_at_ = static_cast<int64_t>(known);
    }
  }
  // Assigns into `out`, reusing its buffer: decoding into recycled records allocates nothing.
  void StrInto(std::string* out) {
    std::string_view s;
    if (ok_ && !reader_.String(&s)) Fail("truncated string");
    if (ok_) {
      AssignInto(out, s);
    } else {
      out->clear();
    }
  }
  void SkipStr() {
    std::string_view s;
    if (ok_ && !reader_.String(&s)) Fail("truncated string");
  }
  int64_t Int() {
    int64_t v = 0;
    if (ok_ && !reader_.Signed(&v)) Fail("truncated integer");
    return v;
  }
  uint64_t UInt() {
    uint64_t v = 0;
    if (ok_ && !reader_.Varint(&v)) Fail("truncated integer");
    return v;
  }
  template <typename E>
  E Code() {
    uint8_t b = 0;
    if (ok_ && !reader_.Byte(&b)) Fail("truncated code");
    if (ok_ && b >= CodeCount<E>()) Fail("bad " + std::string(CodeNames<E>::kWhat) + " code");
    return static_cast<E>(ok_ ? b : 0);
  }
  bool Bool() {
    uint8_t b = 0;
    if (ok_ && !reader_.Byte(&b)) Fail("truncated flag");
    if (ok_ && b > 1) Fail("bad flag");
    return b == 1;
  }
  uint16_t Region() {
    const uint64_t v = UInt();
    if (ok_ && v > 0xffff) Fail("bad region");
    return static_cast<uint16_t>(v);
  }
  // A day out of range is refused (DayInRange); inside it the conversion is exact (a range
  // check, not a round trip: every date of every event goes through here).
  Date DateField() {
    const int64_t v = Int();
    if (ok_ && !DayInRange(v)) Fail("bad date");
    return DateFromDayNumber(static_cast<int32_t>(ok_ ? v : 0));
  }
  Month MonthField() {
    const int64_t v = Int();
    if (ok_ && !MonthInRange(v)) Fail("bad month");
    if (!ok_) return Month{};
    return MonthFromInRangeNumber(v);
  }
  Timestamp Time() { return TimestampFromSeconds(Int()); }
  void Check(bool condition, const char* why) {
    if (ok_ && !condition) Fail(why);
  }
  int64_t known_at() const { return known_at_; }

  // The first failure so far, without the end-of-value check of Finish.
  Status SoFar() const {
    if (!ok_) return Status::Corruption(std::string(what_) + " value: " + error_);
    return Status::Ok();
  }
  Status Finish() {
    if (ok_ && !reader_.done()) Fail("trailing bytes");
    if (!ok_) return Status::Corruption(std::string(what_) + " value: " + error_);
    return Status::Ok();
  }

 private:
  void Fail(std::string why) {
    if (!ok_) return;
    ok_ = false;
    error_ = std::move(why) + " at byte " + std::to_string(reader_.offset());
  }

  Reader reader_;
  std::string_view what_;
  bool ok_ = true;
  std::string error_;
  int64_t known_at_ = 0;
};

}  // namespace

int32_t MonthNumberOfSeconds(int64_t seconds) {
  return MonthNumber(MonthOf(DateOf(TimestampFromSeconds(seconds))));
}

EncodedEvent EncodeEvent(const ContributionRecord& r) {
  EncodedEvent e;
  EncodeEvent(r, &e, &e.value);
  return e;
}

void EncodeEvent(const ContributionRecord& r, EncodedEvent* out, std::string* value) {
  EncodedEvent& e = *out;
  e.person_key = PersonKey(r.person_id);
  e.kind = EventKind::kContribution;
  e.time_seconds = MonthStartSeconds(r.start_month);
  e.known_at_seconds = Seconds(r.recorded_at);
  e.natural_key_hash = NaturalKey()
                           .Text(r.person_id)
                           .Int(r.region)
                           .Text(r.employer_id)
                           .Int(MonthNumber(r.start_month))
                           .Int(static_cast<int64_t>(r.kind))
                           .Hash();
  std::string& v = *value;
  PutHeader(&v, e.known_at_seconds);
  PutString(&v, r.person_id);
  PutVarint64(&v, r.region);
  PutString(&v, r.employer_id);
  PutString(&v, r.industry);
  PutCode(&v, r.job_type);
  PutMonth(&v, r.start_month);
  PutMonth(&v, r.end_month);
  PutSigned(&v, r.monthly_base.fen());
  PutCode(&v, r.kind);
  PutDate(&v, r.paid_date);
  PutCode(&v, r.id_checksum_ok);
}

EncodedEvent EncodeEvent(const PaymentRecord& r) {
  EncodedEvent e;
  EncodeEvent(r, &e, &e.value);
  return e;
}

void EncodeEvent(const PaymentRecord& r, EncodedEvent* out, std::string* value) {
  EncodedEvent& e = *out;
  e.person_key = PersonKey(r.person_id);
  e.kind = EventKind::kPayment;
  e.time_seconds = Seconds(StartOfDay(r.paid_date));
  e.known_at_seconds = e.time_seconds;
  e.natural_key_hash = NaturalKey().Text(r.payment_id).Hash();
  std::string& v = *value;
  PutHeader(&v, e.known_at_seconds);
  PutString(&v, r.payment_id);
  PutString(&v, r.person_id);
  PutVarint64(&v, r.region);
  PutCode(&v, r.benefit);
  PutMonth(&v, r.period);
  PutSigned(&v, r.amount.fen());
  PutString(&v, r.bank_account);
  PutCode(&v, r.channel);
  PutDate(&v, r.paid_date);
  PutCode(&v, r.id_checksum_ok);
}

EncodedEvent EncodeEvent(const SignalRecord& r) {
  EncodedEvent e;
  EncodeEvent(r, &e, &e.value);
  return e;
}

void EncodeEvent(const SignalRecord& r, EncodedEvent* out, std::string* value) {
  EncodedEvent& e = *out;
  e.person_key = PersonKey(r.person_id);
  e.kind = EventKind::kSignal;
  e.time_seconds = Seconds(r.occurred_at);
  e.known_at_seconds = e.time_seconds;
  e.natural_key_hash = NaturalKey()
                           .Text(r.person_id)
                           .Int(static_cast<int64_t>(r.source))
                           .Int(Seconds(r.occurred_at))
                           .Text(r.place)
                           .Hash();
  std::string& v = *value;
  PutHeader(&v, e.known_at_seconds);
  PutString(&v, r.person_id);
  PutCode(&v, r.source);
  PutSigned(&v, Seconds(r.occurred_at));
  PutString(&v, r.place);
  PutString(&v, r.detail);
}

EncodedEvent EncodeEvent(const RegistryRecord& r) {
  EncodedEvent e;
  EncodeEvent(r, &e, &e.value);
  return e;
}

void EncodeEvent(const RegistryRecord& r, EncodedEvent* out, std::string* value) {
  EncodedEvent& e = *out;
  e.person_key = PersonKey(r.person_id);
  e.kind = EventKind::kRegistry;
  e.time_seconds = Seconds(StartOfDay(r.event_date));
  e.known_at_seconds = Seconds(StartOfDay(r.reported_date));
  e.natural_key_hash = NaturalKey()
                           .Text(r.person_id)
                           .Int(static_cast<int64_t>(r.event))
                           .Int(DayNumber(r.event_date))
                           .Hash();
  std::string& v = *value;
  PutHeader(&v, e.known_at_seconds);
  PutString(&v, r.person_id);
  PutCode(&v, r.event);
  PutDate(&v, r.event_date);
  PutDate(&v, r.reported_date);
  PutString(&v, r.detail);
}

EncodedEvent EncodeEvent(const AppraisalRecord& r) {
  EncodedEvent e;
  EncodeEvent(r, &e, &e.value);
  return e;
}

void EncodeEvent(const AppraisalRecord& r, EncodedEvent* out, std::string* value) {
  EncodedEvent& e = *out;
  e.person_key = PersonKey(r.person_id);
  e.kind = EventKind::kAppraisal;
  e.time_seconds = Seconds(StartOfDay(r.appraisal_date));
  e.known_at_seconds = e.time_seconds;
  e.natural_key_hash = NaturalKey().Text(r.person_id).Int(DayNumber(r.appraisal_date)).Hash();
  std::string& v = *value;
  PutHeader(&v, e.known_at_seconds);
  PutString(&v, r.person_id);
  PutDate(&v, r.appraisal_date);
  PutString(&v, r.hospital_id);
  PutString(&v, r.doctor_id);
  PutVarint64(&v, r.grade);
  PutCode(&v, r.conclusion);
}

std::string EncodePerson(const PersonRecord& r) {
  std::string v;
  v.push_back(static_cast<char>(kValueFormat));
  PutString(&v, r.person_id);
  PutVarint64(&v, r.region);
  PutString(&v, r.name);
  PutDate(&v, r.birth_date);
  PutCode(&v, r.sex);
  PutVarint64(&v, r.district);
  PutCode(&v, r.scheme);
  PutCode(&v, r.category);
  PutDate(&v, r.retirement_date);
  PutCode(&v, r.retirement_type);
  PutSigned(&v, r.monthly_benefit.fen());
  PutString(&v, r.bank_account);
  PutString(&v, r.phone);
  PutString(&v, r.address);
  PutCode(&v, r.status);
  PutCode(&v, r.id_checksum_ok);
  return v;
}

Status DecodePersonInto(std::string_view value, PersonRecord* out) {
  Decoder d(value, "persons");
  d.Header(/*event=*/false);
  PersonRecord& r = *out;
  d.StrInto(&r.person_id);
  r.region = d.Region();
  d.StrInto(&r.name);
  r.birth_date = d.DateField();
  r.sex = d.Code<Sex>();
  const uint64_t district = d.UInt();
  r.district = static_cast<uint32_t>(district);
  r.scheme = d.Code<Scheme>();
  r.category = d.Code<Category>();
  r.retirement_date = d.DateField();
  r.retirement_type = d.Code<RetirementType>();
  r.monthly_benefit = Money::FromFen(d.Int());
  d.StrInto(&r.bank_account);
  d.StrInto(&r.phone);
  d.StrInto(&r.address);
  r.status = d.Code<PersonStatus>();
  r.id_checksum_ok = d.Bool();
  d.Check(district <= UINT32_MAX, "bad district");
  return d.Finish();
}

Status DecodeContributionInto(std::string_view value, ContributionRecord* out) {
  Decoder d(value, "contribution");
  d.Header(/*event=*/true);
  ContributionRecord& r = *out;
  d.StrInto(&r.person_id);
  r.region = d.Region();
  d.StrInto(&r.employer_id);
  d.StrInto(&r.industry);
  r.job_type = d.Code<JobType>();
  r.start_month = d.MonthField();
  r.end_month = d.MonthField();
  r.monthly_base = Money::FromFen(d.Int());
  r.kind = d.Code<ContributionKind>();
  r.paid_date = d.DateField();
  r.recorded_at = TimestampFromSeconds(d.known_at());
  r.id_checksum_ok = d.Bool();
  return d.Finish();
}

namespace {
// The fast paths below read a well-formed value with the bare Reader and build no message;
// they check everything the Decoder checks and write the record only once the whole value has
// passed. Anything else goes the Decoder's way, which names what is wrong. Pass 2 of scoring
// decodes every payment and signal of every person, so this is most of its decoding.
bool HeaderFits(Reader& reader) {
  uint8_t format = 0;
  uint64_t known_at = 0;
  return reader.Byte(&format) && format == kValueFormat && reader.Fixed64BE(&known_at);
}

template <typename E>
bool CodeFits(Reader& reader, E* out) {
  uint8_t code = 0;
  if (!reader.Byte(&code) || code >= CodeCount<E>()) return false;
  *out = static_cast<E>(code);
  return true;
}

bool PaymentFits(std::string_view value, PaymentRecord* out) {
  Reader reader(value);
  std::string_view payment_id, person_id, account;
  uint64_t region = 0;
  Benefit benefit{};
  Channel channel{};
  int64_t period = 0, amount = 0, paid = 0;
  uint8_t checksum_ok = 0;
  if (!(HeaderFits(reader) && reader.String(&payment_id) && reader.String(&person_id) &&
        reader.Varint(&region) && region <= 0xffff && CodeFits(reader, &benefit) &&
        reader.Signed(&period) && MonthInRange(period) && reader.Signed(&amount) &&
        reader.String(&account) && CodeFits(reader, &channel) && reader.Signed(&paid) &&
        DayInRange(paid) && reader.Byte(&checksum_ok) && checksum_ok <= 1 && reader.done())) {
    return false;
  }
  PaymentRecord& r = *out;
  AssignInto(&r.payment_id, payment_id);
  AssignInto(&r.person_id, person_id);
  r.region = static_cast<uint16_t>(region);
  r.benefit = benefit;
  r.period = MonthFromInRangeNumber(period);
  r.amount = Money::FromFen(amount);
  AssignInto(&r.bank_account, account);
  r.channel = channel;
  r.paid_date = DateFromDayNumber(static_cast<int32_t>(paid));
  r.id_checksum_ok = checksum_ok == 1;
  return true;
}

bool SignalFits(std::string_view value, SignalRecord* out) {
  Reader reader(value);
  std::string_view person_id, place, detail;
  SignalSource source{};
  int64_t occurred = 0;
  if (!(HeaderFits(reader) && reader.String(&person_id) && CodeFits(reader, &source) &&
        reader.Signed(&occurred) && reader.String(&place) && reader.String(&detail) &&
        reader.done())) {
    return false;
  }
  SignalRecord& r = *out;
  AssignInto(&r.person_id, person_id);
  r.source = source;
  r.occurred_at = TimestampFromSeconds(occurred);
  AssignInto(&r.place, place);
  AssignInto(&r.detail, detail);
  return true;
}
}  // namespace

Status DecodePaymentInto(std::string_view value, PaymentRecord* out) {
  if (PaymentFits(value, out)) return Status::Ok();
  Decoder d(value, "payment");
  d.Header(/*event=*/true);
  PaymentRecord& r = *out;
  d.StrInto(&r.payment_id);
  d.StrInto(&r.person_id);
  r.region = d.Region();
  r.benefit = d.Code<Benefit>();
  r.period = d.MonthField();
  r.amount = Money::FromFen(d.Int());
  d.StrInto(&r.bank_account);
  r.channel = d.Code<Channel>();
  r.paid_date = d.DateField();
  r.id_checksum_ok = d.Bool();
  return d.Finish();
}

Status DecodeSignalInto(std::string_view value, SignalRecord* out) {
  if (SignalFits(value, out)) return Status::Ok();
  Decoder d(value, "signal");
  d.Header(/*event=*/true);
  SignalRecord& r = *out;
  d.StrInto(&r.person_id);
  r.source = d.Code<SignalSource>();
  r.occurred_at = d.Time();
  d.StrInto(&r.place);
  d.StrInto(&r.detail);
  return d.Finish();
}

Status DecodeSignalSource(std::string_view value, SignalSource* out) {
  // The first pass asks this of every signal: a well-formed value is read with the bare
  // Reader, which builds no message; anything else goes the Decoder's way, which names what is
  // wrong.
  Reader reader(value);
  std::string_view person_id;
  if (HeaderFits(reader) && reader.String(&person_id) && CodeFits(reader, out)) {
    return Status::Ok();
  }
  Decoder d(value, "signal");
  d.Header(/*event=*/true);
  d.SkipStr();
  *out = d.Code<SignalSource>();
  return d.SoFar();
}

Status DecodeRegistryInto(std::string_view value, RegistryRecord* out) {
  Decoder d(value, "registry");
  d.Header(/*event=*/true);
  RegistryRecord& r = *out;
  d.StrInto(&r.person_id);
  r.event = d.Code<RegistryEvent>();
  r.event_date = d.DateField();
  r.reported_date = d.DateField();
  d.StrInto(&r.detail);
  return d.Finish();
}

Status DecodeAppraisalInto(std::string_view value, AppraisalRecord* out) {
  Decoder d(value, "appraisal");
  d.Header(/*event=*/true);
  AppraisalRecord& r = *out;
  d.StrInto(&r.person_id);
  r.appraisal_date = d.DateField();
  d.StrInto(&r.hospital_id);
  d.StrInto(&r.doctor_id);
  const uint64_t grade = d.UInt();
  d.Check(grade >= 1 && grade <= 10, "bad grade");
  r.grade = static_cast<uint8_t>(grade);
  r.conclusion = d.Code<Conclusion>();
  return d.Finish();
}

namespace {
template <typename T>
Result<T> DecodeFresh(std::string_view value, Status (*decode)(std::string_view, T*)) {
  T r;
  VIGIL_RETURN_IF_ERROR(decode(value, &r));
  return r;
}
}  // namespace

Result<PersonRecord> DecodePerson(std::string_view value) {
  return DecodeFresh(value, &DecodePersonInto);
}
Result<ContributionRecord> DecodeContribution(std::string_view value) {
  return DecodeFresh(value, &DecodeContributionInto);
}
Result<PaymentRecord> DecodePayment(std::string_view value) {
  return DecodeFresh(value, &DecodePaymentInto);
}
Result<SignalRecord> DecodeSignal(std::string_view value) {
  return DecodeFresh(value, &DecodeSignalInto);
}
Result<RegistryRecord> DecodeRegistry(std::string_view value) {
  return DecodeFresh(value, &DecodeRegistryInto);
}
Result<AppraisalRecord> DecodeAppraisal(std::string_view value) {
  return DecodeFresh(value, &DecodeAppraisalInto);
}

namespace {
template <typename T>
Result<AnyRecord> Widen(Result<T> r) {
  if (!r.ok()) return r.status();
  return AnyRecord(std::move(r).value());
}
}  // namespace

Result<AnyRecord> DecodeEvent(EventKind kind, std::string_view value) {
  switch (kind) {
    case EventKind::kContribution:
      return Widen(DecodeContribution(value));
    case EventKind::kPayment:
      return Widen(DecodePayment(value));
    case EventKind::kSignal:
      return Widen(DecodeSignal(value));
    case EventKind::kRegistry:
      return Widen(DecodeRegistry(value));
    case EventKind::kAppraisal:
      return Widen(DecodeAppraisal(value));
  }
  return Status::Corruption("events value: unknown kind");
}

}  // namespace vigil::storage

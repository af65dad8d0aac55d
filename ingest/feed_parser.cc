// Validation of feed rows against the data contract (feeds.md). Every rule that refuses a row
// is listed with its reason code in docs/ingest.md; keep the two in step.
#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <string>

#include "fields.h"
#include "vigil/ingest.h"
#include "vigil/resident_id.h"

namespace vigil {
namespace {

using ingest_internal::TrimBlanks;

constexpr auto kReasonNames = std::to_array<std::string_view>({
    "FIELD_COUNT",      "UNTERMINATED_QUOTE", "STRAY_QUOTE",  "ROW_TOO_LONG",
    "BAD_UTF8",         "EMPTY_FIELD",        "ID_LENGTH",    "ID_CHARACTERS",
    "ID_BIRTH_DATE",    "ID_CHECKSUM",        "BAD_DATE",     "BAD_MONTH",
    "BAD_TIMESTAMP",    "DATE_OUT_OF_RANGE",  "BAD_MONEY",    "NEGATIVE_MONEY",
    "UNKNOWN_CODE",     "BAD_REGION",         "BAD_DISTRICT", "BAD_INDUSTRY",
    "END_BEFORE_START", "BAD_GRADE",          "BAD_DETAIL",   "REPORTED_BEFORE_EVENT",
    "FIELD_TOO_LONG",   "CONTROL_CHARACTER",
});

constexpr auto kAllReasons = [] {
  std::array<RejectReason, kReasonNames.size()> all{};
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<RejectReason>(i);
  return all;
}();

// Columns per feed: required first, then optional. The order fixes the indices used below.
constexpr std::string_view kPersonsRequired[] = {
    "person_id",       "region",       "name",     "birth_date",      "sex",
    "district",        "scheme",       "category", "retirement_date", "retirement_type",
    "monthly_benefit", "bank_account", "status"};
constexpr std::string_view kPersonsOptional[] = {"phone", "address"};
constexpr std::string_view kContributionsRequired[] = {
    "person_id", "region",       "employer_id", "industry",  "job_type",   "start_month",
    "end_month", "monthly_base", "kind",        "paid_date", "recorded_at"};
constexpr std::string_view kPaymentsRequired[] = {"payment_id",   "person_id", "region",
                                                  "benefit",      "period",    "amount",
                                                  "bank_account", "channel",   "paid_date"};
constexpr std::string_view kSignalsRequired[] = {"person_id", "source", "occurred_at"};
constexpr std::string_view kSignalsOptional[] = {"place", "detail"};
constexpr std::string_view kRegistryRequired[] = {"person_id", "event", "event_date",
                                                  "reported_date"};
constexpr std::string_view kRegistryOptional[] = {"detail"};
constexpr std::string_view kAppraisalsRequired[] = {"person_id", "appraisal_date", "hospital_id",
                                                    "doctor_id", "grade",          "conclusion"};

// Length limits (bytes): generous for real data, small enough that a swallowed run of rows
// (an unterminated quote that happened to balance) does not pass as a name.
constexpr size_t kMaxIdentifierBytes = 64;  // employer, payment, account, place, doctor ids
constexpr size_t kMaxNameBytes = 200;
constexpr size_t kMaxTextBytes = 2000;  // address, detail

// Years accepted in any date: outside this the value is a typo, not history.
constexpr int kMinYear = 1900;
constexpr int kMaxYear = 2100;

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string Quoted(std::string_view text) {
  std::string out = "'";
  out.append(text.substr(0, 80));
  if (text.size() > 80) out += "...";
  out += "'";
  return out;
}

// Reads typed values out of one row; on the first failure fills the reject and returns false.
class Row {
 public:
  Row(std::span<const std::string_view> fields, const std::vector<int>& index,
      const std::vector<std::string>& header, RowReject* reject)
      : fields_(fields), index_(index), header_(header), reject_(reject) {}

  // The trimmed value of schema column `col` ("" when the column is absent).
  std::string_view Get(size_t col) const {
    const int i = index_[col];
    return i < 0 ? std::string_view() : TrimBlanks(fields_[static_cast<size_t>(i)]);
  }

  bool Fail(size_t col, RejectReason reason, std::string message) {
    const int i = index_[col];
    reject_->reason = reason;
    reject_->column = i < 0 ? std::string() : header_[static_cast<size_t>(i)];
    reject_->message = std::move(message);
    return false;
  }

  bool Required(size_t col, std::string_view* out) {
    *out = Get(col);
    if (out->empty()) return Fail(col, RejectReason::kEmptyField, "required value is empty");
    return true;
  }

  // A resident id. `lenient`: a wrong check character is kept and flagged (the fund's own
  // ledgers, feeds.md), otherwise refused.
  bool Id(size_t col, bool lenient, std::string* out, bool* checksum_ok) {
    std::string_view text;
    if (!Required(col, &text)) return false;
    if (text.size() != ResidentId::kLength) {
      // Characters, not bytes: an id with a full-width digit has the right length and a wrong
      // character (found below). Rows reach here as valid UTF-8: count the non-continuation bytes.
      const auto chars = static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<uint8_t>(c) & 0xC0) != 0x80;
      }));
      if (chars != ResidentId::kLength) {
        return Fail(col, RejectReason::kIdLength,
                    "resident id has " + std::to_string(chars) + " characters, expected 18");
      }
    }
    for (size_t i = 0; i < 17; ++i) {
      if (text[i] < '0' || text[i] > '9') {
        return Fail(col, RejectReason::kIdCharacters,
                    "resident id has a non-digit at position " + std::to_string(i + 1));
      }
    }
    const char check = text[17];
    if (!(check == 'X' || check == 'x' || (check >= '0' && check <= '9'))) {
      return Fail(col, RejectReason::kIdCharacters, "resident id check character is not 0-9 or X");
    }
    if (text.size() != ResidentId::kLength) {
      return Fail(col, RejectReason::kIdCharacters,
                  "resident id has a character that is not ASCII");
    }
    auto id = lenient ? ResidentId::ParseLenient(text) : ResidentId::Parse(text);
    if (!id.ok()) {
      // Length and characters were checked above, so the core parser objected to the birth
      // date, the address code or the check character.
      const std::string m = id.status().message();
      const RejectReason reason =
          m.find("check character") != std::string::npos
              ? RejectReason::kIdChecksum
              : (m.find("birth date") != std::string::npos ? RejectReason::kIdBirthDate
                                                           : RejectReason::kIdCharacters);
      return Fail(col, reason, m);
    }
    out->assign(id->text());
    if (checksum_ok != nullptr) *checksum_ok = id->checksum_ok();
    return true;
  }

  bool CheckYear(size_t col, int year, std::string_view text) {
    if (year < kMinYear || year > kMaxYear) {
      return Fail(col, RejectReason::kDateOutOfRange,
                  "year of " + Quoted(text) + " is outside " + std::to_string(kMinYear) + ".." +
                      std::to_string(kMaxYear));
    }
    return true;
  }

  bool DateValue(size_t col, Date* out) {
    std::string_view text;
    if (!Required(col, &text)) return false;
    auto d = ParseDate(text);
    if (!d.ok()) return Fail(col, RejectReason::kBadDate, d.status().message());
    *out = *d;
    return CheckYear(col, static_cast<int>(out->year()), text);
  }

  bool MonthValue(size_t col, Month* out) {
    std::string_view text;
    if (!Required(col, &text)) return false;
    auto m = ParseMonth(text);
    if (!m.ok()) return Fail(col, RejectReason::kBadMonth, m.status().message());
    *out = *m;
    return CheckYear(col, static_cast<int>(out->year()), text);
  }

  bool TimestampValue(size_t col, Timestamp* out) {
    std::string_view text;
    if (!Required(col, &text)) return false;
    auto t = ParseTimestamp(text);
    if (!t.ok()) return Fail(col, RejectReason::kBadTimestamp, t.status().message());
    *out = *t;
    return CheckYear(col, static_cast<int>(DateOf(*out).year()), text);
  }

  bool MoneyValue(size_t col, Money* out) {
    std::string_view text;
    if (!Required(col, &text)) return false;
    auto m = ParseMoney(text);
    if (!m.ok()) return Fail(col, RejectReason::kBadMoney, m.status().message());
    if (m->fen() < 0) {
      return Fail(col, RejectReason::kNegativeMoney, "amount " + Quoted(text) + " is negative");
    }
    *out = *m;
    return true;
  }

  template <typename E>
  bool Code(size_t col, E* out) {
    std::string_view text;
    if (!Required(col, &text)) return false;
    auto code = ParseCode<E>(text);
    if (!code.ok()) return Fail(col, RejectReason::kUnknownCode, code.status().message());
    *out = *code;
    return true;
  }

  // Exactly `digits` ASCII digits, the first not 0 (PRC administrative codes never start
  // with 0).
  bool DigitsValue(size_t col, size_t digits, RejectReason reason, std::string_view what,
                   uint32_t* out) {
    std::string_view text;
    if (!Required(col, &text)) return false;
    bool ok = text.size() == digits && text[0] != '0';
    uint32_t v = 0;
    for (char c : text) {
      if (c < '0' || c > '9') ok = false;
      v = v * 10 + static_cast<uint32_t>(c - '0');
    }
    if (!ok) {
      return Fail(
          col, reason,
          std::string(what) + " " + Quoted(text) + " is not " + std::to_string(digits) + " digits");
    }
    *out = v;
    return true;
  }

  bool Region(size_t col, uint16_t* out) {
    uint32_t v = 0;
    if (!DigitsValue(col, 4, RejectReason::kBadRegion, "region", &v)) return false;
    *out = static_cast<uint16_t>(v);
    return true;
  }

  // An identifier string (employer, payment, account, place...): no control characters.
  bool Identifier(size_t col, bool required, std::string* out) {
    std::string_view text = Get(col);
    if (required && text.empty()) {
      return Fail(col, RejectReason::kEmptyField, "required value is empty");
    }
    if (text.size() > kMaxIdentifierBytes) {
      return Fail(col, RejectReason::kFieldTooLong,
                  "value has " + std::to_string(text.size()) + " bytes, at most " +
                      std::to_string(kMaxIdentifierBytes) + " allowed");
    }
    for (char c : text) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
        return Fail(col, RejectReason::kControlCharacter, "value holds a control character");
      }
    }
    out->assign(text);
    return true;
  }

  // Free text (names, addresses, details): any UTF-8, bounded length.
  bool Text(size_t col, bool required, size_t max_bytes, std::string* out) {
    std::string_view text = Get(col);
    if (required && text.empty()) {
      return Fail(col, RejectReason::kEmptyField, "required value is empty");
    }
    if (text.size() > max_bytes) {
      return Fail(col, RejectReason::kFieldTooLong,
                  "value has " + std::to_string(text.size()) + " bytes, at most " +
                      std::to_string(max_bytes) + " allowed");
    }
    out->assign(text);
    return true;
  }

 private:
  std::span<const std::string_view> fields_;
  const std::vector<int>& index_;
  const std::vector<std::string>& header_;
  RowReject* reject_;
};

bool ParsePerson(Row& row, PersonRecord* r) {
  // Columns: see kPersonsRequired / kPersonsOptional.
  if (!row.Id(0, /*lenient=*/true, &r->person_id, &r->id_checksum_ok)) return false;
  if (!row.Region(1, &r->region)) return false;
  if (!row.Text(2, true, kMaxNameBytes, &r->name)) return false;
  if (!row.DateValue(3, &r->birth_date)) return false;
  if (!row.Code(4, &r->sex)) return false;
  if (!row.DigitsValue(5, 6, RejectReason::kBadDistrict, "district", &r->district)) return false;
  if (!row.Code(6, &r->scheme)) return false;
  if (!row.Code(7, &r->category)) return false;
  if (!row.DateValue(8, &r->retirement_date)) return false;
  if (!row.Code(9, &r->retirement_type)) return false;
  if (!row.MoneyValue(10, &r->monthly_benefit)) return false;
  // A registry row without an account (e.g. a terminated pension) is still a registry row.
  if (!row.Identifier(11, false, &r->bank_account)) return false;
  if (!row.Code(12, &r->status)) return false;
  if (!row.Identifier(13, false, &r->phone)) return false;
  return row.Text(14, false, kMaxTextBytes, &r->address);
}

bool ParseContribution(Row& row, ContributionRecord* r) {
  if (!row.Id(0, /*lenient=*/true, &r->person_id, &r->id_checksum_ok)) return false;
  if (!row.Region(1, &r->region)) return false;
  if (!row.Identifier(2, true, &r->employer_id)) return false;
  std::string_view industry;
  if (!row.Required(3, &industry)) return false;
  // GB/T 4754: section letter A..T followed by the 2-digit division.
  if (industry.size() != 3 || industry[0] < 'A' || industry[0] > 'T' || industry[1] < '0' ||
      industry[1] > '9' || industry[2] < '0' || industry[2] > '9') {
    return row.Fail(3, RejectReason::kBadIndustry,
                    "industry " + Quoted(industry) + " is not a section letter A-T + 2 digits");
  }
  r->industry.assign(industry);
  if (!row.Code(4, &r->job_type)) return false;
  if (!row.MonthValue(5, &r->start_month)) return false;
  if (!row.MonthValue(6, &r->end_month)) return false;
  if (r->end_month < r->start_month) {
    return row.Fail(6, RejectReason::kEndBeforeStart,
                    "end_month " + FormatMonth(r->end_month) + " is before start_month " +
                        FormatMonth(r->start_month));
  }
  if (!row.MoneyValue(7, &r->monthly_base)) return false;
  if (!row.Code(8, &r->kind)) return false;
  if (!row.DateValue(9, &r->paid_date)) return false;
  return row.TimestampValue(10, &r->recorded_at);
}

bool ParsePayment(Row& row, PaymentRecord* r) {
  if (!row.Identifier(0, true, &r->payment_id)) return false;
  if (!row.Id(1, /*lenient=*/true, &r->person_id, &r->id_checksum_ok)) return false;
  if (!row.Region(2, &r->region)) return false;
  if (!row.Code(3, &r->benefit)) return false;
  if (!row.MonthValue(4, &r->period)) return false;
  if (!row.MoneyValue(5, &r->amount)) return false;
  if (!row.Identifier(6, true, &r->bank_account)) return false;
  if (!row.Code(7, &r->channel)) return false;
  return row.DateValue(8, &r->paid_date);
}

bool ParseSignal(Row& row, SignalRecord* r) {
  if (!row.Id(0, /*lenient=*/false, &r->person_id, nullptr)) return false;
  if (!row.Code(1, &r->source)) return false;
  if (!row.TimestampValue(2, &r->occurred_at)) return false;
  if (!row.Identifier(3, false, &r->place)) return false;
  if (!row.Text(4, false, kMaxTextBytes, &r->detail)) return false;
  // The two sources whose detail the rules read must carry one of the contract's values.
  if (r->source == SignalSource::kFaceCert && r->detail != "PASS" && r->detail != "FAIL") {
    return row.Fail(4, RejectReason::kBadDetail,
                    "FACE_CERT detail " + Quoted(r->detail) + " is not PASS or FAIL");
  }
  if (r->source == SignalSource::kHospitalDischarge && r->detail != "CURED" &&
      r->detail != "TRANSFERRED" && r->detail != "DIED") {
    return row.Fail(
        4, RejectReason::kBadDetail,
        "HOSPITAL_DISCHARGE detail " + Quoted(r->detail) + " is not CURED, TRANSFERRED or DIED");
  }
  return true;
}

bool ParseRegistry(Row& row, RegistryRecord* r) {
  if (!row.Id(0, /*lenient=*/false, &r->person_id, nullptr)) return false;
  if (!row.Code(1, &r->event)) return false;
  if (!row.DateValue(2, &r->event_date)) return false;
  if (!row.DateValue(3, &r->reported_date)) return false;
  if (Days(r->reported_date) < Days(r->event_date)) {
    return row.Fail(3, RejectReason::kReportedBeforeEvent,
                    "reported_date " + FormatDate(r->reported_date) + " is before event_date " +
                        FormatDate(r->event_date));
  }
  if (!row.Text(4, false, kMaxTextBytes, &r->detail)) return false;
  if (r->event == RegistryEvent::kIdChange) {
    // "field:old->new" with a non-empty field name (old or new may be empty).
    const size_t colon = r->detail.find(':');
    const size_t arrow = colon == std::string::npos ? colon : r->detail.find("->", colon + 1);
    if (colon == std::string::npos || colon == 0 || arrow == std::string::npos) {
      return row.Fail(4, RejectReason::kBadDetail,
                      "ID_CHANGE detail " + Quoted(r->detail) + " is not field:old->new");
    }
  }
  return true;
}

bool ParseAppraisal(Row& row, AppraisalRecord* r) {
  if (!row.Id(0, /*lenient=*/false, &r->person_id, nullptr)) return false;
  if (!row.DateValue(1, &r->appraisal_date)) return false;
  if (!row.Identifier(2, true, &r->hospital_id)) return false;
  if (!row.Identifier(3, true, &r->doctor_id)) return false;
  std::string_view grade;
  if (!row.Required(4, &grade)) return false;
  int g = 0;
  const auto [end, ec] = std::from_chars(grade.data(), grade.data() + grade.size(), g);
  if (ec != std::errc() || end != grade.data() + grade.size() || g < 1 || g > 10) {
    return row.Fail(4, RejectReason::kBadGrade,
                    "grade " + Quoted(grade) + " is not an integer from 1 to 10");
  }
  r->grade = static_cast<uint8_t>(g);
  return row.Code(5, &r->conclusion);
}

}  // namespace

std::string_view RejectReasonName(RejectReason reason) {
  const auto i = static_cast<size_t>(reason);
  return i < kReasonNames.size() ? kReasonNames[i] : "?";
}

std::span<const RejectReason> AllRejectReasons() { return kAllReasons; }

std::string Reject::ReasonText() const {
  std::string out(RejectReasonName(reason));
  if (!message.empty()) {
    out += ": ";
    out += message;
  }
  return out;
}

FeedColumns ColumnsOf(Feed feed) {
  switch (feed) {
    case Feed::kPersons:
      return {kPersonsRequired, kPersonsOptional};
    case Feed::kContributions:
      return {kContributionsRequired, {}};
    case Feed::kPayments:
      return {kPaymentsRequired, {}};
    case Feed::kSignals:
      return {kSignalsRequired, kSignalsOptional};
    case Feed::kRegistry:
      return {kRegistryRequired, kRegistryOptional};
    case Feed::kAppraisals:
      return {kAppraisalsRequired, {}};
  }
  return {};
}

Result<FeedParser> FeedParser::Create(Feed feed, std::span<const std::string> header,
                                      std::string_view file_name) {
  std::vector<std::string_view> views(header.begin(), header.end());
  return Create(feed, std::span<const std::string_view>(views), file_name);
}

Result<FeedParser> FeedParser::Create(Feed feed, std::span<const std::string_view> header,
                                      std::string_view file_name) {
  FeedParser parser;
  parser.feed_ = feed;
  parser.header_.assign(header.begin(), header.end());
  const FeedColumns columns = ColumnsOf(feed);
  std::vector<std::string_view> names(columns.required.begin(), columns.required.end());
  names.insert(names.end(), columns.optional.begin(), columns.optional.end());
  parser.index_.assign(names.size(), -1);
  for (size_t i = 0; i < header.size(); ++i) {
    const std::string name = LowerAscii(TrimBlanks(header[i]));
    const auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end()) continue;  // unknown columns are ignored (feeds.md)
    const size_t col = static_cast<size_t>(it - names.begin());
    if (parser.index_[col] >= 0) {
      return Status::InvalidArgument(std::string(file_name) + ": column '" + name +
                                     "' appears twice in the header");
    }
    parser.index_[col] = static_cast<int>(i);
  }
  for (size_t col = 0; col < columns.required.size(); ++col) {
    if (parser.index_[col] < 0) {
      return Status::InvalidArgument(std::string(file_name) + ": missing required column '" +
                                     std::string(names[col]) + "' (" + std::string(CodeName(feed)) +
                                     " feed); file refused");
    }
  }
  return parser;
}

namespace {

template <typename R, typename F>
bool ParseWith(const FeedParser& parser, Feed expected, std::span<const std::string_view> fields,
               R* record, RowReject* reject, F parse) {
  if (parser.feed() != expected) {
    reject->reason = RejectReason::kFieldCount;
    reject->column.clear();
    reject->message = "internal: record type does not match the feed";
    return false;
  }
  if (fields.size() != parser.field_count()) {
    reject->reason = RejectReason::kFieldCount;
    reject->column.clear();
    reject->message = "row has " + std::to_string(fields.size()) + " fields, header has " +
                      std::to_string(parser.field_count());
    return false;
  }
  Row row(fields, parser.column_index(), parser.header(), reject);
  return parse(row, record);
}

}  // namespace

bool FeedParser::Parse(std::span<const std::string_view> f, PersonRecord* r, RowReject* rej) const {
  return ParseWith(*this, Feed::kPersons, f, r, rej, ParsePerson);
}
bool FeedParser::Parse(std::span<const std::string_view> f, ContributionRecord* r,
                       RowReject* rej) const {
  return ParseWith(*this, Feed::kContributions, f, r, rej, ParseContribution);
}
bool FeedParser::Parse(std::span<const std::string_view> f, PaymentRecord* r,
                       RowReject* rej) const {
  return ParseWith(*this, Feed::kPayments, f, r, rej, ParsePayment);
}
bool FeedParser::Parse(std::span<const std::string_view> f, SignalRecord* r, RowReject* rej) const {
  return ParseWith(*this, Feed::kSignals, f, r, rej, ParseSignal);
}
bool FeedParser::Parse(std::span<const std::string_view> f, RegistryRecord* r,
                       RowReject* rej) const {
  return ParseWith(*this, Feed::kRegistry, f, r, rej, ParseRegistry);
}
bool FeedParser::Parse(std::span<const std::string_view> f, AppraisalRecord* r,
                       RowReject* rej) const {
  return ParseWith(*this, Feed::kAppraisals, f, r, rej, ParseAppraisal);
}

bool FeedParser::Parse(std::span<const std::string_view> fields, AnyRecord* record,
                       RowReject* reject) const {
  switch (feed_) {
    case Feed::kPersons:
      return Parse(fields, &record->emplace<PersonRecord>(), reject);
    case Feed::kContributions:
      return Parse(fields, &record->emplace<ContributionRecord>(), reject);
    case Feed::kPayments:
      return Parse(fields, &record->emplace<PaymentRecord>(), reject);
    case Feed::kSignals:
      return Parse(fields, &record->emplace<SignalRecord>(), reject);
    case Feed::kRegistry:
      return Parse(fields, &record->emplace<RegistryRecord>(), reject);
    case Feed::kAppraisals:
      return Parse(fields, &record->emplace<AppraisalRecord>(), reject);
  }
  return false;
}

Date ActivityDate(const AnyRecord& record) {
  struct Visitor {
    Date operator()(const PersonRecord& r) const { return r.retirement_date; }
    Date operator()(const ContributionRecord& r) const { return r.paid_date; }
    Date operator()(const PaymentRecord& r) const { return r.paid_date; }
    Date operator()(const SignalRecord& r) const { return DateOf(r.occurred_at); }
    Date operator()(const RegistryRecord& r) const { return r.reported_date; }
    Date operator()(const AppraisalRecord& r) const { return r.appraisal_date; }
  };
  return std::visit(Visitor{}, record);
}

}  // namespace vigil

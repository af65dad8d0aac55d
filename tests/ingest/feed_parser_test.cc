// Validation: one case per reject reason, ids kept or refused per feed, header binding.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "test_util.h"
#include "vigil/ingest.h"

namespace vigil {
namespace {

using testing::DefaultRow;
using testing::HeaderLine;
using testing::kId1;
using testing::RowLine;
using testing::TempDir;
using testing::WriteFile;

struct Case {
  std::string name;
  Feed feed;
  std::map<std::string, std::string> overrides;  // column -> raw CSV text
  RejectReason reason;
  std::string column;  // expected reject column
};

// Reads a one-row file of `feed` and returns its rejects.
FeedFileContents ReadOneRow(Feed feed, const std::string& line, std::string header = "") {
  TempDir dir;
  const std::string path = dir / (std::string(CodeName(feed)) + ".csv");
  WriteFile(path, (header.empty() ? HeaderLine(feed) : header) + line);
  auto contents = ReadFeedFile(path, feed);
  EXPECT_TRUE(contents.ok()) << contents.status().ToString();
  return contents.ok() ? std::move(*contents) : FeedFileContents{};
}

class RejectReasonTest : public ::testing::TestWithParam<Case> {};

TEST_P(RejectReasonTest, RowIsRejectedWithReasonAndColumn) {
  const Case& c = GetParam();
  const auto contents = ReadOneRow(c.feed, RowLine(c.feed, c.overrides));
  ASSERT_EQ(contents.rows_read, 1u);
  ASSERT_EQ(contents.records.size(), 0u) << c.name;
  ASSERT_EQ(contents.rejects.size(), 1u);
  const Reject& r = contents.rejects[0];
  EXPECT_EQ(r.reason, c.reason) << c.name << ": " << r.ReasonText();
  EXPECT_EQ(r.column, c.column) << c.name;
  EXPECT_EQ(r.line, 2u);
  EXPECT_EQ(r.file, std::string(CodeName(c.feed)) + ".csv");
  EXPECT_TRUE(r.ReasonText().starts_with(RejectReasonName(c.reason)));
}

const std::string kBadDateId =
    "370202"
    "19501301"
    "123";  // month 13

std::vector<Case> AllCases() {
  return {
      Case{
          "empty", Feed::kSignals, {{"occurred_at", ""}}, RejectReason::kEmptyField, "occurred_at"},
      Case{"blank",
           Feed::kPayments,
           {{"payment_id", "  "}},
           RejectReason::kEmptyField,
           "payment_id"},
      Case{"id_short",
           Feed::kSignals,
           {{"person_id", "37020219500301"}},
           RejectReason::kIdLength,
           "person_id"},
      Case{"id_letters",
           Feed::kRegistry,
           {{"person_id", "3702021950030A1234"}},
           RejectReason::kIdCharacters,
           "person_id"},
      Case{"id_check_char",
           Feed::kSignals,
           {{"person_id", "37020219500301123Y"}},
           RejectReason::kIdCharacters,
           "person_id"},
      Case{"id_birth",
           Feed::kAppraisals,
           {{"person_id", testing::Id(kBadDateId)}},
           RejectReason::kIdBirthDate,
           "person_id"},
      Case{"id_birth_in_ledger",
           Feed::kPersons,
           {{"person_id", testing::Id(kBadDateId)}},
           RejectReason::kIdBirthDate,
           "person_id"},
      Case{"id_checksum_signals",
           Feed::kSignals,
           {{"person_id", testing::BadCheckId("37020219500301123")}},
           RejectReason::kIdChecksum,
           "person_id"},
      Case{"id_checksum_registry",
           Feed::kRegistry,
           {{"person_id", testing::BadCheckId("37020219500301123")}},
           RejectReason::kIdChecksum,
           "person_id"},
      Case{"id_checksum_appraisals",
           Feed::kAppraisals,
           {{"person_id", testing::BadCheckId("37020219500301123")}},
           RejectReason::kIdChecksum,
           "person_id"},
      Case{"date_impossible",
           Feed::kPayments,
           {{"paid_date", "2023-02-29"}},
           RejectReason::kBadDate,
           "paid_date"},
      Case{"date_format",
           Feed::kPersons,
           {{"birth_date", "01/03/1950"}},
           RejectReason::kBadDate,
           "birth_date"},
      Case{"date_range",
           Feed::kPersons,
           {{"retirement_date", "1850-01-01"}},
           RejectReason::kDateOutOfRange,
           "retirement_date"},
      Case{"month", Feed::kPayments, {{"period", "2024-13"}}, RejectReason::kBadMonth, "period"},
      Case{"timestamp",
           Feed::kSignals,
           {{"occurred_at", "2024-02-01T25:00:00"}},
           RejectReason::kBadTimestamp,
           "occurred_at"},
      Case{"timestamp_date_only",
           Feed::kContributions,
           {{"recorded_at", "2000-01-15"}},
           RejectReason::kBadTimestamp,
           "recorded_at"},
      Case{"money_decimals",
           Feed::kPayments,
           {{"amount", "12.345"}},
           RejectReason::kBadMoney,
           "amount"},
      Case{"money_text",
           Feed::kPersons,
           {{"monthly_benefit", "1e3"}},
           RejectReason::kBadMoney,
           "monthly_benefit"},
      Case{"money_grouped",
           Feed::kContributions,
           {{"monthly_base", "\"1,000.00\""}},
           RejectReason::kBadMoney,
           "monthly_base"},
      Case{"money_negative",
           Feed::kPayments,
           {{"amount", "-5.00"}},
           RejectReason::kNegativeMoney,
           "amount"},
      Case{"code_source",
           Feed::kSignals,
           {{"source", "SELFIE"}},
           RejectReason::kUnknownCode,
           "source"},
      Case{"code_lower_case", Feed::kPersons, {{"sex", "m"}}, RejectReason::kUnknownCode, "sex"},
      Case{"code_conclusion",
           Feed::kAppraisals,
           {{"conclusion", "MAYBE"}},
           RejectReason::kUnknownCode,
           "conclusion"},
      Case{
          "region_short", Feed::kPayments, {{"region", "370"}}, RejectReason::kBadRegion, "region"},
      Case{"region_letters",
           Feed::kPersons,
           {{"region", "37A2"}},
           RejectReason::kBadRegion,
           "region"},
      Case{"district",
           Feed::kPersons,
           {{"district", "37020"}},
           RejectReason::kBadDistrict,
           "district"},
      Case{"industry",
           Feed::kContributions,
           {{"industry", "B6"}},
           RejectReason::kBadIndustry,
           "industry"},
      Case{"end_before_start",
           Feed::kContributions,
           {{"start_month", "2000-05"}, {"end_month", "2000-04"}},
           RejectReason::kEndBeforeStart,
           "end_month"},
      Case{"grade_high", Feed::kAppraisals, {{"grade", "11"}}, RejectReason::kBadGrade, "grade"},
      Case{"grade_zero", Feed::kAppraisals, {{"grade", "0"}}, RejectReason::kBadGrade, "grade"},
      Case{"grade_text", Feed::kAppraisals, {{"grade", "3.5"}}, RejectReason::kBadGrade, "grade"},
      Case{"face_cert_detail",
           Feed::kSignals,
           {{"detail", "OK"}},
           RejectReason::kBadDetail,
           "detail"},
      Case{"discharge_detail",
           Feed::kSignals,
           {{"source", "HOSPITAL_DISCHARGE"}, {"detail", "HOME"}},
           RejectReason::kBadDetail,
           "detail"},
      Case{"id_change_detail",
           Feed::kRegistry,
           {{"event", "ID_CHANGE"}, {"detail", "birth date changed"}},
           RejectReason::kBadDetail,
           "detail"},
      Case{"reported_before_event",
           Feed::kRegistry,
           {{"reported_date", "2024-01-19"}},
           RejectReason::kReportedBeforeEvent,
           "reported_date"},
      Case{"field_too_long",
           Feed::kSignals,
           {{"place", std::string(65, 'P')}},
           RejectReason::kFieldTooLong,
           "place"},
      Case{"control_character",
           Feed::kContributions,
           {{"employer_id", "\"E1\tE2\""}},
           RejectReason::kControlCharacter,
           "employer_id"},
      Case{"stray_quote", Feed::kPersons, {{"name", "张\"三"}}, RejectReason::kStrayQuote, "name"},
      Case{"bad_utf8",
           Feed::kPersons,
           {{"address", "\xE9\x9D"}},
           RejectReason::kBadUtf8,
           "address"}};
}

INSTANTIATE_TEST_SUITE_P(EveryReason, RejectReasonTest, ::testing::ValuesIn(AllCases()),
                         [](const ::testing::TestParamInfo<Case>& p) { return p.param.name; });

TEST(FeedParserTest, WrongFieldCountIsRejected) {
  const std::string line = RowLine(Feed::kSignals);
  const auto contents = ReadOneRow(Feed::kSignals, line.substr(0, line.size() - 1) + ",extra\n");
  ASSERT_EQ(contents.rejects.size(), 1u);
  EXPECT_EQ(contents.rejects[0].reason, RejectReason::kFieldCount);
  EXPECT_EQ(contents.rejects[0].message, "row has 6 fields, header has 5");
}

TEST(FeedParserTest, UnterminatedQuoteRowIsRejectedAndTheNextRowLoads) {
  const auto contents = ReadOneRow(
      Feed::kSignals, RowLine(Feed::kSignals, {{"place", "\"APP"}}) + RowLine(Feed::kSignals));
  ASSERT_EQ(contents.rejects.size(), 1u);
  EXPECT_EQ(contents.rejects[0].reason, RejectReason::kUnterminatedQuote);
  EXPECT_EQ(contents.rejects[0].line, 2u);
  EXPECT_EQ(contents.records.size(), 1u);
}

TEST(FeedParserTest, AnUnterminatedQuoteCostsOneRowNotTheRestOfTheFile) {
  // The open quote of line 2 would run to the quote of the last row and form a record of the
  // header's five fields; that record does not split, so line 2 alone is rejected.
  const std::string id = "370285195107122536";
  std::string rows = id + ",TELECOM,2025-01-01T00:00:00,\"unterminated place,x\n";
  for (int i = 0; i < 1000; ++i) {
    char ts[32];
    std::snprintf(ts, sizeof ts, "2025-02-%02dT%02d:%02d:00", 1 + i / 60 % 28, i / 60 % 24, i % 60);
    rows += id + ",TELECOM," + ts + ",P,x\n";
  }
  rows += id + ",BANK_COUNTER,2025-03-01T10:00:00,\"BR37028506\",WITHDRAWAL\n";
  const auto contents = ReadOneRow(Feed::kSignals, rows);
  EXPECT_EQ(contents.rows_read, 1002u);
  ASSERT_EQ(contents.records.size(), 1001u);
  ASSERT_EQ(contents.rejects.size(), 1u);
  const Reject& r = contents.rejects[0];
  EXPECT_EQ(r.file, "signals.csv");
  EXPECT_EQ(r.line, 2u);
  EXPECT_EQ(r.column, "place");
  EXPECT_EQ(r.ReasonText(), "UNTERMINATED_QUOTE: a quoted field is not closed on this row");
  EXPECT_EQ(r.raw, id + ",TELECOM,2025-01-01T00:00:00,\"unterminated place,x");
  const auto& last = std::get<SignalRecord>(contents.records.back());
  EXPECT_EQ(last.place, "BR37028506");
  EXPECT_EQ(last.detail, "WITHDRAWAL");
}

TEST(FeedParserTest, AQuotedLastRowWithoutAFinalNewlineLoads) {
  const std::string id = "370285195107122536";
  const std::string first = id + ",TELECOM,2025-01-01T00:00:00,P,x\n";
  for (const char* last : {",BANK_COUNTER,2025-01-02T00:00:00,\"BR37028506\",WITHDRAWAL",
                           ",BANK_COUNTER,2025-01-02T00:00:00,BR37028506,\"WITHDRAWAL\nAT "
                           "THE COUNTER\""}) {
    std::string rows = first;
    rows.append(id).append(last);  // no final newline
    const auto contents = ReadOneRow(Feed::kSignals, rows);
    EXPECT_EQ(contents.rejects.size(), 0u) << last;
    ASSERT_EQ(contents.records.size(), 2u) << last;
    EXPECT_EQ(std::get<SignalRecord>(contents.records[1]).place, "BR37028506");
  }
}

TEST(FeedParserTest, AFullWidthDigitInAnIdIsABadCharacterNotABadLength) {
  // A full-width digit is one character of three bytes: "３" + 17 digits is 18 characters.
  const std::string three = "\xEF\xBC\x93";  // U+FF13
  const std::string six = "\xEF\xBC\x96";    // U+FF16
  auto reason_for = [](const std::string& id) {
    const auto contents = ReadOneRow(Feed::kSignals, RowLine(Feed::kSignals, {{"person_id", id}}));
    EXPECT_EQ(contents.rejects.size(), 1u) << id;
    return contents.rejects.empty() ? std::string() : contents.rejects[0].ReasonText();
  };
  EXPECT_EQ(reason_for(three + "70285195107122536"),
            "ID_CHARACTERS: resident id has a non-digit at position 1");
  EXPECT_EQ(reason_for("37028519510712253" + six),
            "ID_CHARACTERS: resident id check character is not 0-9 or X");
  // A wrong length is counted in characters too: 19, not 21 bytes.
  EXPECT_EQ(reason_for(three + "702851951071225366"),
            "ID_LENGTH: resident id has 19 characters, expected 18");
}

TEST(FeedParserTest, OverlongRowIsRejected) {
  const auto contents = ReadOneRow(
      Feed::kSignals, RowLine(Feed::kSignals, {{"detail", std::string(size_t{3} << 20, 'd')}}) +
                          RowLine(Feed::kSignals));
  ASSERT_EQ(contents.rejects.size(), 1u);
  EXPECT_EQ(contents.rejects[0].reason, RejectReason::kRowTooLong);
  EXPECT_LE(contents.rejects[0].raw.size(), 256u);
  EXPECT_EQ(contents.records.size(), 1u);
}

TEST(FeedParserTest, InvalidUtf8IsEscapedInTheRawText) {
  const auto contents = ReadOneRow(Feed::kPersons, RowLine(Feed::kPersons, {{"name", "\xFF"}}));
  ASSERT_EQ(contents.rejects.size(), 1u);
  EXPECT_NE(contents.rejects[0].raw.find("\\xFF"), std::string::npos);
}

TEST(FeedParserTest, EveryRejectReasonHasATestAndADocEntry) {
  // Reasons tested by the table above, plus the three with tests of their own (above).
  std::set<RejectReason> covered = {RejectReason::kFieldCount, RejectReason::kUnterminatedQuote,
                                    RejectReason::kRowTooLong};
  for (const Case& c : AllCases()) covered.insert(c.reason);
  for (RejectReason reason : AllRejectReasons()) {
    EXPECT_TRUE(covered.count(reason)) << RejectReasonName(reason) << " has no test";
  }
  std::ifstream doc(std::string(VIGIL_SOURCE_DIR) + "/docs/ingest.md");
  ASSERT_TRUE(doc.good());
  std::stringstream text;
  text << doc.rdbuf();
  for (RejectReason reason : AllRejectReasons()) {
    // Built with append: GCC 12 warns falsely (-Wrestrict) on "`" + std::string(...) here.
    std::string code = "`";
    code.append(RejectReasonName(reason)).append("`");
    EXPECT_NE(text.str().find(code), std::string::npos)
        << RejectReasonName(reason) << " is not documented in docs/ingest.md";
  }
}

TEST(FeedParserTest, LedgersKeepIdsWithABadCheckCharacterFlagged) {
  const std::string bad = testing::BadCheckId("37020219500301123");
  for (Feed feed : {Feed::kPersons, Feed::kContributions, Feed::kPayments}) {
    const auto contents = ReadOneRow(feed, RowLine(feed, {{"person_id", bad}}));
    ASSERT_EQ(contents.records.size(), 1u) << CodeName(feed);
    const bool flagged = std::visit(
        [](const auto& r) {
          if constexpr (requires { r.id_checksum_ok; }) return !r.id_checksum_ok;
          return false;
        },
        contents.records[0]);
    EXPECT_TRUE(flagged) << CodeName(feed);
  }
}

TEST(FeedParserTest, ValidRowsOfEveryFeedParseToTheirValues) {
  const auto persons = ReadOneRow(Feed::kPersons, RowLine(Feed::kPersons));
  ASSERT_EQ(persons.records.size(), 1u);
  const auto& p = std::get<PersonRecord>(persons.records[0]);
  EXPECT_EQ(p.person_id, kId1);
  EXPECT_EQ(p.region, 3702);
  EXPECT_EQ(p.name, "张三");
  EXPECT_EQ(p.district, 370202u);
  EXPECT_EQ(p.monthly_benefit, Money::FromFen(342150));
  EXPECT_TRUE(p.id_checksum_ok);
  EXPECT_EQ(p.address, "青岛市市南区");

  const auto contributions = ReadOneRow(Feed::kContributions, RowLine(Feed::kContributions));
  ASSERT_EQ(contributions.records.size(), 1u);
  const auto& c = std::get<ContributionRecord>(contributions.records[0]);
  EXPECT_EQ(c.job_type, JobType::kUnderground);
  EXPECT_EQ(MonthsBetween(c.start_month, c.end_month), 239);
  EXPECT_EQ(FormatTimestamp(c.recorded_at), "2000-01-15T09:30:00");

  const auto appraisals = ReadOneRow(Feed::kAppraisals, RowLine(Feed::kAppraisals));
  ASSERT_EQ(appraisals.records.size(), 1u);
  EXPECT_EQ(std::get<AppraisalRecord>(appraisals.records[0]).grade, 3);

  for (Feed feed : {Feed::kPayments, Feed::kSignals, Feed::kRegistry}) {
    EXPECT_EQ(ReadOneRow(feed, RowLine(feed)).records.size(), 1u) << CodeName(feed);
  }
}

TEST(FeedParserTest, LowerCaseXCheckCharacterIsNormalised) {
  // 11010519491231002X is the textbook example of an id ending in X.
  const std::string id = "11010519491231002X";
  ASSERT_EQ(ResidentId::ComputeCheckChar(id.substr(0, 17)), 'X');
  std::string lower = id;
  lower[17] = 'x';
  const auto contents = ReadOneRow(Feed::kSignals, RowLine(Feed::kSignals, {{"person_id", lower}}));
  ASSERT_EQ(contents.records.size(), 1u);
  EXPECT_EQ(std::get<SignalRecord>(contents.records[0]).person_id, id);
}

TEST(FeedParserTest, ColumnsInAnyOrderAndUnknownColumnsIgnored) {
  const auto contents =
      ReadOneRow(Feed::kSignals, "x,FACE_CERT,PASS,  Detail  ,2024-02-01T10:00:00," + kId1 + "\n",
                 "extra,Source,detail,note,occurred_at,PERSON_ID\n");
  ASSERT_EQ(contents.records.size(), 1u);
  const auto& s = std::get<SignalRecord>(contents.records[0]);
  EXPECT_EQ(s.person_id, kId1);
  EXPECT_EQ(s.detail, "PASS");
  EXPECT_EQ(s.place, "");  // optional column absent
}

TEST(FeedParserTest, MissingRequiredColumnRefusesTheFileNamingFileAndColumn) {
  TempDir dir;
  WriteFile(dir / "payments.0002.csv",
            "payment_id,person_id,region,benefit,period,bank_account,channel,paid_date\n");
  auto contents = ReadFeedFile(dir / "payments.0002.csv", Feed::kPayments);
  ASSERT_FALSE(contents.ok());
  EXPECT_EQ(contents.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(contents.status().message().find("payments.0002.csv"), std::string::npos);
  EXPECT_NE(contents.status().message().find("'amount'"), std::string::npos);
}

TEST(FeedParserTest, DuplicateKnownColumnRefusesTheFile) {
  std::vector<std::string> header = {"person_id", "source", "occurred_at", "source"};
  auto parser = FeedParser::Create(Feed::kSignals, header, "signals.csv");
  EXPECT_EQ(parser.status().code(), StatusCode::kInvalidArgument);
}

TEST(FeedParserTest, QuotedValuesWithCommasAndNewlinesLoad) {
  const auto contents =
      ReadOneRow(Feed::kPersons,
                 RowLine(Feed::kPersons, {{"address", "\"青岛市, 市南区\n\"\"海景\"\"花园\""}}));
  ASSERT_EQ(contents.records.size(), 1u) << contents.rejects[0].ReasonText();
  EXPECT_EQ(std::get<PersonRecord>(contents.records[0]).address, "青岛市, 市南区\n\"海景\"花园");
}

}  // namespace
}  // namespace vigil

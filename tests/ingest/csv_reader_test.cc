// The CSV layer: quoting, line ends, gzip, chunk boundaries and recovery from broken quotes.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "test_util.h"
#include "vigil/csv.h"

namespace vigil {
namespace {

using testing::TempDir;
using testing::WriteFile;
using testing::WriteGzip;

struct Row {
  uint64_t line;
  std::vector<std::string> fields;
  CsvProblem problem;
  std::string raw;
  size_t problem_field;
};

Row Copy(const CsvRow& row) {
  return {row.line, std::vector<std::string>(row.fields.begin(), row.fields.end()), row.problem,
          std::string(row.raw), row.problem_field};
}

std::vector<Row> ReadRows(const std::string& path, CsvOptions options = {}) {
  auto reader = CsvReader::Open(path, options);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  std::vector<Row> rows;
  if (!reader.ok()) return rows;
  CsvRow row;
  while (true) {
    auto more = (*reader)->Next(&row);
    EXPECT_TRUE(more.ok());
    if (!more.ok() || !*more) break;
    rows.push_back(Copy(row));
  }
  return rows;
}

std::vector<Row> ReadRowsInChunksOf(size_t chunk_bytes, const std::string& path,
                                    size_t max_record_bytes = CsvOptions{}.max_record_bytes) {
  CsvOptions options;
  options.chunk_bytes = chunk_bytes;
  options.max_record_bytes = max_record_bytes;
  return ReadRows(path, options);
}

// Reads rows until the end or an error; `status` gets the error (Ok at a clean end).
std::vector<Row> ReadRowsUntilError(const std::string& path, Status* status) {
  std::vector<Row> rows;
  auto reader = CsvReader::Open(path);
  *status = reader.status();
  if (!reader.ok()) return rows;
  CsvRow row;
  while (true) {
    auto more = (*reader)->Next(&row);
    if (!more.ok()) {
      *status = more.status();
      break;
    }
    if (!*more) break;
    rows.push_back(Copy(row));
  }
  return rows;
}

// Line ends zlib's own reader (gzread, which hands out everything before a truncation) finds
// in `path`.
uint64_t LineEndsGzreadFinds(const std::string& path) {
  gzFile gz = gzopen(path.c_str(), "rb");
  std::string buffer(4096, '\0');
  uint64_t lines = 0;
  int n = 0;
  while ((n = gzread(gz, buffer.data(), static_cast<unsigned>(buffer.size()))) > 0) {
    lines += static_cast<uint64_t>(std::count(buffer.begin(), buffer.begin() + n, '\n'));
  }
  gzclose(gz);
  return lines;
}

TEST(CsvReaderTest, ReadsHeaderAndPlainRowsWithLineNumbers) {
  TempDir dir;
  WriteFile(dir / "a.csv", "x,y,z\n1,2,3\n4,5,6\n");
  auto reader = CsvReader::Open(dir / "a.csv");
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->header(), (std::vector<std::string>{"x", "y", "z"}));
  const auto rows = ReadRows(dir / "a.csv");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].line, 2u);
  EXPECT_EQ(rows[0].fields, (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(rows[1].line, 3u);
}

TEST(CsvReaderTest, QuotedCommasEscapedQuotesAndEmbeddedNewlines) {
  TempDir dir;
  WriteFile(dir / "a.csv",
            "name,addr,n\n"
            "\"Li, Wei\",\"say \"\"hi\"\"\",1\n"
            "\"two\nlines\",\"\",2\n"
            "plain,,3\n");
  const auto rows = ReadRows(dir / "a.csv");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].fields, (std::vector<std::string>{"Li, Wei", "say \"hi\"", "1"}));
  EXPECT_EQ(rows[1].fields, (std::vector<std::string>{"two\nlines", "", "2"}));
  EXPECT_EQ(rows[1].line, 3u);
  EXPECT_EQ(rows[2].fields, (std::vector<std::string>{"plain", "", "3"}));
  EXPECT_EQ(rows[2].line, 5u);  // the embedded newline used up line 4
}

TEST(CsvReaderTest, CrlfLineEndsAreNotPartOfTheLastField) {
  TempDir dir;
  WriteFile(dir / "a.csv", "a,b\r\n1,\"x\"\r\n2,y\r\n");
  const auto rows = ReadRows(dir / "a.csv");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].fields, (std::vector<std::string>{"1", "x"}));
  EXPECT_EQ(rows[1].fields, (std::vector<std::string>{"2", "y"}));
  EXPECT_EQ(rows[1].raw, "2,y");
}

TEST(CsvReaderTest, ByteOrderMarkBlankLinesAndMissingFinalNewline) {
  TempDir dir;
  WriteFile(dir / "a.csv", "\xEF\xBB\xBFid,v\n\n1,a\n\r\n2,b");
  auto reader = CsvReader::Open(dir / "a.csv");
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->header()[0], "id");
  const auto rows = ReadRows(dir / "a.csv");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].line, 3u);
  EXPECT_EQ(rows[1].line, 5u);
  EXPECT_EQ(rows[1].fields, (std::vector<std::string>{"2", "b"}));
}

TEST(CsvReaderTest, UnterminatedQuoteRejectsOnlyItsFirstLineAndResumes) {
  TempDir dir;
  WriteFile(dir / "a.csv",
            "a,b,c\n"
            "1,\"open,3\n"  // the quote never closes properly
            "4,5,6\n"
            "7,8,9\n");
  const auto rows = ReadRows(dir / "a.csv");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].problem, CsvProblem::kUnterminatedQuote);
  EXPECT_EQ(rows[0].line, 2u);
  EXPECT_EQ(rows[0].raw, "1,\"open,3");
  EXPECT_EQ(rows[1].problem, CsvProblem::kNone);
  EXPECT_EQ(rows[1].fields, (std::vector<std::string>{"4", "5", "6"}));
  EXPECT_EQ(rows[1].line, 3u);
  EXPECT_EQ(rows[2].line, 4u);
}

TEST(CsvReaderTest, UnterminatedQuoteThatCloseOnALaterRowStillResumesAfterFirstLine) {
  TempDir dir;
  // The open quote of line 2 is "closed" by the quote of line 4: the swallowed record would
  // have the wrong field count, so line 2 alone is rejected and lines 3-4 are read normally.
  WriteFile(dir / "a.csv",
            "a,b,c\n"
            "1,\"x,2\n"
            "3,4,5\n"
            "\"q\",6,7\n");
  const auto rows = ReadRows(dir / "a.csv");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].problem, CsvProblem::kUnterminatedQuote);
  EXPECT_EQ(rows[1].fields, (std::vector<std::string>{"3", "4", "5"}));
  EXPECT_EQ(rows[2].fields, (std::vector<std::string>{"q", "6", "7"}));
  EXPECT_EQ(rows[2].line, 4u);
}

TEST(CsvReaderTest, UnterminatedQuoteOnTheLastLineIsRejected) {
  TempDir dir;
  WriteFile(dir / "a.csv", "a,b\n1,2\n3,\"never\n");
  const auto rows = ReadRows(dir / "a.csv");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].problem, CsvProblem::kUnterminatedQuote);
  EXPECT_EQ(rows[1].line, 3u);
}

TEST(CsvReaderTest, AnUnterminatedQuoteCostsOneRowNotTheRestOfTheFile) {
  TempDir dir;
  // The quote opened on line 2 is "closed" by the quote of the last row, and the record so
  // formed even has the header's five fields: it is still not a row (text follows the closing
  // quote), so line 2 alone is rejected.
  std::string content = "id,source,at,place,detail\n1,T,t0,\"unterminated place,x\n";
  for (int i = 0; i < 1000; ++i) content += "1,T,t" + std::to_string(i) + ",P,x\n";
  content += "1,B,t,\"BR37028506\",W\n";
  WriteFile(dir / "a.csv", content);
  for (size_t chunk : {size_t{7}, size_t{4096}, size_t{1} << 20}) {
    const auto rows = ReadRowsInChunksOf(chunk, dir / "a.csv");
    ASSERT_EQ(rows.size(), 1002u) << "chunk " << chunk;
    EXPECT_EQ(rows[0].line, 2u);
    EXPECT_EQ(rows[0].problem, CsvProblem::kUnterminatedQuote);
    EXPECT_EQ(rows[0].problem_field, 3u);  // place
    EXPECT_EQ(rows[0].raw, "1,T,t0,\"unterminated place,x");
    for (int i = 0; i < 1000; ++i) {
      ASSERT_EQ(rows[i + 1].problem, CsvProblem::kNone) << "chunk " << chunk;
      ASSERT_EQ(rows[i + 1].line, static_cast<uint64_t>(i) + 3);
      ASSERT_EQ(rows[i + 1].fields[2], "t" + std::to_string(i));
    }
    EXPECT_EQ(rows[1001].fields, (std::vector<std::string>{"1", "B", "t", "BR37028506", "W"}));
    EXPECT_EQ(rows[1001].line, 1003u);
  }
}

TEST(CsvReaderTest, AQuotedRecordOverTheRowLimitCostsItsFirstLineNotTheLinesAfterIt) {
  TempDir dir;
  // Lines 2-202 form one record of the header's three fields, but longer than the limit: like
  // any runaway quote, only its first line is rejected, whatever the chunk size.
  std::string content = "a,b,c\n1,\"open\n";
  for (int i = 0; i < 200; ++i) content += "line " + std::to_string(i) + "\n";
  content += "close\",3\n4,5,6\n";
  WriteFile(dir / "a.csv", content);
  for (size_t chunk : {size_t{512}, size_t{1} << 20}) {
    const auto rows = ReadRowsInChunksOf(chunk, dir / "a.csv", /*max_record_bytes=*/1024);
    ASSERT_EQ(rows.size(), 203u) << "chunk " << chunk;
    EXPECT_EQ(rows[0].problem, CsvProblem::kUnterminatedQuote);
    EXPECT_EQ(rows[0].problem_field, 1u);
    EXPECT_EQ(rows[0].raw, "1,\"open");
    EXPECT_EQ(rows[1].fields, (std::vector<std::string>{"line 0"}));
    EXPECT_EQ(rows[1].line, 3u);
    EXPECT_EQ(rows[201].problem, CsvProblem::kStrayQuote);
    EXPECT_EQ(rows[202].fields, (std::vector<std::string>{"4", "5", "6"}));
    EXPECT_EQ(rows[202].line, 204u);
  }
}

TEST(CsvReaderTest, ALastRowWithoutAFinalNewlineIsReadEvenWhenQuoted) {
  TempDir dir;
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"a,b\n1,\"x\"", {"1", "x"}},
      {"a,b\r\n1,\"x\"\r", {"1", "x"}},
      {"a,b\n1,\"two\nlines\"", {"1", "two\nlines"}},
      {"a,b\n\"say \"\"hi\"\"\",\"x,y\"", {"say \"hi\"", "x,y"}},
  };
  for (const auto& [content, fields] : cases) {
    WriteFile(dir / "a.csv", content);
    for (size_t chunk : {size_t{1}, size_t{3}, size_t{1} << 20}) {
      const auto rows = ReadRowsInChunksOf(chunk, dir / "a.csv");
      ASSERT_EQ(rows.size(), 1u) << content << ", chunk " << chunk;
      EXPECT_EQ(rows[0].problem, CsvProblem::kNone) << content;
      EXPECT_EQ(rows[0].fields, fields) << content;
      EXPECT_EQ(rows[0].line, 2u);
    }
  }
}

TEST(CsvReaderTest, AQuoteStillOpenAtTheEndOfTheFileCostsOnlyItsFirstLine) {
  TempDir dir;
  WriteFile(dir / "a.csv", "a,b\n1,2\n3,\"never");
  auto rows = ReadRows(dir / "a.csv");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].problem, CsvProblem::kUnterminatedQuote);
  EXPECT_EQ(rows[1].problem_field, 1u);
  EXPECT_EQ(rows[1].line, 3u);

  WriteFile(dir / "a.csv", "a,b\n3,\"never\n4,5");
  rows = ReadRows(dir / "a.csv");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].problem, CsvProblem::kUnterminatedQuote);
  EXPECT_EQ(rows[0].raw, "3,\"never");
  EXPECT_EQ(rows[1].fields, (std::vector<std::string>{"4", "5"}));
  EXPECT_EQ(rows[1].line, 3u);
}

TEST(CsvReaderTest, StrayQuoteInsideAnUnquotedFieldIsAProblemNotARunaway) {
  TempDir dir;
  WriteFile(dir / "a.csv", "a,b\nab\"c,1\n2,3\n\"x\"y,4\n");
  const auto rows = ReadRows(dir / "a.csv");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].problem, CsvProblem::kStrayQuote);
  EXPECT_EQ(rows[1].fields, (std::vector<std::string>{"2", "3"}));
  EXPECT_EQ(rows[2].problem, CsvProblem::kStrayQuote);
}

TEST(CsvReaderTest, InvalidUtf8IsFlaggedWithItsField) {
  TempDir dir;
  WriteFile(dir / "a.csv", "a,b\n1,\xE5\xBC\xA0\n2,\xFF\xFE\n3,\xC0\xAF\n");
  const auto rows = ReadRows(dir / "a.csv");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].problem, CsvProblem::kNone);
  EXPECT_EQ(rows[1].problem, CsvProblem::kBadUtf8);
  EXPECT_EQ(rows[2].problem, CsvProblem::kBadUtf8);  // overlong encoding of '/'
}

TEST(CsvReaderTest, GzipFilesReadLikePlainOnes) {
  TempDir dir;
  std::string content = "a,b\n";
  for (int i = 0; i < 50000; ++i)
    content += std::to_string(i) + ",\"v" + std::to_string(i) + "\"\n";
  WriteGzip(dir / "a.csv.gz", content);
  const auto rows = ReadRows(dir / "a.csv.gz");
  ASSERT_EQ(rows.size(), 50000u);
  EXPECT_EQ(rows[49999].fields[1], "v49999");
  EXPECT_EQ(rows[49999].line, 50001u);
}

TEST(CsvReaderTest, ATruncatedGzipYieldsEveryCompleteLineBeforeTheCutThenAnErrorNamingIt) {
  TempDir dir;
  std::string content = "a,b\n";
  for (int i = 0; i < 20000; ++i) content += std::to_string(i * 7919) + ",x\n";
  WriteGzip(dir / "a.csv.gz", content);
  const std::string gz = testing::ReadAll(dir / "a.csv.gz");
  WriteFile(dir / "cut.csv.gz", gz.substr(0, gz.size() / 2));
  const uint64_t complete_lines = LineEndsGzreadFinds(dir / "cut.csv.gz");
  ASSERT_GT(complete_lines, 1000u);
  ASSERT_LT(complete_lines, 20001u);

  Status status;
  const auto rows = ReadRowsUntilError(dir / "cut.csv.gz", &status);
  EXPECT_EQ(status.code(), StatusCode::kCorruption);
  EXPECT_EQ(status.message(), "cut.csv.gz: damaged gzip data after line " +
                                  std::to_string(complete_lines) + ": unexpected end of file");
  // Every complete line is a row; the line cut in the middle is not.
  ASSERT_EQ(rows.size(), complete_lines - 1);
  for (size_t i = 0; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].fields,
              (std::vector<std::string>{std::to_string(static_cast<int>(i) * 7919), "x"}));
    ASSERT_EQ(rows[i].line, i + 2);
  }
}

TEST(CsvReaderTest, DamagedGzipDataYieldsEveryRowDecompressedBeforeTheDamage) {
  TempDir dir;
  // Two gzip members: the first intact, the second damaged right after its header (0xFF makes
  // its first deflate block of the reserved type 3).
  std::string first = "a,b\n";
  std::string second;
  for (int i = 0; i < 10000; ++i) first += std::to_string(i) + ",x\n";
  for (int i = 10000; i < 20000; ++i) second += std::to_string(i) + ",x\n";
  WriteGzip(dir / "first.gz", first);
  WriteGzip(dir / "second.gz", second);
  std::string damaged = testing::ReadAll(dir / "second.gz");
  damaged[10] = static_cast<char>(0xFF);
  WriteFile(dir / "a.csv.gz", testing::ReadAll(dir / "first.gz") + damaged);

  Status status;
  const auto rows = ReadRowsUntilError(dir / "a.csv.gz", &status);
  EXPECT_EQ(status.code(), StatusCode::kCorruption);
  EXPECT_EQ(status.message(), "a.csv.gz: damaged gzip data after line 10001: invalid block type");
  ASSERT_EQ(rows.size(), 10000u);
  EXPECT_EQ(rows.back().fields, (std::vector<std::string>{"9999", "x"}));
  EXPECT_EQ(rows.back().line, 10001u);
}

TEST(CsvReaderTest, ConcatenatedGzipMembersReadAsOneFileAndTrailingZerosAreIgnored) {
  TempDir dir;
  WriteGzip(dir / "first.gz", "a,b\n1,x\n");
  WriteGzip(dir / "second.gz", "2,y\n");
  WriteFile(dir / "a.csv.gz", testing::ReadAll(dir / "first.gz") +
                                  testing::ReadAll(dir / "second.gz") + std::string(512, '\0'));
  Status status;
  const auto rows = ReadRowsUntilError(dir / "a.csv.gz", &status);
  EXPECT_TRUE(status.ok()) << status.ToString();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].fields, (std::vector<std::string>{"2", "y"}));
  EXPECT_EQ(rows[1].line, 3u);
}

TEST(CsvReaderTest, AGzNamedFileThatIsNotGzipIsReadAsItIs) {
  TempDir dir;
  WriteFile(dir / "a.csv.gz", "a,b\n1,x\n");
  const auto rows = ReadRows(dir / "a.csv.gz");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].fields, (std::vector<std::string>{"1", "x"}));
}

TEST(CsvReaderTest, RowsCrossingChunkBoundariesAreIntact) {
  TempDir dir;
  std::string content = "a,b,c\n";
  for (int i = 0; i < 3000; ++i) {
    content += std::to_string(i) + ",\"multi\nline " + std::to_string(i) + "\",\"q\"\"" +
               std::to_string(i) + "\"\r\n";
  }
  WriteFile(dir / "a.csv", content);
  for (size_t chunk : {size_t{1}, size_t{7}, size_t{64}, size_t{4096}}) {
    CsvOptions options;
    options.chunk_bytes = chunk;
    const auto rows = ReadRows(dir / "a.csv", options);
    ASSERT_EQ(rows.size(), 3000u) << "chunk " << chunk;
    for (int i = 0; i < 3000; i += 499) {
      EXPECT_EQ(rows[i].fields[1], "multi\nline " + std::to_string(i));
      EXPECT_EQ(rows[i].fields[2], "q\"" + std::to_string(i));
      EXPECT_EQ(rows[i].line, 2u + 2u * static_cast<uint64_t>(i));
    }
  }
}

TEST(CsvReaderTest, OverlongRowIsSkippedAndReadingContinues) {
  TempDir dir;
  WriteFile(dir / "a.csv", "a,b\n1," + std::string(5000, 'x') + "\n2,3\n");
  CsvOptions options;
  options.chunk_bytes = 512;
  options.max_record_bytes = 1024;
  const auto rows = ReadRows(dir / "a.csv", options);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].problem, CsvProblem::kTooLong);
  EXPECT_EQ(rows[0].line, 2u);
  EXPECT_EQ(rows[1].fields, (std::vector<std::string>{"2", "3"}));
  EXPECT_EQ(rows[1].line, 3u);
}

TEST(CsvReaderTest, EmptyFileHasNoHeader) {
  TempDir dir;
  WriteFile(dir / "a.csv", "");
  auto reader = CsvReader::Open(dir / "a.csv");
  EXPECT_EQ(reader.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CsvReader::Open(dir / "missing.csv").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace vigil

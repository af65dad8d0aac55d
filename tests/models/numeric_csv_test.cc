#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "vigil/isolation_forest.h"

namespace vigil {
namespace {

std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

TEST(NumericCsvTest, ReadsFeaturesAndLabel) {
  const std::string path = WriteFile("basic.csv", "a,b,label\n1,2.5,0\n-3,4e2,1\n");
  auto table = ReadNumericCsv(path, "label");
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ(table->rows, 2U);
  EXPECT_EQ(table->feature_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(table->values, (std::vector<float>{1, 2.5F, -3, 400}));
  EXPECT_EQ(table->labels, (std::vector<float>{0, 1}));
}

TEST(NumericCsvTest, LabelColumnMayBeAnywhere) {
  const std::string path = WriteFile("label_first.csv", "y,x\n1,7\n0,8\n");
  auto table = ReadNumericCsv(path, "y");
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ(table->values, (std::vector<float>{7, 8}));
  EXPECT_EQ(table->labels, (std::vector<float>{1, 0}));
}

TEST(NumericCsvTest, WithoutLabelEveryColumnIsAFeature) {
  const std::string path = WriteFile("nolabel.csv", "a,label\n1,0\n");
  auto table = ReadNumericCsv(path, "");
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->feature_names.size(), 2U);
  EXPECT_TRUE(table->labels.empty());
}

TEST(NumericCsvTest, AcceptsQuotesCrlfBomAndBlankTrailingLines) {
  const std::string path =
      WriteFile("quirks.csv", "\xEF\xBB\xBF\"a\",\"b\"\r\n\"1.5\", +2 \r\n3,4\r\n\r\n\n");
  auto table = ReadNumericCsv(path, "");
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ(table->feature_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(table->values, (std::vector<float>{1.5F, 2, 3, 4}));
}

TEST(NumericCsvTest, NonNumericFieldNamesFileLineAndColumn) {
  const std::string path = WriteFile("bad_value.csv", "a,b,c\n1,2,3\n4,oops,6\n");
  auto table = ReadNumericCsv(path, "");
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(table.status().message(), path + " line 3, column 2 (b): not a number");
}

TEST(NumericCsvTest, MissingMarkersInAnyCaseAreImputedWithTheColumnMedian) {
  // Column a: present 1, 3, 10 -> median 3. Column b: present 2, 4 -> median 3 (mean of the
  // two middle values). Column c: complete.
  const std::string path = WriteFile("missing.csv",
                                     "a,b,c\n"
                                     "1,,5\n"
                                     "?,2,6\n"
                                     "3,NaN,7\n"
                                     "na,4,8\n"
                                     "10,\"\",9\n"
                                     " N/A ,nan,1\n"
                                     "NULL,-NAN,2\n"
                                     "none,#N/A,3\n"
                                     "<NA>,?,4\n");
  auto table = ReadNumericCsv(path, "");
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ(table->rows, 9U);
  EXPECT_EQ(table->values, (std::vector<float>{1, 3, 5, 3, 2, 6, 3, 3, 7, 3, 4, 8, 10, 3,
                                               9, 3, 3, 1, 3, 3, 2, 3, 3, 3, 3, 3, 4}));
  EXPECT_EQ(table->imputed_cells, 13U);
  EXPECT_EQ(table->imputed_columns, 2U);
}

TEST(NumericCsvTest, ColumnWithNoValueIsImputedWithZero) {
  const std::string path = WriteFile("empty_column.csv", "a,b\n1,\n2,NA\n");
  auto table = ReadNumericCsv(path, "");
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ(table->values, (std::vector<float>{1, 0, 2, 0}));
  EXPECT_EQ(table->imputed_cells, 2U);
  EXPECT_EQ(table->imputed_columns, 1U);
}

TEST(NumericCsvTest, CompleteFileImputesNothing) {
  auto table = ReadNumericCsv(WriteFile("complete.csv", "a,b\n1,2\n"), "");
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->imputed_cells, 0U);
  EXPECT_EQ(table->imputed_columns, 0U);
}

TEST(NumericCsvTest, MissingLabelNamesFileLineAndColumn) {
  for (const char* cell : {"", "NA", "?", "nan"}) {
    const std::string path =
        WriteFile("missing_label.csv", std::string("x,label\n1,0\n2,") + cell + "\n");
    auto table = ReadNumericCsv(path, "label");
    ASSERT_FALSE(table.ok()) << "cell \"" << cell << "\"";
    EXPECT_EQ(table.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(table.status().message(), path + " line 3, column 2 (label): missing label");
  }
}

TEST(NumericCsvTest, LabelWordsAndNumbersInAnyCase) {
  const std::string path = WriteFile("labels.csv",
                                     "x,label\n"
                                     "1,1\n2,0\n3,1.0\n4,0.0\n5,TRUE\n6,false\n7,Yes\n8,no\n"
                                     "9,o\n10,N\n11,\"1\"\n12, 0 \n");
  auto table = ReadNumericCsv(path, "label");
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ(table->labels, (std::vector<float>{1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0}));
}

TEST(NumericCsvTest, OtherLabelsNameFileLineAndColumn) {
  // -1 is scikit-learn's predict() value for an outlier, the reverse of 0/1: refused, not
  // guessed.
  for (const char* cell : {"2", "-1", "0.5", "inf", "outlier", "y", "maybe"}) {
    const std::string path =
        WriteFile("bad_label.csv", std::string("label,x\n0,1\n1,2\n") + cell + ",3\n");
    auto table = ReadNumericCsv(path, "label");
    ASSERT_FALSE(table.ok()) << "cell \"" << cell << "\"";
    EXPECT_EQ(table.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(table.status().message(),
              path +
                  " line 4, column 1 (label): not an outlier label (0/1, true/false, yes/no "
                  "or o/n)");
  }
}

TEST(NumericCsvTest, InfinityIsRejectedWithFileLineAndColumn) {
  for (const char* cell : {"inf", "-inf", "+Infinity", "-INF", "1e39", "1e400"}) {
    const std::string path = WriteFile("inf.csv", std::string("a,b\n1,2\n3,") + cell + "\n");
    auto table = ReadNumericCsv(path, "");
    ASSERT_FALSE(table.ok()) << "cell \"" << cell << "\"";
    EXPECT_EQ(table.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(table.status().message(),
              path +
                  " line 3, column 2 (b): not a finite float value (infinite or beyond "
                  "3.4e38)");
  }
}

TEST(NumericCsvTest, ScientificNotationNegativesAndUnderflow) {
  const std::string path = WriteFile("numbers.csv",
                                     "a,b,c\n"
                                     "1e3,-2.5E-1,+7\n"
                                     "-0,1E+2,.5\n"
                                     "1e-400,-3e38,5.\n");
  auto table = ReadNumericCsv(path, "");
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ(table->values, (std::vector<float>{1000, -0.25F, 7, 0, 100, 0.5F, 0, -3e38F, 5}));
}

TEST(NumericCsvTest, ConstantColumnsAndDuplicateRowsAreKept) {
  const std::string path = WriteFile("constant.csv", "a,b,label\n1,5,0\n1,5,0\n1,5,0\n1,6,1\n");
  auto table = ReadNumericCsv(path, "label");
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ(table->rows, 4U);
  EXPECT_EQ(table->values, (std::vector<float>{1, 5, 1, 5, 1, 5, 1, 6}));
}

TEST(NumericCsvTest, QuotedHeaderNamesWithCommasAndDoubledQuotes) {
  const std::string path =
      WriteFile("quoted_header.csv", "\"a,b\",\"say \"\"hi\"\"\",\" label \"\n\"1\",\"2\",\"1\"\n");
  auto table = ReadNumericCsv(path, "label");
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ(table->feature_names, (std::vector<std::string>{"a,b", "say \"hi\""}));
  EXPECT_EQ(table->values, (std::vector<float>{1, 2}));
  EXPECT_EQ(table->labels, (std::vector<float>{1}));
}

TEST(NumericCsvTest, LabelColumnNameMatchesIgnoringCaseWhenNotExact) {
  const std::string path = WriteFile("label_case.csv", "Class,x\no,1\nn,2\n");
  auto table = ReadNumericCsv(path, "class");
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ(table->feature_names, (std::vector<std::string>{"x"}));
  EXPECT_EQ(table->labels, (std::vector<float>{1, 0}));
}

TEST(NumericCsvTest, WhitespaceOnlyAndCrOnlyLinesAreBlank) {
  const std::string path = WriteFile("blank_lines.csv", "a,b\r1,2\r  \r\n3,4\n\t \n \n");
  auto table = ReadNumericCsv(path, "");
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ(table->values, (std::vector<float>{1, 2, 3, 4}));
}

TEST(NumericCsvTest, LineNumbersCountBlankLinesAndNewlinesInQuotes) {
  const std::string path = WriteFile("line_count.csv", "\"a\nb\",c\n\n  \n1,2\n3,x\n");
  auto table = ReadNumericCsv(path, "");
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().message(), path + " line 6, column 2 (c): not a number");
}

TEST(NumericCsvTest, LinesEndedByALoneCrAreCountedInErrors) {
  const std::string path = WriteFile("cr_only.csv", "a,b\r1,2\r2,3\r4,5\r5,6\r6,oops\r");
  auto table = ReadNumericCsv(path, "");
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().message(), path + " line 6, column 2 (b): not a number");
}

TEST(NumericCsvTest, ALabelColumnNamedTwiceIsRefused) {
  const std::string path = WriteFile("label_twice.csv", "a,label,Label\n1,0,1\n2,1,0\n");
  auto table = ReadNumericCsv(path, "label");
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(table.status().message(),
            path + " line 1: label column \"label\" appears twice (columns 2 and 3)");
}

TEST(NumericCsvTest, UnterminatedQuoteNamesTheLine) {
  const std::string path = WriteFile("unterminated.csv", "a,b\n1,\"2\n");
  auto table = ReadNumericCsv(path, "");
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().message(), path + " line 2: unterminated quoted field");
}

TEST(NumericCsvTest, Utf16TextIsNamedAsSuch) {
  // "a,b" and a newline in UTF-16 little-endian, after its byte order mark.
  const std::string text = std::string("\xFF\xFE") + std::string("a\0,\0b\0\n\0", 8);
  const std::string path = WriteFile("utf16.csv", text);
  auto table = ReadNumericCsv(path, "");
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(table.status().message(), path + ": UTF-16 text, expected a UTF-8 or ASCII CSV");
}

TEST(NumericCsvTest, WrongFieldCountNamesLine) {
  const std::string path = WriteFile("short_row.csv", "a,b\n1,2\n3\n");
  auto table = ReadNumericCsv(path, "");
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().message(), path + " line 3: expected 2 fields as in the header, got 1");
}

TEST(NumericCsvTest, MissingLabelColumnIsInvalidArgument) {
  const std::string path = WriteFile("no_label.csv", "a,b\n1,2\n");
  auto table = ReadNumericCsv(path, "label");
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(table.status().message(), path + " line 1: no label column \"label\" in the header");
}

TEST(NumericCsvTest, MissingFileIsNotFound) {
  auto table = ReadNumericCsv(testing::TempDir() + "/does_not_exist.csv", "");
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), StatusCode::kNotFound);
}

TEST(NumericCsvTest, EmptyFileIsInvalidArgument) {
  auto table = ReadNumericCsv(WriteFile("empty.csv", ""), "");
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), StatusCode::kInvalidArgument);
}

TEST(NumericCsvTest, ReadsGzippedFile) {
  const std::string path = testing::TempDir() + "/gz_table.csv.gz";
  gzFile out = gzopen(path.c_str(), "wb");
  ASSERT_NE(out, nullptr);
  const std::string text = "x,label\n0.25,1\n0.5,0\n";
  ASSERT_EQ(gzwrite(out, text.data(), static_cast<unsigned>(text.size())),
            static_cast<int>(text.size()));
  ASSERT_EQ(gzclose(out), Z_OK);
  auto table = ReadNumericCsv(path, "label");
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ(table->values, (std::vector<float>{0.25F, 0.5F}));
  EXPECT_EQ(table->labels, (std::vector<float>{1, 0}));
}

}  // namespace
}  // namespace vigil

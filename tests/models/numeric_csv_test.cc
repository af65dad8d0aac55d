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

TEST(NumericCsvTest, EmptyFieldIsNotANumber) {
  const std::string path = WriteFile("empty_field.csv", "a,b\n1,\n");
  auto table = ReadNumericCsv(path, "");
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().message(), path + " line 2, column 2 (b): not a number");
}

TEST(NumericCsvTest, NonFiniteFieldIsRejected) {
  const std::string path = WriteFile("inf.csv", "a\n1\nnan\n");
  auto table = ReadNumericCsv(path, "");
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().message(), path + " line 3, column 1 (a): not a finite float value");
}

TEST(NumericCsvTest, WrongFieldCountNamesLine) {
  const std::string path = WriteFile("short_row.csv", "a,b\n1,2\n3\n");
  auto table = ReadNumericCsv(path, "");
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().message(),
            path + " line 3: expected 2 fields as in the header, got 1");
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

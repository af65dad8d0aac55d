// Which files of a folder are feeds, and their load order.
#include <gtest/gtest.h>

#include "test_util.h"
#include "vigil/ingest.h"

namespace vigil {
namespace {

using testing::TempDir;
using testing::WriteFile;

TEST(FeedFilesTest, RecognisesFeedNamesPartsAndGzip) {
  auto f = ParseFeedFileName("payments.0001.csv.gz");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->feed, Feed::kPayments);
  EXPECT_EQ(f->part, 1);
  EXPECT_TRUE(f->gzip);
  f = ParseFeedFileName("registry.csv");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->feed, Feed::kRegistry);
  EXPECT_EQ(f->part, 0);
  EXPECT_FALSE(f->gzip);
  for (const char* bad : {"payments.txt", "payment.csv", "payments.x1.csv", "payments..csv",
                          "Payments.csv", "payments.csv.bak", "policy.json", "cases.csv"}) {
    EXPECT_FALSE(ParseFeedFileName(bad).has_value()) << bad;
  }
}

TEST(FeedFilesTest, DiscoversInContractThenPartOrderAndSkipsSubfoldersAndOthers) {
  TempDir dir;
  for (const char* name : {"signals.csv", "payments.0002.csv", "payments.csv.gz",
                           "payments.0001.csv", "persons.csv", "README.txt", "truth/persons.csv"}) {
    WriteFile(dir / name, "x\n");
  }
  std::vector<std::string> ignored;
  auto files = DiscoverFeedFiles(dir.path(), &ignored);
  ASSERT_TRUE(files.ok());
  std::vector<std::string> names;
  for (const auto& f : *files) names.push_back(f.name);
  EXPECT_EQ(names, (std::vector<std::string>{"persons.csv", "payments.csv.gz", "payments.0001.csv",
                                             "payments.0002.csv", "signals.csv"}));
  EXPECT_EQ(ignored, (std::vector<std::string>{"README.txt"}));
  EXPECT_EQ((*files)[0].size, 2u);
  EXPECT_EQ(DiscoverFeedFiles(dir / "nope").status().code(), StatusCode::kNotFound);
}

TEST(FeedFilesTest, GzipAndPlainPartsOfOneFeedReadAlike) {
  TempDir dir;
  const std::string content =
      testing::HeaderLine(Feed::kSignals) + testing::RowLine(Feed::kSignals);
  testing::WriteGzip(dir / "signals.0001.csv.gz", content);
  WriteFile(dir / "signals.csv", content);
  auto gz = ReadFeedFile(dir / "signals.0001.csv.gz", Feed::kSignals);
  auto plain = ReadFeedFile(dir / "signals.csv", Feed::kSignals);
  ASSERT_TRUE(gz.ok());
  ASSERT_TRUE(plain.ok());
  ASSERT_EQ(gz->records.size(), 1u);
  ASSERT_EQ(plain->records.size(), 1u);
  EXPECT_EQ(std::get<SignalRecord>(gz->records[0]).occurred_at,
            std::get<SignalRecord>(plain->records[0]).occurred_at);
}

}  // namespace
}  // namespace vigil

// The screener's audit journal on its own (storage/audit_journal.h): framing, segments, reads
// by position, recovery of a torn tail, damage before the tail, one object per folder.
#include "../../storage/audit_journal.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "screen_test_util.h"

namespace vigil::storage {
namespace {

using vigil::testing::TempDir;

std::string Entry(int n) { return "entry-" + std::to_string(n) + std::string(n % 50, 'x'); }

std::vector<std::string> ScanAll(const std::string& dir, AuditJournal::ScanReport* report) {
  std::vector<std::string> entries;
  Status s = AuditJournal::ScanFolder(
      dir,
      [&](uint64_t, std::string_view e) {
        entries.emplace_back(e);
        return true;
      },
      report);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return entries;
}

std::vector<std::string> Segments(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".seg") names.push_back(e.path().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST(AuditJournalTest, AppendsReadsBackByPositionAndRotatesSegments) {
  TempDir tmp;
  const std::string dir = tmp / "journal";
  AuditJournal::Options options;
  options.segment_bytes = 1000;
  std::vector<uint64_t> positions;
  {
    auto journal = AuditJournal::OpenShared(dir, options);
    ASSERT_TRUE(journal.ok()) << journal.status().ToString();
    for (int n = 0; n < 100; ++n) {
      auto at = (*journal)->Append(Entry(n));
      ASSERT_TRUE(at.ok()) << at.status().ToString();
      positions.push_back(*at);
    }
    // Several records in one write: framed by the writer, positions consecutive.
    std::string framed;
    for (int n = 100; n < 110; ++n) {
      const size_t start = AuditJournal::BeginRecord(&framed);
      framed += Entry(n);
      AuditJournal::EndRecord(&framed, start);
    }
    const std::string_view piece = framed;
    auto first = (*journal)->AppendFramed(std::span<const std::string_view>(&piece, 1));
    ASSERT_TRUE(first.ok());
    EXPECT_EQ((*journal)->appends(), 101u);
    for (int n = 0; n < 100; n += 7) EXPECT_EQ((*journal)->Read(positions[n]).value(), Entry(n));
    EXPECT_EQ((*journal)->Read(*first).value(), Entry(100));
    std::vector<std::string> seen;
    ASSERT_TRUE((*journal)
                    ->Scan(positions[50], (*journal)->end(),
                           [&](uint64_t, std::string_view e) {
                             seen.emplace_back(e);
                             return true;
                           })
                    .ok());
    ASSERT_EQ(seen.size(), 60u);
    EXPECT_EQ(seen.front(), Entry(50));
    EXPECT_EQ(seen.back(), Entry(109));
  }
  EXPECT_GT(Segments(dir).size(), 3u) << "1000-byte segments";
  AuditJournal::ScanReport report;
  const std::vector<std::string> all = ScanAll(dir, &report);
  ASSERT_EQ(all.size(), 110u);
  for (int n = 0; n < 110; ++n) EXPECT_EQ(all[static_cast<size_t>(n)], Entry(n));
  EXPECT_EQ(report.torn_tail_bytes, 0u);
  // Reopened: appends continue after the last record, positions read as before.
  auto journal = AuditJournal::OpenShared(dir, options);
  ASSERT_TRUE(journal.ok());
  EXPECT_EQ((*journal)->Read(positions[3]).value(), Entry(3));
  ASSERT_TRUE((*journal)->Append("after").ok());
  EXPECT_EQ(ScanAll(dir, nullptr).back(), "after");
}

TEST(AuditJournalTest, OpenTruncatesATornTailAndRefusesDamageBeforeIt) {
  TempDir tmp;
  const std::string dir = tmp / "journal";
  AuditJournal::Options options;
  options.segment_bytes = 400;
  {
    auto journal = AuditJournal::OpenShared(dir, options);
    ASSERT_TRUE(journal.ok());
    for (int n = 0; n < 30; ++n) ASSERT_TRUE((*journal)->Append(Entry(n)).ok());
  }
  const std::vector<std::string> segments = Segments(dir);
  ASSERT_GE(segments.size(), 2u);
  // A write cut short at the tail: a header promising more bytes than follow.
  const auto tail_size = std::filesystem::file_size(segments.back());
  {
    std::FILE* f = std::fopen(segments.back().c_str(), "ab");
    const unsigned char torn[10] = {64, 0, 0, 0, 9, 9, 9, 9, 'a', 'b'};
    ASSERT_EQ(std::fwrite(torn, 1, sizeof torn, f), sizeof torn);
    std::fclose(f);
  }
  AuditJournal::ScanReport report;
  EXPECT_EQ(ScanAll(dir, &report).size(), 30u);
  EXPECT_EQ(report.torn_tail_bytes, 10u);
  {
    auto journal = AuditJournal::OpenShared(dir, options);
    ASSERT_TRUE(journal.ok()) << journal.status().ToString();
    EXPECT_EQ(std::filesystem::file_size(segments.back()), tail_size);
    ASSERT_TRUE((*journal)->Append("next").ok());
  }
  const std::vector<std::string> after = ScanAll(dir, &report);
  ASSERT_EQ(after.size(), 31u);
  EXPECT_EQ(after.back(), "next");
  EXPECT_EQ(report.torn_tail_bytes, 0u);

  // A flipped byte in the first segment is damage, not a torn write.
  {
    std::FILE* f = std::fopen(segments.front().c_str(), "r+b");
    std::fseek(f, 12, SEEK_SET);
    std::fputc('#', f);
    std::fclose(f);
  }
  Status s = AuditJournal::ScanFolder(dir, nullptr, nullptr);
  EXPECT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
  auto journal = AuditJournal::OpenShared(dir, options);
  ASSERT_TRUE(journal.ok());
  s = (*journal)->Scan((*journal)->begin(), (*journal)->end(), nullptr);
  EXPECT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
}

TEST(AuditJournalTest, DamageInTheLastSegmentIsCorruptionNotATornTail) {
  TempDir tmp;
  const std::string dir = tmp / "journal";
  AuditJournal::Options options;
  {
    auto journal = AuditJournal::OpenShared(dir, options);
    ASSERT_TRUE(journal.ok());
    for (int n = 0; n < 40; ++n) ASSERT_TRUE((*journal)->Append(Entry(n)).ok());
  }
  const std::vector<std::string> segments = Segments(dir);
  ASSERT_EQ(segments.size(), 1u);
  const auto size = std::filesystem::file_size(segments.back());
  // A flipped byte inside a complete record in the middle of the last (only) segment: the
  // records after it were acknowledged; truncating there would destroy them.
  {
    std::FILE* f = std::fopen(segments.back().c_str(), "r+b");
    std::fseek(f, static_cast<long>(size / 2), SEEK_SET);
    const int c = std::fgetc(f);
    std::fseek(f, static_cast<long>(size / 2), SEEK_SET);
    std::fputc(c ^ 0x5a, f);
    std::fclose(f);
  }
  Status s = AuditJournal::ScanFolder(dir, nullptr, nullptr);
  EXPECT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
  EXPECT_NE(s.ToString().find("000001.seg"), std::string::npos) << s.ToString();
  auto journal = AuditJournal::OpenShared(dir, options);
  ASSERT_FALSE(journal.ok());
  EXPECT_EQ(journal.status().code(), StatusCode::kCorruption) << journal.status().ToString();
  EXPECT_EQ(std::filesystem::file_size(segments.back()), size);
}

TEST(AuditJournalTest, ZeroLengthWithBytesAfterItIsCorruptionAZeroTailIsNot) {
  TempDir tmp;
  const std::string dir = tmp / "journal";
  AuditJournal::Options options;
  {
    auto journal = AuditJournal::OpenShared(dir, options);
    ASSERT_TRUE(journal.ok());
    for (int n = 0; n < 5; ++n) ASSERT_TRUE((*journal)->Append(Entry(n)).ok());
  }
  const std::string segment = Segments(dir).back();
  const auto size = std::filesystem::file_size(segment);
  // Zero bytes at the tail (a power loss without sync): a torn write, truncated.
  {
    std::FILE* f = std::fopen(segment.c_str(), "ab");
    const char zeros[32] = {};
    ASSERT_EQ(std::fwrite(zeros, 1, sizeof zeros, f), sizeof zeros);
    std::fclose(f);
  }
  {
    auto journal = AuditJournal::OpenShared(dir, options);
    ASSERT_TRUE(journal.ok()) << journal.status().ToString();
    EXPECT_EQ(std::filesystem::file_size(segment), size);
  }
  // A length of 0 with other bytes after it: damage, left as it is.
  {
    std::FILE* f = std::fopen(segment.c_str(), "ab");
    const unsigned char bad[12] = {0, 0, 0, 0, 1, 2, 3, 4, 'a', 'b', 'c', 'd'};
    ASSERT_EQ(std::fwrite(bad, 1, sizeof bad, f), sizeof bad);
    std::fclose(f);
  }
  Status s = AuditJournal::ScanFolder(dir, nullptr, nullptr);
  EXPECT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
  auto journal = AuditJournal::OpenShared(dir, options);
  ASSERT_FALSE(journal.ok());
  EXPECT_EQ(journal.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(std::filesystem::file_size(segment), size + 12);
}

TEST(AuditJournalTest, OneObjectPerFolderInAProcess) {
  TempDir tmp;
  const std::string dir = tmp / "journal";
  AuditJournal::Options options;
  auto a = AuditJournal::OpenShared(dir, options);
  auto b = AuditJournal::OpenShared(dir + "/", options);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->get(), b->get());
  // The object exists with no fdatasync: an opener asking for it is refused, not misled.
  AuditJournal::Options synced = options;
  synced.sync = true;
  auto refused = AuditJournal::OpenShared(dir, synced);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE((*a)->Append("one").ok());
  EXPECT_EQ((*b)->appends(), 1u);
  a->reset();
  b->reset();
  // Released: the folder can be opened again (the lock went with the last holder).
  auto c = AuditJournal::OpenShared(dir, options);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(ScanAll(dir, nullptr).size(), 1u);
}

}  // namespace
}  // namespace vigil::storage

// The loader: summaries, rejects file, idempotence, corrections, parts, health, kill -9.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include "content_checksum.h"
#include "test_util.h"
#include "vigil/csv.h"
#include "vigil/ingest.h"
#include "vigil/policy.h"
#include "vigil/scoring.h"
#include "vigil/screener.h"
#include "vigil/store.h"

namespace vigil {
namespace {

using testing::HeaderLine;
using testing::RowLine;
using testing::TempDir;
using testing::WriteFile;

std::unique_ptr<Store> OpenStore(const std::string& path) {
  StoreOptions options;
  options.path = path;
  auto store = Store::Open(options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(*store) : nullptr;
}

IngestSummary Load(Store& store, const std::string& db, const std::string& feeds,
                   IngestOptions options = {}) {
  auto summary = IngestFolder(store, feeds, db + "/rejects", options);
  EXPECT_TRUE(summary.ok()) << summary.status().ToString();
  return summary.ok() ? std::move(*summary) : IngestSummary{};
}

const FileSummary& FindFile(const IngestSummary& s, const std::string& name) {
  for (const auto& f : s.files) {
    if (f.file == name) return f;
  }
  ADD_FAILURE() << "no summary for " << name;
  static const FileSummary kNone;
  return kNone;
}

const FeedHealth& FindHealth(const IngestSummary& s, Feed feed) {
  for (const auto& h : s.health) {
    if (h.feed == feed) return h;
  }
  ADD_FAILURE() << "no health for " << CodeName(feed);
  static const FeedHealth kNone;
  return kNone;
}

TEST(LoaderTest, LoadsEveryFeedAndWritesRejectsWithFileLineColumnReasonRaw) {
  TempDir dir;
  testing::WriteSampleFeeds(dir / "feeds", 100, 4);
  auto store = OpenStore(dir / "db");
  const IngestSummary s = Load(*store, dir / "db", dir / "feeds");
  ASSERT_EQ(s.files.size(), 4u);
  const FileSummary* sig = &FindFile(s, "signals.csv.gz");
  EXPECT_EQ(sig->rows_read, 100u * 4 + 2);
  EXPECT_EQ(sig->rejected, 1u);
  EXPECT_EQ(sig->loaded, 100u * 4 + 1);
  EXPECT_EQ(sig->replaced, 1u);  // the correction inside the file
  EXPECT_EQ(sig->inserted, 400u);
  EXPECT_EQ(FindFile(s, "persons.csv").loaded, 100u);
  EXPECT_EQ(FindFile(s, "payments.csv").loaded, 300u);
  EXPECT_FALSE(s.any_file_failed());

  auto person = store->GetPerson(testing::SyntheticId(7), 3702);
  ASSERT_TRUE(person.ok());
  EXPECT_EQ(person->name, "王, 7");

  const std::string rejects = testing::ReadAll(s.rejects_path);
  EXPECT_EQ(s.rejects_path, dir / "db" + "/rejects/" + s.load_id + ".csv");
  EXPECT_TRUE(rejects.starts_with("file,line,column,reason,raw\n"));
  EXPECT_NE(rejects.find("persons.csv,102,region,BAD_REGION: region '37' is not 4 digits,"),
            std::string::npos)
      << rejects;
  EXPECT_NE(rejects.find("signals.csv.gz,402,source,\"UNKNOWN_CODE"), std::string::npos) << rejects;
  EXPECT_NE(rejects.find("payments.csv,302,amount,BAD_MONEY"), std::string::npos);
  EXPECT_NE(rejects.find("registry.csv,4,reported_date,REPORTED_BEFORE_EVENT"), std::string::npos);
  // The raw row is quoted CSV: the rejects file is itself readable by our reader.
  auto reread = CsvReader::Open(s.rejects_path);
  ASSERT_TRUE(reread.ok());
  CsvRow row;
  int n = 0;
  while (*(*reread)->Next(&row)) {
    EXPECT_EQ(row.fields.size(), 5u);
    ++n;
  }
  EXPECT_EQ(n, 4);
}

TEST(LoaderTest, LoadingTheSameFolderTwiceChangesNothing) {
  TempDir dir;
  testing::WriteSampleFeeds(dir / "feeds", 50, 3);
  {
    auto store = OpenStore(dir / "db");
    Load(*store, dir / "db", dir / "feeds");
  }
  const std::string before = testing::ContentChecksum(dir / "db");
  const std::string rejects_before =
      testing::ReadAll(dir / "db" + "/rejects/" +
                       Load(*OpenStore(dir / "db2"), dir / "db2", dir / "feeds").load_id + ".csv");
  IngestSummary again;
  {
    auto store = OpenStore(dir / "db");
    again = Load(*store, dir / "db", dir / "feeds");
  }
  for (const auto& f : again.files) {
    EXPECT_EQ(f.inserted, 0u) << f.file;
    // The in-file correction pair flips the row twice: back to the original, then corrected.
    EXPECT_EQ(f.replaced, f.file == "signals.csv.gz" ? 2u : 0u) << f.file;
  }
  EXPECT_EQ(testing::ContentChecksum(dir / "db"), before);
  // One rejects file per load id, not duplicated by the rerun.
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir / "db" + "/rejects")) {
    ++files;
    EXPECT_EQ(e.path().extension(), ".csv");
  }
  EXPECT_EQ(files, 1u);
  EXPECT_EQ(testing::ReadAll(again.rejects_path), rejects_before);
}

TEST(LoaderTest, ACopyOfADeliveryInAnotherFolderKeepsItsOwnRejectsFile) {
  TempDir dir;
  testing::WriteSampleFeeds(dir / "first", 50, 3);
  // Same names, sizes and modification times (a copy that keeps its times).
  std::filesystem::copy(dir / "first", dir / "second");
  for (const auto& e : std::filesystem::directory_iterator(dir / "first")) {
    std::filesystem::last_write_time(dir / "second" / e.path().filename(),
                                     std::filesystem::last_write_time(e.path()));
  }
  auto store = OpenStore(dir / "db");
  const IngestSummary first = Load(*store, dir / "db", dir / "first");
  const IngestSummary second = Load(*store, dir / "db", dir / "second");
  EXPECT_NE(first.load_id, second.load_id);
  EXPECT_TRUE(std::filesystem::exists(first.rejects_path));
  EXPECT_TRUE(std::filesystem::exists(second.rejects_path));
  // The same folder named another way is the same delivery.
  const IngestSummary again =
      Load(*store, dir / "db", (std::filesystem::path(dir / "first") / ".").string());
  EXPECT_EQ(again.load_id, first.load_id);
}

TEST(LoaderTest, ALaterLoadCorrectsRowsWithTheSameNaturalKey) {
  TempDir dir;
  const std::string id = testing::kId1;
  WriteFile(dir / "a/persons.csv", HeaderLine(Feed::kPersons) + RowLine(Feed::kPersons));
  WriteFile(dir / "b/persons.csv",
            HeaderLine(Feed::kPersons) + RowLine(Feed::kPersons, {{"name", "李四"}}));
  auto store = OpenStore(dir / "db");
  Load(*store, dir / "db", dir / "a");
  const IngestSummary s = Load(*store, dir / "db", dir / "b");
  EXPECT_EQ(s.files[0].replaced, 1u);
  EXPECT_EQ(store->GetPerson(id, 3702)->name, "李四");
}

TEST(LoaderTest, LaterPartsCorrectEarlierPartsOfTheSameFeed) {
  TempDir dir;
  WriteFile(dir / "f/payments.csv", HeaderLine(Feed::kPayments) + RowLine(Feed::kPayments));
  testing::WriteGzip(
      dir / "f/payments.0001.csv.gz",
      HeaderLine(Feed::kPayments) + RowLine(Feed::kPayments, {{"amount", "100.00"}}));
  auto store = OpenStore(dir / "db");
  const IngestSummary s = Load(*store, dir / "db", dir / "f");
  ASSERT_EQ(s.files.size(), 2u);
  EXPECT_EQ(s.files[0].file, "payments.csv");
  EXPECT_EQ(s.files[1].replaced, 1u);
  auto key = store->GetPaymentEventKey("P0001");
  ASSERT_TRUE(key.ok());
  bool seen = false;
  ASSERT_TRUE(store
                  ->VisitHistory(PersonKey(testing::kId1), {},
                                 [&](const EventView& e) {
                                   auto p = e.AsPayment();
                                   EXPECT_TRUE(p.ok());
                                   EXPECT_EQ(p->amount, Money::FromYuan(100));
                                   seen = true;
                                   return true;
                                 })
                  .ok());
  EXPECT_TRUE(seen);
}

TEST(LoaderTest, AFileWithAMissingColumnIsRefusedAndTheOthersLoad) {
  TempDir dir;
  WriteFile(dir / "f/payments.csv", "payment_id,person_id\nP1," + testing::kId1 + "\n");
  WriteFile(dir / "f/signals.csv", HeaderLine(Feed::kSignals) + RowLine(Feed::kSignals));
  WriteFile(dir / "f/notes.txt", "hello");
  auto store = OpenStore(dir / "db");
  const IngestSummary s = Load(*store, dir / "db", dir / "f");
  ASSERT_EQ(s.files.size(), 2u);
  EXPECT_TRUE(s.any_file_failed());
  EXPECT_NE(FindFile(s, "payments.csv").error.find("missing required column 'region'"),
            std::string::npos);
  EXPECT_EQ(FindFile(s, "signals.csv").loaded, 1u);
  EXPECT_EQ(s.ignored, (std::vector<std::string>{"notes.txt"}));
  EXPECT_NE(FormatIngestSummary(s).find("ERROR: payments.csv: missing required column"),
            std::string::npos);
}

TEST(LoaderTest, AnUnterminatedQuoteCostsOneRowNotTheRestOfTheFile) {
  TempDir dir;
  const std::string id = testing::kId1;
  std::string content =
      HeaderLine(Feed::kSignals) + id + ",TELECOM,2025-01-01T00:00:00,\"unterminated place,x\n";
  for (int i = 0; i < 1000; ++i) {
    content += id + ",TELECOM,2025-01-02T00:00:00,P" + std::to_string(i) + ",x\n";
  }
  content += id + ",BANK_COUNTER,2025-03-01T10:00:00,\"BR37028506\",WITHDRAWAL\n";
  WriteFile(dir / "f/signals.csv", content);
  auto store = OpenStore(dir / "db");
  IngestOptions options;
  options.chunk_bytes = 4096;  // the runaway quote crosses several chunks
  const IngestSummary s = Load(*store, dir / "db", dir / "f", options);
  const FileSummary& f = FindFile(s, "signals.csv");
  EXPECT_EQ(f.rows_read, 1002u);
  EXPECT_EQ(f.loaded, 1001u);
  EXPECT_EQ(f.rejected, 1u);
  EXPECT_EQ(testing::ReadAll(s.rejects_path),
            "file,line,column,reason,raw\n"
            "signals.csv,2,place,UNTERMINATED_QUOTE: a quoted field is not closed on this row,\"" +
                id + ",TELECOM,2025-01-01T00:00:00,\"\"unterminated place,x\"\n");
}

TEST(LoaderTest, ADamagedGzipKeepsEveryRowBeforeTheDamageAndNamesTheLine) {
  TempDir dir;
  // Two gzip members in one file: 3000 rows, then a member damaged right after its header.
  std::string first = HeaderLine(Feed::kSignals);
  for (uint64_t i = 0; i < 3000; ++i) {
    first += RowLine(Feed::kSignals, {{"person_id", testing::SyntheticId(i)}});
  }
  testing::WriteGzip(dir / "first.gz", first);
  testing::WriteGzip(dir / "second.gz", RowLine(Feed::kSignals));
  std::string damaged = testing::ReadAll(dir / "second.gz");
  damaged[10] = static_cast<char>(0xFF);  // a deflate block of the reserved type 3
  WriteFile(dir / "f/signals.csv.gz", testing::ReadAll(dir / "first.gz") + damaged);
  auto store = OpenStore(dir / "db");
  const IngestSummary s = Load(*store, dir / "db", dir / "f");
  const FileSummary& f = FindFile(s, "signals.csv.gz");
  EXPECT_EQ(f.rows_read, 3000u);
  EXPECT_EQ(f.loaded, 3000u);
  EXPECT_EQ(f.error, "signals.csv.gz: damaged gzip data after line 3001: invalid block type");
  EXPECT_TRUE(s.any_file_failed());
}

TEST(LoaderTest, OneThreadAndManyThreadsLoadTheSameContent) {
  TempDir dir;
  testing::WriteSampleFeeds(dir / "feeds", 300, 5);
  for (int threads : {1, 4}) {
    auto store = OpenStore(dir / ("db" + std::to_string(threads)));
    IngestOptions options;
    options.threads = threads;
    options.chunk_bytes = 4096;  // many chunks, rows crossing chunk ends
    Load(*store, dir / ("db" + std::to_string(threads)), dir / "feeds", options);
  }
  EXPECT_EQ(testing::ContentChecksum(dir / "db1"), testing::ContentChecksum(dir / "db4"));
}

std::string SignalsWithDates(int n, const std::string& day) {
  std::string out = HeaderLine(Feed::kSignals);
  for (int i = 0; i < n; ++i) {
    out += RowLine(Feed::kSignals, {{"person_id", testing::SyntheticId(static_cast<uint64_t>(i))},
                                    {"occurred_at", day + "T10:00:00"}});
  }
  return out;
}

TEST(LoaderTest, FeedHealthWarnsOnVolumeChangeAndStalenessAndIsStored) {
  TempDir dir;
  WriteFile(dir / "a/signals.csv", SignalsWithDates(10, "2024-03-01"));
  WriteFile(dir / "b/signals.csv", SignalsWithDates(20, "2024-01-01"));
  WriteFile(dir / "b/payments.csv",
            HeaderLine(Feed::kPayments) + RowLine(Feed::kPayments, {{"paid_date", "2024-06-01"}}));
  auto store = OpenStore(dir / "db");
  const IngestSummary first = Load(*store, dir / "db", dir / "a");
  EXPECT_TRUE(FindHealth(first, Feed::kSignals).warnings.empty());

  const IngestSummary second = Load(*store, dir / "db", dir / "b");
  const FeedHealth* h = &FindHealth(second, Feed::kSignals);
  EXPECT_EQ(h->rows, 20u);
  EXPECT_EQ(h->previous_rows, 10u);
  ASSERT_EQ(h->warnings.size(), 2u);
  EXPECT_EQ(h->warnings[0], "volume +100.0% vs previous load (10 -> 20 rows)");
  EXPECT_EQ(h->warnings[1],
            "stale: newest row 2024-01-01 is 152 days before 2024-06-01 (limit 45)");
  EXPECT_TRUE(FindHealth(second, Feed::kPayments).warnings.empty());
  EXPECT_NE(FormatIngestSummary(second).find("WARNING signals: stale"), std::string::npos);

  auto meta = store->GetMeta("ingest.health.signals");
  ASSERT_TRUE(meta.ok());
  EXPECT_NE(meta->find("\"previous_rows\":10"), std::string::npos) << *meta;
  EXPECT_NE(meta->find("\"last\":\"2024-01-01\""), std::string::npos) << *meta;
  EXPECT_NE(meta->find("stale"), std::string::npos);

  // Reloading the same folder compares with the load before it, not with itself.
  const IngestSummary third = Load(*store, dir / "db", dir / "b");
  EXPECT_EQ(FindHealth(third, Feed::kSignals).previous_rows, 10u);

  // A configured reference date and limit.
  IngestOptions options;
  options.as_of = Date(std::chrono::year(2024), std::chrono::month(1), std::chrono::day(20));
  options.staleness_days = 30;
  const IngestSummary fourth = Load(*store, dir / "db", dir / "b", options);
  for (const auto& w : FindHealth(fourth, Feed::kSignals).warnings) {
    EXPECT_EQ(w.find("stale"), std::string::npos) << w;
  }
}

// Runs the loader in a fresh process; kills it after `kill_after` (if set). Returns the exit
// status (or -SIGKILL when killed).
int RunTool(const std::string& db, const std::string& feeds, int threads,
            std::optional<std::chrono::microseconds> kill_after) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const std::string t = std::to_string(threads);
    ::execl(VIGIL_INGEST_TOOL, VIGIL_INGEST_TOOL, db.c_str(), feeds.c_str(), t.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  if (kill_after) {
    std::this_thread::sleep_for(*kill_after);
    ::kill(pid, SIGKILL);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return WEXITSTATUS(status);
}

TEST(LoaderTest, KilledAtAnyPointAndRerunEndsInTheSameContent) {
  TempDir dir;
  testing::WriteSampleFeeds(dir / "feeds", 2000, 10);
  const std::string reference_db = dir / "reference";
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(RunTool(reference_db, dir / "feeds", 2, std::nullopt), 0);
  const auto full =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
  RecordProperty("full_load_us", std::to_string(full.count()));
  const std::string expected = testing::ContentChecksum(reference_db);
  const std::string rejects_dir = reference_db + "/rejects";
  std::string expected_rejects;
  for (const auto& e : std::filesystem::directory_iterator(rejects_dir)) {
    expected_rejects = testing::ReadAll(e.path().string());
  }

  const unsigned seed = 20240611;
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int64_t> when(0, full.count());
  int killed = 0;
  for (int round = 0; round < 6; ++round) {
    const std::string db = dir / ("db" + std::to_string(round));
    // Up to two kills in a row, then a run to completion.
    for (int k = 0; k < 2; ++k) {
      const auto at = std::chrono::microseconds(when(rng));
      if (RunTool(db, dir / "feeds", 2, at) == -SIGKILL) ++killed;
    }
    ASSERT_EQ(RunTool(db, dir / "feeds", 2, std::nullopt), 0) << "seed " << seed;
    EXPECT_EQ(testing::ContentChecksum(db), expected) << "round " << round << " seed " << seed;
    size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(db + "/rejects")) {
      ++n;
      EXPECT_EQ(testing::ReadAll(e.path().string()), expected_rejects) << e.path();
    }
    EXPECT_EQ(n, 1u) << "round " << round;
  }
  EXPECT_GT(killed, 0) << "no run was actually interrupted; full load took " << full.count()
                       << " us";
}

// Runs the loader in a fresh process that stops once `rows` rows of the load are written
// (ingest_tool's stall mode), kills it there with SIGKILL and returns the rows it had written,
// or 0 when it did not stall (it finished, or died otherwise).
uint64_t KillOnceWritten(const std::string& db, const std::string& feeds, uint64_t rows) {
  int out[2];
  if (::pipe(out) != 0) return 0;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    const std::string stall = "stall=" + std::to_string(rows);
    ::execl(VIGIL_INGEST_TOOL, VIGIL_INGEST_TOOL, db.c_str(), feeds.c_str(), "2", stall.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out[1]);
  FILE* from_child = ::fdopen(out[0], "r");
  unsigned long long written = 0;
  const bool stalled = std::fscanf(from_child, "STALLED %llu", &written) == 1;
  ::kill(pid, SIGKILL);
  std::fclose(from_child);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return stalled && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? written : 0;
}

std::string Canonical(const std::string& path) {
  return std::filesystem::weakly_canonical(path).string();
}

std::vector<UnfinishedDelivery> Unfinished(const Store& store) {
  auto unfinished = store.UnfinishedDeliveries();
  EXPECT_TRUE(unfinished.ok()) << unfinished.status().ToString();
  return unfinished.ok() ? std::move(*unfinished) : std::vector<UnfinishedDelivery>{};
}

bool SameDelivery(const UnfinishedDelivery& a, const UnfinishedDelivery& b) {
  return a.load_id == b.load_id && a.source == b.source && a.loading_here == b.loading_here;
}

// The rejects folder's files, by name, with their contents.
std::map<std::string, std::string> RejectsFiles(const std::string& db) {
  std::map<std::string, std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(db + "/rejects")) {
    files[e.path().filename().string()] = testing::ReadAll(e.path().string());
  }
  return files;
}

// Options as ingest_tool loads with: the same batches, so the same stored figures.
IngestOptions ToolOptions() {
  IngestOptions options;
  options.threads = 2;
  options.chunk_bytes = 64 * 1024;
  options.bulk_run_bytes = 64 * 1024;
  return options;
}

// A city's initial load, then a later delivery (more persons, more signals each) killed with
// kill -9 in its middle: the store names the delivery, scoring, training and screening refuse
// it, another folder is refused, and loading the delivery again ends in the content and the
// rejects of an uninterrupted load, without the mark.
// A delivery with a file that cannot be read to its end is only partly in the store: its mark
// stays (score, train and screening refuse the store) until a load of the folder in full.
TEST(LoaderTest, ADeliveryWithAFailedFileStaysMarkedUntilItLoadsInFull) {
  TempDir dir;
  WriteFile(dir / "first/signals.csv", HeaderLine(Feed::kSignals) + RowLine(Feed::kSignals));
  auto store = OpenStore(dir / "db");
  Load(*store, dir / "db", dir / "first");
  ASSERT_TRUE(Unfinished(*store).empty());
  std::string rows = HeaderLine(Feed::kSignals);
  for (uint64_t i = 0; i < 50; ++i) {
    rows += RowLine(Feed::kSignals, {{"person_id", testing::SyntheticId(i)}});
  }
  testing::WriteGzip(dir / "whole.gz", rows);
  const std::string whole = testing::ReadAll(dir / "whole.gz");
  WriteFile(dir / "later/signals.csv.gz", whole.substr(0, whole.size() * 2 / 3));
  WriteFile(dir / "later/payments.csv", HeaderLine(Feed::kPayments) + RowLine(Feed::kPayments));
  const IngestSummary failed = Load(*store, dir / "db", dir / "later");
  ASSERT_TRUE(failed.any_file_failed());
  EXPECT_EQ(FindFile(failed, "payments.csv").loaded, 1u);
  const std::vector<UnfinishedDelivery> marks = Unfinished(*store);
  ASSERT_EQ(marks.size(), 1u);
  EXPECT_EQ(marks[0].load_id, failed.load_id);
  EXPECT_EQ(marks[0].source, Canonical(dir / "later"));
  EXPECT_FALSE(marks[0].loading_here);
  // The file repaired: the folder is another delivery now, loaded once the partial one is
  // acknowledged (its rows stay, and the repaired folder's rows correct them by natural key).
  WriteFile(dir / "later/signals.csv.gz", whole);
  auto refused = IngestFolder(*store, dir / "later", dir / "db/rejects");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("that folder's files have changed since"),
            std::string::npos)
      << refused.status().ToString();
  IngestOptions acknowledge;
  acknowledge.discard_interrupted_load = true;
  const IngestSummary repaired = Load(*store, dir / "db", dir / "later", acknowledge);
  EXPECT_FALSE(repaired.any_file_failed());
  EXPECT_EQ(FindFile(repaired, "signals.csv.gz").loaded, 50u);
  EXPECT_TRUE(Unfinished(*store).empty());
}

TEST(LoaderTest, AKilledLaterDeliveryIsMarkedRefusedAndFinishedByItsRerun) {
  TempDir dir;
  testing::WriteSampleFeeds(dir / "city", 2000, 10);
  testing::WriteSampleFeeds(dir / "later", 2500, 12);
  testing::WriteSampleFeeds(dir / "other", 20, 2);
  const std::string later = Canonical(dir / "later");
  std::string later_id;
  {
    auto reference = OpenStore(dir / "reference");
    Load(*reference, dir / "reference", dir / "city", ToolOptions());
    const IngestSummary summary = Load(*reference, dir / "reference", dir / "later", ToolOptions());
    EXPECT_FALSE(summary.bulk);
    later_id = summary.load_id;
    EXPECT_TRUE(Unfinished(*reference).empty());
  }
  const std::string expected = testing::ContentChecksum(dir / "reference");
  const std::map<std::string, std::string> expected_rejects = RejectsFiles(dir / "reference");
  ASSERT_EQ(expected_rejects.size(), 2u);

  const std::string db = dir / "db";
  ASSERT_EQ(RunTool(db, dir / "city", 2, std::nullopt), 0);
  // The later delivery's persons file (2,501 rows) is in, its payments are being written.
  const uint64_t written = KillOnceWritten(db, dir / "later", 4000);
  ASSERT_GE(written, 4000u) << "the load did not stall and die there";
  ASSERT_LT(written, 10000u);
  {
    auto store = OpenStore(db);
    ASSERT_NE(store, nullptr);
    const std::vector<UnfinishedDelivery> unfinished = Unfinished(*store);
    ASSERT_EQ(unfinished.size(), 1u);
    EXPECT_TRUE(SameDelivery(unfinished[0], {later_id, later, false}))
        << unfinished[0].load_id << " from " << unfinished[0].source;
    EXPECT_EQ(*store->GetMeta("store.delivery_in_progress/" + later_id), later);
    // Part of it is there: a person only it names, but not its last signals.
    EXPECT_TRUE(store->GetPerson(testing::SyntheticId(2400), 3702).ok());
    EXPECT_NE(testing::ContentChecksum(db), expected);
    EXPECT_TRUE(std::filesystem::exists(db + "/rejects/" + later_id + ".csv.tmp"));
    EXPECT_FALSE(std::filesystem::exists(db + "/rejects/" + later_id + ".csv"));

    const std::string named = "(load id " + later_id + " from " + later + ")";
    ScoreOptions score;
    score.as_of = Date(std::chrono::year(2024), std::chrono::month(6), std::chrono::day(30));
    score.out_dir = dir / "out";
    EXPECT_EQ(
        ScoreAll(*store, Policy::Defaults(), score).status(),
        Status::FailedPrecondition("the store holds part of an interrupted delivery " + named +
                                   ": run vigil ingest on that folder again before scoring"));
    EXPECT_FALSE(std::filesystem::exists(dir / "out/cases.csv"));
    EXPECT_EQ(
        TrainFusion(*store, Policy::Defaults(), score, {{testing::SyntheticId(1), 1}}).status(),
        Status::FailedPrecondition("the store holds part of an interrupted delivery " + named +
                                   ": run vigil ingest on that folder again before training"));
    EXPECT_EQ(
        Screener::Open(*store, Policy::Defaults()).status(),
        Status::FailedPrecondition("the store holds part of an interrupted delivery " + named +
                                   ": run vigil ingest on that folder again before screening"));

    // Another folder would leave the rest of the interrupted delivery forgotten.
    EXPECT_EQ(IngestFolder(*store, dir / "other", db + "/rejects", ToolOptions()).status(),
              Status::FailedPrecondition(
                  "the store holds part of an interrupted delivery " + named +
                  ": load that folder again to finish it, or acknowledge it (vigil ingest "
                  "--discard-interrupted-load; the rows it wrote stay)"));
    EXPECT_EQ(RejectsFiles(db).size(), 2u);  // the city's file and the temporary, nothing new
    const std::vector<UnfinishedDelivery> still = Unfinished(*store);
    ASSERT_EQ(still.size(), 1u);
    EXPECT_TRUE(SameDelivery(still[0], {later_id, later, false}));
  }

  // Its rerun: every row keyed by its natural key, so it ends where one load would have.
  ASSERT_EQ(RunTool(db, dir / "later", 2, std::nullopt), 0);
  EXPECT_EQ(testing::ContentChecksum(db), expected);
  EXPECT_EQ(RejectsFiles(db), expected_rejects);
  EXPECT_TRUE(Unfinished(*OpenStore(db)).empty());
}

// --discard-interrupted-load for a later delivery: another folder loads, the interrupted one's
// mark and rejects temporary go, and its rows stay (a load through Write cannot be undone).
TEST(LoaderTest, AnInterruptedLaterDeliveryIsAcknowledgedByDiscardAndItsRowsStay) {
  TempDir dir;
  testing::WriteSampleFeeds(dir / "city", 200, 4);
  testing::WriteSampleFeeds(dir / "later", 2500, 12);
  testing::WriteSampleFeeds(dir / "other", 20, 2);
  const std::string db = dir / "db";
  ASSERT_EQ(RunTool(db, dir / "city", 2, std::nullopt), 0);
  ASSERT_GE(KillOnceWritten(db, dir / "later", 4000), 4000u);
  auto store = OpenStore(db);
  ASSERT_NE(store, nullptr);
  const std::vector<UnfinishedDelivery> interrupted = Unfinished(*store);
  ASSERT_EQ(interrupted.size(), 1u);
  const std::string tmp = db + "/rejects/" + interrupted[0].load_id + ".csv.tmp";
  EXPECT_TRUE(std::filesystem::exists(tmp));

  IngestOptions options = ToolOptions();
  options.discard_interrupted_load = true;
  const IngestSummary other = Load(*store, db, dir / "other", options);
  EXPECT_FALSE(other.bulk);
  EXPECT_TRUE(Unfinished(*store).empty());
  EXPECT_FALSE(std::filesystem::exists(tmp));
  EXPECT_TRUE(std::filesystem::exists(other.rejects_path));
  EXPECT_TRUE(store->GetPerson(testing::SyntheticId(2400), 3702).ok());
}

// --discard-interrupted-load for an initial load killed in its middle: its partial content, its
// run files and its rejects temporary go, and only the other folder is in the store.
TEST(LoaderTest, ADiscardedInitialLoadLeavesNoRejectsTemporaryNorRunFiles) {
  TempDir dir;
  testing::WriteSampleFeeds(dir / "city", 2500, 12);
  testing::WriteSampleFeeds(dir / "other", 20, 2);
  const std::string db = dir / "db";
  ASSERT_GE(KillOnceWritten(db, dir / "city", 4000), 4000u);
  EXPECT_TRUE(std::filesystem::exists(db + "/bulk"));
  std::string interrupted_id;
  {
    auto store = OpenStore(db);
    ASSERT_NE(store, nullptr);
    EXPECT_TRUE(store->BulkLoadPending());
    const std::vector<UnfinishedDelivery> interrupted = Unfinished(*store);
    ASSERT_EQ(interrupted.size(), 1u);
    interrupted_id = interrupted[0].load_id;
  }
  EXPECT_TRUE(std::filesystem::exists(db + "/rejects/" + interrupted_id + ".csv.tmp"));

  auto reference = OpenStore(dir / "reference");
  Load(*reference, dir / "reference", dir / "other", ToolOptions());
  reference.reset();
  auto store = OpenStore(db);
  IngestOptions options = ToolOptions();
  options.discard_interrupted_load = true;
  const IngestSummary other = Load(*store, db, dir / "other", options);
  EXPECT_TRUE(other.bulk);
  EXPECT_FALSE(store->BulkLoadPending());
  EXPECT_TRUE(Unfinished(*store).empty());
  store.reset();
  EXPECT_FALSE(std::filesystem::exists(db + "/bulk"));
  EXPECT_EQ(RejectsFiles(db), RejectsFiles(dir / "reference"));
  EXPECT_EQ(testing::ContentChecksum(db), testing::ContentChecksum(dir / "reference"));
}

}  // namespace
}  // namespace vigil

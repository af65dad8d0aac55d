// Store::RebuildHistories: a store filled by schema 1 upgraded in place to the packed
// `histories` (docs/storage.md "Upgrading a schema-1 store"): the copy equals `events` under
// every filter, later writes keep it so, a second call does nothing, read-only stores and
// pending bulk loads are refused, and a kill -9 at any point leaves either the schema-1 store
// or a complete schema-2 one.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "storage/history_rebuild.h"
#include "storage/keys.h"
#include "tests/storage/raw_db.h"
#include "tests/storage/test_util.h"

namespace vigil {
namespace {

using namespace vigil::testing;  // NOLINT(google-build-using-namespace)

// Opens without permission to create anything, as `vigil upgrade` does: a schema-1 store then
// has no `histories` family at all.
std::unique_ptr<Store> OpenExisting(const std::string& path) {
  return OpenStore(path, /*create_if_missing=*/false);
}

// A store as schema 1 left it: persons, events written by `Write` with corrections, unchanged
// rows and payments moved between persons, some flushed to files and some still in the WAL;
// no mark, version 1, no `histories` family.
void MakeSchemaOneStore(const std::string& path, int batches, int persons, uint64_t seed) {
  {
    auto store = OpenStore(path);
    ASSERT_NE(store, nullptr);
    std::mt19937_64 rng(seed);
    RecordBatch people;
    for (int p = 0; p < persons; p += 3) people.Add(MakePerson(PersonId(p)));
    ASSERT_TRUE(store->Write(people).ok());
    WriteCounts counts = WriteRandom(*store, rng, batches / 2, 100, persons);
    ASSERT_TRUE(store->Flush().ok());
    counts += WriteRandom(*store, rng, batches - batches / 2, 100, persons);
    MovePaymentBetweenPersons(*store);
    EXPECT_GT(counts.replaced, 0u);
    EXPECT_GT(counts.unchanged, 0u);
  }
  RawDb(path).MakeSchemaOne();
}

// After a completed rebuild: the store reopened maintains the packed copy, equal to `events`.
void ExpectReopenedUpgraded(const std::string& path) {
  auto store = OpenExisting(path);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->MaintainsHistories());
  ExpectRangeScanEqualsEvents(*store);
}

size_t CountPersons(const std::vector<SeenEvent>& events) {
  std::set<uint64_t> persons;
  for (const auto& e : events) persons.insert(e.person_key);
  return persons.size();
}

TEST(UpgradeTest, RebuildPacksEventsAndLaterWritesKeepThemEqual) {
  TempDir dir;
  MakeSchemaOneStore(dir.path(), 30, 40, 31);
  std::vector<SeenEvent> before;
  {
    auto store = OpenExisting(dir.path());
    ASSERT_NE(store, nullptr);
    ASSERT_FALSE(store->MaintainsHistories());
    EXPECT_EQ(StoredSchema(*store), 1u);
    before = PerPersonScan(*store, {});
    ASSERT_GT(before.size(), 1000u);

    std::vector<HistoriesRebuildProgress> reports;
    auto rebuilt = store->RebuildHistories(
        [&reports](const HistoriesRebuildProgress& p) { reports.push_back(p); });
    ASSERT_TRUE(rebuilt.ok()) << rebuilt.status().ToString();
    EXPECT_TRUE(rebuilt->rebuilt);
    EXPECT_EQ(rebuilt->events, before.size());
    EXPECT_EQ(rebuilt->persons, CountPersons(before));
    ASSERT_FALSE(reports.empty());
    EXPECT_TRUE(reports.back().ingesting);
    EXPECT_EQ(reports.back().events, before.size());
    EXPECT_TRUE(store->MaintainsHistories());
    EXPECT_EQ(StoredSchema(*store), kStoreSchemaVersion);
    EXPECT_FALSE(std::filesystem::exists(storage::HistoryRebuildDir(dir.path())));
    // Writes from here on maintain the copy (this object still scans `events`).
    std::mt19937_64 rng(32);
    WriteRandom(*store, rng, 5, 100, 40);
    ExpectRangeScanEqualsEvents(*store);
    // A second call does nothing.
    auto again = store->RebuildHistories();
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_FALSE(again->rebuilt);
  }
  {
    // Reopened: scans the packed copy, which equals the events, after more writes (operands
    // over the ingested values), a flush and a compaction too.
    auto store = OpenExisting(dir.path());
    ASSERT_NE(store, nullptr);
    EXPECT_TRUE(store->MaintainsHistories());
    EXPECT_EQ(StoredSchema(*store), kStoreSchemaVersion);
    ExpectRangeScanEqualsEvents(*store);
    std::mt19937_64 rng(33);
    WriteRandom(*store, rng, 10, 100, 40);
    RecordBatch moved;
    moved.Add(MakePayment("PAY-MOVED", PersonId(3), D(2021, 1, 10), 1000));
    ASSERT_TRUE(store->Write(moved).ok());
    ExpectRangeScanEqualsEvents(*store);
    ASSERT_TRUE(store->Flush().ok());
    ExpectRangeScanEqualsEvents(*store);
    ASSERT_TRUE(store->CompactAll().ok());
    ExpectRangeScanEqualsEvents(*store);
    auto again = store->RebuildHistories();
    ASSERT_TRUE(again.ok());
    EXPECT_FALSE(again->rebuilt);
  }
  // Read-only readers see the same events through both families.
  ExpectPackedScanEqualsEventsScan(dir.path());
}

TEST(UpgradeTest, ReadOnlySecondaryAndPendingBulkLoadAreRefused) {
  TempDir dir;
  MakeSchemaOneStore(dir.path(), 4, 10, 41);
  {
    StoreOptions o;
    o.path = dir.path();
    o.mode = OpenMode::kReadOnly;
    auto store = Store::Open(o);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    EXPECT_EQ((*store)->RebuildHistories().status().code(), StatusCode::kFailedPrecondition);
    o.mode = OpenMode::kSecondary;
    o.secondary_path = dir.path("secondary");
    auto secondary = Store::Open(o);
    ASSERT_TRUE(secondary.ok()) << secondary.status().ToString();
    EXPECT_EQ((*secondary)->RebuildHistories().status().code(), StatusCode::kFailedPrecondition);
  }
  {
    auto store = OpenExisting(dir.path());
    ASSERT_NE(store, nullptr);
    EXPECT_FALSE(store->MaintainsHistories());
  }
  // An empty schema-1 store opened without create permission (so not marked at Open) with an
  // interrupted bulk load: the load must be rerun first.
  const std::string empty = dir.path("empty");
  {
    auto store = OpenStore(empty);
    ASSERT_NE(store, nullptr);
  }
  RawDb(empty).MakeSchemaOne();
  {
    auto store = OpenExisting(empty);
    ASSERT_NE(store, nullptr);
    ASSERT_FALSE(store->MaintainsHistories());
    auto writer = store->StartBulkLoad();
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    EXPECT_EQ(store->RebuildHistories().status().code(), StatusCode::kFailedPrecondition);
    writer->reset();  // destroyed without Finish: the load stays pending
    EXPECT_TRUE(store->BulkLoadPending());
    EXPECT_EQ(store->RebuildHistories().status().code(), StatusCode::kFailedPrecondition);
    EXPECT_FALSE(store->MaintainsHistories());
  }
}

TEST(UpgradeTest, LeftoversOfAKilledRebuildAreDiscarded) {
  TempDir dir;
  MakeSchemaOneStore(dir.path(), 10, 30, 51);
  {
    auto store = OpenExisting(dir.path());
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->RebuildHistories().ok());
  }
  // As if killed after the ingestion, before the mark: a complete copy, no mark. The schema-1
  // store then takes writes that do not maintain the copy, so it is stale; a stray value of a
  // person with no events and a half-written work folder lie about too.
  {
    RawDb raw(dir.path());
    raw.Unmark();
    ASSERT_TRUE(raw.db
                    ->Put({}, raw.handles[storage::kHistoriesIdx],
                          storage::PersonPrefix(PersonKey(PersonId(9999))), "\x01junk")
                    .ok());
  }
  std::filesystem::create_directories(storage::HistoryRebuildDir(dir.path()));
  std::ofstream(storage::HistoryRebuildDir(dir.path()) + "/0.sst") << "half a file";
  {
    // A read-only open holds no lock that rules out a running rebuild: it leaves the folder.
    StoreOptions o;
    o.path = dir.path();
    o.mode = OpenMode::kReadOnly;
    ASSERT_TRUE(Store::Open(o).ok());
    EXPECT_TRUE(std::filesystem::exists(storage::HistoryRebuildDir(dir.path())));
  }
  {
    auto store = OpenExisting(dir.path());
    ASSERT_NE(store, nullptr);
    // The read-write open holds the database lock: the killed run's files go at once.
    EXPECT_FALSE(std::filesystem::exists(storage::HistoryRebuildDir(dir.path())));
    ASSERT_FALSE(store->MaintainsHistories());
    ExpectRangeScanEqualsEvents(*store);  // scans `events`
    std::mt19937_64 rng(52);
    WriteRandom(*store, rng, 10, 100, 30);
    auto rebuilt = store->RebuildHistories();
    ASSERT_TRUE(rebuilt.ok()) << rebuilt.status().ToString();
    EXPECT_TRUE(rebuilt->rebuilt);
  }
  ExpectReopenedUpgraded(dir.path());
  EXPECT_FALSE(std::filesystem::exists(storage::HistoryRebuildDir(dir.path())));
}

// A rebuild that fails while packing (here a damaged events key at the very end of the key
// space, so the other slices have written their files by then) removes its work folder: after
// a full disk, its files would otherwise keep the disk full. The store stays schema 1, and a
// rerun once the damage is repaired completes.
TEST(UpgradeTest, AFailedRebuildRemovesItsWorkFolder) {
  TempDir dir;
  MakeSchemaOneStore(dir.path(), 10, 30, 71);
  const std::string damaged(storage::kPersonPrefixSize + 1, '\xff');
  {
    RawDb raw(dir.path());
    ASSERT_TRUE(raw.db->Put({}, raw.handles[storage::kEventsIdx], damaged, "x").ok());
  }
  {
    auto store = OpenExisting(dir.path());
    ASSERT_NE(store, nullptr);
    auto rebuilt = store->RebuildHistories();
    ASSERT_FALSE(rebuilt.ok());
    EXPECT_EQ(rebuilt.status().code(), StatusCode::kCorruption) << rebuilt.status().ToString();
    EXPECT_FALSE(std::filesystem::exists(storage::HistoryRebuildDir(dir.path())));
    EXPECT_FALSE(store->MaintainsHistories());
    EXPECT_EQ(StoredSchema(*store), 1u);
  }
  {
    RawDb raw(dir.path());
    ASSERT_TRUE(raw.db->Delete({}, raw.handles[storage::kEventsIdx], damaged).ok());
  }
  {
    auto store = OpenExisting(dir.path());
    ASSERT_NE(store, nullptr);
    auto rebuilt = store->RebuildHistories();
    ASSERT_TRUE(rebuilt.ok()) << rebuilt.status().ToString();
    EXPECT_TRUE(rebuilt->rebuilt);
  }
  ExpectReopenedUpgraded(dir.path());
}

TEST(UpgradeTest, EmptySchemaOneStoreWithoutTheFamilyIsUpgraded) {
  TempDir dir;
  { auto store = OpenStore(dir.path()); }
  RawDb(dir.path()).MakeSchemaOne();
  {
    auto store = OpenExisting(dir.path());
    ASSERT_NE(store, nullptr);
    ASSERT_FALSE(store->MaintainsHistories());
    auto rebuilt = store->RebuildHistories();
    ASSERT_TRUE(rebuilt.ok()) << rebuilt.status().ToString();
    EXPECT_TRUE(rebuilt->rebuilt);
    EXPECT_EQ(rebuilt->persons, 0u);
    EXPECT_EQ(rebuilt->events, 0u);
    std::mt19937_64 rng(61);
    WriteRandom(*store, rng, 3, 100, 10);
  }
  auto store = OpenExisting(dir.path());
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->MaintainsHistories());
  ExpectRangeScanEqualsEvents(*store);
}

// Runs in the forked child: opens the store, says so through the pipe, and rebuilds. With
// `die_at_ingestion` it kills itself when the packing is done, just before the ingestion.
[[noreturn]] void ChildRebuilds(const std::string& path, int ready_fd, bool die_at_ingestion) {
  StoreOptions o;
  o.path = path;
  o.create_if_missing = false;
  auto store = Store::Open(o);
  if (!store.ok()) _exit(3);
  const char ready = 'r';
  if (write(ready_fd, &ready, 1) != 1) _exit(5);
  auto rebuilt = (*store)->RebuildHistories([die_at_ingestion](const HistoriesRebuildProgress& p) {
    if (die_at_ingestion && p.ingesting) raise(SIGKILL);
  });
  _exit(rebuilt.ok() ? 0 : 4);
}

TEST(UpgradeTest, KilledAtAnyPointLeavesSchemaOneOrACompleteCopyAndRerunCompletes) {
#if defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "fork of a multi-threaded process is not supported under ThreadSanitizer";
#endif
  TempDir dir;
  const std::string original = dir.path("original");
  MakeSchemaOneStore(original, 60, 300, 71);
  std::vector<SeenEvent> events;
  {
    auto store = OpenExisting(original);
    ASSERT_NE(store, nullptr);
    events = PerPersonScan(*store, {});
  }
  // How long a rebuild takes here, on a copy: the kills are spread over it.
  std::chrono::microseconds span{0};
  {
    const std::string probe = dir.path("probe");
    std::filesystem::copy(original, probe, std::filesystem::copy_options::recursive);
    auto store = OpenExisting(probe);
    ASSERT_NE(store, nullptr);
    const auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(store->RebuildHistories().ok());
    span = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                 start);
  }
  std::mt19937_64 rng(72);
  int upgraded = 0;
  int schema_one = 0;
  constexpr int kRounds = 12;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const std::string path = dir.path("round" + std::to_string(round));
    std::filesystem::copy(original, path, std::filesystem::copy_options::recursive);
    // The last round kills at a fixed point: everything packed, nothing ingested.
    const bool at_ingestion = round == kRounds - 1;
    int ready_fd = -1;
    const pid_t child =
        ForkWithPipe(&ready_fd, [&](int write_fd) { ChildRebuilds(path, write_fd, at_ingestion); });
    ASSERT_GE(child, 0);
    char ready = 0;
    ASSERT_EQ(read(ready_fd, &ready, 1), 1);
    close(ready_fd);
    if (!at_ingestion) {
      // Anywhere from the start of the rebuild to well past its usual end (the child, just
      // forked, is slower than the probe).
      const auto delay = std::uniform_int_distribution<int64_t>(0, span.count() * 2)(rng);
      std::this_thread::sleep_for(std::chrono::microseconds(delay));
      kill(child, SIGKILL);
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0))
        << "child exited with " << WEXITSTATUS(status);

    {
      auto store = OpenExisting(path);
      ASSERT_NE(store, nullptr);
      EXPECT_EQ(PerPersonScan(*store, {}), events);  // the events are never touched
      if (store->MaintainsHistories()) {
        ++upgraded;
        EXPECT_EQ(StoredSchema(*store), kStoreSchemaVersion);
        EXPECT_EQ(RangeScan(*store, {}), events);
      } else {
        ++schema_one;
        EXPECT_EQ(StoredSchema(*store), 1u);
        EXPECT_EQ(RangeScan(*store, {}), events);  // scans `events`
      }
      auto rerun = store->RebuildHistories();
      ASSERT_TRUE(rerun.ok()) << rerun.status().ToString();
    }
    ExpectReopenedUpgraded(path);
    std::filesystem::remove_all(path);
  }
  // The kills landed on both sides of the mark at least once (the last round always before).
  EXPECT_GT(schema_one, 0);
  std::printf("[          ] %d rounds killed before the mark, %d after (rebuild ~%lld us)\n",
              schema_one, upgraded, static_cast<long long>(span.count()));
}

}  // namespace
}  // namespace vigil

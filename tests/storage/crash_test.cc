// Kill -9 during batched writes: every acknowledged batch survives, no batch is half there.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tests/storage/test_util.h"

// ThreadSanitizer cannot follow a child forked from a multi-threaded process (RocksDB's
// background threads); the release and ASan runs cover these tests.
#if defined(__SANITIZE_THREAD__)
#define VIGIL_SKIP_FORK_UNDER_TSAN() \
  GTEST_SKIP() << "fork of a multi-threaded process is not supported under ThreadSanitizer"
#else
#define VIGIL_SKIP_FORK_UNDER_TSAN() static_cast<void>(0)
#endif

namespace vigil {
namespace {

using namespace vigil::testing;  // NOLINT(google-build-using-namespace)

constexpr int kPersons = 13;
constexpr int kRowsPerBatch = 60;

RecordBatch CrashBatch(uint32_t id) {
  RecordBatch b;
  for (int j = 0; j < kRowsPerBatch; ++j) {
    const std::string person =
        PersonId(static_cast<int>((id + static_cast<uint32_t>(j)) % kPersons));
    // Distinct occurred_at per (batch, row) so every signal is a new row tagged with its batch.
    b.Add(MakeSignal(person, static_cast<SignalSource>(j % 12),
                     TimestampFromSeconds(1600000000 + int64_t{id} * 1000 + j), Tag("b", id)));
  }
  // A payment corrected back and forth between persons: replacements in the same batches.
  b.Add(MakePayment(Tag("PAY", id % 5), PersonId(static_cast<int>(id % kPersons)),
                    D(2022, 1 + id % 12, 10), 1000 + id));
  return b;
}

// Forks `child` (handed the write end of a pipe, on which it reports each acknowledged id),
// lets it acknowledge `kill_after` ids, kills it with SIGKILL and returns every id it
// acknowledged, those still in the pipe included. Empty when the child did not die by the kill.
template <typename Child>
std::vector<uint32_t> KillAfterAcks(size_t kill_after, Child&& child) {
  int ack_fd = -1;
  const pid_t pid = ForkWithPipe(&ack_fd, std::forward<Child>(child));
  if (pid < 0) return {};
  std::vector<uint32_t> acked;
  uint32_t id = 0;
  while (acked.size() < kill_after && read(ack_fd, &id, sizeof id) == sizeof id) {
    acked.push_back(id);
  }
  const bool killed = kill(pid, SIGKILL) == 0;
  // Acks already in the pipe were acknowledged before the kill: they count too.
  while (read(ack_fd, &id, sizeof id) == sizeof id) acked.push_back(id);
  close(ack_fd);
  int status = 0;
  if (!killed || waitpid(pid, &status, 0) != pid || !WIFSIGNALED(status)) {
    ADD_FAILURE() << "the child was not killed (exit status " << WEXITSTATUS(status) << ")";
    return {};
  }
  return acked;
}

// Runs in the forked child: writes batches forever, reporting each acknowledged id.
[[noreturn]] void ChildWrites(const std::string& path, int ack_fd) {
  StoreOptions o;
  o.path = path;
  o.write_buffer_bytes = 1 << 20;
  o.block_cache_bytes = 8 << 20;
  auto store = Store::Open(o);
  if (!store.ok()) _exit(3);
  for (uint32_t id = 0;; ++id) {
    RecordBatch b = CrashBatch(id);
    if (!(*store)->Write(b).ok()) _exit(4);
    if (write(ack_fd, &id, sizeof id) != sizeof id) _exit(5);
  }
}

TEST(CrashTest, KillDuringBatchedWritesLosesNoAcknowledgedBatchAndLeavesNoPartialOne) {
  VIGIL_SKIP_FORK_UNDER_TSAN();
  TempDir dir;
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    // Let it get well into its stride (more each round), then kill it mid-write.
    const size_t kill_after = 40 + 60 * static_cast<size_t>(round);
    const std::vector<uint32_t> acked =
        KillAfterAcks(kill_after, [&](int write_fd) { ChildWrites(dir.path(), write_fd); });
    ASSERT_GE(acked.size(), kill_after);

    auto store = OpenStore(dir.path());
    ASSERT_NE(store, nullptr);
    std::map<uint32_t, int> rows_of_batch;
    for (int p = 0; p < kPersons; ++p) {
      ASSERT_TRUE(store
                      ->VisitHistory(
                          PersonKey(PersonId(p)), {},
                          [&](const EventView& e) {
                            if (e.kind != EventKind::kSignal) return true;
                            auto s = e.AsSignal();
                            EXPECT_TRUE(s.ok());
                            ++rows_of_batch[static_cast<uint32_t>(std::stoul(s->place.substr(1)))];
                            return true;
                          })
                      .ok());
    }
    for (uint32_t a : acked) EXPECT_EQ(rows_of_batch[a], kRowsPerBatch) << "acked batch " << a;
    for (const auto& [batch, n] : rows_of_batch) {
      EXPECT_EQ(n, kRowsPerBatch) << "batch " << batch << " is partial";
    }
    for (int p = 0; p < kPersons; ++p) {
      const uint64_t pk = PersonKey(PersonId(p));
      std::vector<std::pair<Month, MonthAggregate>> stored;
      ASSERT_TRUE(store->GetAggregateBuckets(pk, &stored).ok());
      std::erase_if(stored, [](const auto& b) { return b.second.empty(); });
      EXPECT_EQ(stored, RecomputeBuckets(*store, pk)) << "person " << p;
    }
    // The packed histories were in the same WriteBatches: they equal the events too.
    ASSERT_TRUE(store->MaintainsHistories());
    EXPECT_EQ(RangeScan(*store, {}), PerPersonScan(*store, {}));
    // The next round's child writes the same batch ids again on top: all unchanged or
    // replaced, never a duplicate, which the checks above would catch.
  }
}

// The cases of score run `run`: a different set of keys each run, every value naming the run.
std::vector<std::pair<std::string, std::string>> CasesOfRun(uint32_t run) {
  std::vector<std::pair<std::string, std::string>> cases;
  for (uint32_t k = 0; k < 300; ++k) {
    if ((k + run) % 3 == 0) continue;
    cases.emplace_back("case-" + std::to_string(k), "run " + std::to_string(run));
  }
  return cases;
}

// Runs in the forked child: replaces the cases run after run, reporting each acknowledged run.
[[noreturn]] void ChildReplacesCases(const std::string& path, int ack_fd) {
  StoreOptions o;
  o.path = path;
  o.write_buffer_bytes = 1 << 20;
  auto store = Store::Open(o);
  if (!store.ok()) _exit(3);
  for (uint32_t run = 0;; ++run) {
    const auto cases = CasesOfRun(run);
    std::vector<Store::KeyValue> writes;
    writes.reserve(cases.size());
    for (const auto& [key, value] : cases) writes.push_back({key, value});
    const std::string run_id = std::to_string(run);
    const Store::KeyValue meta[] = {{"last_score_run", run_id}};
    if (!(*store)->ReplaceCases(writes, meta).ok()) _exit(4);
    if (write(ack_fd, &run, sizeof run) != sizeof run) _exit(5);
  }
}

TEST(CrashTest, KillDuringCaseReplacementLeavesOneRunsCasesWhole) {
  VIGIL_SKIP_FORK_UNDER_TSAN();
  TempDir dir;
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const size_t kill_after = 20 + 30 * static_cast<size_t>(round);
    const std::vector<uint32_t> acked =
        KillAfterAcks(kill_after, [&](int write_fd) { ChildReplacesCases(dir.path(), write_fd); });
    ASSERT_GE(acked.size(), kill_after);
    const uint32_t last_acked = acked.back();

    auto store = OpenStore(dir.path());
    ASSERT_NE(store, nullptr);
    auto stored_run = store->GetMeta("last_score_run");
    ASSERT_TRUE(stored_run.ok());
    const uint32_t last = static_cast<uint32_t>(std::stoul(*stored_run));
    EXPECT_GE(last, last_acked);
    std::vector<std::pair<std::string, std::string>> stored;
    ASSERT_TRUE(store
                    ->ScanCases([&](std::string_view k, std::string_view v) {
                      stored.emplace_back(k, v);
                      return true;
                    })
                    .ok());
    auto expected = CasesOfRun(last);
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(stored, expected);
  }
}

// A write-ahead log damaged before its end (not the torn tail a kill leaves): RocksDB's default
// replay stopped at the damage and opened without a word, dropping every acknowledged write
// after it. The store refuses to open, naming the damage, unless told to recover to the last
// consistent point.
TEST(CrashTest, AWalDamagedBeforeItsEndRefusesToOpenUnlessToldToRecover) {
  VIGIL_SKIP_FORK_UNDER_TSAN();
  TempDir dir;
  const std::string path = dir.path("db");
  {
    auto store = OpenStore(path);  // created, closed: the next writes land in a new log only
  }
  // A child writes 40 batches and ends without closing the store: they are in the log only.
  const auto acked = KillAfterAcks(40, [&](int ack_fd) {
    StoreOptions o;
    o.path = path;
    auto store = Store::Open(o);
    if (!store.ok()) _exit(3);
    for (uint32_t id = 0; id < 40; ++id) {
      RecordBatch b = CrashBatch(id);
      if (!(*store)->Write(b).ok()) _exit(4);
      if (write(ack_fd, &id, sizeof id) != sizeof id) _exit(5);
    }
    pause();  // killed here, the log whole
    _exit(0);
  });
  ASSERT_EQ(acked.size(), 40u);
  std::string log;
  uintmax_t largest = 0;
  for (const auto& e : std::filesystem::directory_iterator(path)) {
    if (e.path().extension() == ".log" && e.file_size() > largest) {
      largest = e.file_size();
      log = e.path().string();
    }
  }
  ASSERT_FALSE(log.empty());
  {
    // One bit flipped a third of the way in: the batches after it would be lost.
    std::FILE* f = std::fopen(log.c_str(), "r+b");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(std::fseek(f, static_cast<long>(largest / 3), SEEK_SET), 0);
    const int c = std::fgetc(f);
    ASSERT_EQ(std::fseek(f, static_cast<long>(largest / 3), SEEK_SET), 0);
    std::fputc(c ^ 0x10, f);
    std::fclose(f);
  }
  StoreOptions strict;
  strict.path = path;
  auto refused = Store::Open(strict);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kCorruption);
  EXPECT_NE(refused.status().message().find("recover_wal_to_consistent_point"), std::string::npos)
      << refused.status().message();

  StoreOptions recover = strict;
  recover.recover_wal_to_consistent_point = true;
  auto recovered = Store::Open(recover);
  ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
}

}  // namespace
}  // namespace vigil

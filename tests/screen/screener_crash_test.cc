// kill -9 of a screening process: every decision it returned is in the audit journal exactly
// once (as a first decision), a torn write at the journal's tail is dropped, and a restarted
// screener answers every returned decision as a repeat.
//
// The parent test runs this same binary as a child (ScreenerCrashChild.Screen, which does
// nothing unless VIGIL_SCREEN_CRASH_DB names a store), reads the payment ids the child reports
// after each Screen / ScreenBatch returned, and kills the child while it is writing.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "screen_test_util.h"
#include "vigil/screener.h"

extern char** environ;

namespace vigil {
namespace {

using testing::Request;
using testing::TempDir;

const std::string kLiving = testing::Id("37020219500301101");
const std::string kDeceased = testing::Id("37020319520815103");
const char* kAccount = "6222000011112222";
constexpr int64_t kBenefit = 342150;
constexpr char kDbVariable[] = "VIGIL_SCREEN_CRASH_DB";

void Populate(Store& store) {
  RecordBatch batch;
  batch.Add(testing::Person(kLiving, 3702, kBenefit, kAccount));
  batch.Add(testing::Person(kDeceased, 3702, kBenefit, kAccount));
  batch.Add(testing::Registry(kDeceased, RegistryEvent::kDeath, "2024-02-10", "2024-03-01"));
  ASSERT_TRUE(store.Write(batch).ok());
  ASSERT_TRUE(store.PutMeta("last_score_run", "2024-06-30/default-1/crash").ok());
}

// A request of its own period per payment id, so that every answer is a first decision.
PaymentRequest Nth(int n) {
  const char* periods[] = {"2024-07", "2024-08", "2024-09", "2024-10"};
  PaymentRequest r = Request(testing::Name("K", n), n % 3 == 0 ? kDeceased : kLiving, 3702,
                             periods[n % 4], kBenefit + n, kAccount);
  return r;
}

// The child: screens until killed, one request at a time and in small batches, and prints
// "DECIDED <n> <action>" after each call returned.
TEST(ScreenerCrashChild, Screen) {
  const char* db = std::getenv(kDbVariable);
  if (db == nullptr) GTEST_SKIP() << "run by ScreenerCrashTest only";
  auto store = Store::Open(testing::StoreAt(db));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto screener = Screener::Open(**store, Policy::Defaults());
  ASSERT_TRUE(screener.ok()) << screener.status().ToString();
  for (int n = 0;;) {
    if (n % 64 < 32) {
      auto d = (*screener)->Screen(Nth(n));
      ASSERT_TRUE(d.ok()) << d.status().ToString();
      std::printf("DECIDED %d %s\n", n, std::string(CodeName(d->action)).c_str());
      ++n;
    } else {
      std::vector<PaymentRequest> batch;
      for (int i = 0; i < 16; ++i) batch.push_back(Nth(n + i));
      std::vector<Result<Decision>> out;
      ASSERT_TRUE((*screener)->ScreenBatch(batch, &out).ok());
      for (int i = 0; i < 16; ++i) {
        std::printf("DECIDED %d %s\n", n + i, std::string(CodeName(out[i]->action)).c_str());
      }
      n += 16;
    }
    std::fflush(stdout);
  }
}

TEST(ScreenerCrashTest, KillNineLosesAndDuplicatesNoAuditEntryOfAReturnedDecision) {
  TempDir dir;
  const std::string db = dir / "db";
  {
    auto store = Store::Open(testing::StoreAt(db));
    ASSERT_TRUE(store.ok());
    Populate(**store);
  }
  for (int round = 0; round < 3; ++round) {
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
    std::vector<std::string> env_text;
    for (char** e = environ; *e != nullptr; ++e) env_text.emplace_back(*e);
    env_text.push_back(std::string(kDbVariable) + "=" + db);
    std::vector<char*> envp;
    for (std::string& e : env_text) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::string self = "/proc/self/exe";
    std::string filter = "--gtest_filter=ScreenerCrashChild.Screen";
    char* argv[] = {self.data(), filter.data(), nullptr};
    pid_t child = 0;
    ASSERT_EQ(posix_spawn(&child, self.c_str(), &actions, nullptr, argv, envp.data()), 0);
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_fds[1]);

    // Read reports until a few hundred decisions came back (a different point each round),
    // then kill the child wherever it is.
    const int stop_after = 150 + round * 170;
    std::map<int, std::string> returned;
    FILE* from_child = ::fdopen(pipe_fds[0], "r");
    char line[256];
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (static_cast<int>(returned.size()) < stop_after &&
           std::chrono::steady_clock::now() < deadline &&
           std::fgets(line, sizeof line, from_child) != nullptr) {
      int n = 0;
      char action[16] = {};
      if (std::sscanf(line, "DECIDED %d %15s", &n, action) == 2) returned[n] = action;
    }
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    // What the child printed before it died (the pipe holds it) was returned too.
    while (std::fgets(line, sizeof line, from_child) != nullptr) {
      int n = 0;
      char action[16] = {};
      if (std::sscanf(line, "DECIDED %d %15s", &n, action) == 2) returned[n] = action;
    }
    std::fclose(from_child);
    ASSERT_GE(static_cast<int>(returned.size()), stop_after) << "the child stopped early";

    // Wherever the kill fell, a write cut short is also simulated: the head of a record
    // whose bytes never all arrived, after the last one (a SIGKILL during a batch's write).
    const std::string journal = db + "/screen-audit";
    std::string last_segment;
    for (const auto& e : std::filesystem::directory_iterator(journal)) {
      if (e.path().extension() == ".seg" && e.path().string() > last_segment) {
        last_segment = e.path().string();
      }
    }
    ASSERT_FALSE(last_segment.empty());
    {
      std::FILE* f = std::fopen(last_segment.c_str(), "ab");
      ASSERT_NE(f, nullptr);
      const unsigned char torn[12] = {200, 0, 0, 0, 1, 2, 3, 4, 0xa5, 3, 0, 0};
      ASSERT_EQ(std::fwrite(torn, 1, sizeof torn, f), sizeof torn);
      std::fclose(f);
    }

    // Every returned decision has exactly one first entry (no repeat: each id was sent once).
    std::map<std::string, int> entries;
    auto scan = ScanScreenerAudit(db, [&](std::string_view e) {
      auto j = nlohmann::json::parse(AuditEntryJson(e).value());
      EXPECT_FALSE(j.value("repeated", false));
      ++entries[j.at("payment_id").get<std::string>()];
      return true;
    });
    ASSERT_TRUE(scan.ok()) << scan.status().ToString();
    EXPECT_GE(scan->torn_tail_bytes, 12u);
    for (const auto& [n, action] : returned) {
      EXPECT_EQ(entries[testing::Name("K", n)], 1) << "payment K" << n << ", round " << round;
    }
    // A restarted screener truncates the torn tail and repeats them.
    auto store = Store::Open(testing::StoreAt(db));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto screener = Screener::Open(**store, Policy::Defaults());
    ASSERT_TRUE(screener.ok()) << screener.status().ToString();
    for (const auto& [n, action] : returned) {
      auto d = (*screener)->Screen(Nth(n));
      ASSERT_TRUE(d.ok());
      EXPECT_TRUE(d->repeated) << n;
      EXPECT_EQ(CodeName(d->action), action) << n;
    }
    // What it writes now follows the last intact entry: read back intact by the next process.
    PaymentRequest after = Nth(1);
    after.payment_id = testing::Name("AFTER", round);
    auto decided = (*screener)->Screen(after);
    ASSERT_TRUE(decided.ok());
    screener->reset();
    auto rescan = ScanScreenerAudit(db, nullptr);
    ASSERT_TRUE(rescan.ok()) << rescan.status().ToString();
    EXPECT_EQ(rescan->torn_tail_bytes, 0u);
    EXPECT_EQ(rescan->entries, scan->entries + returned.size() + 1);
    screener = Screener::Open(**store, Policy::Defaults());
    ASSERT_TRUE(screener.ok()) << screener.status().ToString();
    auto again = (*screener)->Screen(after);
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(again->repeated);
    EXPECT_EQ(again->action, decided->action);
    screener->reset();
    store->reset();
    if (HasFailure()) break;
    // The next child sends the same ids from 0 again: each round crashes on a fresh store.
    std::error_code ec;
    std::filesystem::remove_all(db, ec);
    auto fresh = Store::Open(testing::StoreAt(db));
    ASSERT_TRUE(fresh.ok());
    Populate(**fresh);
  }
}

}  // namespace
}  // namespace vigil

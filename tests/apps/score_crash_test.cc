// `vigil score` killed with SIGKILL at random moments, over and over: every output file stays
// whole (the earlier run's or the new run's, never a part), and the store holds exactly one
// run's cases, the run its meta names; the run manifest (run.json), when there is one, names
// the run whose files are all in the folder, with their sizes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "shell_command.h"
#include "vigil/store.h"

namespace vigil::cli {
namespace {

constexpr const char* kFiles[] = {"cases.csv", "cases.jsonl", "certification.csv"};

// What one finished run left: the three files and the cases it stored, with its run id.
struct RunOutputs {
  std::vector<std::string> files;
  std::multiset<std::string> stored;
  std::string run;
};

// The run the folder's manifest names, or "" when there is none; checks the sizes it gives.
std::string ManifestRun(const std::string& out_dir) {
  const std::string text = ReadWholeFile(out_dir + "/run.json");
  if (text.empty()) return "";
  const nlohmann::json manifest = nlohmann::json::parse(text);
  for (const char* f : kFiles) {
    EXPECT_EQ(manifest.at("files").at(f).at("bytes").get<uintmax_t>(),
              std::filesystem::file_size(out_dir + "/" + f))
        << f;
  }
  return manifest.at("run").get<std::string>();
}

std::multiset<std::string> JsonLines(const std::string& text) {
  std::multiset<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.insert(line);
  return lines;
}

// The store's cases and last run, read the way the console reads them.
bool ReadStore(const std::string& db, std::multiset<std::string>* stored, std::string* run) {
  StoreOptions o;
  o.path = db;
  o.create_if_missing = false;
  auto store = Store::Open(o);
  if (!store.ok()) {
    ADD_FAILURE() << store.status().ToString();
    return false;
  }
  stored->clear();
  const Status scanned = (*store)->ScanCases([&](std::string_view, std::string_view value) {
    stored->emplace(value);
    return true;
  });
  auto last = (*store)->GetMeta("last_score_run");
  if (!scanned.ok() || !last.ok()) {
    ADD_FAILURE() << "cannot read the store's cases or last run";
    return false;
  }
  *run = *last;
  return true;
}

class ScoreCrashTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir() + "/vigil_score_crash_" + std::to_string(getpid());
    std::filesystem::remove_all(dir_);
    std::string out;
    ASSERT_TRUE(GenerateAndIngestSmallCity(Vigil(), dir_, Db(), &out)) << out;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static std::string Vigil() { return VIGIL_EXE; }
  std::string Db() const { return dir_ + "/db"; }
  std::string Out() const { return dir_ + "/out"; }

  // Scores as of `as_of` into the shared output folder, to the end.
  RunOutputs ScoreToTheEnd(const std::string& as_of) {
    RunOutputs r;
    std::string out;
    EXPECT_EQ(RunShellCommand(
                  Vigil() + " score --db " + Db() + " --as-of " + as_of + " --out " + Out(), &out),
              0)
        << out;
    for (const char* f : kFiles) r.files.push_back(ReadWholeFile(Out() + "/" + f));
    EXPECT_TRUE(ReadStore(Db(), &r.stored, &r.run));
    EXPECT_EQ(r.stored, JsonLines(r.files[1])) << "the store holds the run's cases.jsonl lines";
    EXPECT_EQ(ManifestRun(Out()), r.run);
    return r;
  }

  // Starts `vigil score` as of `as_of` and kills it after `delay`.
  void ScoreKilledAfter(const std::string& as_of, std::chrono::microseconds delay) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      const int null_fd = open("/dev/null", O_WRONLY);
      dup2(null_fd, STDOUT_FILENO);
      dup2(null_fd, STDERR_FILENO);
      const std::string db = Db(), out = Out();
      execl(VIGIL_EXE, VIGIL_EXE, "score", "--db", db.c_str(), "--as-of", as_of.c_str(), "--out",
            out.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    std::this_thread::sleep_for(delay);
    kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    // It may have finished before the kill: then it exited 0.
    ASSERT_TRUE(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0));
  }

  std::string dir_;
};

TEST_F(ScoreCrashTest, KilledAtAnyMomentLeavesWholeFilesAndOneRunsCases) {
  const std::string earlier_date = "2026-09-30";
  const std::string later_date = "2026-10-31";
  // Both runs to the end first: what each leaves, and how long a run takes (the shorter of
  // the two, so that most kills land before the end).
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  const RunOutputs later = ScoreToTheEnd(later_date);
  auto run_time = Clock::now() - start;
  start = Clock::now();
  const RunOutputs earlier = ScoreToTheEnd(earlier_date);
  run_time = std::min(run_time, Clock::now() - start);
  ASSERT_NE(earlier.run, later.run);
  for (size_t f = 0; f < std::size(kFiles); ++f) ASSERT_NE(earlier.files[f], later.files[f]);

  std::mt19937 rng(17);
  const auto span = std::chrono::duration_cast<std::chrono::microseconds>(run_time);
  std::uniform_int_distribution<int64_t> delay_us(0, span.count() * 6 / 5);
  int killed_mid_way = 0;
  for (int round = 0; round < 12; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    ScoreKilledAfter(later_date, std::chrono::microseconds(delay_us(rng)));
    for (size_t f = 0; f < std::size(kFiles); ++f) {
      const std::string now = ReadWholeFile(Out() + "/" + kFiles[f]);
      EXPECT_TRUE(now == earlier.files[f] || now == later.files[f])
          << kFiles[f] << " is neither run's whole file";
    }
    const std::string manifest_run = ManifestRun(Out());
    if (!manifest_run.empty()) {
      ASSERT_TRUE(manifest_run == earlier.run || manifest_run == later.run) << manifest_run;
      const RunOutputs& named = manifest_run == later.run ? later : earlier;
      for (size_t f = 0; f < std::size(kFiles); ++f) {
        EXPECT_TRUE(ReadWholeFile(Out() + "/" + kFiles[f]) == named.files[f])
            << kFiles[f] << " is not of the run the manifest names";
      }
    }
    std::multiset<std::string> stored;
    std::string run;
    ASSERT_TRUE(ReadStore(Db(), &stored, &run));
    if (run == later.run) {
      EXPECT_EQ(stored, later.stored);
    } else {
      EXPECT_EQ(run, earlier.run);
      EXPECT_EQ(stored, earlier.stored);
      ++killed_mid_way;
    }
    // The next round starts from the earlier run again.
    if (run == later.run) ScoreToTheEnd(earlier_date);
  }
  // The delays spread over the whole run, so some kills came before the store's write.
  EXPECT_GT(killed_mid_way, 0);
}

}  // namespace
}  // namespace vigil::cli

// `vigil bench` end to end on a small city: the report's structure and its counts (what was
// generated is what was ingested, stored, scored and screened). No timing is asserted: the
// figures depend on the machine and its load.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class BenchCommandTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("vigil-bench-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs `vigil ARGS` with stdout and stderr into one file of the test folder (not a terminal,
  // so no progress line); returns the exit code and leaves the text in output_.
  int RunVigil(const std::string& args) {
    const fs::path log = dir_ / "output.txt";
    const std::string command =
        std::string(VIGIL_EXE) + " " + args + " > " + log.string() + " 2>&1";
    const int status = std::system(command.c_str());
    std::ifstream in(log);
    std::stringstream text;
    text << in.rdbuf();
    output_ = text.str();
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  fs::path dir_;
  std::string output_;
};

const json* Find(const json& list, const std::string& name) {
  for (const json& item : list) {
    if (item.at("name") == name) return &item;
  }
  return nullptr;
}

TEST_F(BenchCommandTest, ReportCountsMatchTheGeneratedCityAndEveryStageHasABaseline) {
  const fs::path report_path = dir_ / "r.json";
  const fs::path work = dir_ / "work";
  const int exit_code = RunVigil("bench --persons 2000 --seed 7 --threads 2 --work " +
                                 work.string() + " --out " + report_path.string());
  ASSERT_EQ(exit_code, 0) << output_;
  // The work folder the run created is gone (no --keep).
  EXPECT_FALSE(fs::exists(work)) << output_;
  // The table names every stage.
  for (const char* stage : {"ingest", "score", "screen_open", "screen_batch", "screen_single"}) {
    EXPECT_NE(output_.find(stage), std::string::npos) << stage << "\n" << output_;
  }

  std::ifstream in(report_path);
  ASSERT_TRUE(in.good());
  const json r = json::parse(in);
  EXPECT_EQ(r.at("run").at("persons"), 2000);
  EXPECT_EQ(r.at("run").at("seed"), 7);
  EXPECT_EQ(r.at("run").at("as_of"), "2026-10-31");
  EXPECT_FALSE(r.at("run").at("date").get<std::string>().empty());
  EXPECT_GE(r.at("machine").at("cores").get<int>(), 1);
  EXPECT_EQ(r.at("machine").at("threads"), 2);
  EXPECT_EQ(r.at("machine").at("load_average").size(), 3U);
  EXPECT_EQ(r.at("vigil").at("version").get<std::string>().rfind("0.", 0), 0U);

  const json& generated = r.at("generated");
  EXPECT_EQ(generated.at("persons"), 2000);
  const uint64_t generated_rows = generated.at("total_rows");
  const uint64_t generated_persons_rows = generated.at("rows").at("persons");
  ASSERT_GT(generated_rows, 0U);

  const json& stages = r.at("stages");
  const json& baselines = r.at("baselines");
  ASSERT_EQ(stages.size(), 5U);
  for (const json& s : stages) {
    for (const char* field : {"name", "unit", "count", "seconds", "per_second", "peak_rss_bytes",
                              "baseline", "seconds_over_baseline", "what"}) {
      EXPECT_TRUE(s.contains(field)) << s.at("name") << " lacks " << field;
    }
    const json* b = Find(baselines, s.at("baseline"));
    ASSERT_NE(b, nullptr) << s.at("name") << ": baseline " << s.at("baseline") << " absent";
    EXPECT_GT(b->at("count").get<uint64_t>(), 0U) << b->at("name");
    EXPECT_GT(s.at("peak_rss_bytes").get<uint64_t>(), 0U);
  }

  // Ingest read every generated row and loaded or rejected each one.
  const json* ingest = Find(stages, "ingest");
  ASSERT_NE(ingest, nullptr);
  EXPECT_EQ(ingest->at("count"), generated_rows);
  EXPECT_EQ(ingest->at("rows_read"), generated_rows);
  EXPECT_EQ(ingest->at("loaded").get<uint64_t>() + ingest->at("rejected").get<uint64_t>(),
            generated_rows);
  EXPECT_EQ(ingest->at("bulk"), true);

  // The raw write copied exactly the stored rows: one persons row per registration, and the
  // events that scoring then read (the city holds nothing known after its last day).
  const json* raw_write = Find(baselines, "raw_write");
  const json* raw_scan = Find(baselines, "raw_scan");
  ASSERT_NE(raw_write, nullptr);
  ASSERT_NE(raw_scan, nullptr);
  EXPECT_EQ(
      raw_write->at("count").get<uint64_t>(),
      raw_write->at("persons_rows").get<uint64_t>() + raw_write->at("events_rows").get<uint64_t>());
  EXPECT_LE(raw_write->at("count").get<uint64_t>(), ingest->at("loaded").get<uint64_t>());
  EXPECT_EQ(raw_write->at("events_rows"), raw_scan->at("count"));
  // Ingest is held against the table-file path of the same rows, and the ordinary write path.
  EXPECT_EQ(ingest->at("baseline"), "raw_sst_ingest");
  EXPECT_EQ(ingest->at("also_compared_with"), "raw_write");
  EXPECT_TRUE(ingest->contains("seconds_over_raw_write"));
  const json* raw_sst = Find(baselines, "raw_sst_ingest");
  ASSERT_NE(raw_sst, nullptr);
  EXPECT_EQ(raw_sst->at("count"), raw_write->at("count"));
  EXPECT_EQ(raw_sst->at("bytes"), raw_write->at("bytes"));

  const json* score = Find(stages, "score");
  ASSERT_NE(score, nullptr);
  EXPECT_EQ(score->at("registrations"), raw_write->at("persons_rows"));
  EXPECT_EQ(score->at("registrations"), generated_persons_rows);
  EXPECT_GE(score->at("count").get<uint64_t>(), score->at("registrations").get<uint64_t>());
  EXPECT_EQ(score->at("history_rows"), raw_scan->at("count"));
  // One certification row per registration and per registry-less claimant.
  EXPECT_GE(score->at("certified").get<uint64_t>() + score->at("needs_active").get<uint64_t>() +
                score->at("suspended").get<uint64_t>(),
            score->at("registrations").get<uint64_t>());

  const json* open = Find(stages, "screen_open");
  ASSERT_NE(open, nullptr);
  EXPECT_EQ(open->at("count"), score->at("count"));

  // Every payment of the payroll month got a decision; the baseline read each payee once.
  const json* batch = Find(stages, "screen_batch");
  ASSERT_NE(batch, nullptr);
  const uint64_t payroll = batch->at("count");
  EXPECT_GT(payroll, 0U);
  EXPECT_LE(payroll, generated_persons_rows);
  EXPECT_EQ(batch->at("errors"), 0);
  EXPECT_EQ(batch->at("pay").get<uint64_t>() + batch->at("hold").get<uint64_t>() +
                batch->at("block").get<uint64_t>(),
            payroll);
  EXPECT_EQ(Find(baselines, "raw_point_reads")->at("count"), payroll);

  const json* single = Find(stages, "screen_single");
  ASSERT_NE(single, nullptr);
  EXPECT_EQ(single->at("count").get<uint64_t>(), std::min<uint64_t>(2000, payroll));
  EXPECT_EQ(single->at("errors"), 0);
  EXPECT_TRUE(single->contains("p50_us"));
  EXPECT_TRUE(single->contains("p99_us"));
  const json* point = Find(baselines, "raw_point_read");
  ASSERT_NE(point, nullptr);
  EXPECT_EQ(point->at("count"), single->at("count"));
  EXPECT_TRUE(point->contains("p99_us"));
}

TEST_F(BenchCommandTest, RefusesAWorkFolderThatHoldsFiles) {
  std::ofstream(dir_ / "precious.txt") << "keep me";
  EXPECT_EQ(RunVigil("bench --persons 10 --work " + dir_.string()), 2) << output_;
  EXPECT_NE(output_.find("empty or new folder"), std::string::npos) << output_;
  EXPECT_TRUE(fs::exists(dir_ / "precious.txt"));
}

TEST_F(BenchCommandTest, AnUnwritableReportIsRefusedBeforeAnyWork) {
  const fs::path work = dir_ / "never";
  const fs::path report = dir_ / "no-such-folder" / "report.json";
  EXPECT_EQ(RunVigil("bench --persons 50 --work " + work.string() + " --out " + report.string()), 1)
      << output_;
  EXPECT_NE(output_.find("cannot write " + report.string() + ".tmp: No such file or directory"),
            std::string::npos)
      << output_;
  EXPECT_EQ(output_.find("persons"), std::string::npos) << "work began: " << output_;
  EXPECT_FALSE(fs::exists(work));
}

TEST_F(BenchCommandTest, AReportToDevNullIsWrittenInPlace) {
  ASSERT_EQ(RunVigil("bench --persons 50 --work " + (dir_ / "w").string() + " --out /dev/null"), 0)
      << output_;
  EXPECT_FALSE(fs::is_regular_file("/dev/null"));
  EXPECT_FALSE(fs::exists("/dev/null.tmp"));
}

// A pipe is written in place and opened once: a probe that opened it before the run would
// have ended its reader's input, and the report would then wait for a reader for ever.
TEST_F(BenchCommandTest, AReportToAPipeReachesItsReaderWhole) {
  const fs::path pipe = dir_ / "report.fifo";
  ASSERT_EQ(::mkfifo(pipe.c_str(), 0600), 0);
  std::string received;
  std::thread reader([&] {
    std::ifstream in(pipe);
    std::stringstream all;
    all << in.rdbuf();
    received = all.str();
  });
  const int code =
      RunVigil("bench --persons 50 --work " + (dir_ / "w").string() + " --out " + pipe.string());
  reader.join();
  ASSERT_EQ(code, 0) << output_;
  const json report = json::parse(received);
  EXPECT_EQ(report.at("run").at("persons"), 50);
}

TEST_F(BenchCommandTest, KeepLeavesTheWorkFolder) {
  const fs::path work = dir_ / "kept";
  ASSERT_EQ(RunVigil("bench --persons 50 --keep --work " + work.string()), 0) << output_;
  EXPECT_TRUE(fs::exists(work / "db" / "CURRENT"));
  EXPECT_TRUE(fs::exists(work / "city"));
}

}  // namespace

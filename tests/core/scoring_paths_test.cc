// The fast path of vigil score (one sequential scan per key range, records recycled between
// persons, certification rows written as batches finish, full outcomes kept only for persons
// with a rule hit) against the reference path (one seek per person, fresh records, everyone's
// outcome held to the end): on a generated city both must produce byte-identical cases and
// certification rows, whatever the batch size and whichever fusion decides.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "vigil/generator.h"
#include "vigil/ingest.h"
#include "vigil/policy.h"
#include "vigil/scoring.h"
#include "vigil/store.h"

namespace vigil {
namespace {

const Date kAsOf = Date(std::chrono::year(2026), std::chrono::month(10), std::chrono::day(31));

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class ScoringPathsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "vigil-scoring-paths-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = new std::filesystem::path(tmpl);
    GeneratorOptions gen;
    gen.out_dir = (*dir_ / "city").string();
    gen.persons = 2000;
    gen.seed = 11;
    gen.as_of = kAsOf;
    auto stats = GenerateCity(gen);
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
    StoreOptions so;
    so.path = (*dir_ / "db").string();
    auto store = Store::Open(so);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto ingested = IngestFolder(**store, gen.out_dir, (*dir_ / "rejects").string());
    ASSERT_TRUE(ingested.ok()) << ingested.status().ToString();
    store_ = store->release();
  }
  static void TearDownTestSuite() {
    delete store_;
    store_ = nullptr;
    std::error_code ec;
    if (dir_ != nullptr) std::filesystem::remove_all(*dir_, ec);
    delete dir_;
    dir_ = nullptr;
  }

  static ScoreSummary Score(const std::string& name, bool reference, size_t batch,
                            Date as_of = kAsOf) {
    ScoreOptions options;
    options.as_of = as_of;
    options.out_dir = (*dir_ / name).string();
    options.store_cases = false;
    options.reference_loader = reference;
    options.batch_persons = batch;
    auto summary = ScoreAll(*store_, Policy::Defaults(), options);
    EXPECT_TRUE(summary.ok()) << summary.status().ToString();
    return summary.ok() ? *summary : ScoreSummary{};
  }

  static void ExpectSameOutputs(const std::string& a, const std::string& b) {
    for (const char* file : {"cases.csv", "cases.jsonl", "certification.csv"}) {
      const std::string left = ReadFile(*dir_ / a / file);
      const std::string right = ReadFile(*dir_ / b / file);
      EXPECT_FALSE(left.empty()) << file;
      EXPECT_TRUE(left == right) << file << " differs between " << a << " and " << b;
    }
  }

  static std::filesystem::path* dir_;
  static Store* store_;
};

std::filesystem::path* ScoringPathsTest::dir_ = nullptr;
Store* ScoringPathsTest::store_ = nullptr;

TEST_F(ScoringPathsTest, FastLoaderDecidesExactlyAsTheReference) {
  const ScoreSummary ref = Score("reference", /*reference=*/true, 256);
  const ScoreSummary fast = Score("fast", /*reference=*/false, 256);
  EXPECT_GE(ref.persons, 2000u);
  EXPECT_EQ(fast.persons, ref.persons);
  EXPECT_EQ(fast.registrations, ref.registrations);
  EXPECT_EQ(fast.history_rows, ref.history_rows);
  EXPECT_EQ(fast.certified, ref.certified);
  EXPECT_EQ(fast.needs_active, ref.needs_active);
  EXPECT_EQ(fast.suspended, ref.suspended);
  EXPECT_EQ(fast.cases, ref.cases);
  EXPECT_EQ(fast.cases_per_pattern, ref.cases_per_pattern);
  EXPECT_GT(ref.cases, 0u);
  ExpectSameOutputs("reference", "fast");
}

TEST_F(ScoringPathsTest, BatchBoundariesDoNotChangeDecisions) {
  // Small, odd batches put many persons at the edges of a batch's scan.
  Score("reference-small", /*reference=*/true, 7);
  Score("fast-small", /*reference=*/false, 7);
  Score("fast-one", /*reference=*/false, 1);
  ExpectSameOutputs("reference-small", "fast-small");
  ExpectSameOutputs("reference-small", "fast-one");
}

TEST_F(ScoringPathsTest, StoredCasesAreTheJsonLines) {
  // The only run of the suite that stores its cases. An earlier run's case of a person this run
  // does not flag is removed by it: the store holds exactly this run's cases.
  ASSERT_TRUE(
      store_->PutCase(std::string(10, '\0'), R"({"run":"2020-01-31/default-1/earlier"})").ok());
  ScoreOptions options;
  options.as_of = kAsOf;
  options.out_dir = (*dir_ / "stored").string();
  options.store_cases = true;
  auto summary = ScoreAll(*store_, Policy::Defaults(), options);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  std::multiset<std::string> lines;
  std::istringstream jsonl(ReadFile(*dir_ / "stored" / "cases.jsonl"));
  for (std::string line; std::getline(jsonl, line);) lines.insert(line);
  std::multiset<std::string> stored;
  ASSERT_TRUE(store_
                  ->ScanCases([&](std::string_view, std::string_view value) {
                    stored.emplace(value);
                    return true;
                  })
                  .ok());
  EXPECT_GT(summary->cases, 0u);
  EXPECT_EQ(stored.size(), summary->cases);
  EXPECT_TRUE(stored == lines);
  auto run = store_->GetMeta("last_score_run");
  ASSERT_TRUE(run.ok());
  EXPECT_NE(lines.begin()->find("\"run\":\"" + *run + "\""), std::string::npos);
}

// How many cases the fast path derived again from a compact outcome (its --verbose stage).
uint64_t DerivedAgain(const ScoreSummary& summary) {
  const std::string prefix = "cases without rule hits derived again: ";
  for (const StageTiming& t : summary.stages) {
    if (t.stage.rfind(prefix, 0) == 0) return std::stoull(t.stage.substr(prefix.size()));
  }
  return 0;
}

TEST_F(ScoringPathsTest, LearnedFusionCasesWithoutHitsAreDerivedAgainExactly) {
  // The fast path keeps a full outcome only for persons with a rule hit; a fusion model that
  // finds doubtful certification risky makes many persons without a hit cases, whose outcomes
  // are derived again. Labels from certification: not certified = 1.
  Score("before-learned", /*reference=*/false, 256);
  FusionLabels labels;
  std::istringstream rows(ReadFile(*dir_ / "before-learned" / "certification.csv"));
  std::string line;
  std::getline(rows, line);  // header
  while (std::getline(rows, line)) {
    const size_t id_end = line.find(',');
    const size_t region_end = line.find(',', id_end + 1);
    const size_t outcome_end = line.find(',', region_end + 1);
    ASSERT_NE(outcome_end, std::string::npos) << line;
    const std::string outcome = line.substr(region_end + 1, outcome_end - region_end - 1);
    labels[line.substr(0, id_end)] = outcome == "CERTIFIED" ? 0 : 1;
  }
  ScoreOptions options;
  options.as_of = kAsOf;
  options.out_dir = (*dir_ / "train").string();
  auto trained = TrainFusion(*store_, Policy::Defaults(), options, labels);
  ASSERT_TRUE(trained.ok()) << trained.status().ToString();

  const ScoreSummary ref = Score("reference-learned", /*reference=*/true, 256);
  const ScoreSummary fast = Score("fast-learned", /*reference=*/false, 256);
  EXPECT_GT(DerivedAgain(fast), 50u);
  EXPECT_EQ(fast.cases, ref.cases);
  EXPECT_EQ(fast.cases_per_pattern, ref.cases_per_pattern);
  ExpectSameOutputs("reference-learned", "fast-learned");
}

bool HasStage(const ScoreSummary& summary, const std::string& stage) {
  for (const StageTiming& t : summary.stages) {
    if (t.stage == stage) return true;
  }
  return false;
}

bool HasNote(const ScoreSummary& summary, const std::string& part) {
  for (const std::string& note : summary.data_notes) {
    if (note.find(part) != std::string::npos) return true;
  }
  return false;
}

TEST_F(ScoringPathsTest, ABacktestBeforeTheFusionModelsDataUsesTheDefaultFusion) {
  // A model fitted on the data as of kAsOf decides runs as of kAsOf and later; a run of an
  // earlier date (a backtest), or a model of an older vigil train, gets the policy's default
  // fusion and a note saying why.
  const Date earlier = Date(std::chrono::year(2026), std::chrono::month(7), std::chrono::day(31));
  FusionLabels labels;
  Score("labels-source", /*reference=*/false, 256);
  std::istringstream rows(ReadFile(*dir_ / "labels-source" / "cases.csv"));
  std::string line;
  std::getline(rows, line);  // header
  while (std::getline(rows, line)) labels[line.substr(0, line.find(','))] = 1;
  std::istringstream certified(ReadFile(*dir_ / "labels-source" / "certification.csv"));
  std::getline(certified, line);
  for (int taken = 0; taken < 500 && std::getline(certified, line); ++taken) {
    labels.emplace(line.substr(0, line.find(',')), 0);
  }
  ScoreOptions options;
  options.as_of = kAsOf;
  options.out_dir = (*dir_ / "train-dated").string();
  ASSERT_TRUE(TrainFusion(*store_, Policy::Defaults(), options, labels).ok());

  const ScoreSummary backtest = Score("backtest", /*reference=*/false, 256, earlier);
  EXPECT_TRUE(HasStage(backtest, "fusion (policy default)"));
  EXPECT_TRUE(HasNote(backtest, "fitted on the data as of 2026-10-31, after this run's as-of"));
  EXPECT_EQ(backtest.model_id.find("/fusion-"), std::string::npos) << backtest.model_id;

  const ScoreSummary current = Score("current", /*reference=*/false, 256);
  EXPECT_TRUE(HasStage(current, "fusion (learned)"));
  EXPECT_FALSE(HasNote(current, "fusion model"));
  EXPECT_NE(current.model_id.find("/fusion-"), std::string::npos) << current.model_id;
  // The run id of every case names the learned fusion.
  EXPECT_NE(ReadFile(*dir_ / "current" / "cases.jsonl").find(current.model_id + "\""),
            std::string::npos);

  // A model of an older vigil train (bare model text: other inputs, no date) decides nothing.
  auto stored = store_->GetMeta("fusion_model");
  ASSERT_TRUE(stored.ok());
  const size_t model_start = stored->find("vigil-logistic");
  ASSERT_NE(model_start, std::string::npos);
  ASSERT_TRUE(store_->PutMeta("fusion_model", stored->substr(model_start)).ok());
  const ScoreSummary older = Score("older", /*reference=*/false, 256);
  EXPECT_TRUE(HasStage(older, "fusion (policy default)"));
  EXPECT_TRUE(HasNote(older, "not of this build's format (vigil-fusion 2)"));
  EXPECT_EQ(older.model_id.find("/fusion-"), std::string::npos) << older.model_id;

  ASSERT_TRUE(store_
                  ->PutMeta("fusion_model", "vigil-fusion 2\nfitted_as_of 2026-13-01\n" +
                                                stored->substr(model_start))
                  .ok());
  ScoreOptions bad;
  bad.as_of = kAsOf;
  bad.out_dir = (*dir_ / "bad-date").string();
  bad.store_cases = false;
  EXPECT_EQ(ScoreAll(*store_, Policy::Defaults(), bad).status().code(), StatusCode::kCorruption);
  ASSERT_TRUE(store_->PutMeta("fusion_model", *stored).ok());
}

// Too few persons to fit the isolation forest: the run id still names the model part, and a
// learned fusion's id would follow it.
TEST(ScoringTinyCityTest, AForestTooSmallToFitIsNamedInTheRunId) {
  std::string tmpl =
      (std::filesystem::temp_directory_path() / "vigil-scoring-tiny-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  const std::filesystem::path dir(tmpl);
  GeneratorOptions gen;
  gen.out_dir = (dir / "city").string();
  gen.persons = 1;
  gen.seed = 3;
  gen.as_of = kAsOf;
  ASSERT_TRUE(GenerateCity(gen).ok());
  {
    StoreOptions so;
    so.path = (dir / "db").string();
    auto store = Store::Open(so);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE(IngestFolder(**store, gen.out_dir, (dir / "rejects").string()).ok());
    ScoreOptions options;
    options.as_of = kAsOf;
    options.out_dir = (dir / "out").string();
    auto summary = ScoreAll(**store, Policy::Defaults(), options);
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    EXPECT_LE(summary->persons, 1u);
    EXPECT_EQ(summary->model_id, "iforest-none");
    EXPECT_NE(
        ReadFile(dir / "out" / "run.json").find("\"run\": \"2026-10-31/default-1/iforest-none\""),
        std::string::npos);
  }
  std::filesystem::remove_all(dir);
}

TEST(ScoringRefusalTest, AStoreHoldingAnInterruptedInitialLoadIsNotScored) {
  std::string tmpl =
      (std::filesystem::temp_directory_path() / "vigil-scoring-pending-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  const std::filesystem::path dir(tmpl);
  {
    StoreOptions so;
    so.path = (dir / "db").string();
    auto store = Store::Open(so);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    {
      auto writer = (*store)->StartBulkLoad();  // never finished: a killed initial load
      ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    }
    ScoreOptions options;
    options.as_of = kAsOf;
    options.out_dir = (dir / "out").string();
    EXPECT_EQ(ScoreAll(**store, Policy::Defaults(), options).status(),
              Status::FailedPrecondition(
                  "the store holds an interrupted initial load: run vigil ingest on that folder "
                  "again before scoring"));
    EXPECT_FALSE(std::filesystem::exists(dir / "out" / "cases.csv"));
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace vigil

// The main job on a small city: generate -> ingest -> score -> eval, through the real program.
// Bounds are floors that catch regressions, not the product targets (those are measured on
// 100,000+ persons and reported in docs/scoring.md).
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "evaluation.h"
#include "shell_command.h"

namespace vigil::cli {
namespace {

int RunVigilCommand(const std::string& args, std::string* output = nullptr) {
  return RunShellCommand(std::string(VIGIL_EXE) + " " + args, output);
}

size_t CountLines(const std::string& path) {
  std::ifstream in(path);
  size_t lines = 0;
  std::string line;
  while (std::getline(in, line)) ++lines;
  return lines;
}

class EndToEndTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::TempDir() + "/vigil_e2e_" + std::to_string(getpid()));
    std::filesystem::remove_all(*dir_);
    std::string out;
    ASSERT_EQ(RunVigilCommand("generate --out " + *dir_ + "/city --persons 3000 --seed 11", &out),
              0)
        << out;
    ASSERT_EQ(RunVigilCommand("ingest --db " + *dir_ + "/db " + *dir_ + "/city", &out), 0) << out;
    *ingest_output_ = out;
    ASSERT_EQ(RunVigilCommand(
                  "score --db " + *dir_ + "/db --as-of 2026-10-31 --out " + *dir_ + "/cases", &out),
              0)
        << out;
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  static std::string* dir_;
  static inline std::string* ingest_output_ = new std::string;
};
std::string* EndToEndTest::dir_ = nullptr;

TEST_F(EndToEndTest, IngestLoadsEveryGeneratedRowAndRejectsNone) {
  for (const char* feed :
       {"persons", "contributions", "payments", "signals", "registry", "appraisals"}) {
    const size_t generated = CountLines(*dir_ + "/city/" + feed + ".csv") - 1;
    const std::string needle = std::string(feed) + ".csv";
    const size_t at = ingest_output_->find(needle);
    ASSERT_NE(at, std::string::npos) << *ingest_output_;
    unsigned long long read = 0, loaded = 0, rejected = 0;
    ASSERT_EQ(std::sscanf(ingest_output_->c_str() + at + needle.size(), "%llu %llu %llu", &read,
                          &loaded, &rejected),
              3);
    EXPECT_EQ(read, generated) << feed;
    EXPECT_EQ(loaded, generated) << feed;
    EXPECT_EQ(rejected, 0u) << feed;
  }
}

TEST_F(EndToEndTest, ReloadingTheSameFeedsChangesNothing) {
  std::string out;
  ASSERT_EQ(RunVigilCommand("ingest --db " + *dir_ + "/db " + *dir_ + "/city", &out), 0) << out;
  const size_t at = out.find("signals.csv");
  ASSERT_NE(at, std::string::npos);
  unsigned long long read = 0, loaded = 0, rejected = 0, replaced = 0, unchanged = 0;
  ASSERT_EQ(std::sscanf(out.c_str() + at + 11, "%llu %llu %llu %llu %llu", &read, &loaded,
                        &rejected, &replaced, &unchanged),
            5);
  EXPECT_EQ(replaced, 0u);
  EXPECT_EQ(unchanged, read);
}

TEST_F(EndToEndTest, ScoringFindsTheDeadAndTheFraudsAndCertifiesTheLiving) {
  auto report = Evaluate(*dir_ + "/city/truth", *dir_ + "/cases");
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const auto& r = *report;
  const auto& deceased = r.patterns[static_cast<size_t>(Pattern::kDeceasedPaid)];
  EXPECT_GE(deceased.recall(), 0.9);
  EXPECT_GE(deceased.precision(), 0.8);
  EXPECT_GE(r.any.recall(), 0.85);
  EXPECT_LE(r.certification.dead_certified_share(), 0.05);
  EXPECT_GE(r.certification.living_certified_share(), 0.6);
  EXPECT_GT(r.certification.living, 2000u);
}

TEST_F(EndToEndTest, EvaluationReadsAGzippedTruthAsThePlainOne) {
  // `vigil generate --gzip` writes truth/persons.csv.gz; eval takes it when no plain file is there.
  const std::string gz_truth = *dir_ + "/truth-gz";
  std::filesystem::create_directories(gz_truth);
  std::ifstream plain(*dir_ + "/city/truth/persons.csv", std::ios::binary);
  std::ostringstream read;
  read << plain.rdbuf();
  const std::string bytes = read.str();
  gzFile out = gzopen((gz_truth + "/persons.csv.gz").c_str(), "wb");
  ASSERT_NE(out, nullptr);
  ASSERT_EQ(gzwrite(out, bytes.data(), static_cast<unsigned>(bytes.size())),
            static_cast<int>(bytes.size()));
  ASSERT_EQ(gzclose(out), Z_OK);
  auto from_plain = Evaluate(*dir_ + "/city/truth", *dir_ + "/cases");
  auto from_gz = Evaluate(gz_truth, *dir_ + "/cases");
  ASSERT_TRUE(from_plain.ok()) << from_plain.status().ToString();
  ASSERT_TRUE(from_gz.ok()) << from_gz.status().ToString();
  EXPECT_EQ(FormatReport(*from_gz), FormatReport(*from_plain));
  EXPECT_GT(from_gz->truth_persons, 0u);
  // Neither file: the error names the plain one, once.
  auto missing = Evaluate(*dir_ + "/no-truth-here", *dir_ + "/cases");
  ASSERT_FALSE(missing.ok());
  const std::string message = missing.status().ToString();
  const std::string path = *dir_ + "/no-truth-here/persons.csv";
  ASSERT_NE(message.find(path), std::string::npos) << message;
  EXPECT_EQ(message.find(path, message.find(path) + 1), std::string::npos) << message;
}

// A load of the fund's own ledgers alone (persons, contributions, payments: no agency's feed):
// nobody is known to another agency, and vigil score says which tests that turns off rather
// than accusing everyone without a footprint.
TEST_F(EndToEndTest, ScoringTheLedgersAloneSaysWhichTestsTheMissingFeedsTurnOff) {
  const std::string ledgers = *dir_ + "/ledgers";
  std::filesystem::create_directories(ledgers);
  for (const char* feed : {"persons", "contributions", "payments"}) {
    std::filesystem::copy_file(*dir_ + "/city/" + feed + ".csv", ledgers + "/" + feed + ".csv",
                               std::filesystem::copy_options::overwrite_existing);
  }
  std::string out;
  ASSERT_EQ(RunVigilCommand("ingest --db " + *dir_ + "/db_ledgers " + ledgers, &out), 0) << out;
  ASSERT_EQ(RunVigilCommand("score --db " + *dir_ + "/db_ledgers --as-of 2026-10-31 --out " +
                                *dir_ + "/cases_ledgers",
                            &out),
            0)
      << out;
  EXPECT_NE(out.find("vigil score: note: only 0.0% of the persons are known to another agency"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("rules.footprint_share_min"), std::string::npos) << out;
  EXPECT_NE(out.find("vigil score: note: no signal is known by 2026-10-31"), std::string::npos)
      << out;
  // With the feeds loaded, no such note.
  ASSERT_EQ(
      RunVigilCommand(
          "score --db " + *dir_ + "/db --as-of 2026-10-31 --out " + *dir_ + "/cases_again", &out),
      0)
      << out;
  EXPECT_EQ(out.find("feeds look missing"), std::string::npos) << out;
}

// Scoring as of a date months past the newest signal (a late delivery, or a mistyped date)
// asks nearly everyone to certify; vigil score says why, and says nothing when the feed is
// current.
TEST_F(EndToEndTest, ScoringPastTheNewestSignalSaysTheSignalsFeedLooksLate) {
  std::string out;
  ASSERT_EQ(
      RunVigilCommand(
          "score --db " + *dir_ + "/db --as-of 2027-01-31 --out " + *dir_ + "/cases_late", &out),
      0)
      << out;
  EXPECT_NE(out.find("vigil score: note: the newest signal is from 2026-10-"), std::string::npos)
      << out;
  EXPECT_NE(out.find("days before 2027-01-31: the signals feed looks late"), std::string::npos)
      << out;
  EXPECT_NE(out.find("certification.stale_feed_days 31"), std::string::npos) << out;
  ASSERT_EQ(
      RunVigilCommand(
          "score --db " + *dir_ + "/db --as-of 2026-10-31 --out " + *dir_ + "/cases_current", &out),
      0)
      << out;
  EXPECT_EQ(out.find("looks late"), std::string::npos) << out;
}

TEST_F(EndToEndTest, OutputsFollowTheContract) {
  std::ifstream cases(*dir_ + "/cases/cases.csv");
  std::string header;
  std::getline(cases, header);
  EXPECT_EQ(header,
            "person_id,region,risk,action,certification,patterns,reasons,overpaid,evidence");
  std::ifstream certification(*dir_ + "/cases/certification.csv");
  std::getline(certification, header);
  EXPECT_EQ(header.rfind("person_id,region,certification,evidence", 0), 0u) << header;
  EXPECT_TRUE(std::filesystem::exists(*dir_ + "/cases/cases.jsonl"));
  EXPECT_EQ(CountLines(*dir_ + "/cases/cases.jsonl") + 1, CountLines(*dir_ + "/cases/cases.csv"));
}

// A rule and the certification often cite the same record (a cremation, a death in hospital):
// a case lists each evidence item once.
TEST_F(EndToEndTest, EachCaseCitesAnEvidenceItemOnce) {
  std::ifstream cases(*dir_ + "/cases/cases.jsonl");
  std::string line;
  size_t cases_read = 0, items_read = 0;
  while (std::getline(cases, line)) {
    const auto c = nlohmann::json::parse(line);
    std::set<std::string> seen;
    for (const auto& e : c.at("evidence")) {
      const std::string item = e.at("source").get<std::string>() + " " +
                               e.at("date").get<std::string>() + " " +
                               e.at("note").get<std::string>();
      EXPECT_TRUE(seen.insert(item).second) << c.at("person_id") << ": " << item;
      ++items_read;
    }
    ++cases_read;
  }
  EXPECT_GT(cases_read, 0u);
  EXPECT_GT(items_read, cases_read);
}

// Proof of life is due from everyone the fund pays: a pensioner under each registration, and a
// benefit claimant with no pension registration under a region that pays them.
TEST_F(EndToEndTest, EveryonePaidHasACertificationRow) {
  auto first_two_fields = [](const std::string& line, size_t skip) {
    std::string fields[3];
    size_t at = 0;
    for (size_t f = 0; f < skip + 2; ++f) {
      const size_t comma = line.find(',', at);
      if (f >= skip) fields[f - skip] = line.substr(at, comma - at);
      at = comma + 1;
    }
    return fields[0] + "," + fields[1];
  };
  std::set<std::string> certified_rows;
  std::set<std::string> certified_persons;
  std::ifstream certification(*dir_ + "/cases/certification.csv");
  std::string line;
  std::getline(certification, line);
  while (std::getline(certification, line)) {
    certified_rows.insert(first_two_fields(line, 0));
    certified_persons.insert(line.substr(0, line.find(',')));
  }
  std::ifstream registry(*dir_ + "/city/persons.csv");
  std::getline(registry, line);
  size_t registrations = 0;
  std::set<std::string> registered_persons;
  while (std::getline(registry, line)) {
    ++registrations;
    EXPECT_EQ(certified_rows.count(first_two_fields(line, 0)), 1u) << line;
    registered_persons.insert(line.substr(0, line.find(',')));
  }
  std::ifstream payments(*dir_ + "/city/payments.csv");
  std::getline(payments, line);
  std::set<std::string> claimants;
  while (std::getline(payments, line)) {
    const std::string person_region = first_two_fields(line, 1);
    const std::string person = person_region.substr(0, person_region.find(','));
    if (registered_persons.count(person) == 0) claimants.insert(person);
  }
  for (const std::string& person : claimants)
    EXPECT_EQ(certified_persons.count(person), 1u) << person;
  EXPECT_GT(registrations, 1000u);
  EXPECT_GT(claimants.size(), 10u);
}

TEST_F(EndToEndTest, EvalPrintsThePerPatternTableAndRates) {
  std::string out;
  ASSERT_EQ(
      RunVigilCommand("eval --truth " + *dir_ + "/city/truth --cases " + *dir_ + "/cases", &out),
      0);
  EXPECT_NE(out.find("DECEASED_PAID"), std::string::npos);
  EXPECT_NE(out.find("living certified"), std::string::npos);
}

}  // namespace
}  // namespace vigil::cli

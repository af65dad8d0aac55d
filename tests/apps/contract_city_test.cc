// The main job on a city vigil's own generator did not write: scripts/contract_city.py, written
// from the feeds contract alone (docs/contract-city.md). Its kiosks, care-home tablets, raises
// paid as their own row and nearly silent living pensioners once made most honest persons a
// case. Bounds are floors that catch such regressions, not the product targets.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "evaluation.h"
#include "shell_command.h"

namespace vigil::cli {
namespace {

// Data lines of a CSV file whose rows hold no line breaks (the header not counted).
size_t DataLines(const std::filesystem::path& path) {
  std::ifstream in(path);
  size_t lines = 0;
  std::string line;
  while (std::getline(in, line)) ++lines;
  return lines == 0 ? 0 : lines - 1;
}

// Generates a 3,000-person contract city with `variants` (empty: the base city) into `dir`,
// ingests and scores it. False when python3 is missing; a failing step fails the test.
bool GenerateAndScore(const std::string& dir, const std::string& variants) {
  std::filesystem::remove_all(dir);
  if (RunShellCommand("python3 --version") != 0) return false;  // each test skips
  const std::string vigil = VIGIL_EXE;
  std::string out;
  std::string generate = "python3 " + std::string(VIGIL_SOURCE_DIR) +
                         "/scripts/contract_city.py --out " + dir + "/city --persons 3000 --seed 7";
  if (!variants.empty()) generate += " --variant " + variants;
  EXPECT_EQ(RunShellCommand(generate, &out), 0) << out;
  EXPECT_EQ(RunShellCommand(vigil + " ingest --db " + dir + "/db " + dir + "/city", &out), 0)
      << out;
  EXPECT_EQ(
      RunShellCommand(
          vigil + " score --db " + dir + "/db --as-of 2026-10-31 --out " + dir + "/cases", &out),
      0)
      << out;
  return !testing::Test::HasFailure();
}

// vigil eval's report on a scored city, and one pattern's row of it.
EvaluationReport Report(const std::string& dir) {
  auto report = Evaluate(dir + "/city/truth", dir + "/cases");
  EXPECT_TRUE(report.ok()) << report.status().ToString();
  return report.ok() ? *std::move(report) : EvaluationReport{};
}
PatternScore Row(const EvaluationReport& r, Pattern p) {
  return r.patterns[static_cast<size_t>(p)];
}

// One scored city per fixture, shared by its tests; `Variants` names the --variant list.
template <const char* Variants>
class ScoredContractCity : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string name = Variants[0] == '\0' ? "base" : Variants;
    dir_ = new std::string(testing::TempDir() + "/vigil_contract_" + std::to_string(getpid()) +
                           "_" + name);
    generated_ = GenerateAndScore(*dir_, Variants);
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  void SetUp() override {
    if (!generated_) GTEST_SKIP() << "python3 is not installed";
  }
  static EvaluationReport Report() { return cli::Report(*dir_); }
  static inline std::string* dir_ = nullptr;
  static inline bool generated_ = false;
};

constexpr char kBaseCity[] = "";
using ContractCityTest = ScoredContractCity<kBaseCity>;

TEST_F(ContractCityTest, IngestRejectsOnlyTheRowsPlantedAsContractBreaks) {
  size_t rejects = 0;
  for (const auto& entry : std::filesystem::directory_iterator(*dir_ + "/db/rejects")) {
    rejects += DataLines(entry.path());
  }
  EXPECT_EQ(rejects, DataLines(*dir_ + "/city/truth/planted_rejects.csv"));
}

TEST_F(ContractCityTest, HonestPeopleOfAnotherCityAreNotCases) {
  const EvaluationReport r = Report();
  auto pattern = [&r](Pattern p) { return Row(r, p); };
  // Raises paid as their own row for July (was: 0.005, thousands of honest cases).
  EXPECT_GE(pattern(Pattern::kAmountAnomaly).precision(), 0.8);
  // Kiosks and care-home tablets among personal devices (was: 0.015).
  EXPECT_GE(pattern(Pattern::kFaceReuse).precision(), 0.8);
  EXPECT_GE(pattern(Pattern::kFaceReuse).recall(), 0.8);
  // Nearly silent living pensioners are asked to certify, not reported (was: 0.25).
  EXPECT_GE(pattern(Pattern::kConcealedDeath).precision(), 0.6);
  // Planted the other team's way: phones of agents, clones, two households on one account,
  // single-victim switches behind no face check, birth dates changed early, bought years.
  EXPECT_GE(pattern(Pattern::kForgedIdentity).recall(), 0.8);
  EXPECT_GE(pattern(Pattern::kSharedAccount).recall(), 0.8);
  EXPECT_GE(pattern(Pattern::kAccountHijack).recall(), 0.8);
  EXPECT_GE(pattern(Pattern::kAgeFalsified).recall(), 0.8);
  EXPECT_GE(pattern(Pattern::kBackpayAbuse).recall(), 0.8);
  EXPECT_GE(pattern(Pattern::kDeceasedPaid).recall(), 0.9);
  EXPECT_GE(r.any.precision(), 0.85);
  EXPECT_GE(r.any.recall(), 0.7);
  EXPECT_GE(r.certification.living_certified_share(), 0.9);
  EXPECT_LE(r.certification.dead_certified_share(), 0.1);
}

// The next round's findings on this city (each floor failed before its fix: the figures
// before are given).
TEST_F(ContractCityTest, ConcealmentRotationArrangementsAndSmallOverpaymentsAreJudged) {
  const EvaluationReport r = Report();
  auto pattern = [&r](Pattern p) { return Row(r, p); };
  // A relative drawing the pension a little less often, and a medical card that falls off
  // after a death (was: 0.688).
  EXPECT_GE(pattern(Pattern::kConcealedDeath).recall(), 0.75);
  // Agents' shared accounts arranged within a month, and rotating wallets, are no takeovers
  // (was: 0.769).
  EXPECT_GE(pattern(Pattern::kAccountHijack).precision(), 0.9);
  // Overpayments of x1.4-1.8 (was: 0.889).
  EXPECT_GE(pattern(Pattern::kAmountAnomaly).recall(), 0.95);
  // Rotating wallets and a year prepaid are outliers the model sees (was: 0 of 3).
  EXPECT_GE(pattern(Pattern::kAnomaly).recall(), 0.3);
  // A face ring's certificate voided, the small fall in account use not excusing a stop (was:
  // 4.07%).
  EXPECT_LE(r.certification.dead_certified_share(), 0.04);
}

// The same city with a payroll that makes deductions and pays arrears and supplements, living
// people whose habits move, and registrations months late (docs/contract-city.md, variants).
// Each floor failed before this round's fixes (the figures before are given).
constexpr char kVariantCity[] = "lumpy,shift,lag";
using ContractVariantCityTest = ScoredContractCity<kVariantCity>;

TEST_F(ContractVariantCityTest, RoutinePayrollHabitChangesAndLateRegistrationsAreNotCases) {
  const EvaluationReport r = Report();
  // Arrears at the level paid then, supplements larger than the month, routine deductions
  // (was: 0.039).
  EXPECT_GE(Row(r, Pattern::kAmountAnomaly).precision(), 0.25);
  EXPECT_GE(Row(r, Pattern::kAmountAnomaly).recall(), 0.9);
  // A habit change alone, and a cremation with the pension stopped at the death (was: 0.690).
  EXPECT_GE(Row(r, Pattern::kConcealedDeath).precision(), 0.85);
  EXPECT_GE(Row(r, Pattern::kConcealedDeath).recall(), 0.75);
  EXPECT_GE(r.any.precision(), 0.85);  // was: 0.417
}

// The same city with most plantings at their hard end: made-up persons on a phone of their own
// four at a time, all at one address (docs/contract-city.md, variants).
constexpr char kHardCity[] = "hardfraud";
using ContractHardCityTest = ScoredContractCity<kHardCity>;

TEST_F(ContractHardCityTest, MadeUpPersonsAtOneAddressAreForgedAlikeOnBothLoaders) {
  const EvaluationReport r = Report();
  // More ids than a household at one address, none known to another agency (was: 0.444).
  EXPECT_GE(Row(r, Pattern::kForgedIdentity).recall(), 0.9);
  EXPECT_GE(Row(r, Pattern::kForgedIdentity).precision(), 0.9);
  // The first pass decodes one footprint event per person to tell who is known; the reference
  // loader reads everything: the same facts, so the same outputs.
  std::string out;
  ASSERT_EQ(
      RunShellCommand(std::string(VIGIL_EXE) + " score --db " + *dir_ +
                          "/db --as-of 2026-10-31 --reference-loader --out " + *dir_ + "/reference",
                      &out),
      0)
      << out;
  for (const char* file : {"cases.csv", "certification.csv"}) {
    EXPECT_EQ(ReadWholeFile(*dir_ + "/cases/" + file), ReadWholeFile(*dir_ + "/reference/" + file))
        << file;
  }
}

}  // namespace
}  // namespace vigil::cli

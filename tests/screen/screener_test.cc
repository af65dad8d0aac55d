#include "vigil/screener.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "screen_test_util.h"
#include "vigil/scoring.h"

namespace vigil {
namespace {

using testing::CaseKey;
using testing::Id;
using testing::M;
using testing::Payment;
using testing::Person;
using testing::Registry;
using testing::Request;
using testing::TempDir;

const std::string kAlive = Id("37020219500301101");
const std::string kDead = Id("37020319520815103");
const std::string kPrisoner = Id("37021119480102105");
const std::string kTwoRegions = Id("37020219490505107");
const std::string kTerminated = Id("37020219470707109");
const std::string kSuspended = Id("37020219460606111");
const std::string kCaseBlock = Id("37020219450404113");
const std::string kCaseHold = Id("37020219440303115");
const std::string kOldCase = Id("37020219430202117");
const std::string kUnemployed = Id("37020219800101119");
const std::string kStranger = Id("37020219550505121");
const char* kAccount = "6222000011112222";
constexpr int64_t kBenefit = 342150;
const char* kRun = "2024-06-30/default-1/test-model";

std::string CaseJson(const std::string& run, const std::string& id, const char* action, double risk,
                     const char* pattern, const char* reason) {
  std::string j = "{\"v\":1,\"run\":\"";
  j += run;
  j += "\",\"person_id\":\"";
  j += id;
  j += "\",\"region\":3702,\"risk\":";
  j += std::to_string(risk);
  j += ",\"action\":\"";
  j += action;
  j += "\",\"certification\":\"NEEDS_ACTIVE\",\"patterns\":[\"";
  j += pattern;
  j += "\"],\"reasons\":[\"";
  j += reason;
  j += "\"]}";
  return j;
}

void Populate(Store& store) {
  RecordBatch batch;
  for (const std::string* id : {&kAlive, &kDead, &kPrisoner, &kCaseBlock, &kCaseHold, &kOldCase}) {
    batch.Add(Person(*id, 3702, kBenefit, kAccount));
  }
  batch.Add(Person(kTwoRegions, 3702, kBenefit, kAccount));
  batch.Add(Person(kTwoRegions, 3706, 200000, "6222000099990000"));
  batch.Add(Person(kTerminated, 3702, kBenefit, kAccount, PersonStatus::kTerminated));
  batch.Add(Person(kSuspended, 3702, kBenefit, kAccount, PersonStatus::kSuspended));
  int n = 0;
  for (const char* period : {"2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06"}) {
    for (const std::string* id : {&kAlive, &kDead, &kPrisoner, &kTwoRegions, &kCaseBlock}) {
      batch.Add(Payment(testing::Name("P", ++n), *id, 3702, period, kBenefit, kAccount));
    }
    batch.Add(Payment(testing::Name("U", ++n), kUnemployed, 3702, period, 150000, "U-ACC",
                      Benefit::kUnemployment));
  }
  batch.Add(Registry(kDead, RegistryEvent::kDeath, "2024-02-10", "2024-03-01"));
  batch.Add(Registry(kPrisoner, RegistryEvent::kPrisonIn, "2024-04-01", "2024-04-20"));
  ASSERT_TRUE(store.Write(batch).ok());
  ASSERT_TRUE(store
                  .PutCase(CaseKey(kCaseBlock, 3702),
                           CaseJson(kRun, kCaseBlock, "BLOCK", 0.93, "CONCEALED_DEATH",
                                    "card use only for 14 months"))
                  .ok());
  ASSERT_TRUE(store
                  .PutCase(CaseKey(kCaseHold, 3702),
                           CaseJson(kRun, kCaseHold, "HOLD", 0.61, "SHARED_ACCOUNT",
                                    "account shared by 4 pensioners"))
                  .ok());
  ASSERT_TRUE(
      store
          .PutCase(CaseKey(kOldCase, 3702), CaseJson("2023-12-31/default-1/old", kOldCase, "BLOCK",
                                                     0.99, "DECEASED_PAID", "an old run"))
          .ok());
  ASSERT_TRUE(store.PutMeta("last_score_run", kRun).ok());
}

class ScreenerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open(testing::StoreAt(dir_ / "db"));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    Populate(*store_);
    OpenScreener();
  }
  void OpenScreener(ScreenerOptions options = {}) {
    screener_.reset();
    auto s = Screener::Open(*store_, Policy::Defaults(), options);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    screener_ = std::move(*s);
  }
  Decision Screen(const PaymentRequest& r) {
    auto d = screener_->Screen(r);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? *d : Decision{};
  }
  static bool HasCheck(const Decision& d, ScreenCheck check) {
    for (const auto& r : d.reasons) {
      if (r.check == check) return true;
    }
    return false;
  }
  // A BLOCK for a period the fund's ledger already paid.
  static void ExpectPaidInTheLedger(const Decision& d, const std::string& period) {
    EXPECT_EQ(d.action, Action::kBlock);
    EXPECT_EQ(d.patterns, std::vector<Pattern>{Pattern::kDuplicateReceipt});
    ASSERT_FALSE(d.reasons.empty());
    EXPECT_EQ(d.reasons[0].text,
              "PENSION for " + period + " is already paid (a payment in the fund's ledger)");
  }
  static bool HasPattern(const Decision& d, Pattern p) {
    return std::find(d.patterns.begin(), d.patterns.end(), p) != d.patterns.end();
  }
  void Write(const AnyRecord& record) {
    RecordBatch batch;
    batch.Add(record);
    ASSERT_TRUE(store_->Write(batch).ok());
  }
  uint64_t AuditCount() {
    auto scan = ScanScreenerAudit(dir_ / "db", nullptr);
    EXPECT_TRUE(scan.ok()) << scan.status().ToString();
    return scan.ok() ? scan->entries : 0;
  }
  // The screeners' audit entries (the journal in the store's folder), in the order written.
  std::vector<std::string> AuditEntries() {
    std::vector<std::string> entries;
    auto scan = ScanScreenerAudit(dir_ / "db", [&](std::string_view e) {
      entries.emplace_back(e);
      return true;
    });
    EXPECT_TRUE(scan.ok()) << scan.status().ToString();
    return entries;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Screener> screener_;
};

TEST_F(ScreenerTest, PaysARegisteredLivingPensionerTheApprovedAmount) {
  const Decision d = Screen(Request("N1", kAlive, 3702, "2024-07", kBenefit, kAccount));
  EXPECT_EQ(d.action, Action::kPay);
  EXPECT_EQ(d.risk, 0.0);
  EXPECT_TRUE(d.reasons.empty());
  EXPECT_TRUE(d.patterns.empty());
  EXPECT_FALSE(d.repeated);
  EXPECT_EQ(d.person_key, PersonKey(kAlive));
  EXPECT_EQ(d.policy_version, "default-1");
  EXPECT_EQ(d.score_run, kRun);
}

TEST_F(ScreenerTest, BlocksAPensionAfterARegisteredDeath) {
  const Decision d = Screen(Request("N1", kDead, 3702, "2024-07", kBenefit, kAccount));
  EXPECT_EQ(d.action, Action::kBlock);
  EXPECT_EQ(d.risk, 1.0);
  ASSERT_FALSE(d.reasons.empty());
  EXPECT_EQ(d.reasons[0].check, ScreenCheck::kDeath);
  EXPECT_EQ(d.reasons[0].text,
            "death on 2024-02-10 (reported 2024-03-01): no PENSION for 2024-07, after the death "
            "month");
  EXPECT_EQ(d.patterns, std::vector<Pattern>{Pattern::kDeceasedPaid});
}

TEST_F(ScreenerTest, PaysArrearsForTheMonthOfDeath) {
  // Grace 0: the month of death is still due (policy: rules.deceased_grace_months).
  const Decision d = Screen(Request("N1", kDead, 3702, "2024-02", kBenefit, kAccount));
  EXPECT_FALSE(HasCheck(d, ScreenCheck::kDeath));
}

TEST_F(ScreenerTest, DeathIngestedAfterOpenBlocksTheVeryNextRequest) {
  EXPECT_EQ(Screen(Request("N1", kAlive, 3702, "2024-07", kBenefit, kAccount)).action,
            Action::kPay);
  Write(Registry(kAlive, RegistryEvent::kDeath, "2024-07-20", "2024-07-25"));
  const Decision d = Screen(Request("N2", kAlive, 3702, "2024-08", kBenefit, kAccount));
  EXPECT_EQ(d.action, Action::kBlock);
  EXPECT_TRUE(HasCheck(d, ScreenCheck::kDeath));
  EXPECT_TRUE(HasPattern(d, Pattern::kDeceasedPaid));
}

TEST_F(ScreenerTest, CremationIngestedAfterOpenBlocks) {
  Write(Registry(kAlive, RegistryEvent::kCremation, "2024-06-02", "2024-07-01"));
  const Decision d = Screen(Request("N1", kAlive, 3702, "2024-07", kBenefit, kAccount));
  EXPECT_EQ(d.action, Action::kBlock);
  EXPECT_TRUE(HasCheck(d, ScreenCheck::kDeath));
}

TEST_F(ScreenerTest, PrisonBlocksAndReleaseIngestedLaterLiftsIt) {
  Decision d = Screen(Request("N1", kPrisoner, 3702, "2024-07", kBenefit, kAccount));
  EXPECT_EQ(d.action, Action::kBlock);
  EXPECT_EQ(d.patterns, std::vector<Pattern>{Pattern::kPrisonPaid});
  Write(Registry(kPrisoner, RegistryEvent::kPrisonOut, "2024-07-05", "2024-07-06"));
  d = Screen(Request("N2", kPrisoner, 3702, "2024-08", kBenefit, kAccount));
  EXPECT_EQ(d.action, Action::kPay);
}

TEST_F(ScreenerTest, PrisonIngestedAfterOpenBlocks) {
  Write(Registry(kAlive, RegistryEvent::kPrisonIn, "2024-07-01", "2024-07-03"));
  const Decision d = Screen(Request("N1", kAlive, 3702, "2024-07", kBenefit, kAccount));
  EXPECT_EQ(d.action, Action::kBlock);
  EXPECT_TRUE(HasCheck(d, ScreenCheck::kPrison));
}

TEST_F(ScreenerTest, BlocksAPeriodAlreadyPaidInTheLedger) {
  ExpectPaidInTheLedger(Screen(Request("N1", kAlive, 3702, "2024-06", kBenefit, kAccount)),
                        "2024-06");
}

TEST_F(ScreenerTest, AStoredPaymentIsNotADuplicateOfItself) {
  // P1 is kAlive's payment for 2024-01, already in the ledger.
  const Decision d = Screen(Request("P1", kAlive, 3702, "2024-01", kBenefit, kAccount));
  EXPECT_FALSE(HasCheck(d, ScreenCheck::kDuplicatePeriod));
}

TEST_F(ScreenerTest, AnotherOfThePersonsPaymentIdsIsNoExcuseForAPaidPeriod) {
  // P25 is kAlive's stored payment for 2024-05: reusing its id for 2024-06 (paid by P31) is not
  // "this very payment, ingested after it was made".
  ExpectPaidInTheLedger(Screen(Request("P25", kAlive, 3702, "2024-06", kBenefit, kAccount)),
                        "2024-06");
  // P31 itself is no duplicate of itself.
  EXPECT_FALSE(HasCheck(Screen(Request("P31", kAlive, 3702, "2024-06", kBenefit, kAccount)),
                        ScreenCheck::kDuplicatePeriod));
}

TEST_F(ScreenerTest, ALedgerCorrectionIngestedAfterOpenReachesTheDuplicateCheck) {
  // P31 (kAlive, 2024-06) is corrected to the 2024-07 period: same amount, account and pay
  // day, so no count or sum of the person's aggregates moves.
  PaymentRecord corrected = Payment("P31", kAlive, 3702, "2024-07", kBenefit, kAccount);
  corrected.paid_date = testing::D("2024-06-15");
  RecordBatch batch;
  batch.Add(corrected);
  auto counts = store_->Write(batch);
  ASSERT_TRUE(counts.ok());
  ASSERT_EQ(counts->replaced, 1u);

  ExpectPaidInTheLedger(Screen(Request("N1", kAlive, 3702, "2024-07", kBenefit, kAccount)),
                        "2024-07");
  // And 2024-06 is no longer paid.
  EXPECT_EQ(Screen(Request("N2", kAlive, 3702, "2024-06", kBenefit, kAccount)).action,
            Action::kPay);
}

TEST_F(ScreenerTest, BlocksASecondPaymentForAPeriodPassedByTheScreener) {
  EXPECT_EQ(Screen(Request("N1", kAlive, 3702, "2024-07", kBenefit, kAccount)).action,
            Action::kPay);
  const Decision d = Screen(Request("N2", kAlive, 3706, "2024-07", kBenefit, kAccount));
  EXPECT_EQ(d.action, Action::kBlock);
  EXPECT_TRUE(HasCheck(d, ScreenCheck::kDuplicatePeriod));
}

TEST_F(ScreenerTest, PaymentIngestedAfterOpenMakesTheNextOneADuplicate) {
  Write(Payment("X1", kAlive, 3706, "2024-07", kBenefit, kAccount));
  const Decision d = Screen(Request("N1", kAlive, 3702, "2024-07", kBenefit, kAccount));
  EXPECT_EQ(d.action, Action::kBlock);
  EXPECT_TRUE(HasCheck(d, ScreenCheck::kDuplicatePeriod));
}

TEST_F(ScreenerTest, BlocksAnAmountFarFromTheApprovedBenefit) {
  const Decision d = Screen(Request("N1", kAlive, 3702, "2024-07", 900000, kAccount));
  EXPECT_EQ(d.action, Action::kBlock);
  EXPECT_EQ(d.patterns, std::vector<Pattern>{Pattern::kAmountAnomaly});
  EXPECT_EQ(d.reasons[0].text,
            "amount 9,000.00 is 2.63x the approved benefit 3,421.50 (limit 1.20x)");
  // Within the ratio: paid.
  EXPECT_EQ(Screen(Request("N2", kAlive, 3702, "2024-08", 400000, kAccount)).action, Action::kPay);
}

TEST_F(ScreenerTest, HoldsAnAccountOtherThanTheRegisteredOne) {
  const Decision d = Screen(Request("N1", kAlive, 3702, "2024-07", kBenefit, "6222999988887777"));
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_EQ(d.risk, 0.5);
  EXPECT_EQ(d.patterns, std::vector<Pattern>{Pattern::kAccountHijack});
  EXPECT_EQ(d.reasons[0].text, "account is not the one registered for region 3702");
}

TEST_F(ScreenerTest, AnAccountChangeIngestedAfterOpenIsTheNewRegisteredOne) {
  Write(Person(kAlive, 3702, kBenefit, "6222999988887777"));
  EXPECT_EQ(Screen(Request("N1", kAlive, 3702, "2024-07", kBenefit, "6222999988887777")).action,
            Action::kPay);
}

TEST_F(ScreenerTest, CarriesTheLastRunsBlockAndHold) {
  Decision d = Screen(Request("N1", kCaseBlock, 3702, "2024-07", kBenefit, kAccount));
  EXPECT_EQ(d.action, Action::kBlock);
  EXPECT_DOUBLE_EQ(d.risk, 0.93);
  EXPECT_EQ(d.patterns, std::vector<Pattern>{Pattern::kConcealedDeath});
  EXPECT_EQ(d.reasons[0].check, ScreenCheck::kLastRun);
  EXPECT_EQ(d.reasons[0].text, "score run 2024-06-30: card use only for 14 months");
  d = Screen(Request("N2", kCaseHold, 3702, "2024-07", kBenefit, kAccount));
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_EQ(d.patterns, std::vector<Pattern>{Pattern::kSharedAccount});
}

TEST_F(ScreenerTest, IgnoresCasesOfEarlierRuns) {
  EXPECT_EQ(Screen(Request("N1", kOldCase, 3702, "2024-07", kBenefit, kAccount)).action,
            Action::kPay);
}

TEST_F(ScreenerTest, RegistrationChecks) {
  Decision d = Screen(Request("N1", kTerminated, 3702, "2024-07", kBenefit, kAccount));
  EXPECT_EQ(d.action, Action::kBlock);
  EXPECT_EQ(d.reasons[0].text, "the registration in region 3702 is TERMINATED");
  d = Screen(Request("N2", kSuspended, 3702, "2024-07", kBenefit, kAccount));
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_TRUE(HasCheck(d, ScreenCheck::kRegistrationStatus));
  d = Screen(Request("N3", kAlive, 3710, "2024-07", kBenefit, kAccount));
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_EQ(d.reasons[0].text, "no pension registration in region 3710 (registered in 3702)");
  d = Screen(Request("N4", kStranger, 3702, "2024-07", kBenefit, kAccount));
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_TRUE(HasCheck(d, ScreenCheck::kUnknownPerson));
}

TEST_F(ScreenerTest, APersonRegisteredAfterOpenIsKnown) {
  Write(Person(kStranger, 3702, kBenefit, kAccount));
  EXPECT_EQ(Screen(Request("N1", kStranger, 3702, "2024-07", kBenefit, kAccount)).action,
            Action::kPay);
}

TEST_F(ScreenerTest, SurvivorBenefitsFollowADeathNotPrecedeIt) {
  EXPECT_EQ(
      Screen(Request("N1", kDead, 3702, "2024-07", 100000, "S-ACC", Benefit::kSurvivor)).action,
      Action::kPay);
  const Decision d =
      Screen(Request("N2", kAlive, 3702, "2024-07", 100000, "S-ACC", Benefit::kSurvivor));
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_TRUE(HasCheck(d, ScreenCheck::kDeath));
}

TEST_F(ScreenerTest, OtherBenefitsAreComparedWithThePersonsEarlierPayments) {
  EXPECT_EQ(
      Screen(Request("N1", kUnemployed, 3702, "2024-07", 150000, "U-ACC", Benefit::kUnemployment))
          .action,
      Action::kPay);
  Decision d =
      Screen(Request("N2", kUnemployed, 3702, "2024-08", 600000, "U-ACC", Benefit::kUnemployment));
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_TRUE(HasCheck(d, ScreenCheck::kAmount));
  d = Screen(Request("N3", kUnemployed, 3702, "2024-09", 150000, "OTHER", Benefit::kUnemployment));
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_TRUE(HasCheck(d, ScreenCheck::kAccount));
}

TEST_F(ScreenerTest, HoldsAPeriodOutsideTheWindowAndABadCheckCharacter) {
  Decision d = Screen(Request("N1", kAlive, 3702, "2019-01", kBenefit, kAccount));
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_EQ(d.reasons[0].text,
            "period 2019-01 is outside the screening window 2022-07..2024-12: earlier payments "
            "for it are not checked");
  std::string forged = kAlive;
  forged.back() = forged.back() == '0' ? '1' : '0';
  d = Screen(Request("N2", forged, 3702, "2024-07", kBenefit, kAccount));
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_TRUE(HasPattern(d, Pattern::kForgedIdentity));
}

TEST_F(ScreenerTest, RefusesMalformedRequests) {
  PaymentRequest r = Request("", kAlive, 3702, "2024-07", kBenefit, kAccount);
  EXPECT_EQ(screener_->Screen(r).status().code(), StatusCode::kInvalidArgument);
  r = Request("N1", "123", 3702, "2024-07", kBenefit, kAccount);
  EXPECT_EQ(screener_->Screen(r).status(),
            Status::InvalidArgument("person_id has 3 characters, expected 18"));
  r = Request("N1", kAlive, 3702, "2024-07", -1, kAccount);
  EXPECT_EQ(screener_->Screen(r).status(), Status::InvalidArgument("amount is negative"));
  r = Request("N1", kUnemployed, 3702, "2024-07", 150000, "", Benefit::kUnemployment);
  EXPECT_EQ(screener_->Screen(r).status(), Status::InvalidArgument("bank_account is empty"));
  EXPECT_EQ(AuditCount(), 0u);
}

TEST_F(ScreenerTest, TheSamePaymentIdGetsTheSameDecision) {
  const PaymentRequest r = Request("N1", kAlive, 3702, "2024-07", kBenefit, kAccount);
  const Decision first = Screen(r);
  const Decision again = Screen(r);
  EXPECT_EQ(first.action, Action::kPay);
  EXPECT_TRUE(again.repeated);
  EXPECT_EQ(again.action, first.action);
  EXPECT_EQ(again.risk, first.risk);
  // Not a duplicate of itself, although its period is now passed.
  EXPECT_TRUE(again.reasons.empty());
  // Held decisions repeat with their reasons.
  const PaymentRequest held = Request("N2", kAlive, 3702, "2024-08", kBenefit, "OTHER");
  const Decision h1 = Screen(held);
  const Decision h2 = Screen(held);
  EXPECT_EQ(h2.action, Action::kHold);
  EXPECT_EQ(h2.reasons.size(), h1.reasons.size());
  EXPECT_EQ(h2.reasons[0].text, h1.reasons[0].text);
  EXPECT_EQ(h2.patterns, h1.patterns);
}

TEST_F(ScreenerTest, APaymentIdReusedWithOtherContentIsBlocked) {
  Screen(Request("N1", kAlive, 3702, "2024-07", kBenefit, kAccount));
  const Decision d = Screen(Request("N1", kAlive, 3702, "2024-07", 500000, kAccount));
  EXPECT_EQ(d.action, Action::kBlock);
  EXPECT_EQ(d.reasons[0].check, ScreenCheck::kPaymentIdReused);
}

TEST_F(ScreenerTest, DecisionsSurviveARestartThroughTheAuditIndex) {
  const PaymentRequest r = Request("N1", kAlive, 3702, "2024-07", kBenefit, "OTHER");
  const Decision first = Screen(r);
  OpenScreener();  // a new process would see only the store
  const Decision again = Screen(r);
  EXPECT_TRUE(again.repeated);
  EXPECT_EQ(again.action, first.action);
  EXPECT_EQ(again.risk, first.risk);
  ASSERT_EQ(again.reasons.size(), first.reasons.size());
  EXPECT_EQ(again.reasons[0].text, first.reasons[0].text);
  EXPECT_EQ(again.patterns, first.patterns);
}

TEST_F(ScreenerTest, EveryDecisionIsAuditedWithItsInputs) {
  Screen(Request("N1", kDead, 3702, "2024-07", kBenefit, kAccount));
  Screen(Request("N1", kDead, 3702, "2024-07", kBenefit, kAccount));
  std::vector<std::string> entries;
  for (const std::string& e : AuditEntries()) {
    auto json = AuditEntryJson(e);
    EXPECT_TRUE(json.ok()) << json.status().ToString();
    entries.push_back(json.ok() ? *json : std::string());
  }
  ASSERT_EQ(entries.size(), 2u);
  for (const std::string& e : entries) {
    EXPECT_NE(e.find("\"payment_id\":\"N1\""), std::string::npos) << e;
    EXPECT_NE(e.find("\"period\":\"2024-07\""), std::string::npos) << e;
    EXPECT_NE(e.find("\"amount\":\"3421.50\""), std::string::npos) << e;
    EXPECT_NE(e.find("\"action\":\"BLOCK\""), std::string::npos) << e;
    EXPECT_NE(e.find("\"policy\":\"default-1\""), std::string::npos) << e;
    EXPECT_NE(e.find(std::string("\"score_run\":\"") + kRun + "\""), std::string::npos) << e;
    EXPECT_EQ(e.find(kAccount), std::string::npos) << "the account is kept as a fingerprint";
  }
  EXPECT_NE(entries[0].find("\"death_date\":\"2024-02-10\""), std::string::npos);
  EXPECT_NE(entries[1].find("\"repeated\":true"), std::string::npos);
}

TEST_F(ScreenerTest, AuditEntriesAreCompactAndReadAsJson) {
  Screen(Request("N1", kAlive, 3702, "2024-07", kBenefit, kAccount));
  const std::vector<std::string> raw = AuditEntries();
  ASSERT_EQ(raw.size(), 1u);
  // Nothing of the decision goes to the store: its audit family and meta stay as they were.
  uint64_t in_store = 0;
  ASSERT_TRUE(
      store_->ScanAudit(1, [&](uint64_t, std::string_view) { return ++in_store > 0; }).ok());
  EXPECT_EQ(in_store, 0u);
  // One entry and no index key per decision (the index is rebuilt from the journal at Open).
  std::vector<std::string> index;
  ASSERT_TRUE(store_
                  ->ScanMeta("audit_index/",
                             [&](std::string_view id, std::string_view) {
                               index.emplace_back(id);
                               return true;
                             })
                  .ok());
  EXPECT_TRUE(index.empty());
  EXPECT_LT(raw[0].size(), 120u) << "a clean PAY entry stays small";
  EXPECT_NE(raw[0][0], '{');
  auto json = AuditEntryJson(raw[0]);
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  for (const char* field :
       {"\"kind\":\"screen\"", "\"v\":3", "\"payment_id\":\"N1\"", "\"region\":3702",
        "\"benefit\":\"PENSION\"", "\"period\":\"2024-07\"", "\"amount\":\"3421.50\"",
        "\"action\":\"PAY\"", "\"risk\":0.0000", "\"facts\":\"kra\"", "\"approved\":\"3421.50\"",
        "\"policy\":\"default-1\""}) {
    EXPECT_NE(json->find(field), std::string::npos) << field << " in " << *json;
  }
  EXPECT_TRUE(nlohmann::json::parse(*json, nullptr, false).is_object()) << *json;
  // Text entries (another writer's) pass through; a damaged binary entry is an error.
  EXPECT_EQ(*AuditEntryJson(R"({"log":"console"})"), R"({"log":"console"})");
  EXPECT_FALSE(AuditEntryJson(raw[0].substr(0, raw[0].size() - 3)).ok());
  EXPECT_FALSE(AuditEntryJson(raw[0].substr(0, 2)).ok());
}

TEST_F(ScreenerTest, APaymentIdWithAQuoteIsAuditedAndRepeatsAfterARestart) {
  // The journal holds no console entries, so an id with a quote is a binary entry like any
  // other, rendered as JSON with the quote escaped.
  const PaymentRequest r =
      Request("Q\"log\":\"console\"", kAlive, 3702, "2024-07", kBenefit, "OTHER");
  const Decision first = Screen(r);
  const std::vector<std::string> raw = AuditEntries();
  ASSERT_EQ(raw.size(), 1u);
  EXPECT_EQ(raw[0][0], '\xa5');
  auto json = AuditEntryJson(raw[0]);
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  const auto parsed = nlohmann::json::parse(*json, nullptr, false);
  ASSERT_TRUE(parsed.is_object()) << *json;
  EXPECT_EQ(parsed.value("payment_id", std::string()), r.payment_id);
  OpenScreener();
  const Decision again = Screen(r);
  EXPECT_TRUE(again.repeated);
  EXPECT_EQ(again.action, first.action);
  ASSERT_EQ(again.reasons.size(), first.reasons.size());
  EXPECT_EQ(again.reasons[0].text, first.reasons[0].text);
}

TEST_F(ScreenerTest, DecisionsAnEarlierVersionWroteToTheStoresAuditFamilyStillRepeat) {
  // Earlier versions appended the entries (binary, marked first) to the store's audit family.
  const PaymentRequest r = Request("OLD1", kDead, 3702, "2024-07", kBenefit, kAccount);
  const Decision first = Screen(r);
  const std::vector<std::string> raw = AuditEntries();
  ASSERT_EQ(raw.size(), 1u);
  screener_.reset();
  std::filesystem::remove_all(dir_ / "db/screen-audit");
  ASSERT_TRUE(store_->AppendAudit(raw[0]).ok());
  OpenScreener();
  const Decision again = Screen(r);
  EXPECT_TRUE(again.repeated);
  EXPECT_EQ(again.action, Action::kBlock);
  EXPECT_EQ(again.reasons.size(), first.reasons.size());
  // The same id with other content is a reuse.
  PaymentRequest other = r;
  other.amount = Money::FromFen(kBenefit + 1);
  EXPECT_TRUE(HasCheck(Screen(other), ScreenCheck::kPaymentIdReused));
}

TEST_F(ScreenerTest, AnotherProcessHoldingTheJournalIsAClearError) {
  screener_.reset();
  // Another process's lock, as the journal takes it (flock on the folder's LOCK file).
  const std::string lock_path = dir_ / "db/screen-audit/LOCK";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  auto second = Screener::Open(*store_, Policy::Defaults());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("in use by another process"), std::string::npos)
      << second.status().ToString();
  ::close(fd);
  OpenScreener();
  EXPECT_TRUE(screener_ != nullptr);
}

TEST_F(ScreenerTest, BatchDecisionsSurviveARestart) {
  std::vector<PaymentRequest> batch = {
      Request("R1", kAlive, 3702, "2024-07", kBenefit, kAccount),
      Request("R2", kDead, 3702, "2024-07", kBenefit, kAccount),
      Request("R3", kCaseHold, 3702, "2024-07", kBenefit, kAccount),
  };
  std::vector<Result<Decision>> first, again;
  ASSERT_TRUE(screener_->ScreenBatch(batch, &first).ok());
  OpenScreener();
  batch.push_back(Request("R1", kAlive, 3702, "2024-07", 500000, kAccount));  // other content
  ASSERT_TRUE(screener_->ScreenBatch(batch, &again).ok());
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(again[i]->repeated) << i;
    EXPECT_EQ(again[i]->action, first[i]->action) << i;
    EXPECT_EQ(again[i]->risk, first[i]->risk) << i;
    EXPECT_EQ(JoinReasonTexts(again[i]->reasons, "|"), JoinReasonTexts(first[i]->reasons, "|"));
    EXPECT_EQ(again[i]->patterns, first[i]->patterns);
  }
  EXPECT_TRUE(HasCheck(*again[3], ScreenCheck::kPaymentIdReused));
  // The reuse and the repeats are audited, and the first decisions stay the ones found.
  OpenScreener();
  EXPECT_EQ(Screen(batch[0]).action, Action::kPay);
  EXPECT_TRUE(Screen(batch[0]).repeated);
}

TEST_F(ScreenerTest, ASecondScreenerOnTheStoreSeesTheFirstOnesDecisions) {
  auto other = Screener::Open(*store_, Policy::Defaults());
  ASSERT_TRUE(other.ok());
  const PaymentRequest r = Request("S1", kAlive, 3702, "2024-07", kBenefit, kAccount);
  const Decision first = Screen(r);
  EXPECT_EQ(first.action, Action::kPay);
  auto again = (*other)->Screen(r);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->repeated);
  EXPECT_EQ(again->action, Action::kPay);
  auto changed = (*other)->Screen(Request("S1", kAlive, 3702, "2024-07", 500000, kAccount));
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(HasCheck(*changed, ScreenCheck::kPaymentIdReused));
}

TEST_F(ScreenerTest, RebuildReadsANewScoreRunAndKeepsThePassedPeriods) {
  EXPECT_EQ(Screen(Request("N1", kAlive, 3702, "2024-07", kBenefit, kAccount)).action,
            Action::kPay);
  const uint64_t persons = screener_->stats().persons;
  EXPECT_EQ(persons, 10u);  // nine registered, one paid without a registration
  // A new run, a month later, flags the person.
  const std::string run2 = "2024-07-31/default-1/test-model-2";
  ASSERT_TRUE(
      store_
          ->PutCase(CaseKey(kAlive, 3702), CaseJson(run2, kAlive, "HOLD", 0.7, "SHARED_ACCOUNT",
                                                    "account shared by 3 pensioners"))
          .ok());
  ASSERT_TRUE(store_->PutMeta("last_score_run", run2).ok());
  ASSERT_TRUE(screener_->Rebuild().ok());
  EXPECT_EQ(screener_->score_run(), run2);
  const Decision held = Screen(Request("N2", kAlive, 3702, "2024-08", kBenefit, kAccount));
  EXPECT_EQ(held.action, Action::kHold);
  EXPECT_TRUE(HasCheck(held, ScreenCheck::kLastRun));
  // The period passed before the rebuild (under the old window's anchor) is still passed.
  const Decision again = Screen(Request("N3", kAlive, 3702, "2024-07", kBenefit, kAccount));
  EXPECT_EQ(again.action, Action::kBlock);
  EXPECT_TRUE(HasCheck(again, ScreenCheck::kDuplicatePeriod));
  EXPECT_EQ(screener_->stats().persons, persons);
}

TEST_F(ScreenerTest, RebuildKeepsThePeriodsPassedForAPersonRegisteredAfterOpen) {
  Write(Person(kStranger, 3702, kBenefit, kAccount));
  EXPECT_EQ(Screen(Request("N1", kStranger, 3702, "2024-07", kBenefit, kAccount)).action,
            Action::kPay);
  ASSERT_TRUE(screener_->Rebuild().ok());
  const Decision again = Screen(Request("N2", kStranger, 3702, "2024-07", kBenefit, kAccount));
  EXPECT_EQ(again.action, Action::kBlock);
  EXPECT_EQ(again.reasons[0].text,
            "PENSION for 2024-07 was already passed for payment by this screener (another "
            "payment_id)");
}

TEST_F(ScreenerTest, ARepeatedCleanPayNamesTheScoreRunItWasDecidedUnder) {
  const std::string first_run = screener_->score_run();  // a copy: Rebuild frees the state
  const Decision paid = Screen(Request("N1", kAlive, 3702, "2024-07", kBenefit, kAccount));
  ASSERT_EQ(paid.action, Action::kPay);
  ASSERT_TRUE(paid.reasons.empty());
  EXPECT_EQ(paid.score_run, kRun);

  const std::string run2 = "2024-07-31/default-1/test-model-2";
  ASSERT_TRUE(store_->PutMeta("last_score_run", run2).ok());
  ASSERT_TRUE(screener_->Rebuild().ok());
  EXPECT_EQ(first_run, kRun);
  EXPECT_EQ(screener_->score_run(), run2);

  const Decision repeat = Screen(Request("N1", kAlive, 3702, "2024-07", kBenefit, kAccount));
  EXPECT_TRUE(repeat.repeated);
  EXPECT_EQ(repeat.action, Action::kPay);
  EXPECT_EQ(repeat.score_run, kRun);
  EXPECT_EQ(Screen(Request("N2", kAlive, 3702, "2024-08", kBenefit, kAccount)).score_run, run2);
}

TEST_F(ScreenerTest, WithoutPersistentIdempotenceARestartDecidesAgain) {
  ScreenerOptions options;
  options.persistent_idempotence = false;
  OpenScreener(options);
  const PaymentRequest r = Request("N1", kAlive, 3702, "2024-07", kBenefit, kAccount);
  EXPECT_FALSE(Screen(r).repeated);
  EXPECT_TRUE(Screen(r).repeated);  // in memory
  OpenScreener(options);
  EXPECT_FALSE(Screen(r).repeated);
}

TEST_F(ScreenerTest, DeferredAuditIsWrittenByFlush) {
  ScreenerOptions options;
  options.audit_mode = AuditMode::kDeferred;
  options.audit_flush_interval_ms = 60'000;
  OpenScreener(options);
  Screen(Request("N1", kAlive, 3702, "2024-07", kBenefit, kAccount));
  ASSERT_TRUE(screener_->Flush().ok());
  EXPECT_EQ(AuditCount(), 1u);
  EXPECT_EQ(screener_->stats().audit_written, 1u);
}

// An audit write that fails (here the file size limit: EFBIG) fails its callers and every
// later call until the screener is reopened, so that no caller, whatever the interleaving of
// concurrent groups, gets OK for a decision whose record is not in the journal.
TEST_F(ScreenerTest, AFailedAuditWriteFailsEveryLaterCallAndNoneReturnsOkUnwritten) {
  ASSERT_EQ(AuditCount(), 0u);
  struct rlimit saved {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = saved;
  small.rlim_cur = 4000;  // a few dozen journal records; nothing else writes files meanwhile
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  std::atomic<uint64_t> ok{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 30; ++i) {
        auto d = screener_->Screen(Request(testing::Name(testing::Name("F", t) + "-", i), kAlive,
                                           3702, "2024-07", kBenefit, kAccount));
        (d.ok() ? ok : failed)++;
      }
    });
  }
  for (auto& t : threads) t.join();
  const Status flush = screener_->Flush();
  const std::vector<PaymentRequest> batch = {
      Request("FB-1", kAlive, 3702, "2024-08", kBenefit, kAccount)};
  std::vector<Result<Decision>> out;
  const Status batch_status = screener_->ScreenBatch(batch, &out);
  auto after = screener_->Screen(Request("F-after", kAlive, 3702, "2024-07", kBenefit, kAccount));
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &saved), 0);
  std::signal(SIGXFSZ, old_handler);

  EXPECT_GT(ok.load(), 0u);
  EXPECT_GT(failed.load(), 0u);
  // Every OK return has its record, no failed one has.
  EXPECT_EQ(AuditCount(), ok.load());
  EXPECT_FALSE(flush.ok());
  EXPECT_FALSE(batch_status.ok());
  EXPECT_FALSE(after.ok());
  // Reopened, the screener writes again after the last intact record.
  OpenScreener();
  EXPECT_TRUE(
      screener_->Screen(Request("F-new", kAlive, 3702, "2024-09", kBenefit, kAccount)).ok());
  EXPECT_EQ(AuditCount(), ok.load() + 1);
}

TEST_F(ScreenerTest, DeferredAuditWriteFailureIsReportedByFlushAndLaterCalls) {
  ScreenerOptions options;
  options.audit_mode = AuditMode::kDeferred;
  options.audit_flush_interval_ms = 60'000;
  OpenScreener(options);
  ASSERT_EQ(AuditCount(), 0u);
  struct rlimit saved {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit none = saved;
  none.rlim_cur = 0;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &none), 0);
  const bool first_ok =
      screener_->Screen(Request("D1", kAlive, 3702, "2024-07", kBenefit, kAccount)).ok();
  const Status first_flush = screener_->Flush();
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &saved), 0);
  std::signal(SIGXFSZ, old_handler);
  // The limit is lifted, but the failure stays: a later success does not hide it.
  auto later = screener_->Screen(Request("D2", kAlive, 3702, "2024-08", kBenefit, kAccount));
  const Status second_flush = screener_->Flush();
  EXPECT_TRUE(first_ok);  // queued: the write comes later
  EXPECT_FALSE(first_flush.ok());
  EXPECT_FALSE(later.ok());
  EXPECT_FALSE(second_flush.ok());
  EXPECT_EQ(AuditCount(), 0u);
}

TEST_F(ScreenerTest, BatchDecidesLikeSingleRequestsInInputOrder) {
  std::vector<PaymentRequest> batch = {
      Request("B1", kAlive, 3702, "2024-07", kBenefit, kAccount),
      Request("B2", kDead, 3702, "2024-07", kBenefit, kAccount),
      Request("B3", kAlive, 3706, "2024-07", kBenefit, kAccount),  // second for 2024-07
      Request("B4", kAlive, 3702, "2024-07", 900000, kAccount),
      Request("", kAlive, 3702, "2024-07", kBenefit, kAccount),
      Request("B1", kAlive, 3702, "2024-07", kBenefit, kAccount),  // repeat of B1
  };
  std::vector<Result<Decision>> out;
  ASSERT_TRUE(screener_->ScreenBatch(batch, &out).ok());
  ASSERT_EQ(out.size(), batch.size());
  EXPECT_EQ(out[0]->action, Action::kPay);
  EXPECT_EQ(out[1]->action, Action::kBlock);
  EXPECT_EQ(out[2]->action, Action::kBlock);
  EXPECT_TRUE(HasCheck(*out[2], ScreenCheck::kDuplicatePeriod));
  EXPECT_EQ(out[3]->action, Action::kBlock);
  EXPECT_EQ(out[4].status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(out[5]->repeated);
  EXPECT_EQ(AuditCount(), 5u);
}

TEST_F(ScreenerTest, ALargeBatchIsWrittenInSubBatchesInPersonKeyOrder) {
  // 20,000 persons: more than one sub-batch, so some records are written while the rest of the
  // batch is decided. Every record is in the journal once, in person-key order.
  std::vector<PaymentRequest> batch;
  for (int i = 0; i < 20000; ++i) {
    char first17[32];
    std::snprintf(first17, sizeof first17, "370202%04d%02d%02d%03d", 1940 + i % 20,
                  1 + (i / 20) % 12, 1 + (i / 240) % 28, (i / 6720) % 1000);
    batch.push_back(
        Request(testing::Name("L", i), testing::Id(first17), 3702, "2024-07", kBenefit, kAccount));
  }
  std::vector<Result<Decision>> out;
  ASSERT_TRUE(screener_->ScreenBatch(batch, &out).ok());
  std::map<std::string, uint64_t> key_of;
  for (const Result<Decision>& d : out) {
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    key_of[d->payment_id] = d->person_key;
  }
  const std::vector<std::string> entries = AuditEntries();
  ASSERT_EQ(entries.size(), batch.size());
  uint64_t last_key = 0;
  std::set<std::string> seen;
  for (const std::string& e : entries) {
    const auto j = nlohmann::json::parse(AuditEntryJson(e).value());
    const std::string id = j.at("payment_id").get<std::string>();
    ASSERT_TRUE(seen.insert(id).second) << id;
    ASSERT_GE(key_of.at(id), last_key) << id;
    last_key = key_of.at(id);
  }
  // The same batch again, by a restarted screener: every decision a repeat, read back.
  OpenScreener();
  std::vector<Result<Decision>> again;
  ASSERT_TRUE(screener_->ScreenBatch(batch, &again).ok());
  for (size_t i = 0; i < batch.size(); ++i) {
    ASSERT_TRUE(again[i].ok());
    EXPECT_TRUE(again[i]->repeated) << i;
    EXPECT_EQ(again[i]->action, out[i]->action) << i;
  }
}

TEST_F(ScreenerTest, BatchOutcomeDoesNotDependOnThreads) {
  std::vector<PaymentRequest> batch;
  for (int i = 0; i < 400; ++i) {
    const std::string* who[] = {&kAlive, &kDead, &kPrisoner, &kTwoRegions, &kCaseHold};
    batch.push_back(Request(testing::Name("T", i), *who[i % 5], i % 3 == 0 ? 3706 : 3702,
                            i % 2 ? "2024-07" : "2024-08", kBenefit + (i % 7) * 1000, kAccount));
  }
  auto run = [&](int threads) {
    TempDir dir;
    auto store = Store::Open(testing::StoreAt(dir / "db"));
    Populate(**store);
    ScreenerOptions options;
    options.threads = threads;
    auto screener = Screener::Open(**store, Policy::Defaults(), options);
    std::vector<Result<Decision>> out;
    EXPECT_TRUE((*screener)->ScreenBatch(batch, &out).ok());
    std::vector<std::string> summary;
    for (const auto& d : out) {
      summary.push_back(std::string(CodeName(d->action)) + JoinPatternNames(d->patterns) +
                        JoinReasonTexts(d->reasons, "|"));
    }
    return summary;
  };
  EXPECT_EQ(run(1), run(4));
}

TEST_F(ScreenerTest, APaymentIdGivenToTwoPayeesInOneBatchIsNeverPaidTwice) {
  // 300 persons; ids shared by pairs of them, decided on two threads: whichever is decided
  // first, the other is a reuse of the id with other content.
  RecordBatch people;
  std::vector<std::string> ids;
  for (int i = 0; i < 300; ++i) {
    char first17[18];
    std::snprintf(first17, sizeof first17, "3702021960%02d%02d%03d", 1 + i % 12, 1 + i % 28, i);
    ids.push_back(Id(first17));
    people.Add(Person(ids.back(), 3702, kBenefit, kAccount));
  }
  ASSERT_TRUE(store_->Write(people).ok());
  ScreenerOptions options;
  options.threads = 2;
  OpenScreener(options);
  std::vector<PaymentRequest> batch;
  for (int i = 0; i < 150; ++i) {
    batch.push_back(Request(testing::Name("DUP", i), ids[i], 3702, "2024-07", kBenefit, kAccount));
    batch.push_back(
        Request(testing::Name("DUP", i), ids[i + 150], 3702, "2024-07", kBenefit, kAccount));
  }
  for (int round = 0; round < 5; ++round) {
    std::vector<Result<Decision>> out;
    ASSERT_TRUE(screener_->ScreenBatch(batch, &out).ok());
    for (size_t i = 0; i < batch.size(); i += 2) {
      ASSERT_TRUE(out[i].ok() && out[i + 1].ok());
      const int paid =
          (out[i]->action == Action::kPay ? 1 : 0) + (out[i + 1]->action == Action::kPay ? 1 : 0);
      EXPECT_EQ(paid, 1) << batch[i].payment_id << " round " << round;
    }
  }
}

TEST_F(ScreenerTest, APeriodPassedBeforeARestartStaysPassed) {
  EXPECT_EQ(Screen(Request("N1", kAlive, 3702, "2024-07", kBenefit, kAccount)).action,
            Action::kPay);
  OpenScreener();  // a restart: the state is built anew from the store and the journal
  const Decision second = Screen(Request("N9", kAlive, 3702, "2024-07", kBenefit, kAccount));
  EXPECT_EQ(second.action, Action::kBlock);
  EXPECT_EQ(second.reasons[0].text,
            "PENSION for 2024-07 was already passed for payment by this screener (another "
            "payment_id)");
  EXPECT_EQ(Screen(Request("N1", kAlive, 3702, "2024-07", kBenefit, kAccount)).action,
            Action::kPay);  // the first one itself, repeated
}

TEST_F(ScreenerTest, ConcurrentScreeningWhileIngestWrites) {
  // Several platform threads screen while an ingest thread writes payments and, at some point,
  // a death. Run under -DVIGIL_SANITIZE=thread too.
  std::atomic<bool> death_written{false};
  std::atomic<bool> stop{false};
  std::thread ingest([&] {
    for (int i = 0; i < 60 && !stop; ++i) {
      RecordBatch batch;
      batch.Add(
          Payment(testing::Name("I", i), kTwoRegions, 3706, "2023-01", 200000, "6222000099990000"));
      if (i == 30) batch.Add(Registry(kAlive, RegistryEvent::kDeath, "2024-07-01", "2024-07-02"));
      ASSERT_TRUE(store_->Write(batch).ok());
      if (i == 30) death_written = true;
    }
  });
  std::vector<std::thread> platform;
  std::atomic<int> blocked_after_death{0}, paid_after_death{0};
  for (int t = 0; t < 4; ++t) {
    platform.emplace_back([&, t] {
      for (int i = 0; i < 150; ++i) {
        const bool after = death_written.load();
        auto d =
            screener_->Screen(Request(testing::Name(testing::Name("C", t) + "-", i), kAlive, 3702,
                                      i % 2 ? "2024-09" : "2024-10", kBenefit, kAccount));
        ASSERT_TRUE(d.ok()) << d.status().ToString();
        if (after) {
          (d->action == Action::kBlock ? blocked_after_death : paid_after_death)++;
          EXPECT_TRUE(HasCheck(*d, ScreenCheck::kDeath));
        }
      }
    });
  }
  for (auto& t : platform) t.join();
  stop = true;
  ingest.join();
  EXPECT_EQ(paid_after_death.load(), 0);
  EXPECT_EQ(AuditCount(), 600u);
}

TEST(ScreenerSecondaryTest, FollowsARunningIngestAndAuditsToItsOwnStore) {
  TempDir dir;
  auto primary = Store::Open(testing::StoreAt(dir / "db"));
  ASSERT_TRUE(primary.ok());
  Populate(**primary);
  ASSERT_TRUE((*primary)->Flush().ok());
  ScreenerStoreOptions where{dir / "db", dir / "secondary", dir / "audit"};
  ScreenerOptions options;
  options.catch_up_interval_ms = 10;
  auto screener = Screener::Open(where, Policy::Defaults(), options);
  ASSERT_TRUE(screener.ok()) << screener.status().ToString();
  auto d = (*screener)->Screen(Request("N1", kAlive, 3702, "2024-07", kBenefit, kAccount));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->action, Action::kPay);
  RecordBatch batch;
  batch.Add(Registry(kAlive, RegistryEvent::kDeath, "2024-07-20", "2024-07-25"));
  ASSERT_TRUE((*primary)->Write(batch).ok());
  // The secondary sees the primary's writes after its next catch-up (catch_up_interval_ms).
  Action action = Action::kPay;
  for (int i = 0; i < 200 && action != Action::kBlock; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    auto again = (*screener)->Screen(
        Request(testing::Name("N", i + 2), kAlive, 3702, "2024-08", kBenefit, kAccount));
    ASSERT_TRUE(again.ok());
    action = again->action;
  }
  EXPECT_EQ(action, Action::kBlock);
  screener->reset();
  std::string first;
  auto scan = ScanScreenerAudit(dir / "audit", [&](std::string_view e) {
    first = AuditEntryJson(e).value();
    return false;
  });
  ASSERT_TRUE(scan.ok()) << scan.status().ToString();
  EXPECT_NE(first.find("\"payment_id\":\"N1\""), std::string::npos) << first;
  // A restart finds the decision in the screener's own audit store.
  auto reopened = Screener::Open(where, Policy::Defaults(), options);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  auto repeat = (*reopened)->Screen(Request("N1", kAlive, 3702, "2024-07", kBenefit, kAccount));
  ASSERT_TRUE(repeat.ok());
  EXPECT_TRUE(repeat->repeated);
  EXPECT_EQ(repeat->action, Action::kPay);
}

// A delivery the platform is loading in this process is the freshness path's to follow; one
// whose load stopped before its end is refused (its missing rows may hold a death), and a
// secondary, which cannot tell the two apart, follows the primary as it always does.
TEST(ScreenerDeliveryTest, OpensBesideADeliveryBeingLoadedButNotOnAnInterruptedOne) {
  TempDir dir;
  auto store = Store::Open(testing::StoreAt(dir / "db"));
  ASSERT_TRUE(store.ok());
  Populate(**store);
  DeliveryOptions delivery;
  delivery.load_id = "0123456789abcdef";
  delivery.source = "/feeds/2024-07";
  {
    auto loading = (*store)->BeginDelivery(delivery);
    ASSERT_TRUE(loading.ok()) << loading.status().ToString();
    auto screener = Screener::Open(**store, Policy::Defaults());
    ASSERT_TRUE(screener.ok()) << screener.status().ToString();
  }  // the delivery is dropped unended: its load stopped
  EXPECT_EQ(Screener::Open(**store, Policy::Defaults()).status(),
            Status::FailedPrecondition(
                "the store holds part of an interrupted delivery (load id 0123456789abcdef from "
                "/feeds/2024-07): run vigil ingest on that folder again before screening"));
  ASSERT_TRUE((*store)->Flush().ok());
  ScreenerStoreOptions secondary{dir / "db", dir / "secondary", dir / "audit"};
  auto follower = Screener::Open(secondary, Policy::Defaults());
  ASSERT_TRUE(follower.ok()) << follower.status().ToString();
  auto d = (*follower)->Screen(Request("S1", kAlive, 3702, "2024-07", kBenefit, kAccount));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->action, Action::kPay);
}

TEST(ScreenerScoreRunTest, ReadsTheCasesAScoreRunWrites) {
  TempDir dir;
  auto store = Store::Open(testing::StoreAt(dir / "db"));
  ASSERT_TRUE(store.ok());
  Populate(**store);
  // A pension paid on after a registered death: the run flags it DECEASED_PAID.
  ScoreOptions score;
  score.as_of = testing::D("2024-06-30");
  score.out_dir = dir / "out";
  auto summary = ScoreAll(**store, Policy::Defaults(), score);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  auto screener = Screener::Open(**store, Policy::Defaults());
  ASSERT_TRUE(screener.ok());
  EXPECT_EQ((*screener)->score_run().substr(0, 10), "2024-06-30");
  auto d = (*screener)->Screen(Request("N1", kDead, 3702, "2024-07", kBenefit, kAccount));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->action, Action::kBlock);
  EXPECT_TRUE(std::find(d->patterns.begin(), d->patterns.end(), Pattern::kDeceasedPaid) !=
              d->patterns.end());
}

}  // namespace
}  // namespace vigil

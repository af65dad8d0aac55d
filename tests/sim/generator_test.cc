// The synthetic city checked against the data contract by an independent strict reader, plus
// determinism across thread counts, injected prevalences and the presence of honest look-alikes.
#include "vigil/generator.h"

#include <gtest/gtest.h>
#include <tbb/global_control.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "vigil/codes.h"
#include "vigil/ingest.h"
#include "vigil/money.h"
#include "vigil/resident_id.h"
#include "vigil/time.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Gunzip(const fs::path& path) {
  gzFile f = gzopen(path.string().c_str(), "rb");
  std::string out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  gzclose(f);
  return out;
}

std::vector<std::string> Split(const std::string& line) {
  std::vector<std::string> cols;
  size_t start = 0;
  while (true) {
    const size_t comma = line.find(',', start);
    cols.push_back(
        line.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return cols;
}

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

Table ReadCsv(const fs::path& path) {
  Table t;
  std::istringstream in(ReadFile(path));
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    if (first) {
      t.header = Split(line);
      first = false;
    } else {
      t.rows.push_back(Split(line));
    }
  }
  return t;
}

bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

bool MoneyOk(const std::string& text) {
  const auto dot = text.find('.');
  if (dot != std::string::npos && text.size() - dot - 1 > 2) return false;
  return ParseMoney(text).ok();
}

GeneratorOptions Options(const fs::path& dir, uint64_t persons, uint64_t seed) {
  GeneratorOptions o;
  o.out_dir = dir.string();
  o.persons = persons;
  o.seed = seed;
  return o;
}

class GeneratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("vigil_sim_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

const std::vector<std::string> kPersons = {
    "person_id",       "region",       "name",     "birth_date",      "sex",
    "district",        "scheme",       "category", "retirement_date", "retirement_type",
    "monthly_benefit", "bank_account", "phone",    "address",         "status"};

TEST_F(GeneratorTest, EveryFileMeetsTheContract) {
  const uint64_t seed = 7;
  auto stats = GenerateCity(Options(dir_, 3000, seed));
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  SCOPED_TRACE("seed " + std::to_string(seed));

  // Truth first: forged identities are the only ids allowed a failing check character.
  Table truth = ReadCsv(dir_ / "truth" / "persons.csv");
  ASSERT_EQ(truth.header, (std::vector<std::string>{"person_id", "region", "alive", "death_date",
                                                    "patterns", "role"}));
  std::unordered_set<std::string> forged;
  for (const auto& r : truth.rows) {
    ASSERT_EQ(r.size(), 6u);
    EXPECT_TRUE(r[2] == "1" || r[2] == "0");
    if (!r[3].empty()) {
      EXPECT_TRUE(ParseDate(r[3]).ok()) << r[3];
    }
    if (r[2] == "1") {
      EXPECT_TRUE(r[3].empty());
    }
    std::stringstream ps(r[4]);
    std::string code;
    while (std::getline(ps, code, ';')) {
      EXPECT_TRUE(ParseCode<Pattern>(code).ok()) << code;
      if (code == "FORGED_IDENTITY") forged.insert(r[0]);
    }
  }
  auto check_id = [&](const std::string& id, bool ledger) {
    if (ledger && forged.count(id) > 0) {
      EXPECT_TRUE(ResidentId::ParseLenient(id).ok()) << id;
    } else {
      auto parsed = ResidentId::Parse(id);
      EXPECT_TRUE(parsed.ok()) << id << ": " << parsed.status().ToString();
    }
  };
  const std::set<std::string> regions = {"3702", "3706", "3707", "3710", "3711"};

  Table persons = ReadCsv(dir_ / "persons.csv");
  ASSERT_EQ(persons.header, kPersons);
  ASSERT_EQ(persons.rows.size(), stats->rows[0]);
  for (const auto& r : persons.rows) {
    ASSERT_EQ(r.size(), 15u);
    check_id(r[0], true);
    EXPECT_TRUE(regions.count(r[1])) << r[1];
    EXPECT_TRUE(ValidUtf8(r[2]) && !r[2].empty());
    EXPECT_TRUE(ParseDate(r[3]).ok()) << r[3];
    auto sex = ParseCode<Sex>(r[4]);
    ASSERT_TRUE(sex.ok());
    // The sex inside the id agrees with the registered sex.
    EXPECT_EQ(((r[0][16] - '0') % 2 == 1) ? Sex::kMale : Sex::kFemale, *sex) << r[0];
    EXPECT_EQ(r[5].size(), 6u);
    EXPECT_EQ(r[5].substr(0, 4), r[1]) << "district outside its region";
    EXPECT_TRUE(ParseCode<Scheme>(r[6]).ok());
    EXPECT_TRUE(ParseCode<Category>(r[7]).ok());
    EXPECT_TRUE(ParseDate(r[8]).ok());
    EXPECT_TRUE(ParseCode<RetirementType>(r[9]).ok());
    EXPECT_TRUE(MoneyOk(r[10])) << r[10];
    EXPECT_FALSE(r[11].empty());
    EXPECT_TRUE(r[12].empty() || r[12].size() == 11u);
    EXPECT_TRUE(ValidUtf8(r[13]));
    EXPECT_TRUE(ParseCode<PersonStatus>(r[14]).ok());
  }

  Table contributions = ReadCsv(dir_ / "contributions.csv");
  ASSERT_EQ(contributions.header,
            (std::vector<std::string>{"person_id", "region", "employer_id", "industry", "job_type",
                                      "start_month", "end_month", "monthly_base", "kind",
                                      "paid_date", "recorded_at"}));
  std::set<std::string> contribution_keys;
  for (const auto& r : contributions.rows) {
    ASSERT_EQ(r.size(), 11u);
    check_id(r[0], true);
    EXPECT_TRUE(regions.count(r[1]));
    EXPECT_EQ(r[2].size(), 18u);
    EXPECT_EQ(r[3].size(), 3u);
    EXPECT_TRUE(r[3][0] >= 'A' && r[3][0] <= 'T');
    EXPECT_TRUE(ParseCode<JobType>(r[4]).ok());
    auto start = ParseMonth(r[5]);
    auto end = ParseMonth(r[6]);
    ASSERT_TRUE(start.ok() && end.ok());
    EXPECT_LE(MonthNumber(*start), MonthNumber(*end));
    EXPECT_TRUE(MoneyOk(r[7]));
    EXPECT_TRUE(ParseCode<ContributionKind>(r[8]).ok());
    EXPECT_TRUE(ParseDate(r[9]).ok());
    EXPECT_TRUE(ParseTimestamp(r[10]).ok());
    EXPECT_TRUE(contribution_keys.insert(r[0] + r[1] + r[2] + r[5] + r[8]).second)
        << "duplicate natural key";
  }

  Table payments = ReadCsv(dir_ / "payments.csv");
  ASSERT_EQ(payments.header,
            (std::vector<std::string>{"payment_id", "person_id", "region", "benefit", "period",
                                      "amount", "bank_account", "channel", "paid_date"}));
  std::unordered_set<std::string> payment_ids;
  const Date as_of = Date(std::chrono::year(2026), std::chrono::month(10), std::chrono::day(31));
  for (const auto& r : payments.rows) {
    ASSERT_EQ(r.size(), 9u);
    EXPECT_TRUE(payment_ids.insert(r[0]).second) << "duplicate payment_id " << r[0];
    check_id(r[1], true);
    EXPECT_TRUE(regions.count(r[2]));
    EXPECT_TRUE(ParseCode<Benefit>(r[3]).ok());
    EXPECT_TRUE(ParseMonth(r[4]).ok());
    EXPECT_TRUE(MoneyOk(r[5])) << r[5];
    EXPECT_FALSE(r[6].empty());
    EXPECT_TRUE(ParseCode<Channel>(r[7]).ok());
    auto paid = ParseDate(r[8]);
    ASSERT_TRUE(paid.ok());
    EXPECT_LE(DayNumber(*paid), DayNumber(as_of));
  }

  Table signals = ReadCsv(dir_ / "signals.csv");
  ASSERT_EQ(signals.header,
            (std::vector<std::string>{"person_id", "source", "occurred_at", "place", "detail"}));
  std::unordered_set<std::string> signal_keys;
  for (const auto& r : signals.rows) {
    ASSERT_EQ(r.size(), 5u);
    check_id(r[0], false);
    auto source = ParseCode<SignalSource>(r[1]);
    ASSERT_TRUE(source.ok()) << r[1];
    auto ts = ParseTimestamp(r[2]);
    ASSERT_TRUE(ts.ok()) << r[2];
    EXPECT_LE(DayNumber(DateOf(*ts)), DayNumber(as_of));
    if (*source == SignalSource::kFaceCert) {
      EXPECT_TRUE(r[4] == "PASS" || r[4] == "FAIL");
    }
    if (*source == SignalSource::kHospitalDischarge) {
      EXPECT_TRUE(r[4] == "CURED" || r[4] == "TRANSFERRED" || r[4] == "DIED") << r[4];
    }
    EXPECT_TRUE(signal_keys.insert(r[0] + r[1] + r[2] + r[3]).second) << "duplicate signal key";
  }

  Table registry = ReadCsv(dir_ / "registry.csv");
  ASSERT_EQ(registry.header, (std::vector<std::string>{"person_id", "event", "event_date",
                                                       "reported_date", "detail"}));
  for (const auto& r : registry.rows) {
    ASSERT_EQ(r.size(), 5u);
    check_id(r[0], false);
    auto ev = ParseCode<RegistryEvent>(r[1]);
    ASSERT_TRUE(ev.ok());
    auto d = ParseDate(r[2]);
    auto rep = ParseDate(r[3]);
    ASSERT_TRUE(d.ok() && rep.ok());
    EXPECT_LE(DayNumber(*d), DayNumber(*rep));
    EXPECT_LE(DayNumber(*rep), DayNumber(as_of));
    if (*ev == RegistryEvent::kIdChange) {
      EXPECT_EQ(r[4].rfind("birth_date:", 0), 0u) << r[4];
    }
  }

  Table appraisals = ReadCsv(dir_ / "appraisals.csv");
  ASSERT_EQ(appraisals.header,
            (std::vector<std::string>{"person_id", "appraisal_date", "hospital_id", "doctor_id",
                                      "grade", "conclusion"}));
  for (const auto& r : appraisals.rows) {
    ASSERT_EQ(r.size(), 6u);
    check_id(r[0], false);
    EXPECT_TRUE(ParseDate(r[1]).ok());
    const int grade = std::stoi(r[4]);
    EXPECT_GE(grade, 1);
    EXPECT_LE(grade, 10);
    auto conclusion = ParseCode<Conclusion>(r[5]);
    ASSERT_TRUE(conclusion.ok());
    EXPECT_EQ(grade <= 4, *conclusion == Conclusion::kCompleteLoss);
  }
  // Bad check characters exist only where the contract keeps them.
  size_t bad = 0;
  for (const auto& r : persons.rows) bad += ResidentId::Parse(r[0]).ok() ? 0 : 1;
  EXPECT_LE(bad, forged.size());
}

TEST_F(GeneratorTest, SameSeedSameBytesWhateverTheThreadCount) {
  std::map<std::string, std::string> runs[2];
  for (int threads = 1; threads <= 2; ++threads) {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                              static_cast<size_t>(threads));
    const fs::path d = dir_ / std::to_string(threads);
    auto stats = GenerateCity(Options(d, 2500, 42));
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
    for (const char* f : {"persons.csv", "contributions.csv", "payments.csv", "signals.csv",
                          "registry.csv", "appraisals.csv", "truth/persons.csv"}) {
      runs[threads - 1][f] = ReadFile(d / f);
    }
  }
  for (const auto& [name, bytes] : runs[0]) {
    EXPECT_FALSE(bytes.empty()) << name;
    EXPECT_TRUE(bytes == runs[1][name]) << name << " differs between 1 and 2 threads (seed 42)";
  }
}

TEST_F(GeneratorTest, GzipOutputHoldsTheSameRows) {
  auto plain = GenerateCity(Options(dir_ / "plain", 600, 3));
  ASSERT_TRUE(plain.ok());
  GeneratorOptions o = Options(dir_ / "gz", 600, 3);
  o.gzip = true;
  auto gz = GenerateCity(o);
  ASSERT_TRUE(gz.ok());
  for (const char* f : {"persons.csv", "signals.csv", "truth/persons.csv"}) {
    EXPECT_EQ(Gunzip(dir_ / "gz" / (std::string(f) + ".gz")), ReadFile(dir_ / "plain" / f)) << f;
  }
}

TEST_F(GeneratorTest, PatternPrevalencesFollowTheConfiguredRates) {
  GeneratorOptions o = Options(dir_, 8000, 11);
  // Ten times the defaults, so a small city has enough positives to measure.
  PatternRates& r = o.rates;
  for (double* x : {&r.deceased_paid, &r.concealed_death, &r.prison_paid, &r.duplicate_receipt,
                    &r.shared_account, &r.account_hijack, &r.fake_special_job, &r.fake_disability,
                    &r.age_falsified, &r.backpay_abuse, &r.unemployed_while_employed,
                    &r.forged_identity, &r.amount_anomaly, &r.face_reuse, &r.anomaly}) {
    *x *= 10;
  }
  auto stats = GenerateCity(o);
  ASSERT_TRUE(stats.ok());
  Table truth = ReadCsv(dir_ / "truth" / "persons.csv");
  std::map<std::string, std::set<std::string>> positives;  // pattern -> person ids
  for (const auto& row : truth.rows) {
    std::stringstream ps(row[4]);
    std::string code;
    while (std::getline(ps, code, ';')) positives[code].insert(row[0]);
  }
  const std::map<std::string, double> rates = {
      {"CONCEALED_DEATH", r.concealed_death},
      {"PRISON_PAID", r.prison_paid},
      {"DUPLICATE_RECEIPT", r.duplicate_receipt},
      {"SHARED_ACCOUNT", r.shared_account},
      {"ACCOUNT_HIJACK", r.account_hijack},
      {"FAKE_SPECIAL_JOB", r.fake_special_job},
      {"FAKE_DISABILITY", r.fake_disability},
      {"AGE_FALSIFIED", r.age_falsified},
      {"BACKPAY_ABUSE", r.backpay_abuse},
      {"UNEMPLOYED_WHILE_EMPLOYED", r.unemployed_while_employed},
      {"FORGED_IDENTITY", r.forged_identity},
      {"AMOUNT_ANOMALY", r.amount_anomaly},
      {"FACE_REUSE", r.face_reuse},
      {"ANOMALY", r.anomaly}};
  for (const auto& [code, rate] : rates) {
    const double expected = rate * static_cast<double>(o.persons);
    const double got = static_cast<double>(positives[code].size());
    // Binomial noise plus a few injections dropped when a case cannot be built (e.g. a
    // falsified birth date that would start the pension after as-of).
    EXPECT_GT(got, expected * 0.6) << code << " (seed 11)";
    EXPECT_LT(got, expected * 1.4 + 5) << code << " (seed 11)";
  }
  // DECEASED_PAID also arises honestly from late death reports, so it is at least the rate.
  EXPECT_GT(static_cast<double>(positives["DECEASED_PAID"].size()), r.deceased_paid * 8000 * 0.6);
}

// Checks, from the written feeds alone, that every pattern the truth names for a person shows in
// the rows paid, registered or recorded on or before the as-of date. One failure line per person.
void ExpectEveryLabelIsInTheFeeds(const fs::path& dir, const std::string& as_of,
                                  const std::string& trace) {
  SCOPED_TRACE(trace);
  std::map<std::string, std::set<std::string>> labelled;  // pattern -> persons
  std::map<std::string, std::string> death;               // person -> death date
  for (const auto& row : ReadCsv(dir / "truth" / "persons.csv").rows) {
    std::stringstream ps(row[4]);
    std::string code;
    while (std::getline(ps, code, ';')) labelled[code].insert(row[0]);
    if (!row[3].empty()) death[row[0]] = row[3];
  }
  for (const char* code : {"DECEASED_PAID", "CONCEALED_DEATH", "PRISON_PAID", "DUPLICATE_RECEIPT",
                           "SHARED_ACCOUNT", "ACCOUNT_HIJACK", "AMOUNT_ANOMALY"}) {
    EXPECT_GT(labelled[code].size(), 20U) << code << ": too few to check";
  }
  struct Person {
    std::map<std::string, std::string> benefit;  // region -> monthly_benefit
    std::string birth_date;
    std::string retirement_type;
  };
  std::map<std::string, Person> persons;
  for (const auto& row : ReadCsv(dir / "persons.csv").rows) {
    Person& p = persons[row[0]];
    p.benefit[row[1]] = row[10];
    p.birth_date = row[3];
    p.retirement_type = row[9];
  }
  struct Pension {
    std::string region, period, amount, account, paid;
  };
  std::map<std::string, std::vector<Pension>> pensions;
  std::map<std::string, std::set<std::string>> payees_of;  // account -> persons paid a pension
  std::map<std::string, std::vector<std::string>> unemployment;  // person -> periods
  for (const auto& row : ReadCsv(dir / "payments.csv").rows) {
    EXPECT_LE(row[8], as_of) << "paid after the as-of date: " << row[0];
    if (row[3] == "PENSION") {
      pensions[row[1]].push_back({row[2], row[4], row[5], row[6], row[8]});
      payees_of[row[6]].insert(row[1]);
    } else if (row[3] == "UNEMPLOYMENT") {
      unemployment[row[1]].push_back(row[4]);
    }
  }
  std::map<std::string, std::vector<std::vector<std::string>>> registry;
  for (const auto& row : ReadCsv(dir / "registry.csv").rows) {
    EXPECT_LE(row[3], as_of);
    auto it = death.find(row[0]);
    if (it != death.end() && row[2] > it->second) {
      EXPECT_TRUE(row[1] == "DEATH" || row[1] == "CREMATION")
          << row[0] << " died " << it->second << ", " << row[1] << " dated " << row[2];
    }
    registry[row[0]].push_back(row);
  }
  auto died = [&](const std::string& person) {
    auto it = death.find(person);
    return it == death.end() ? std::string("alive") : "died " + it->second;
  };
  auto event = [&](const std::string& person, const char* name) -> const std::vector<std::string>* {
    for (const auto& row : registry[person]) {
      if (row[1] == name) return &row;
    }
    return nullptr;
  };

  for (const auto& code : {"DECEASED_PAID", "CONCEALED_DEATH"}) {
    for (const auto& person : labelled[code]) {
      const std::string death_month = death.count(person) ? death[person].substr(0, 7) : "";
      bool paid_after = false;
      for (const auto& p : pensions[person]) paid_after |= p.period > death_month;
      EXPECT_TRUE(!death_month.empty() && paid_after)
          << code << " " << person << " (" << died(person) << ")"
          << ", no pension for a later month paid by " << as_of;
    }
  }
  for (const auto& person : labelled["DECEASED_PAID"]) {
    EXPECT_NE(event(person, "DEATH"), nullptr) << "DECEASED_PAID " << person << " with no DEATH";
  }
  for (const auto& person : labelled["PRISON_PAID"]) {
    const auto* in = event(person, "PRISON_IN");
    const auto* out = event(person, "PRISON_OUT");
    bool paid_inside = false;
    for (const auto& p : pensions[person]) {
      paid_inside |= in != nullptr && p.period > (*in)[2].substr(0, 7) &&
                     (out == nullptr || p.period <= (*out)[2].substr(0, 7));
    }
    EXPECT_TRUE(paid_inside) << "PRISON_PAID " << person << ": no pension for a month in prison";
  }
  for (const auto& person : labelled["ACCOUNT_HIJACK"]) {
    std::set<std::string> accounts;
    for (const auto& p : pensions[person]) accounts.insert(p.account);
    EXPECT_GE(accounts.size(), 2U) << "ACCOUNT_HIJACK " << person << " (" << died(person) << ")"
                                   << ": pensions paid into one account only";
  }
  for (const auto& person : labelled["DUPLICATE_RECEIPT"]) {
    std::map<std::string, std::set<std::string>> regions_of;  // period -> regions paying it
    size_t most = 0;
    for (const auto& p : pensions[person]) {
      regions_of[p.period].insert(p.region);
      most = std::max(most, regions_of[p.period].size());
    }
    EXPECT_GE(most, 2U) << "DUPLICATE_RECEIPT " << person << " (" << died(person) << ")"
                        << ": no period paid by two regions";
  }
  for (const auto& person : labelled["SHARED_ACCOUNT"]) {
    bool shared = false;
    for (const auto& p : pensions[person]) shared |= payees_of[p.account].size() >= 2;
    EXPECT_TRUE(shared) << "SHARED_ACCOUNT " << person << ": no pension into a shared account";
  }
  for (const char* code : {"ANOMALY", "FORGED_IDENTITY"}) {
    for (const auto& person : labelled[code]) {
      EXPECT_FALSE(pensions[person].empty()) << code << " " << person << ": no pension paid";
    }
  }
  for (const auto& person : labelled["AMOUNT_ANOMALY"]) {
    // The first row paid for a period is the month's pension (a July arrears row comes later).
    // Normal months are paid 0.8-1 times the benefit approved at as-of (two yearly increases in
    // the window); odd ones 1.8-4 or 0.15-0.5 times it.
    std::map<std::pair<std::string, std::string>, const Pension*> first;
    for (const auto& p : pensions[person]) {
      auto& f = first[{p.region, p.period}];
      if (f == nullptr || p.paid < f->paid) f = &p;
    }
    bool off = false;
    for (const auto& [key, p] : first) {
      const double ratio = std::stod(p->amount) / std::stod(persons[person].benefit[key.first]);
      off |= ratio < 0.6 || ratio > 1.4;
    }
    EXPECT_TRUE(off) << "AMOUNT_ANOMALY " << person << ": every month paid near the benefit";
  }
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> spells;
  std::set<std::string> back_paid;
  for (const auto& row : ReadCsv(dir / "contributions.csv").rows) {
    spells[row[0]].push_back({row[5], row[6]});
    if (row[8] == "BACK_PAYMENT") back_paid.insert(row[0]);
  }
  for (const auto& person : labelled["UNEMPLOYED_WHILE_EMPLOYED"]) {
    bool overlap = false;
    for (const auto& month : unemployment[person]) {
      for (const auto& [from, to] : spells[person]) overlap |= from <= month && month <= to;
    }
    EXPECT_TRUE(overlap) << "UNEMPLOYED_WHILE_EMPLOYED " << person
                         << ": no benefit month with contributions";
  }
  for (const auto& person : labelled["BACKPAY_ABUSE"]) {
    EXPECT_TRUE(back_paid.count(person)) << "BACKPAY_ABUSE " << person << ": no back-payment";
  }
  for (const auto& person : labelled["AGE_FALSIFIED"]) {
    const auto* change = event(person, "ID_CHANGE");
    ASSERT_NE(change, nullptr) << "AGE_FALSIFIED " << person << ": no ID_CHANGE";
    // birth_date:OLD->NEW, the new date earlier and the one the fund registered.
    const std::string& detail = (*change)[4];
    const std::string old_date = detail.substr(11, 10);
    const std::string new_date = detail.substr(23, 10);
    EXPECT_LT(new_date, old_date) << person;
    EXPECT_EQ(persons[person].birth_date, new_date) << person;
  }
  for (const auto& person : labelled["FAKE_SPECIAL_JOB"]) {
    EXPECT_EQ(persons[person].retirement_type, "SPECIAL_JOB") << person;
  }
  std::set<std::string> appraised;  // complete loss, grade 1-4
  for (const auto& row : ReadCsv(dir / "appraisals.csv").rows) {
    if (row[5] == "COMPLETE_LOSS") appraised.insert(row[0]);
  }
  for (const auto& person : labelled["FAKE_DISABILITY"]) {
    EXPECT_EQ(persons[person].retirement_type, "DISABILITY") << person;
    EXPECT_TRUE(appraised.count(person)) << "FAKE_DISABILITY " << person << ": no appraisal";
  }
  std::map<std::string, std::set<std::string>> certified_on;  // device -> persons
  for (const auto& row : ReadCsv(dir / "signals.csv").rows) {
    if (row[1] == "FACE_CERT" && row[4] == "PASS") certified_on[row[3]].insert(row[0]);
  }
  std::set<std::string> reused;
  for (const auto& [device, people] : certified_on) {
    if (people.size() >= 3) reused.insert(people.begin(), people.end());
  }
  for (const auto& person : labelled["FACE_REUSE"]) {
    EXPECT_TRUE(reused.count(person)) << "FACE_REUSE " << person << ": no device shared by three";
  }
}

// The truth is what evaluation scores against: a pattern named for a person whose behaviour is
// not in the feeds (a death paid nothing after it, a hijack with no payment into the new account,
// a duplicate whose second region never paid) would count a correct decision as a miss. Rates are
// raised so every pattern has enough cases; an as-of date early in a month (before most pay
// days) checks that a month counted as paid really was.
TEST_F(GeneratorTest, EveryPatternInTheTruthShowsInTheFeedsByTheAsOfDate) {
  struct Case {
    uint64_t seed;
    const char* as_of;
  };
  for (const Case& k : {Case{3, "2026-10-05"}, Case{19, "2026-10-31"}}) {
    GeneratorOptions o = Options(dir_, 6000, k.seed);
    o.as_of = *ParseDate(k.as_of);
    PatternRates& r = o.rates;
    for (double* x : {&r.deceased_paid, &r.concealed_death, &r.prison_paid, &r.duplicate_receipt,
                      &r.shared_account, &r.account_hijack, &r.fake_special_job, &r.fake_disability,
                      &r.age_falsified, &r.backpay_abuse, &r.unemployed_while_employed,
                      &r.forged_identity, &r.amount_anomaly, &r.face_reuse, &r.anomaly}) {
      *x *= 10;
    }
    r.prison_paid *= 4;
    ASSERT_TRUE(GenerateCity(o).ok());
    ExpectEveryLabelIsInTheFeeds(dir_, k.as_of,
                                 "seed " + std::to_string(k.seed) + ", as-of " + k.as_of);
    fs::remove_all(dir_);
  }
}

TEST_F(GeneratorTest, HonestLookAlikesArePresent) {
  auto stats = GenerateCity(Options(dir_, 6000, 5));
  ASSERT_TRUE(stats.ok());
  Table truth = ReadCsv(dir_ / "truth" / "persons.csv");
  std::unordered_map<std::string, std::string> patterns;
  std::unordered_map<std::string, bool> alive;
  for (const auto& row : truth.rows) {
    patterns[row[0]] += row[4];
    alive[row[0]] = row[2] == "1";
  }
  Table persons = ReadCsv(dir_ / "persons.csv");
  // Spouses sharing one account: exactly two honest pensioners on an account.
  std::map<std::string, std::vector<std::string>> by_account;
  std::map<std::string, int> rows_per_id;
  for (const auto& r : persons.rows) {
    by_account[r[11]].push_back(r[0]);
    ++rows_per_id[r[0]];
  }
  int couples = 0;
  for (const auto& [acct, ids] : by_account) {
    if (ids.size() == 2 && ids[0] != ids[1] && patterns[ids[0]].empty() && patterns[ids[1]].empty())
      ++couples;
  }
  EXPECT_GT(couples, 100);
  // Honest movers: two regions, no DUPLICATE_RECEIPT.
  int movers = 0;
  for (const auto& [id, n] : rows_per_id) {
    if (n == 2 && patterns[id].empty()) ++movers;
  }
  EXPECT_GT(movers, 10);
  // Real miners: honest underground spells in mining.
  Table contributions = ReadCsv(dir_ / "contributions.csv");
  int miners = 0;
  for (const auto& r : contributions.rows) {
    if (r[4] == "UNDERGROUND" && (r[3] == "B06" || r[3] == "B09") && patterns[r[0]].empty())
      ++miners;
  }
  EXPECT_GT(miners, 5);
  // Honest living people with no signal at all.
  Table signals = ReadCsv(dir_ / "signals.csv");
  std::unordered_set<std::string> with_signals;
  for (const auto& r : signals.rows) with_signals.insert(r[0]);
  int silent = 0;
  int living = 0;
  for (const auto& [id, is_alive] : alive) {
    if (!is_alive || !patterns[id].empty()) continue;
    ++living;
    if (with_signals.count(id) == 0) ++silent;
  }
  EXPECT_GT(silent, living / 100) << "thin-signal honest people";
  EXPECT_LT(silent, living / 10);
}

// Cross-check with ingest's own validator: it must accept every row the generator writes.
TEST_F(GeneratorTest, DifferentPeopleNeverShareAResidentId) {
  // Seed 11 with 60,000 persons drew the same address code, birth date and sequence number for
  // two different people twice when sequence numbers were drawn independently per block; ids
  // must be unique as real ones are. Six months keep the files small; ids do not depend on it.
  GeneratorOptions o = Options(dir_, 60000, 11);
  o.months = 6;
  auto stats = GenerateCity(o);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  const Table persons = ReadCsv(dir_ / "persons.csv");
  const Table truth = ReadCsv(dir_ / "truth/persons.csv");
  ASSERT_EQ(persons.header, kPersons);
  ASSERT_GT(truth.rows.size(), 50000U);

  // One row per (id, region) in both files.
  for (const Table* t : {&persons, &truth}) {
    std::set<std::pair<std::string, std::string>> keys;
    for (const auto& row : t->rows) {
      EXPECT_TRUE(keys.insert({row[0], row[1]}).second) << "id repeated in region " << row[1];
    }
  }
  // An id in several regions is one person registered twice (a duplicate receipt or a mover):
  // the same name, birth date and sex in the ledger and the same truth in every row.
  std::map<std::string, std::set<std::string>> person_of;
  for (const auto& row : persons.rows)
    person_of[row[0]].insert(row[2] + "|" + row[3] + "|" + row[4]);
  std::map<std::string, std::set<std::string>> truth_of;
  size_t shared = 0;
  for (const auto& row : truth.rows) {
    truth_of[row[0]].insert(row[2] + "|" + row[3] + "|" + row[4] + "|" + row[5]);
  }
  for (const auto& [id, people] : person_of) {
    EXPECT_EQ(people.size(), 1U) << "two different people in the ledger share an id";
  }
  for (const auto& [id, truths] : truth_of) {
    EXPECT_EQ(truths.size(), 1U) << "two different people in the truth share an id";
  }
  // No forgery reuses a real id's body with another check character: the first 17 characters
  // identify one id.
  std::map<std::string, std::string> by_body;
  for (const auto& row : truth.rows) {
    const auto [it, inserted] = by_body.emplace(row[0].substr(0, 17), row[0]);
    if (!inserted) {
      EXPECT_EQ(it->second, row[0]) << "two ids share address code, birth date and sequence";
      if (it->second == row[0]) ++shared;
    }
  }
  // Intentional sharing is still there: people in two regions.
  EXPECT_GT(shared, 100U);
}

TEST_F(GeneratorTest, IngestValidationRejectsNothing) {
  auto stats = GenerateCity(Options(dir_, 1500, 9));
  ASSERT_TRUE(stats.ok());
  const std::pair<const char*, Feed> feeds[] = {
      {"persons.csv", Feed::kPersons},   {"contributions.csv", Feed::kContributions},
      {"payments.csv", Feed::kPayments}, {"signals.csv", Feed::kSignals},
      {"registry.csv", Feed::kRegistry}, {"appraisals.csv", Feed::kAppraisals}};
  for (size_t i = 0; i < std::size(feeds); ++i) {
    auto contents = ReadFeedFile((dir_ / feeds[i].first).string(), feeds[i].second);
    ASSERT_TRUE(contents.ok()) << feeds[i].first << ": " << contents.status().ToString();
    EXPECT_EQ(contents->rows_read, stats->rows[i]) << feeds[i].first;
    EXPECT_EQ(contents->records.size(), stats->rows[i]) << feeds[i].first;
    for (size_t k = 0; k < contents->rejects.size() && k < 5; ++k) {
      ADD_FAILURE() << feeds[i].first << " line " << contents->rejects[k].line << ": "
                    << contents->rejects[k].ReasonText();
    }
  }
}

TEST(GeneratorOptionsTest, RejectsBadOptions) {
  GeneratorOptions o;
  auto r = GenerateCity(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "generator: out_dir is required");
  o.out_dir = "unused";
  const std::string months_message =
      "generator: months must be within [6, 120] (the planted behaviours need half a year of "
      "history)";
  for (int months : {0, 3, 5, 121}) {
    o.months = months;
    r = GenerateCity(o);
    ASSERT_FALSE(r.ok()) << months;
    EXPECT_EQ(r.status().message(), months_message) << months;
  }
}

}  // namespace
}  // namespace vigil

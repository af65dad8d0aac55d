// The console's JSON API through the real server on an ephemeral loopback port: every endpoint
// for every role (allowed and refused), 401 without a session, CSRF, session expiry, the login
// rate limit, masking for auditors, decisions into the audit log and the labels, export, and
// the hash chain's tamper detection.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <rocksdb/db.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "console/accounts.h"
#include "console/audit_log.h"
#include "console/case_index.h"
#include "console/server.h"
#include "queue_fixture.h"
#include "vigil/store.h"

namespace vigil::console {
namespace {

using nlohmann::json;
using test_support::UrlEncode;

using ::testing::HasSubstr;

std::string TempPath(const std::string& leaf) {
  static std::atomic<int> counter{0};
  auto dir =
      std::filesystem::temp_directory_path() / ("vigil_console_test_" + std::to_string(::getpid()) +
                                                "_" + std::to_string(counter.fetch_add(1)));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return (dir / leaf).string();
}

Date D(int y, unsigned m, unsigned d) {
  return Date(std::chrono::year(y), std::chrono::month(m), std::chrono::day(d));
}

// Person i of the fixture. Person 0 has a hostile name (feeds are not trusted).
PersonRecord Person(int i, const std::string& name) {
  PersonRecord p;
  char id[32];
  std::snprintf(id, sizeof id, "37020219500101%04d", 1000 + i);
  p.person_id = id;
  p.region = 3702;
  p.name = name;
  p.birth_date = D(1950, 1, 1);
  p.district = i % 2 == 0 ? 370202 : 370203;
  p.retirement_date = D(2010, 1, 1);
  p.monthly_benefit = Money::FromFen(300000 + i * 1000);
  // Persons 1 and 2 share an account (a linked pair).
  p.bank_account =
      i == 1 || i == 2 ? "6222000011112222" : "62220000" + std::to_string(30000000 + i);
  p.phone = "1380000" + std::to_string(1000 + i);
  p.address = "青岛市市南区";
  return p;
}

std::string CaseKeyOf(const std::string& person_id, uint16_t region) {
  const uint64_t k = PersonKey(person_id);
  std::string key(10, '\0');
  for (int i = 0; i < 8; ++i) key[i] = static_cast<char>(k >> (56 - 8 * i));
  key[8] = static_cast<char>(region >> 8);
  key[9] = static_cast<char>(region & 0xff);
  return key;
}

json CaseJson(const PersonRecord& p, double risk, const char* pattern, const char* overpaid) {
  return json{{"v", 1},
              {"run", "2026-10-31/default-1/test"},
              {"person_id", p.person_id},
              {"region", p.region},
              {"risk", risk},
              {"anomaly", 0.3},
              {"action", risk > 0.8 ? "BLOCK" : "HOLD"},
              {"certification", "SUSPEND"},
              {"patterns", {pattern}},
              {"reasons", {"paid after death"}},
              {"overpaid", overpaid},
              {"monthly_benefit", FormatMoney(p.monthly_benefit)},
              {"hits",
               {{{"pattern", pattern},
                 {"strength", risk},
                 {"clause", "policy: rules.deceased_grace_months"},
                 {"reason", "paid 3 months after death"},
                 {"overpaid", overpaid}}}},
              {"evidence", {{{"source", "DEATH"}, {"date", "2026-06-01"}, {"note", ""}}}}};
}

// Person 4 is an AGE_FALSIFIED case (core/rules_retirement.cc) that is also a namesake pair
// (FORGED_IDENTITY, core/rules_identity.cc): born 1960-03-17 by the resident id, made two years
// older in the fund (1958-03-17) nine months before retiring on 2008-04-01 at 50 (48 by the id).
// The reasons are worded as the rules word them.
void MakeAgeFalsified(PersonRecord& p) {
  p.person_id = "370202196003171004";
  p.birth_date = D(1958, 3, 17);
  p.sex = Sex::kFemale;
  p.retirement_date = D(2008, 4, 1);
}
constexpr const char* kAgeReason =
    "birth date changed 1960-03-17 -> 1958-03-17 on 2007-06-20, 9 months before retirement; "
    "with the old date the person was 48 < 50 at retirement on 2008-04-01: 20,000.00 paid "
    "before 2010-03";
constexpr const char* kNamesakeReason =
    "2 ids share this name and birth date 1958-03-17; no other agency has any record of this "
    "id: a second identity";
constexpr const char* kDeathReason = "death registered: died 2026-06-01 (reported 2026-06-05)";

json AgeFalsifiedCaseJson(const PersonRecord& p) {
  json c = CaseJson(p, 0.85, "AGE_FALSIFIED", "20000.00");
  c["patterns"] = {"AGE_FALSIFIED", "FORGED_IDENTITY"};
  c["reasons"] = {kAgeReason, kNamesakeReason, kDeathReason};
  c["hits"] = json::array({json{{"pattern", "AGE_FALSIFIED"},
                                {"strength", 0.9},
                                {"clause", "policy: rules.age_change_window_months"},
                                {"reason", kAgeReason},
                                {"overpaid", "20000.00"}},
                           json{{"pattern", "FORGED_IDENTITY"},
                                {"strength", 0.75},
                                {"clause", "policy: one person, one resident id"},
                                {"reason", kNamesakeReason},
                                {"overpaid", "0.00"}}});
  c["evidence"] = json::array(
      {json{{"source", "ID_CHANGE"}, {"date", "2007-06-20"}, {"note", "1960-03-17 -> 1958-03-17"}},
       json{{"source", "persons"}, {"date", "2008-04-01"}, {"note", "name and birth date shared"}},
       json{{"source", "DEATH"}, {"date", "2026-06-01"}, {"note", "reported 2026-06-05"}}});
  return c;
}

// Person 3 lives in district 370203, and her place codes say so: a community worker of her
// district's office saw her at home (SQ + district + office), her district's hospital
// discharged her (H + district + ward), and her employer's credit code is registered there
// (91 + district + ...). She shares that employer with person 1 and an appraising doctor with
// person 0. Her case's reasons and evidence name the office and the employer.
constexpr const char* kVisitPlace = "SQ370203014";
constexpr const char* kHospital = "H37020302";
constexpr const char* kEmployer = "91370203MA3C7Q8X5P";
constexpr const char* kDoctor = "D37020012";
constexpr const char* kAppraisalHospital = "H37020101";
constexpr const char* kFaceDevice = "DV000012345678";
constexpr const char* kVisitReason =
    "seen at home on 2026-04-08 at SQ370203014 while paid as absent; wages reported by employer "
    "91370203MA3C7Q8X5P for 2025-02..2025-12";

void AddPlacesAndLinks(RecordBatch& batch, const std::vector<PersonRecord>& persons) {
  const std::string& id = persons[3].person_id;
  auto at = [](Date d, int hour) { return StartOfDay(d) + std::chrono::hours(hour); };
  batch.Add(
      SignalRecord{id, SignalSource::kFieldVisit, at(D(2026, 4, 8), 10), kVisitPlace, "SEEN"});
  batch.Add(SignalRecord{id, SignalSource::kHospitalDischarge, at(D(2026, 2, 11), 11), kHospital,
                         "CURED"});
  batch.Add(SignalRecord{id, SignalSource::kFaceCert, at(D(2026, 6, 3), 9), kFaceDevice, "PASS"});
  for (int i : {1, 3}) {
    ContributionRecord c;
    c.person_id = persons[static_cast<size_t>(i)].person_id;
    c.region = 3702;
    c.employer_id = kEmployer;
    c.industry = "C13";
    c.start_month = Month(std::chrono::year(2025), std::chrono::month(2));
    c.end_month = Month(std::chrono::year(2025), std::chrono::month(12));
    c.monthly_base = Money::FromFen(500000);
    c.paid_date = D(2025, 12, 15);
    c.recorded_at = at(D(2025, 12, 16), 9);
    batch.Add(c);
  }
  for (int i : {0, 3}) {
    batch.Add(AppraisalRecord{persons[static_cast<size_t>(i)].person_id, D(2026, 1, 20),
                              kAppraisalHospital, kDoctor, 3, Conclusion::kCompleteLoss});
  }
}

json PlacesCaseJson(const PersonRecord& p) {
  json c = CaseJson(p, 0.4, "AMOUNT_ANOMALY", "0.00");
  c["reasons"] = {kVisitReason};
  c["hits"][0]["reason"] = kVisitReason;
  c["evidence"] = json::array(
      {json{{"source", "FIELD_VISIT"}, {"date", "2026-04-08"}, {"note", "SEEN at SQ370203014"}},
       json{{"source", "FACE_CERT"}, {"date", "2026-06-03"}, {"note", "PASS at DV000012345678"}},
       json{{"source", "contributions"},
            {"date", "2025-12-15"},
            {"note", "employer 91370203MA3C7Q8X5P"}}});
  return c;
}

constexpr const char* kHostileName = "=HYPERLINK(\"http://x\")<img src=x onerror=alert(1)>";
const std::map<std::string, std::string> kPasswords = {
    {"rev", "reviewer-pass-1"}, {"sup", "supervisor-pass-1"}, {"aud", "auditor-pass-1"}};

// A store with five cases and three accounts, and a server on it.
class ConsoleApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_path_ = new std::string(TempPath("db"));
    StoreOptions o;
    o.path = *db_path_;
    auto store = Store::Open(o);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = store->release();
    RecordBatch batch;
    const char* names[] = {kHostileName, "王秀英", "李建国", "张伟", "陈静"};
    for (int i = 0; i < 5; ++i) persons_.push_back(Person(i, names[i]));
    MakeAgeFalsified(persons_[4]);
    for (const auto& p : persons_) batch.Add(p);
    batch.Add(RegistryRecord{persons_[4].person_id, RegistryEvent::kIdChange, D(2007, 6, 20),
                             D(2007, 6, 25), "birth_date:1960-03-17->1958-03-17"});
    // A face certification on her birthday, and a field visit, inside the case page's timeline.
    batch.Add(SignalRecord{persons_[4].person_id, SignalSource::kFaceCert,
                           StartOfDay(D(2026, 3, 17)) + std::chrono::hours(9), "bank 0532",
                           "PASS"});
    batch.Add(SignalRecord{persons_[4].person_id, SignalSource::kFieldVisit,
                           StartOfDay(D(2026, 5, 2)) + std::chrono::hours(10), "", "at home"});
    AddPlacesAndLinks(batch, persons_);
    ASSERT_TRUE(store_->Write(batch).ok());
    const double risks[] = {0.5, 0.95, 0.9, 0.4, 0.85};
    const char* patterns[] = {"DECEASED_PAID", "SHARED_ACCOUNT", "SHARED_ACCOUNT", "AMOUNT_ANOMALY",
                              "DECEASED_PAID"};
    const char* overpaid[] = {"100.00", "9000.00", "5000.00", "0.00", "20000.00"};
    for (int i = 0; i < 5; ++i) {
      const json c = i == 4   ? AgeFalsifiedCaseJson(persons_[i])
                     : i == 3 ? PlacesCaseJson(persons_[i])
                              : CaseJson(persons_[i], risks[i], patterns[i], overpaid[i]);
      ASSERT_TRUE(store_->PutCase(CaseKeyOf(persons_[i].person_id, 3702), c.dump()).ok());
    }
    Accounts accounts(*store_);
    ASSERT_TRUE(
        accounts.Put("rev", Role::kReviewer, kPasswords.at("rev"), KdfStrength::kTestOnly).ok());
    ASSERT_TRUE(
        accounts.Put("sup", Role::kSupervisor, kPasswords.at("sup"), KdfStrength::kTestOnly).ok());
    ASSERT_TRUE(
        accounts.Put("aud", Role::kAuditor, kPasswords.at("aud"), KdfStrength::kTestOnly).ok());
    ServerOptions so;
    so.port = 0;
    so.web_dir = std::string(VIGIL_SOURCE_DIR) + "/web";
    so.login_max_failures = 3;
    auto server = ConsoleServer::Create(*store_, so);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = server->release();
    auto port = server_->Bind();
    ASSERT_TRUE(port.ok());
    port_ = *port;
    thread_ = new std::thread([] { (void)server_->Run(); });
  }
  static void TearDownTestSuite() {
    server_->Stop();
    thread_->join();
    delete thread_;
    delete server_;
    delete store_;
    std::filesystem::remove_all(std::filesystem::path(*db_path_).parent_path());
    delete db_path_;
  }

  struct Login {
    std::string cookie;
    std::string csrf;
  };
  static httplib::Client Client() {
    httplib::Client c("127.0.0.1", port_);
    c.set_connection_timeout(5);
    c.set_read_timeout(10);
    return c;
  }
  static Login LogIn(const std::string& user, int port = 0) {
    httplib::Client c("127.0.0.1", port == 0 ? port_ : port);
    auto r = c.Post("/api/login", json{{"user", user}, {"password", kPasswords.at(user)}}.dump(),
                    "application/json");
    EXPECT_TRUE(r);
    if (!r) return {};
    EXPECT_EQ(r->status, 200) << r->body;
    const std::string set_cookie = r->get_header_value("Set-Cookie");
    Login l;
    l.cookie = set_cookie.substr(0, set_cookie.find(';'));
    const json j = json::parse(r->body);
    if (auto it = j.find("csrf"); it != j.end() && it->is_string()) l.csrf = it->get<std::string>();
    return l;
  }
  static httplib::Headers Auth(const Login& l, bool with_csrf = true) {
    httplib::Headers h = {{"Cookie", l.cookie}};
    if (with_csrf) h.emplace("X-CSRF-Token", l.csrf);
    return h;
  }
  // Sends method/path/body for a login; returns the status.
  static int Send(const std::string& method, const std::string& path, const std::string& body,
                  const httplib::Headers& headers, std::string* out = nullptr) {
    auto c = Client();
    httplib::Result r = method == "GET"   ? c.Get(path.c_str(), headers)
                        : method == "PUT" ? c.Put(path.c_str(), headers, body, "application/json")
                                          : c.Post(path.c_str(), headers, body, "application/json");
    if (!r) return -1;
    if (out != nullptr) *out = r->body;
    return r->status;
  }
  static std::string RefOf(int i) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : CaseKeyOf(persons_[i].person_id, 3702)) {
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
    return out;
  }
  // Case i's ref as auditors get it: keyed with the console's secret (meta console.ref_secret).
  static std::string AuditorRefOf(int i) {
    auto secret = store_->GetMeta(KeyedRefs::kMeta);
    EXPECT_TRUE(secret.ok());
    if (!secret.ok()) return {};
    return KeyedRefs(FromHex(*secret).value_or("")).CaseRef(CaseKeyOf(persons_[i].person_id, 3702));
  }

  // The case page of `ref` as `login` sees it once the employer and doctor links are indexed
  // (a background scan after start); null when it does not answer 200 or the index is not
  // ready within 10 s.
  static json CasePageWithEventLinks(const std::string& ref, const Login& login) {
    std::string out;
    for (int tries = 0; tries < 200; ++tries) {
      if (Send("GET", "/api/cases/" + ref, "", Auth(login), &out) != 200) return json();
      json page = json::parse(out);
      if (page["linked"]["events_ready"] == true) return page;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return json();
  }

  // Sends a NEEDS_ACTIVE decision with `comment` on case `ref` as `login`; the status.
  static int CommentOn(const std::string& ref, const std::string& comment, const Login& login) {
    std::string out;
    const int status =
        Send("POST", "/api/cases/" + ref + "/decision",
             json{{"decision", "NEEDS_ACTIVE"}, {"comment", comment}}.dump(), Auth(login), &out);
    EXPECT_EQ(status, 200) << out;
    return status;
  }

  // The comment of the newest decision in the audit log and of the last entry of case `ref`'s
  // history, as `login` reads them.
  static std::pair<json, json> LatestComments(const std::string& ref, const Login& login) {
    std::string audit, page;
    EXPECT_EQ(Send("GET", "/api/audit?type=decision&limit=1", "", Auth(login), &audit), 200);
    EXPECT_EQ(Send("GET", "/api/cases/" + ref, "", Auth(login), &page), 200);
    return {json::parse(audit)["items"][0]["comment"],
            json::parse(page)["history"].back()["comment"]};
  }

  static inline std::string* db_path_ = nullptr;
  static inline Store* store_ = nullptr;
  static inline ConsoleServer* server_ = nullptr;
  static inline std::thread* thread_ = nullptr;
  static inline int port_ = 0;
  static inline std::vector<PersonRecord> persons_;
};

struct Route {
  std::string method;
  std::string path;
  std::string body;
  std::set<std::string> allowed;
};

std::vector<Route> Routes(const std::string& ref, const std::string& policy) {
  return {
      {"GET", "/api/me", "", {"rev", "sup", "aud"}},
      {"GET", "/api/cases", "", {"rev", "sup", "aud"}},
      {"GET", "/api/cases/" + ref, "", {"rev", "sup", "aud"}},
      {"GET", "/api/dashboard", "", {"rev", "sup", "aud"}},
      {"GET", "/api/policy", "", {"rev", "sup", "aud"}},
      {"POST",
       "/api/cases/" + ref + "/decision",
       R"({"decision":"NEEDS_ACTIVE","comment":"route check"})",
       {"rev", "sup"}},
      {"POST", "/api/cases/" + ref + "/assign", R"({"assignee":"rev"})", {"sup"}},
      {"GET", "/api/export", "", {"sup"}},
      {"GET", "/api/users", "", {"sup"}},
      {"PUT",
       "/api/policy",
       json{{"policy", json::parse(policy)}, {"comment", "same"}}.dump(),
       {"sup"}},
      {"POST", "/api/refresh", "", {"sup"}},
      {"GET", "/api/audit", "", {"sup", "aud"}},
      {"POST", "/api/logout", "", {"rev", "sup", "aud"}},
  };
}

TEST_F(ConsoleApiTest, EveryRouteButLoginAnswers401WithoutASession) {
  for (const Route& r : Routes(RefOf(1), "{}")) {
    EXPECT_EQ(Send(r.method, r.path, r.body, {}), 401) << r.method << " " << r.path;
    EXPECT_EQ(Send(r.method, r.path, r.body, {{"Cookie", "vigil_session=forged"}}), 401)
        << r.method << " " << r.path;
  }
}

TEST_F(ConsoleApiTest, EachRoleMayUseExactlyItsRoutes) {
  std::string policy;
  ASSERT_EQ(Send("GET", "/api/policy", "", Auth(LogIn("sup")), &policy), 200);
  policy = json::parse(policy)["policy"].dump();
  for (const std::string user : {"rev", "sup", "aud"}) {
    for (const Route& r : Routes(user == "aud" ? AuditorRefOf(1) : RefOf(1), policy)) {
      const Login l = LogIn(user);  // fresh: the route list ends with a logout
      std::string body;
      const int status = Send(r.method, r.path, r.body, Auth(l), &body);
      if (r.allowed.count(user) != 0) {
        EXPECT_EQ(status, 200) << user << " " << r.method << " " << r.path << ": " << body;
      } else {
        EXPECT_EQ(status, 403) << user << " " << r.method << " " << r.path << ": " << body;
        EXPECT_THAT(body, HasSubstr("not allowed for role"));
      }
    }
  }
}

TEST_F(ConsoleApiTest, StateChangesNeedTheSessionsCsrfToken) {
  const Login l = LogIn("sup");
  const std::string path = "/api/cases/" + RefOf(3) + "/decision";
  const std::string body = R"({"decision":"CLEAR","comment":"csrf check"})";
  std::string out;
  EXPECT_EQ(Send("POST", path, body, Auth(l, false), &out), 403);
  EXPECT_THAT(out, HasSubstr("CSRF"));
  EXPECT_EQ(Send("POST", path, body, {{"Cookie", l.cookie}, {"X-CSRF-Token", "0000"}}), 403);
  const Login other = LogIn("sup");
  EXPECT_EQ(Send("POST", path, body, {{"Cookie", l.cookie}, {"X-CSRF-Token", other.csrf}}), 403)
      << "another session's token is not this session's";
  EXPECT_EQ(Send("POST", path, body, Auth(l)), 200);
}

TEST_F(ConsoleApiTest, LoginSetsAStrictHttpOnlyCookieAndReturnsTheCsrfToken) {
  auto c = Client();
  auto r =
      c.Post("/api/login", R"({"user":"rev","password":"reviewer-pass-1"})", "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  const std::string cookie = r->get_header_value("Set-Cookie");
  EXPECT_THAT(cookie, HasSubstr("vigil_session="));
  EXPECT_THAT(cookie, HasSubstr("HttpOnly"));
  EXPECT_THAT(cookie, HasSubstr("SameSite=Strict"));
  const json j = json::parse(r->body);
  EXPECT_EQ(j["csrf"].get<std::string>().size(), 64u);
  EXPECT_EQ(j["role"], "reviewer");
  EXPECT_EQ(r->body.find("reviewer-pass-1"), std::string::npos);
}

TEST_F(ConsoleApiTest, LogoutEndsTheSession) {
  const Login l = LogIn("rev");
  EXPECT_EQ(Send("POST", "/api/logout", "", Auth(l)), 200);
  EXPECT_EQ(Send("GET", "/api/cases", "", Auth(l)), 401);
}

TEST_F(ConsoleApiTest, RepeatedWrongPasswordsAreRateLimited) {
  Accounts accounts(*store_);
  ASSERT_TRUE(
      accounts.Put("victim", Role::kReviewer, "victim-pass-1", KdfStrength::kTestOnly).ok());
  auto c = Client();
  for (int i = 0; i < 3; ++i) {
    auto r =
        c.Post("/api/login", R"({"user":"victim","password":"guess-guess"})", "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
  }
  auto r =
      c.Post("/api/login", R"({"user":"victim","password":"victim-pass-1"})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429) << "even the right password waits out the limit";
  EXPECT_FALSE(r->get_header_value("Retry-After").empty());
}

TEST_F(ConsoleApiTest, SessionsExpireAfterTheIdleLimit) {
  // A second server on the same store with a one-second idle limit.
  ServerOptions so;
  so.port = 0;
  so.web_dir = std::string(VIGIL_SOURCE_DIR) + "/web";
  so.session.idle = std::chrono::seconds(1);
  so.index_events = false;
  auto server = ConsoleServer::Create(*store_, so);
  ASSERT_TRUE(server.ok());
  auto port = (*server)->Bind();
  ASSERT_TRUE(port.ok());
  std::thread t([&] { (void)(*server)->Run(); });
  const Login l = LogIn("rev", *port);
  httplib::Client c("127.0.0.1", *port);
  auto fresh = c.Get("/api/cases", Auth(l));
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  auto expired = c.Get("/api/cases", Auth(l));
  ASSERT_TRUE(expired);
  EXPECT_EQ(expired->status, 401);
  (*server)->Stop();
  t.join();
}

TEST_F(ConsoleApiTest, TheQueueIsOrderedByExpectedLossAndFilters) {
  const Login l = LogIn("rev");
  std::string out;
  ASSERT_EQ(Send("GET", "/api/cases?per_page=10", "", Auth(l), &out), 200);
  json j = json::parse(out);
  ASSERT_EQ(j["total"], 5);
  // expected loss = risk x (monthly x 12 + overpaid)
  double last = 1e18;
  for (const auto& item : j["items"]) {
    const double loss = std::stod(item["expected_loss"].get<std::string>());
    EXPECT_LE(loss, last);
    last = loss;
  }
  EXPECT_EQ(j["items"][0]["person_id"], persons_[4].person_id);  // 0.85 x (34400*12 + 20000)
  ASSERT_EQ(Send("GET", "/api/cases?pattern=SHARED_ACCOUNT", "", Auth(l), &out), 200);
  EXPECT_EQ(json::parse(out)["total"], 2);
  ASSERT_EQ(Send("GET", "/api/cases?district=370203", "", Auth(l), &out), 200);
  EXPECT_EQ(json::parse(out)["total"], 2);
  ASSERT_EQ(Send("GET", "/api/cases?action=HOLD", "", Auth(l), &out), 200);
  EXPECT_EQ(json::parse(out)["total"], 2);
  ASSERT_EQ(Send("GET", "/api/cases?q=" + UrlEncode("秀英"), "", Auth(l), &out), 200);
  j = json::parse(out);
  ASSERT_EQ(j["total"], 1);
  EXPECT_EQ(j["items"][0]["name"], "王秀英");
  ASSERT_EQ(Send("GET", "/api/cases?q=" + persons_[2].person_id, "", Auth(l), &out), 200);
  EXPECT_EQ(json::parse(out)["total"], 1);
  ASSERT_EQ(Send("GET", "/api/cases?per_page=2&page=3", "", Auth(l), &out), 200);
  j = json::parse(out);
  EXPECT_EQ(j["items"].size(), 1u);
  EXPECT_EQ(Send("GET", "/api/cases?pattern=NOPE", "", Auth(l)), 400);
  EXPECT_EQ(Send("GET", "/api/cases?region=abc", "", Auth(l)), 400);
}

TEST_F(ConsoleApiTest, HostileNamesComeBackAsPlainJsonStrings) {
  const Login l = LogIn("rev");
  std::string out;
  ASSERT_EQ(Send("GET", "/api/cases/" + RefOf(0), "", Auth(l), &out), 200);
  const json j = json::parse(out);
  EXPECT_EQ(j["case"]["name"], kHostileName);
  EXPECT_EQ(j["persons"][0]["name"], kHostileName);
}

TEST_F(ConsoleApiTest, TheCasePageHasProfileReasonsTimelineAndLinkedPeople) {
  const Login l = LogIn("rev");
  std::string out;
  ASSERT_EQ(Send("GET", "/api/cases/" + persons_[1].person_id, "", Auth(l), &out), 200);
  const json j = json::parse(out);
  EXPECT_EQ(j["persons"][0]["bank_account"], "6222000011112222");
  EXPECT_EQ(j["scored"]["hits"][0]["clause"], "policy: rules.deceased_grace_months");
  EXPECT_EQ(j["timeline"]["months"].size(), 24u);
  EXPECT_EQ(j["timeline"]["as_of"], "2026-10-31");
  bool linked = false;
  for (const auto& link : j["linked"]["links"]) {
    if (link["via"] == "ACCOUNT" && link["person_id"] == persons_[2].person_id) linked = true;
  }
  EXPECT_TRUE(linked) << j["linked"].dump();
  EXPECT_EQ(Send("GET", "/api/cases/00000000000000000000", "", Auth(l)), 404);
}

TEST_F(ConsoleApiTest, AuditorsSeeIdsAccountsAndPhonesMasked) {
  const Login l = LogIn("aud");
  std::string out;
  ASSERT_EQ(Send("GET", "/api/cases", "", Auth(l), &out), 200);
  const json cases = json::parse(out);  // a named value: the loop must not outlive it
  for (const auto& item : cases["items"]) {
    const std::string id = item["person_id"];
    EXPECT_EQ(id.substr(0, 14), std::string(14, '*'));
    EXPECT_EQ(id.size(), 18u);
  }
  ASSERT_EQ(Send("GET", "/api/cases/" + AuditorRefOf(1), "", Auth(l), &out), 200);
  EXPECT_EQ(out.find(persons_[1].person_id), std::string::npos);
  EXPECT_EQ(out.find("6222000011112222"), std::string::npos);
  EXPECT_EQ(out.find(persons_[1].phone), std::string::npos);
  const json j = json::parse(out);
  EXPECT_EQ(j["persons"][0]["bank_account"], "************2222");
  EXPECT_FALSE(j["can_decide"]);
  // Searching by a full resident id does not let an auditor probe for it.
  ASSERT_EQ(Send("GET", "/api/cases?q=" + persons_[1].person_id, "", Auth(l), &out), 200);
  EXPECT_EQ(json::parse(out)["total"], 0);
  ASSERT_EQ(Send("GET", "/api/audit", "", Auth(l), &out), 200);
  for (const auto& p : persons_) EXPECT_EQ(out.find(p.person_id), std::string::npos);
}

TEST_F(ConsoleApiTest, ADecisionNeedsACommentAndLandsInTheAuditLogAndTheLabels) {
  const Login l = LogIn("rev");
  const std::string path = "/api/cases/" + RefOf(2) + "/decision";
  std::string out;
  EXPECT_EQ(Send("POST", path, R"({"decision":"CONFIRM_FRAUD","comment":"  "})", Auth(l), &out),
            400);
  EXPECT_THAT(out, HasSubstr("comment"));
  EXPECT_EQ(Send("POST", path, R"({"decision":"MAYBE","comment":"x"})", Auth(l)), 400);
  ASSERT_EQ(Send("POST", path,
                 R"({"decision":"CONFIRM_FRAUD","comment":"account shared with a dead man"})",
                 Auth(l), &out),
            200)
      << out;
  EXPECT_EQ(json::parse(out)["case"]["status"], "CONFIRMED_FRAUD");
  ASSERT_EQ(Send("GET", "/api/cases?status=CONFIRMED_FRAUD", "", Auth(l), &out), 200);
  EXPECT_GE(json::parse(out)["total"], 1);
  ASSERT_EQ(Send("GET", "/api/audit?type=decision", "", Auth(LogIn("sup")), &out), 200);
  const json audit = json::parse(out);
  bool found = false;
  for (const auto& e : audit["items"]) {
    if (e["comment"] == "account shared with a dead man") {
      found = true;
      EXPECT_EQ(e["user"], "rev");
      EXPECT_EQ(e["decision"], "CONFIRM_FRAUD");
      EXPECT_EQ(e["person_id"], persons_[2].person_id);
    }
  }
  EXPECT_TRUE(found) << out;
  auto labels = store_->GetMeta("console.labels");
  ASSERT_TRUE(labels.ok());
  EXPECT_EQ(json::parse(*labels)[persons_[2].person_id], 1);
  auto report = AuditLog::Verify(*store_);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << report->problem;
}

TEST_F(ConsoleApiTest, SupervisorsAssignOnlyToReviewersAndSupervisors) {
  const Login l = LogIn("sup");
  const std::string path = "/api/cases/" + RefOf(3) + "/assign";
  EXPECT_EQ(Send("POST", path, R"({"assignee":"aud"})", Auth(l)), 400);
  EXPECT_EQ(Send("POST", path, R"({"assignee":"nobody-here"})", Auth(l)), 400);
  std::string out;
  ASSERT_EQ(Send("POST", path, R"({"assignee":"rev"})", Auth(l), &out), 200);
  EXPECT_EQ(json::parse(out)["case"]["assignee"], "rev");
  ASSERT_EQ(Send("GET", "/api/cases?assignee=rev", "", Auth(l), &out), 200);
  EXPECT_GE(json::parse(out)["total"], 1);
}

TEST_F(ConsoleApiTest, ExportIsUtf8CsvWithFormulasDefused) {
  const Login l = LogIn("sup");
  auto c = Client();
  auto r = c.Get("/api/export?district=370202", Auth(l));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_THAT(r->get_header_value("Content-Type"), HasSubstr("text/csv"));
  EXPECT_EQ(r->body.substr(0, 3), "\xEF\xBB\xBF");
  EXPECT_THAT(r->body, HasSubstr("李建国"));
  EXPECT_EQ(r->body.find("张伟"), std::string::npos) << "district 370203 is filtered out";
  // A name starting with '=' is quoted and prefixed with an apostrophe, so a spreadsheet shows
  // it as text instead of running it as a formula.
  EXPECT_THAT(r->body, HasSubstr(R"("'=HYPERLINK(""http://x"")<img src=x onerror=alert(1)>")"));
  EXPECT_EQ(r->body.find(",=HYPERLINK"), std::string::npos);
}

TEST_F(ConsoleApiTest, PolicyEditsAreValidatedAndAudited) {
  const Login l = LogIn("sup");
  std::string out;
  EXPECT_EQ(
      Send("PUT", "/api/policy", R"({"policy":{"version":3},"comment":"bad"})", Auth(l), &out),
      400);
  ASSERT_EQ(Send("GET", "/api/policy", "", Auth(l), &out), 200);
  json policy = json::parse(out)["policy"];
  policy["version"] = "console-test-2";
  EXPECT_EQ(Send("PUT", "/api/policy", json{{"policy", policy}}.dump(), Auth(l)), 400)
      << "a comment is required";
  ASSERT_EQ(Send("PUT", "/api/policy", json{{"policy", policy}, {"comment", "raise"}}.dump(),
                 Auth(l), &out),
            200)
      << out;
  ASSERT_EQ(Send("GET", "/api/policy", "", Auth(l), &out), 200);
  EXPECT_EQ(json::parse(out)["policy"]["version"], "console-test-2");
}

TEST_F(ConsoleApiTest, TheDashboardCountsByPatternRegionAndDistrict) {
  const Login l = LogIn("sup");
  std::string out;
  ASSERT_EQ(Send("GET", "/api/dashboard", "", Auth(l), &out), 200);
  const json j = json::parse(out);
  EXPECT_EQ(j["cases"], 5);
  EXPECT_EQ(j["overpaid"], "34100.00");
  int64_t by_pattern = 0;
  for (const auto& row : j["by_pattern"]) by_pattern += row["cases"].get<int64_t>();
  EXPECT_EQ(by_pattern, 6) << "person 4's case has two patterns";
  EXPECT_EQ(j["by_region"][0]["key"], "3702");
  EXPECT_EQ(j["by_district"].size(), 2u);
  EXPECT_EQ(j["risk_histogram"].size(), 20u);
}

// The last score run's data notes reach the queue and the dashboard; notes stored by a run that
// never recorded itself as the last (killed between the two writes) are not shown.
TEST_F(ConsoleApiTest, TheLastRunsDataNotesComeWithTheQueueAndTheDashboard) {
  const Login l = LogIn("sup");
  const std::string run = "2026-10-31/default-1/iforest-test";
  const std::string note = "the newest signal is from 2026-07-31: the signals feed looks late";
  ASSERT_TRUE(
      store_->PutMeta("last_score_notes", json{{"run", run}, {"notes", {note}}}.dump()).ok());
  ASSERT_TRUE(store_->PutMeta("last_score_run", run).ok());
  std::string out;
  ASSERT_EQ(Send("POST", "/api/refresh", "", Auth(l), &out), 200) << out;
  EXPECT_EQ(json::parse(out)["run_notes"], json::array({note}));
  ASSERT_EQ(Send("GET", "/api/cases", "", Auth(l), &out), 200);
  EXPECT_EQ(json::parse(out)["run"], run);
  EXPECT_EQ(json::parse(out)["run_notes"], json::array({note}));
  ASSERT_EQ(Send("GET", "/api/dashboard", "", Auth(l), &out), 200);
  EXPECT_EQ(json::parse(out)["run_notes"], json::array({note}));
  // A later run wrote its notes and was killed before recording itself: the last run stands,
  // without notes that are not its own.
  ASSERT_TRUE(
      store_
          ->PutMeta("last_score_notes",
                    json{{"run", "2026-11-30/default-1/iforest-test"}, {"notes", {note}}}.dump())
          .ok());
  ASSERT_EQ(Send("POST", "/api/refresh", "", Auth(l), &out), 200) << out;
  ASSERT_EQ(Send("GET", "/api/cases", "", Auth(l), &out), 200);
  EXPECT_EQ(json::parse(out)["run"], run);
  EXPECT_EQ(json::parse(out)["run_notes"], json::array());
  // A damaged value shows no notes and breaks nothing.
  for (const std::string& damaged :
       {std::string(R"({"run": 7, "notes": ["x"]})"), std::string(R"(["not", "an", "object"])"),
        std::string("{not json"), json{{"run", run}, {"notes", "x"}}.dump(),
        json{{"run", run}, {"notes", {1, 2}}}.dump()}) {
    ASSERT_TRUE(store_->PutMeta("last_score_notes", damaged).ok());
    ASSERT_EQ(Send("POST", "/api/refresh", "", Auth(l), &out), 200) << damaged << ": " << out;
    EXPECT_EQ(json::parse(out)["run_notes"], json::array()) << damaged;
  }
}

TEST_F(ConsoleApiTest, StaticPagesAndChartsAreServedWithASafeContentPolicy) {
  auto c = Client();
  auto r = c.Get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->get_header_value("Content-Security-Policy"), HasSubstr("script-src 'self'"));
  EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(c.Get("/api/nothing-here")->status, 404);
}

// The error body of an answer, for exact comparison: {"error": TEXT}.
json ErrorOf(const std::string& body) { return json::parse(body, nullptr, false); }
json ErrorJson(const std::string& text) { return json{{"error", text}}; }

TEST_F(ConsoleApiTest, ADeeplyNestedPolicyIsRefusedAndTheServerStaysUp) {
  const Login l = LogIn("sup");
  const size_t levels = 100000;  // 200 KB, under the 1 MiB body limit
  const std::string deep = std::string(levels, '[') + std::string(levels, ']');
  std::string out;
  EXPECT_EQ(
      Send("PUT", "/api/policy", R"({"comment":"x","policy":{"a":)" + deep + "}}", Auth(l), &out),
      400);
  EXPECT_EQ(ErrorOf(out), ErrorJson("JSON nested deeper than 64 levels"));
  // Every JSON route refuses it before parsing, the login too.
  EXPECT_EQ(Send("POST", "/api/login", R"({"user":"sup","password":)" + deep + "}", {}, &out), 400);
  EXPECT_EQ(ErrorOf(out), ErrorJson("JSON nested deeper than 64 levels"));
  EXPECT_EQ(Send("GET", "/api/me", "", Auth(l)), 200) << "the server is still up";
  // 64 levels (the object and 63 arrays) are fine, 65 are not; brackets in strings do not count.
  const std::string path = "/api/cases/" + RefOf(1) + "/decision";
  auto decision = [&](int arrays) {
    return R"({"decision":"NEEDS_ACTIVE","comment":")" + std::string(100, '[') + R"(","extra":)" +
           std::string(static_cast<size_t>(arrays), '[') +
           std::string(static_cast<size_t>(arrays), ']') + "}";
  };
  EXPECT_EQ(Send("POST", path, decision(63), Auth(l), &out), 200) << out;
  EXPECT_EQ(Send("POST", path, decision(64), Auth(l), &out), 400);
  EXPECT_EQ(ErrorOf(out), ErrorJson("JSON nested deeper than 64 levels"));
}

TEST_F(ConsoleApiTest, AuditorsGetNoDistrictNorBirthDateAndCannotOpenCasesByResidentId) {
  const Login aud = LogIn("aud");
  std::string out;
  ASSERT_EQ(Send("GET", "/api/cases", "", Auth(aud), &out), 200);
  const json cases = json::parse(out);
  ASSERT_EQ(cases["items"].size(), 5u);
  for (const auto& item : cases["items"]) EXPECT_FALSE(item.contains("district")) << item.dump();
  ASSERT_EQ(Send("GET", "/api/cases/" + AuditorRefOf(1), "", Auth(aud), &out), 200);
  EXPECT_EQ(out.find("1950-01-01"), std::string::npos) << "no birth date anywhere";
  const json page = json::parse(out);
  EXPECT_FALSE(page["case"].contains("district"));
  ASSERT_EQ(page["persons"].size(), 1u);
  EXPECT_FALSE(page["persons"][0].contains("birth_date"));
  EXPECT_FALSE(page["persons"][0].contains("district"));
  // A resident id answers exactly like an unknown case, so a guess is never confirmed.
  EXPECT_EQ(Send("GET", "/api/cases/" + persons_[1].person_id, "", Auth(aud), &out), 404);
  EXPECT_EQ(ErrorOf(out), ErrorJson("no such case"));
  EXPECT_EQ(Send("GET", "/api/cases/370202195001019999", "", Auth(aud), &out), 404);
  EXPECT_EQ(ErrorOf(out), ErrorJson("no such case"));
  // Reviewers still see both and open cases by resident id.
  const Login rev = LogIn("rev");
  ASSERT_EQ(Send("GET", "/api/cases/" + persons_[1].person_id, "", Auth(rev), &out), 200);
  const json full = json::parse(out);
  EXPECT_EQ(full["case"]["district"], 370203);
  EXPECT_EQ(full["persons"][0]["birth_date"], "1950-01-01");
  EXPECT_EQ(full["persons"][0]["district"], 370203);
}

// A case ref is a hash of the resident id and the region that an auditor, who sees the id's last
// four characters and the region, could invert by trying every district, birth date and
// sequence number. Auditors get keyed refs instead: not the case keys' hex, the same on every
// request and after a restart on the same store, opening their cases, in the queue, the links,
// the history and the audit log alike; a real ref (in a URL or a search) finds nothing for them.
TEST_F(ConsoleApiTest, AuditorsGetKeyedRefsThatStayTheSameAndNeverTheRealOnes) {
  const Login sup = LogIn("sup");
  ASSERT_EQ(CommentOn(RefOf(2), "checked the shared account", sup), 200);
  const Login aud = LogIn("aud");
  auto refs_by_name = [&](int port) {
    const Login l = port == 0 ? aud : LogIn("aud", port);
    httplib::Client c("127.0.0.1", port == 0 ? port_ : port);
    auto r = c.Get("/api/cases", Auth(l));
    EXPECT_TRUE(r && r->status == 200);
    std::map<std::string, std::string> refs;
    if (!r) return refs;
    const json items = json::parse(r->body)["items"];
    for (const auto& item : items) {
      refs[item["name"].get<std::string>()] = item["ref"].get<std::string>();
    }
    return refs;
  };
  const auto refs = refs_by_name(0);
  ASSERT_EQ(refs.size(), 5u);
  std::set<std::string> distinct;
  for (int i = 0; i < 5; ++i) {
    const std::string& ref = refs.at(persons_[i].name);
    EXPECT_NE(ref, RefOf(i));
    EXPECT_EQ(ref.size(), 20u);
    EXPECT_EQ(ref.find_first_not_of("0123456789abcdef"), std::string::npos) << ref;
    EXPECT_EQ(ref, AuditorRefOf(i));
    distinct.insert(ref);
    std::string out;
    // The keyed ref opens the case; the real one answers as an unknown case.
    ASSERT_EQ(Send("GET", "/api/cases/" + ref, "", Auth(aud), &out), 200);
    EXPECT_EQ(json::parse(out)["case"]["ref"], ref);
    EXPECT_EQ(json::parse(out)["case"]["name"], persons_[i].name);
    EXPECT_EQ(Send("GET", "/api/cases/" + RefOf(i), "", Auth(aud), &out), 404);
    EXPECT_EQ(ErrorOf(out), ErrorJson("no such case"));
    // A search finds the case by the keyed ref, not by the real one.
    ASSERT_EQ(Send("GET", "/api/cases?q=" + ref, "", Auth(aud), &out), 200);
    EXPECT_EQ(json::parse(out)["total"], 1);
    ASSERT_EQ(Send("GET", "/api/cases?q=" + RefOf(i), "", Auth(aud), &out), 200);
    EXPECT_EQ(json::parse(out)["total"], 0);
  }
  EXPECT_EQ(distinct.size(), 5u);
  EXPECT_EQ(refs_by_name(0), refs) << "the same on a second request";

  // The history and the audit log name the case by the keyed ref; no real ref reaches them.
  std::string out;
  ASSERT_EQ(Send("GET", "/api/cases/" + refs.at(persons_[2].name), "", Auth(aud), &out), 200);
  const json page = json::parse(out);
  ASSERT_FALSE(page["history"].empty());
  EXPECT_EQ(page["history"].back()["case"], refs.at(persons_[2].name));
  for (const auto& link : page["linked"]["links"]) {
    if (link.contains("ref")) {
      EXPECT_EQ(link["ref"], refs.at(link["name"].get<std::string>())) << link.dump();
    }
  }
  ASSERT_EQ(Send("GET", "/api/audit?type=decision&limit=1", "", Auth(aud), &out), 200);
  EXPECT_EQ(json::parse(out)["items"][0]["case"], refs.at(persons_[2].name));
  ASSERT_EQ(Send("GET", "/api/audit?limit=1000", "", Auth(aud), &out), 200);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(out.find(RefOf(i)), std::string::npos) << i;
  // Supervisors keep the real refs.
  ASSERT_EQ(Send("GET", "/api/audit?type=decision&limit=1", "", Auth(sup), &out), 200);
  EXPECT_EQ(json::parse(out)["items"][0]["case"], RefOf(2));

  // The secret stays in the store (64 hex digits) and never reaches a client.
  auto secret = store_->GetMeta(KeyedRefs::kMeta);
  ASSERT_TRUE(secret.ok());
  EXPECT_EQ(secret->size(), 64u);
  for (const char* path : {"/api/cases", "/api/audit?limit=1000", "/api/policy", "/api/me"}) {
    ASSERT_EQ(Send("GET", path, "", Auth(aud), &out), 200) << path;
    EXPECT_EQ(out.find(*secret), std::string::npos) << path;
  }

  // A server started again on the same store gives the auditor the same refs.
  ServerOptions so;
  so.port = 0;
  so.web_dir = std::string(VIGIL_SOURCE_DIR) + "/web";
  so.index_events = false;
  auto again = ConsoleServer::Create(*store_, so);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  auto port = (*again)->Bind();
  ASSERT_TRUE(port.ok());
  std::thread serving([&] { (void)(*again)->Run(); });
  EXPECT_EQ(refs_by_name(*port), refs) << "the same after a restart";
  (*again)->Stop();
  serving.join();
}

TEST_F(ConsoleApiTest, AuditorsSeeResidentIdsInExportFiltersAndCommentsMasked) {
  const Login sup = LogIn("sup");
  const std::string id = persons_[2].person_id;  // 370202195001011002
  auto c = Client();
  auto r = c.Get(("/api/export?q=" + id + "&district=370202&" + id + "=1").c_str(), Auth(sup));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  std::string out;
  ASSERT_EQ(Send("POST", "/api/cases/" + RefOf(1) + "/decision",
                 json{{"decision", "NEEDS_ACTIVE"}, {"comment", "same account as " + id}}.dump(),
                 Auth(sup), &out),
            200)
      << out;
  const Login aud = LogIn("aud");
  ASSERT_EQ(Send("GET", "/api/audit?type=export&limit=1", "", Auth(aud), &out), 200);
  EXPECT_EQ(out.find(id), std::string::npos);
  EXPECT_EQ(
      json::parse(out)["items"][0]["filters"],
      (json{{"q", "**************1002"}, {"district", "******"}, {"**************1002", "1"}}));
  ASSERT_EQ(Send("GET", "/api/audit?type=decision&limit=1", "", Auth(aud), &out), 200);
  EXPECT_EQ(json::parse(out)["items"][0]["comment"], "same account as **************1002");
  ASSERT_EQ(Send("GET", "/api/cases/" + AuditorRefOf(1), "", Auth(aud), &out), 200);
  EXPECT_EQ(out.find(id), std::string::npos) << "nor in the case's history";
  // Supervisors see what was typed.
  ASSERT_EQ(Send("GET", "/api/audit?type=export&limit=1", "", Auth(sup), &out), 200);
  EXPECT_EQ(json::parse(out)["items"][0]["filters"]["q"], id);
}

// Person 4's reasons name her birth dates (fund and id), her retirement date and the month she
// reached the retirement age by the id. An auditor reads each of them, and every date of a
// clause about birth, as ****-**-** or ****-**, everywhere the case reaches: the reasons, the
// evidence, the profile (no retirement date, no address), the timeline (a face certification on
// her birthday) and the history and audit log (a comment typing the dates). Other dates stay.
TEST_F(ConsoleApiTest, AuditorsSeeNoDateThatTellsTheBirthDate) {
  const Login sup = LogIn("sup");
  const std::string comment =
      "id says born 1960-03-17; fund has 1958/3/17 (19580317) since 2007-06-20; pension from "
      "2008年4月1日, died 2026-06-01";
  const std::string masked_comment =
      "id says born ****-**-**; fund has ****-**-** (****-**-**) since 2007-06-20; pension from "
      "****-**-**, died 2026-06-01";
  ASSERT_EQ(CommentOn(RefOf(4), comment, sup), 200);
  std::string out;

  const Login aud = LogIn("aud");
  ASSERT_EQ(Send("GET", "/api/cases/" + AuditorRefOf(4), "", Auth(aud), &out), 200);
  for (const char* told : {"1958-03-17", "1960-03-17", "2008-04-01", "2010-03", "2026-03-17",
                           "1958/3/17", "19580317", "2008年4月1日", "青岛市市南区"}) {
    EXPECT_EQ(out.find(told), std::string::npos) << told;
  }
  const json page = json::parse(out);
  const std::string masked_age =
      "birth date changed ****-**-** -> ****-**-** on ****-**-**, 9 months before retirement; "
      "with the old date the person was 48 < 50 at retirement on ****-**-**: 20,000.00 paid "
      "before ****-**";
  const std::string masked_namesake =
      "2 ids share this name and birth date ****-**-**; no other agency has any record of this "
      "id: a second identity";
  EXPECT_EQ(page["scored"]["reasons"], json::array({masked_age, masked_namesake, kDeathReason}));
  ASSERT_EQ(page["scored"]["hits"].size(), 2u);
  EXPECT_EQ(page["scored"]["hits"][0]["reason"], masked_age);
  EXPECT_EQ(page["scored"]["hits"][1]["reason"], masked_namesake);
  EXPECT_EQ(
      page["scored"]["evidence"],
      json::array(
          {json{{"source", "ID_CHANGE"},
                {"date", "2007-06-20"},
                {"note", "****-**-** -> ****-**-**"}},
           json{{"source", "persons"},
                {"date", "****-**-**"},
                {"note", "name and birth date shared"}},
           json{{"source", "DEATH"}, {"date", "2026-06-01"}, {"note", "reported 2026-06-05"}}}));
  const PersonRecord& p = persons_[4];
  EXPECT_EQ(page["persons"], json::array({json{{"person_id", "**************1004"},
                                               {"region", 3702},
                                               {"name", "陈静"},
                                               {"sex", CodeName(Sex::kFemale)},
                                               {"scheme", CodeName(p.scheme)},
                                               {"category", CodeName(p.category)},
                                               {"retirement_type", CodeName(p.retirement_type)},
                                               {"monthly_benefit", "3040.00"},
                                               {"bank_account", MaskTail(p.bank_account)},
                                               {"phone", MaskTail(p.phone)},
                                               {"status", CodeName(p.status)},
                                               {"id_checksum_ok", true}}}));
  EXPECT_EQ(page["timeline"]["events"], json::array({json{{"date", "****-**-**"},
                                                          {"kind", "SIGNAL"},
                                                          {"what", "FACE_CERT"},
                                                          {"detail", "PASS @ bank 0532"}},
                                                     json{{"date", "2026-05-02"},
                                                          {"kind", "SIGNAL"},
                                                          {"what", "FIELD_VISIT"},
                                                          {"detail", "at home"}}}));
  ASSERT_FALSE(page["history"].empty());
  EXPECT_EQ(page["history"].back()["comment"], masked_comment);
  ASSERT_EQ(Send("GET", "/api/audit?type=decision&limit=1", "", Auth(aud), &out), 200);
  EXPECT_EQ(json::parse(out)["items"][0]["comment"], masked_comment);

  // Supervisors see everything as stored and typed.
  ASSERT_EQ(Send("GET", "/api/cases/" + RefOf(4), "", Auth(sup), &out), 200);
  const json full = json::parse(out);
  EXPECT_EQ(full["scored"], AgeFalsifiedCaseJson(p));
  EXPECT_EQ(full["persons"][0]["birth_date"], "1958-03-17");
  EXPECT_EQ(full["persons"][0]["retirement_date"], "2008-04-01");
  EXPECT_EQ(full["persons"][0]["address"], "青岛市市南区");
  EXPECT_EQ(full["timeline"]["events"][0]["date"], "2026-03-17");
  EXPECT_EQ(full["history"].back()["comment"], comment);
  ASSERT_EQ(Send("GET", "/api/audit?type=decision&limit=1", "", Auth(sup), &out), 200);
  EXPECT_EQ(json::parse(out)["items"][0]["comment"], comment);
}

// Person 3's place codes, employer and doctor hold her district (370203). An auditor reads
// every run of 6 or more digits of them as '*': in the timeline's details, the links' values,
// the reasons, the hits and the evidence notes; the kind of place (SQ, H, DV) and every date
// stay. Supervisors see them as stored.
TEST_F(ConsoleApiTest, AuditorsSeeNoDistrictInPlaceCodesEmployersOrDoctors) {
  const Login aud = LogIn("aud");
  const json page = CasePageWithEventLinks(AuditorRefOf(3), aud);
  ASSERT_TRUE(page.is_object());
  EXPECT_EQ(page.dump().find("370203"), std::string::npos) << page.dump();
  const std::string masked_reason =
      "seen at home on 2026-04-08 at SQ********* while paid as absent; wages reported by "
      "employer ********MA3C7Q8X5P for 2025-02..2025-12";
  EXPECT_EQ(page["scored"]["reasons"], json::array({masked_reason}));
  ASSERT_EQ(page["scored"]["hits"].size(), 1u);
  EXPECT_EQ(page["scored"]["hits"][0]["reason"], masked_reason);
  EXPECT_EQ(
      page["scored"]["evidence"],
      json::array(
          {json{{"source", "FIELD_VISIT"}, {"date", "2026-04-08"}, {"note", "SEEN at SQ*********"}},
           json{
               {"source", "FACE_CERT"}, {"date", "2026-06-03"}, {"note", "PASS at DV************"}},
           json{{"source", "contributions"},
                {"date", "2025-12-15"},
                {"note", "employer ********MA3C7Q8X5P"}}}));
  auto event = [](const char* date, const char* kind, const char* what, const std::string& detail) {
    return json{{"date", date}, {"kind", kind}, {"what", what}, {"detail", detail}};
  };
  EXPECT_EQ(page["timeline"]["events"],
            json::array({event("2025-12-15", "CONTRIBUTION", "REGULAR",
                               "2025-02..2025-12 ********MA3C7Q8X5P NORMAL"),
                         event("2026-01-20", "APPRAISAL", "COMPLETE_LOSS",
                               "grade 3, doctor D********, hospital H********"),
                         event("2026-02-11", "SIGNAL", "HOSPITAL_DISCHARGE", "CURED @ H********"),
                         event("2026-04-08", "SIGNAL", "FIELD_VISIT", "SEEN @ SQ*********"),
                         event("2026-06-03", "SIGNAL", "FACE_CERT", "PASS @ DV************")}));
  EXPECT_EQ(page["linked"]["links"], json::array({json{{"via", "EMPLOYER"},
                                                       {"value", "********MA3C7Q8X5P"},
                                                       {"group_size", 2},
                                                       {"person_id", "**************1001"},
                                                       {"name", "王秀英"},
                                                       {"ref", AuditorRefOf(1)}},
                                                  json{{"via", "DOCTOR"},
                                                       {"value", "D********"},
                                                       {"group_size", 2},
                                                       {"person_id", "**************1000"},
                                                       {"name", kHostileName},
                                                       {"ref", AuditorRefOf(0)}}}));
  // The linked person's page shows the shared employer masked the same way.
  const json linked = CasePageWithEventLinks(AuditorRefOf(1), aud);
  ASSERT_TRUE(linked.is_object());
  bool employer = false;
  for (const auto& link : linked["linked"]["links"]) {
    if (link["via"] == "EMPLOYER") employer = link["value"] == "********MA3C7Q8X5P";
  }
  EXPECT_TRUE(employer) << linked["linked"].dump();

  // Supervisors see the codes as stored.
  const json full = CasePageWithEventLinks(RefOf(3), LogIn("sup"));
  ASSERT_TRUE(full.is_object());
  EXPECT_EQ(full["scored"], PlacesCaseJson(persons_[3]));
  EXPECT_EQ(full["timeline"]["events"],
            json::array({event("2025-12-15", "CONTRIBUTION", "REGULAR",
                               "2025-02..2025-12 91370203MA3C7Q8X5P NORMAL"),
                         event("2026-01-20", "APPRAISAL", "COMPLETE_LOSS",
                               "grade 3, doctor D37020012, hospital H37020101"),
                         event("2026-02-11", "SIGNAL", "HOSPITAL_DISCHARGE", "CURED @ H37020302"),
                         event("2026-04-08", "SIGNAL", "FIELD_VISIT", "SEEN @ SQ370203014"),
                         event("2026-06-03", "SIGNAL", "FACE_CERT", "PASS @ DV000012345678")}));
  ASSERT_EQ(full["linked"]["links"].size(), 2u);
  EXPECT_EQ(full["linked"]["links"][0]["value"], kEmployer);
  EXPECT_EQ(full["linked"]["links"][1]["value"], kDoctor);
}

// A comment typed by a supervisor names a district, a birthday day first, a resident id in
// groups and a birth date with spaces. An auditor reads none of them, in the audit log and in
// the case's history; the comment's death date, count and region stay. A search for a district
// code in an export's filters is masked as well. Supervisors read what was typed.
TEST_F(ConsoleApiTest, AuditorsReadNoDistrictIdPieceNorBirthDateInAComment) {
  const Login sup = LogIn("sup");
  const std::string comment =
      "checked at the hall of district 370213; birthday 23/2/1964 per the card; id 370284 "
      "19660106 4931; dob 1964 02 23; died 2026-06-01, 3 payments after, region 3702";
  const std::string masked =
      "checked at the hall of district ******; birthday ****-**-** per the card; id ****** "
      "******** 4931; dob ****-**-**; died 2026-06-01, 3 payments after, region 3702";
  ASSERT_EQ(CommentOn(RefOf(3), comment, sup), 200);
  const Login aud = LogIn("aud");
  EXPECT_EQ(LatestComments(AuditorRefOf(3), aud), std::make_pair(json(masked), json(masked)));
  EXPECT_EQ(LatestComments(RefOf(3), sup), std::make_pair(json(comment), json(comment)));

  auto c = Client();
  auto r = c.Get("/api/export?q=370203&region=3702", Auth(sup));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  std::string out;
  ASSERT_EQ(Send("GET", "/api/audit?type=export&limit=1", "", Auth(aud), &out), 200);
  EXPECT_EQ(json::parse(out)["items"][0]["filters"], (json{{"q", "******"}, {"region", "3702"}}));
  ASSERT_EQ(Send("GET", "/api/audit?type=export&limit=1", "", Auth(sup), &out), 200);
  EXPECT_EQ(json::parse(out)["items"][0]["filters"], (json{{"q", "370203"}, {"region", "3702"}}));
}

// A district filter from an auditor is refused, on the queue and on the dashboard, whatever its
// value (an answer for all districts would read as the district's), and the dashboard has no
// districts for auditors: filtered down to one case by its name, it would name the case's.
TEST_F(ConsoleApiTest, AuditorsMayNotFilterByDistrictNorCountByIt) {
  const Login aud = LogIn("aud");
  std::string out;
  for (const std::string path : {"/api/cases?district=370202", "/api/dashboard?district=370202",
                                 "/api/cases?district=x&page=1"}) {
    EXPECT_EQ(Send("GET", path, "", Auth(aud), &out), 403) << path;
    EXPECT_EQ(ErrorOf(out), ErrorJson("not allowed for role auditor: the district filter")) << path;
  }
  ASSERT_EQ(Send("GET", "/api/dashboard?q=" + UrlEncode("陈静"), "", Auth(aud), &out), 200);
  const json dashboard = json::parse(out);
  EXPECT_EQ(dashboard["cases"], 1);
  EXPECT_FALSE(dashboard.contains("by_district")) << out;
  // Supervisors filter and count by district.
  const Login sup = LogIn("sup");
  ASSERT_EQ(Send("GET", "/api/cases?district=370202", "", Auth(sup), &out), 200);
  EXPECT_EQ(json::parse(out)["total"], 3);
  ASSERT_EQ(Send("GET", "/api/dashboard?q=" + UrlEncode("陈静"), "", Auth(sup), &out), 200);
  const json by_district = json::parse(out)["by_district"];
  ASSERT_EQ(by_district.size(), 1u);
  EXPECT_EQ(by_district[0]["key"], "370202");
}

TEST_F(ConsoleApiTest, ParallelWrongPasswordsGetNoMoreChecksThanTheLimit) {
  Accounts accounts(*store_);
  ASSERT_TRUE(accounts.Put("racer", Role::kReviewer, "racer-pass-1", KdfStrength::kTestOnly).ok());
  constexpr int kAttempts = 30;
  std::vector<int> statuses(kAttempts, 0);
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kAttempts; ++i) {
    threads.emplace_back([&statuses, &go, i] {
      while (!go.load()) std::this_thread::yield();
      // More connections at once than the server's listen queue holds can be dropped before
      // any request is read; such an attempt is sent again.
      for (int tries = 0; tries < 5 && statuses[static_cast<size_t>(i)] == 0; ++tries) {
        auto c = Client();
        auto r = c.Post("/api/login", R"({"user":"racer","password":"guess-guess"})",
                        "application/json");
        if (r) {
          statuses[static_cast<size_t>(i)] = r->status;
        } else {
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
      }
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 401), 3) << "the limit is 3";
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 429), kAttempts - 3);
}

TEST_F(ConsoleApiTest, JsonRoutesRefuseBodiesNotSentAsJson) {
  auto c = Client();
  const std::string login = R"({"user":"rev","password":"reviewer-pass-1"})";
  // What a cross-site form can send without asking the server first.
  for (const char* type : {"text/plain", "application/x-www-form-urlencoded"}) {
    auto r = c.Post("/api/login", login, type);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 415) << type;
    EXPECT_EQ(ErrorOf(r->body),
              ErrorJson("the body must be sent as Content-Type: application/json"));
    EXPECT_EQ(r->get_header_value("Set-Cookie"), "") << type;
  }
  auto ok = c.Post("/api/login", login, "Application/JSON; charset=utf-8");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  const Login l = LogIn("rev");
  auto r = c.Post(("/api/cases/" + RefOf(1) + "/decision").c_str(), Auth(l),
                  R"({"decision":"NEEDS_ACTIVE","comment":"plain"})", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 415);
  EXPECT_EQ(ErrorOf(r->body), ErrorJson("the body must be sent as Content-Type: application/json"));
}

TEST_F(ConsoleApiTest, AMissingCaseAnswersNoSuchCaseAndAMissingRouteNoSuchRoute) {
  const Login l = LogIn("sup");
  std::string out;
  EXPECT_EQ(Send("GET", "/api/cases/00000000000000000000", "", Auth(l), &out), 404);
  EXPECT_EQ(ErrorOf(out), ErrorJson("no such case"));
  EXPECT_EQ(Send("POST", "/api/cases/00000000000000000000/decision",
                 R"({"decision":"CLEAR","comment":"x"})", Auth(l), &out),
            404);
  EXPECT_EQ(ErrorOf(out), ErrorJson("no such case"));
  EXPECT_EQ(Send("POST", "/api/cases/00000000000000000000/assign", R"({"assignee":"rev"})", Auth(l),
                 &out),
            404);
  EXPECT_EQ(ErrorOf(out), ErrorJson("no such case"));
  EXPECT_EQ(Send("GET", "/api/nothing-here", "", Auth(l), &out), 404);
  EXPECT_EQ(ErrorOf(out), ErrorJson("no such route"));
}

TEST_F(ConsoleApiTest, BadPagesLimitsAndAuditTypesAre400) {
  const Login l = LogIn("sup");
  std::string out;
  const std::string page_range = "' (a whole number from 1 to 999999999)";
  for (const std::string bad : {"-1", "0", "abc", "", "1000000000", "18446744073709551617"}) {
    EXPECT_EQ(Send("GET", "/api/cases?page=" + UrlEncode(bad), "", Auth(l), &out), 400) << bad;
    EXPECT_EQ(ErrorOf(out), ErrorJson("bad page: '" + bad + page_range)) << bad;
  }
  for (const std::string bad : {"-1", "0", "201", "x"}) {
    EXPECT_EQ(Send("GET", "/api/cases?per_page=" + bad, "", Auth(l), &out), 400) << bad;
    EXPECT_EQ(ErrorOf(out),
              ErrorJson("bad per_page: '" + bad + "' (a whole number from 1 to 200)"));
  }
  ASSERT_EQ(Send("GET", "/api/cases?page=999999999&per_page=200", "", Auth(l), &out), 200);
  const json last = json::parse(out);
  EXPECT_EQ(last["page"], 999999999);
  EXPECT_EQ(last["items"], json::array()) << "far past the end, not wrapped to page 1";
  for (const std::string bad : {"0", "-5", "1001", "ten"}) {
    EXPECT_EQ(Send("GET", "/api/audit?limit=" + bad, "", Auth(l), &out), 400) << bad;
    EXPECT_EQ(ErrorOf(out), ErrorJson("bad limit: '" + bad + "' (a whole number from 1 to 1000)"));
  }
  EXPECT_EQ(Send("GET", "/api/audit?type=nope", "", Auth(l), &out), 400);
  EXPECT_EQ(
      ErrorOf(out),
      ErrorJson("bad type: 'nope' (decision, assign, login, login_failed, export or policy)"));
  EXPECT_EQ(Send("GET", "/api/audit?type=login&limit=1000", "", Auth(l)), 200);
}

TEST_F(ConsoleApiTest, ACommentMayHave2000CharactersWhateverTheirBytes) {
  const Login l = LogIn("sup");
  const std::string path = "/api/cases/" + RefOf(1) + "/decision";
  std::string chinese;
  for (int i = 0; i < 2000; ++i) chinese += "审";  // 3 bytes each
  std::string out;
  EXPECT_EQ(Send("POST", path, json{{"decision", "NEEDS_ACTIVE"}, {"comment", chinese}}.dump(),
                 Auth(l), &out),
            200)
      << out;
  EXPECT_EQ(
      Send("POST", path, json{{"decision", "NEEDS_ACTIVE"}, {"comment", chinese + "x"}}.dump(),
           Auth(l), &out),
      400);
  EXPECT_EQ(ErrorOf(out), ErrorJson("comment longer than 2000 characters"));
  // The policy's comment has the same limit.
  ASSERT_EQ(Send("GET", "/api/policy", "", Auth(l), &out), 200);
  const json policy = json::parse(out)["policy"];
  EXPECT_EQ(Send("PUT", "/api/policy", json{{"policy", policy}, {"comment", chinese + "x"}}.dump(),
                 Auth(l), &out),
            400);
  EXPECT_EQ(ErrorOf(out), ErrorJson("comment longer than 2000 characters"));
}

TEST_F(ConsoleApiTest, ConcurrentDecisionsOnOneCaseKeepItsHistoryInAuditOrder) {
  const Login l = LogIn("rev");
  const std::string path = "/api/cases/" + RefOf(0);
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        const char* decision = (t + i) % 2 == 0 ? "NEEDS_ACTIVE" : "RESTORE";
        const std::string body =
            json{{"decision", decision}, {"comment", "race " + std::to_string(t)}}.dump();
        if (Send("POST", path + "/decision", body, Auth(l)) != 200) ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  std::string out;
  ASSERT_EQ(Send("GET", path, "", Auth(l), &out), 200);
  const json page = json::parse(out);
  const json& history = page["history"];
  ASSERT_GE(history.size(), 20u);
  for (size_t i = 1; i < history.size(); ++i) {
    EXPECT_LT(history[i - 1]["seq"].get<uint64_t>(), history[i]["seq"].get<uint64_t>()) << i;
  }
  // The case shows the last decision in the log, and each decision saw the one before it.
  const json& newest = history.back();
  EXPECT_EQ(page["case"]["status"],
            CaseStatusName(StatusAfter(*ParseDecision(newest["decision"].get<std::string>()))));
  for (size_t i = history.size() - 19; i < history.size(); ++i) {
    EXPECT_EQ(
        history[i]["previous_status"],
        CaseStatusName(StatusAfter(*ParseDecision(history[i - 1]["decision"].get<std::string>()))))
        << i;
  }
}

// ---- the hash chain on its own ----

TEST_F(ConsoleApiTest, ADecisionCarriesToLaterRunsOnlyWhileTheyFindNothingNew) {
  // Last in the suite: it rewrites person 3's case. The case of run R is that person's case
  // with `patterns` as a later score run would store it.
  const std::string key = CaseKeyOf(persons_[3].person_id, 3702);
  auto store_run = [&](const std::string& run, const std::vector<std::string>& patterns) {
    json c = CaseJson(persons_[3], 0.4, "AMOUNT_ANOMALY", "0.00");
    c["run"] = run;
    c["patterns"] = patterns;
    return store_->PutCase(key, c.dump());
  };
  const Login rev = LogIn("rev");
  const Login sup = LogIn("sup");
  const std::string path = "/api/cases/" + RefOf(3);
  std::string out;
  ASSERT_EQ(
      Send("POST", path + "/decision",
           R"({"decision":"CLEAR","comment":"pension raised by a court ruling"})", Auth(rev), &out),
      200)
      << out;
  auto status_after_refresh = [&]() -> json {
    if (Send("POST", "/api/refresh", "", Auth(sup), &out) != 200) return "refresh failed";
    if (Send("GET", path, "", Auth(rev), &out) != 200) return "no case";
    return json::parse(out)["case"]["status"];
  };
  // The next month finds the same thing: the clearance stands.
  ASSERT_TRUE(store_run("2026-11-30/default-1/test", {"AMOUNT_ANOMALY"}).ok());
  EXPECT_EQ(status_after_refresh(), "CLEARED");
  // The month after finds the person paid after death too: open again, the clearance kept in
  // the history.
  ASSERT_TRUE(store_run("2026-12-31/default-1/test", {"AMOUNT_ANOMALY", "DECEASED_PAID"}).ok());
  EXPECT_EQ(status_after_refresh(), "OPEN");
  EXPECT_THAT(json::parse(out)["history"].dump(), HasSubstr(R"("decision":"CLEAR")"));
  // A decision without the patterns it saw (as written before they were recorded) holds for
  // its own run's case only.
  json legacy = {{"type", "decision"},
                 {"case", RefOf(3)},
                 {"decision", "CONFIRM_FRAUD"},
                 {"run", "2026-12-31/default-1/test"}};
  CaseIndex index;
  ASSERT_TRUE(index.Load(*store_, {legacy}).ok());
  EXPECT_EQ(index.Find(RefOf(3))->status, CaseStatus::kConfirmedFraud);
  ASSERT_TRUE(store_run("2027-01-31/default-1/test", {"AMOUNT_ANOMALY"}).ok());
  ASSERT_TRUE(index.Load(*store_, {legacy}).ok());
  EXPECT_EQ(index.Find(RefOf(3))->status, CaseStatus::kOpen);
}

TEST(AuditChainTest, DetectsAnEditedEntry) {
  const std::string path = TempPath("db");
  {
    StoreOptions o;
    o.path = path;
    auto store = Store::Open(o);
    ASSERT_TRUE(store.ok());
    auto log = AuditLog::Open(**store);
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(
          (*log)->Append(json{{"type", "decision"}, {"comment", "c" + std::to_string(i)}}).ok());
      // Another writer (screening) interleaves its own entries; the chain skips them.
      ASSERT_TRUE((*store)->AppendAudit(R"({"screen":"PAY"})").ok());
    }
    auto report = AuditLog::Verify(**store);
    ASSERT_TRUE(report.ok());
    EXPECT_TRUE(report->ok()) << report->problem;
    EXPECT_EQ(report->entries, 3u);
    EXPECT_EQ(report->other_entries, 3u);
  }
  {
    // Tamper with console entry 2 (store sequence 3) behind the store's back.
    rocksdb::DB* raw = nullptr;
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names).ok());
    for (const auto& n : names) families.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), path, families, &handles, &raw).ok());
    rocksdb::ColumnFamilyHandle* audit = nullptr;
    for (auto* h : handles) {
      if (h->GetName() == "audit") audit = h;
    }
    ASSERT_NE(audit, nullptr);
    std::string key(8, '\0');
    key[7] = 3;
    std::string value;
    ASSERT_TRUE(raw->Get(rocksdb::ReadOptions(), audit, key, &value).ok());
    const auto at = value.find("c1");
    ASSERT_NE(at, std::string::npos);
    value.replace(at, 2, "c9");
    ASSERT_TRUE(raw->Put(rocksdb::WriteOptions(), audit, key, value).ok());
    for (auto* h : handles) ASSERT_TRUE(raw->DestroyColumnFamilyHandle(h).ok());
    delete raw;
  }
  StoreOptions o;
  o.path = path;
  o.mode = OpenMode::kReadOnly;
  auto store = Store::Open(o);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto report = AuditLog::Verify(**store);
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->ok());
  EXPECT_EQ(report->entries, 2u) << "entries 1 and 2 still chain; entry 3 points at the old 2";
  EXPECT_THAT(report->problem, HasSubstr("prev hash"));
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
}

TEST(AccountsTest, StoresOnlyAnArgon2idHashAndChecksPasswords) {
  const std::string path = TempPath("db");
  StoreOptions o;
  o.path = path;
  auto store = Store::Open(o);
  ASSERT_TRUE(store.ok());
  Accounts accounts(**store);
  EXPECT_EQ(accounts.Put("x", Role::kReviewer, "short", KdfStrength::kTestOnly).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(
      accounts.Put("bad name", Role::kReviewer, "long-enough-1", KdfStrength::kTestOnly).code(),
      StatusCode::kInvalidArgument);
  ASSERT_TRUE(accounts.Put("kim", Role::kAuditor, "long-enough-1", KdfStrength::kTestOnly).ok());
  auto stored = (*store)->GetMeta("console.user.kim");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->find("long-enough-1"), std::string::npos);
  EXPECT_THAT(*stored, HasSubstr("$argon2id$"));
  EXPECT_TRUE(accounts.Check("kim", "long-enough-1").ok());
  EXPECT_EQ(accounts.Check("kim", "long-enough-2").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(accounts.Check("lee", "long-enough-1").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(MaskTail("370202195001011234"), "**************1234");
  store->reset();
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
}

TEST(LoginLimiterTest, AnAttemptCountsFromItsStartAndASuccessTakesItBack) {
  LoginLimiter limiter(2, std::chrono::seconds(60));
  EXPECT_EQ(limiter.BeginAttempt("kim", "10.0.0.1"), 0);
  EXPECT_EQ(limiter.BeginAttempt("kim", "10.0.0.1"), 0);
  EXPECT_GT(limiter.BeginAttempt("kim", "10.0.0.1"), 0) << "two attempts under way or failed";
  limiter.RecordSuccess("kim", "10.0.0.1");
  EXPECT_EQ(limiter.BeginAttempt("kim", "10.0.0.1"), 0);
  // Successes do not use up the address's allowance (5 x 2): logins by 20 colleagues
  // behind one proxy all pass.
  for (int i = 0; i < 20; ++i) {
    const std::string name = "user" + std::to_string(i);
    ASSERT_EQ(limiter.BeginAttempt(name, "10.0.0.2"), 0) << i;
    limiter.RecordSuccess(name, "10.0.0.2");
  }
  // Failures do: ten failed attempts under different names close the address.
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(limiter.BeginAttempt("guess" + std::to_string(i), "10.0.0.3"), 0) << i;
  }
  EXPECT_GT(limiter.BeginAttempt("guess10", "10.0.0.3"), 0);
  EXPECT_EQ(limiter.BeginAttempt("guess10", "10.0.0.4"), 0) << "another address is not affected";
}

TEST(LoginLimiterTest, ParallelAttemptsPassNoMoreThanTheLimit) {
  LoginLimiter limiter(3, std::chrono::seconds(60));
  std::atomic<bool> go{false};
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      while (!go.load()) std::this_thread::yield();
      if (limiter.BeginAttempt("kim", "10.0.0.1") == 0) ++allowed;
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 3);
}

}  // namespace
}  // namespace vigil::console

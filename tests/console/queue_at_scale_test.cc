// The queue at 100,000 cases answers every filter, page and search through the real server.
// How fast it does so is measured by bench/console (vigil_console_bench), not asserted here.
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "console/accounts.h"
#include "console/server.h"
#include "queue_fixture.h"
#include "vigil/store.h"

namespace vigil::console {
namespace {

using nlohmann::json;
using test_support::UrlEncode;

constexpr int kCases = 100000;

TEST(QueueAtScaleTest, EveryFilterPageAndSearchAnswersAt100000Cases) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("vigil_console_latency_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  StoreOptions o;
  o.path = (dir / "db").string();
  auto store = Store::Open(o);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(test_support::FillQueueStore(**store, kCases).ok());
  Accounts accounts(**store);
  ASSERT_TRUE(
      accounts.Put("sup", Role::kSupervisor, "supervisor-pass-1", KdfStrength::kTestOnly).ok());
  ServerOptions so;
  so.port = 0;
  so.web_dir = std::string(VIGIL_SOURCE_DIR) + "/web";
  so.index_events = false;
  auto server = ConsoleServer::Create(**store, so);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  ASSERT_EQ((*server)->cases(), static_cast<size_t>(kCases));
  auto port = (*server)->Bind();
  ASSERT_TRUE(port.ok());
  std::thread t([&] { (void)(*server)->Run(); });

  httplib::Client c("127.0.0.1", *port);
  auto login =
      c.Post("/api/login", R"({"user":"sup","password":"supervisor-pass-1"})", "application/json");
  ASSERT_TRUE(login);
  ASSERT_EQ(login->status, 200);
  const std::string set_cookie = login->get_header_value("Set-Cookie");
  const httplib::Headers auth = {{"Cookie", set_cookie.substr(0, set_cookie.find(';'))}};
  // Each query with the number of cases it must find, counted from the generating formulas
  // above (-1: not a case list).
  auto count = [](auto&& match) {
    size_t n = 0;
    for (int i = 0; i < kCases; ++i) n += match(i) ? 1 : 0;
    return static_cast<long>(n);
  };
  const std::vector<std::pair<std::string, long>> queries = {
      {"/api/cases", kCases},
      {"/api/cases?page=1000&per_page=50", kCases},
      {"/api/cases?pattern=SHARED_ACCOUNT&action=BLOCK",
       count([](int i) { return i % 5 == 2 && i % 3 == 0; })},
      {"/api/cases?district=370215&certification=SUSPEND",
       count([](int i) { return i % 40 == 14 && i % 4 == 0; })},
      {"/api/cases?district=370215", count([](int i) { return i % 40 == 14; })},
      {"/api/cases?q=" + UrlEncode("秀英") + "&per_page=200",
       count([](int i) { return (i / 8) % 10 == 0; })},
      {"/api/cases?q=99999", count([&](int i) {
         return test_support::QueueCaseId(i).find("99999") != std::string::npos;
       })},
      {"/api/cases?status=OPEN&assignee=-&page=500", kCases},
      {"/api/dashboard", -1},
  };
  for (const auto& [q, expected_total] : queries) {
    auto r = c.Get(q.c_str(), auth);
    ASSERT_TRUE(r) << q;
    ASSERT_EQ(r->status, 200) << q;
    const json j = json::parse(r->body);
    if (expected_total < 0) continue;
    EXPECT_EQ(j.at("total").get<long>(), expected_total) << q;
    const size_t per_page = j.at("per_page").get<size_t>();
    const size_t page = j.at("page").get<size_t>();
    const long before = static_cast<long>((page - 1) * per_page);
    const size_t on_page =
        static_cast<size_t>(std::clamp(expected_total - before, 0L, static_cast<long>(per_page)));
    EXPECT_EQ(j.at("items").size(), on_page) << q;
  }
  (*server)->Stop();
  t.join();
  server->reset();
  store->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vigil::console

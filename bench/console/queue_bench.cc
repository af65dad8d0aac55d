// The review queue at 100,000 cases: the server's own time (`server_ms`, reported by the API)
// and the HTTP round trip per query, next to the round trip of `GET /api/me` (no queue work)
// in the same run as the baseline. One store and one server, built once for all benchmarks.
//
// Run: vigil_console_bench --benchmark_min_time=0.5   (TMPDIR chooses where the store goes)
#include <benchmark/benchmark.h>
#include <httplib.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
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

// Aborts with a message: a benchmark fixture that cannot be built has nothing to measure.
void Require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "queue bench set-up failed: %s\n", what);
    std::abort();
  }
}

struct QueueFixture {
  std::filesystem::path dir;
  std::unique_ptr<Store> store_holder;
  std::unique_ptr<ConsoleServer> server_holder;
  std::thread thread;
  std::unique_ptr<httplib::Client> client;
  httplib::Headers auth;

  QueueFixture() {
    dir = std::filesystem::temp_directory_path() /
          ("vigil_console_bench_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    Build();
  }
  ~QueueFixture() {
    server_holder->Stop();
    thread.join();
    server_holder.reset();
    store_holder.reset();
    std::filesystem::remove_all(dir);
  }

  void Build() {
    StoreOptions o;
    o.path = (dir / "db").string();
    auto store = Store::Open(o);
    Require(store.ok(), "store open");
    Require(test_support::FillQueueStore(**store, kCases).ok(), "fill the store");
    Accounts accounts(**store);
    Require(
        accounts.Put("sup", Role::kSupervisor, "supervisor-pass-1", KdfStrength::kTestOnly).ok(),
        "add user");
    ServerOptions so;
    so.port = 0;
    so.web_dir = std::string(VIGIL_SOURCE_DIR) + "/web";
    so.index_events = false;
    auto server = ConsoleServer::Create(**store, so);
    Require(server.ok(), "server");
    Require((*server)->cases() == static_cast<size_t>(kCases), "case count");
    auto port = (*server)->Bind();
    Require(port.ok(), "bind");
    server_holder = std::move(*server);
    store_holder = std::move(*store);
    thread = std::thread([this] { (void)server_holder->Run(); });
    client = std::make_unique<httplib::Client>("127.0.0.1", *port);
    auto login = client->Post("/api/login", R"({"user":"sup","password":"supervisor-pass-1"})",
                              "application/json");
    Require(login && login->status == 200, "login");
    const std::string set_cookie = login->get_header_value("Set-Cookie");
    auth = {{"Cookie", set_cookie.substr(0, set_cookie.find(';'))}};
  }
};

// Built on first use (so `--benchmark_list_tests` stays instant), torn down by main.
std::unique_ptr<QueueFixture> fixture;
QueueFixture& Fixture() {
  if (!fixture) fixture = std::make_unique<QueueFixture>();
  return *fixture;
}

void RunQuery(benchmark::State& state, const std::string& query) {
  QueueFixture& f = Fixture();
  double server_ms = 0;
  for (auto _ : state) {
    auto r = f.client->Get(query.c_str(), f.auth);
    if (!r || r->status != 200) {
      state.SkipWithError(("query failed: " + query).c_str());
      return;
    }
    server_ms += json::parse(r->body).value("server_ms", 0.0);
  }
  state.counters["server_ms"] =
      benchmark::Counter(server_ms / static_cast<double>(state.iterations()));
}

const std::vector<std::pair<std::string, std::string>>& Queries() {
  static const auto* queries = new std::vector<std::pair<std::string, std::string>>{
      {"me_baseline", "/api/me"},
      {"first_page", "/api/cases"},
      {"page_1000", "/api/cases?page=1000&per_page=50"},
      {"pattern_and_action", "/api/cases?pattern=SHARED_ACCOUNT&action=BLOCK"},
      {"district_and_certification", "/api/cases?district=370215&certification=SUSPEND"},
      {"search_name", "/api/cases?q=" + UrlEncode("秀英") + "&per_page=200"},
      {"search_digits", "/api/cases?q=999999"},
      {"unassigned_open_page_500", "/api/cases?status=OPEN&assignee=-&page=500"},
      {"dashboard", "/api/dashboard"},
  };
  return *queries;
}

const bool kRegistered = [] {
  for (const auto& [name, query] : Queries()) {
    benchmark::RegisterBenchmark(("BM_Queue/" + name).c_str(),
                                 [query = query](benchmark::State& s) { RunQuery(s, query); })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
  return true;
}();

}  // namespace
}  // namespace vigil::console

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  vigil::console::fixture.reset();  // stops the server, removes the store
  return 0;
}

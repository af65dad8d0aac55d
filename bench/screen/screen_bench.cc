// Screening benchmarks (docs/screening.md has the figures and how to reproduce them).
//
//   vigil_screen_bench [--persons=N] [--db=DIR] [--payroll=FILE] [benchmark flags]
//
// Builds (or reuses, with --db) a store of N pensioners (one registration and three paid months
// each; 1 in 100 with a registered death), opens a Screener on it and measures:
//   BM_ScreenOne/durable|deferred  one request at a time, warm state: latency p50/p99 (us),
//                                  from a per-call histogram (counters p50_us, p99_us)
//   BM_StoreReadOne                baseline: the store read a naive screener would do per
//                                  request (the person's registrations), same percentiles
//   BM_ScreenBatch                 16 batches of 65,536 requests (a payroll month of 1M) on all
//   threads: payments/s
// Each benchmark checks its answers (a PAY for the living, a BLOCK for the dead): a fast wrong
// answer fails. --payroll writes a payroll CSV for the next month (one payment per person) for
// timing `vigil screen` end to end. The counters state_MiB and rss_MiB give the memory of the
// screening state (its own accounting, and the process's resident-size growth at Open).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>

#include "vigil/resident_id.h"
#include "vigil/screener.h"
#include "vigil/store.h"

namespace vigil {
namespace {

size_t g_persons = 200'000;
std::string g_db;
std::string g_payroll;
bool g_keep = false;

std::string IdOf(size_t i) {
  // 17 digits: a Qingdao address, a birth date in 1950, a sequence that spreads i.
  char buf[32];
  std::snprintf(buf, sizeof buf, "370202%04d%02d%02d%03zu", 1940 + static_cast<int>(i % 20),
                static_cast<int>(1 + (i / 20) % 12), static_cast<int>(1 + (i / 240) % 28),
                (i / 6720) % 1000);
  std::string s(buf);
  // Distinct ids for i up to 6.72M: (year, month, day, seq) is a bijection of i.
  s.push_back(ResidentId::ComputeCheckChar(s));
  return s;
}
// Built by appending: GCC 12 warns falsely on "x" + std::to_string(n) under -Wrestrict.
std::string Cat(const char* prefix, uint64_t n, const char* mid = "", uint64_t m = 0) {
  std::string s = prefix;
  s += std::to_string(n);
  if (*mid != '\0') {
    s += mid;
    s += std::to_string(m);
  }
  return s;
}
std::string AccountOf(size_t i) { return Cat("6222", 100000000 + i); }
bool IsDead(size_t i) { return i % 100 == 7; }

double ProcessCpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

size_t RssBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

Status BuildStore(const std::string& dir) {
  StoreOptions o;
  o.path = dir;
  VIGIL_ASSIGN_OR_RETURN(auto store, Store::Open(o));
  VIGIL_ASSIGN_OR_RETURN(auto writer, store->StartBulkLoad());
  RecordBatch batch;
  for (size_t i = 0; i < g_persons; ++i) {
    const std::string id = IdOf(i);
    PersonRecord p;
    p.person_id = id;
    p.region = 3702;
    p.name = "bench";
    p.birth_date = Date(std::chrono::year(1950), std::chrono::March, std::chrono::day(1));
    p.retirement_date = Date(std::chrono::year(2010), std::chrono::March, std::chrono::day(1));
    p.district = 370202;
    p.monthly_benefit = Money::FromFen(300000 + static_cast<int64_t>(i % 1000) * 100);
    p.bank_account = AccountOf(i);
    batch.Add(p);
    for (unsigned m = 4; m <= 6; ++m) {
      PaymentRecord pay;
      pay.payment_id = Cat("P", i, "-", m);
      pay.person_id = id;
      pay.region = 3702;
      pay.period = Month(std::chrono::year(2024), std::chrono::month(m));
      pay.amount = p.monthly_benefit;
      pay.bank_account = p.bank_account;
      pay.paid_date = Date(std::chrono::year(2024), std::chrono::month(m), std::chrono::day(10));
      batch.Add(pay);
    }
    if (IsDead(i)) {
      RegistryRecord r;
      r.person_id = id;
      r.event = RegistryEvent::kDeath;
      r.event_date = Date(std::chrono::year(2024), std::chrono::May, std::chrono::day(3));
      r.reported_date = Date(std::chrono::year(2024), std::chrono::May, std::chrono::day(20));
      batch.Add(r);
    }
    if (batch.size() >= 200'000) {
      VIGIL_RETURN_IF_ERROR(writer->Add(std::move(batch)).status());
      batch = RecordBatch();
    }
  }
  if (!batch.empty()) VIGIL_RETURN_IF_ERROR(writer->Add(std::move(batch)).status());
  VIGIL_RETURN_IF_ERROR(writer->Finish());
  return store->PutMeta("last_score_run", "2024-06-30/default-1/bench");
}

PaymentRequest RequestFor(size_t i, uint64_t serial) {
  PaymentRequest r;
  // Unique across runs on a kept --db: earlier runs' ids are in its audit index.
  static const std::string run =
      Cat("B", static_cast<uint64_t>(getpid()), "-", static_cast<uint64_t>(time(nullptr)));
  r.payment_id = run;
  r.payment_id += '-';
  r.payment_id += std::to_string(serial);
  r.person_id = IdOf(i);
  r.region = 3702;
  r.period = Month(std::chrono::year(2024), std::chrono::July);
  r.amount = Money::FromFen(300000 + static_cast<int64_t>(i % 1000) * 100);
  r.bank_account = AccountOf(i);
  return r;
}

struct Fixture {
  std::string dir;
  std::unique_ptr<Store> store;
  std::unique_ptr<Screener> durable;
  double open_seconds = 0;
  size_t rss_growth = 0;

  Fixture() {
    dir = g_db.empty() ? (std::filesystem::temp_directory_path() /
                          Cat("vigil-screen-bench-", static_cast<uint64_t>(getpid())))
                             .string()
                       : g_db;
    if (!std::filesystem::exists(dir + "/CURRENT")) {
      const auto t = std::chrono::steady_clock::now();
      Status s = BuildStore(dir);
      if (!s.ok()) {
        std::fprintf(stderr, "building the store failed: %s\n", s.ToString().c_str());
        std::exit(1);
      }
      std::fprintf(stderr, "built a store of %zu persons in %.1f s\n", g_persons,
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count());
    }
    StoreOptions o;
    o.path = dir;
    store = Store::Open(o).value();
    const size_t rss = RssBytes();
    const auto t = std::chrono::steady_clock::now();
    auto s = Screener::Open(*store, Policy::Defaults());
    if (!s.ok()) {
      std::fprintf(stderr, "open failed: %s\n", s.status().ToString().c_str());
      std::exit(1);
    }
    durable = std::move(*s);
    open_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    rss_growth = RssBytes() - rss;
    if (!g_payroll.empty()) WritePayroll();
  }
  ~Fixture() {
    durable.reset();
    store.reset();
    std::error_code ec;
    if (g_db.empty() && !g_keep) std::filesystem::remove_all(dir, ec);
  }
  void WritePayroll() const {
    std::ofstream out(g_payroll);
    out << "payment_id,person_id,region,benefit,period,amount,bank_account,channel\n";
    for (size_t i = 0; i < g_persons; ++i) {
      out << "Y" << i << ',' << IdOf(i) << ",3702,PENSION,2024-08,"
          << FormatMoney(Money::FromFen(300000 + static_cast<int64_t>(i % 1000) * 100)) << ','
          << AccountOf(i) << ",BANK\n";
    }
  }
};

Fixture& F() {
  static Fixture f;
  return f;
}

std::atomic<uint64_t> g_serial{0};

void Report(benchmark::State& state, std::vector<double>& us) {
  std::sort(us.begin(), us.end());
  if (us.empty()) return;
  state.counters["p50_us"] = us[us.size() / 2];
  state.counters["p99_us"] = us[us.size() * 99 / 100];
  state.counters["max_us"] = us.back();
}

// Walks the persons in a scattered order (a stride prime to N), one period per pass, so every
// request is a first payment for its period and the expected answer is known.
void ScreenOne(benchmark::State& state, Screener& screener) {
  std::vector<double> us;
  uint64_t k = 0;
  us.reserve(1 << 20);
  for (auto _ : state) {
    const size_t i = (k * 7919) % g_persons;
    PaymentRequest r = RequestFor(i, ++g_serial);
    r.period = Month(std::chrono::year(2024),
                     std::chrono::month(7 + static_cast<unsigned>(k / g_persons)));
    ++k;
    const auto t = std::chrono::steady_clock::now();
    auto d = screener.Screen(r);
    const auto e = std::chrono::steady_clock::now();
    us.push_back(std::chrono::duration<double, std::micro>(e - t).count());
    if (!d.ok() || d->action != (IsDead(i) ? Action::kBlock : Action::kPay)) {
      const std::string why = "wrong decision: " +
                              (d.ok() ? JoinReasonTexts(d->reasons, " | ") : d.status().ToString());
      state.SkipWithError(why.c_str());
      break;
    }
    benchmark::DoNotOptimize(d);
  }
  Report(state, us);
  const ScreenerStats stats = screener.stats();
  state.counters["persons"] = static_cast<double>(stats.persons);
  state.counters["state_MiB"] = static_cast<double>(stats.state_bytes) / (1 << 20);
  state.counters["rss_MiB"] = static_cast<double>(F().rss_growth) / (1 << 20);
  state.counters["open_s"] = F().open_seconds;
}

void BM_ScreenOneDurable(benchmark::State& state) { ScreenOne(state, *F().durable); }
BENCHMARK(BM_ScreenOneDurable)->Iterations(200'000)->Unit(benchmark::kMicrosecond);

void BM_StoreReadOne(benchmark::State& state) {
  std::mt19937_64 rng(43);
  std::vector<double> us;
  for (auto _ : state) {
    const size_t i = rng() % g_persons;
    const uint64_t key = PersonKey(IdOf(i));
    const auto t = std::chrono::steady_clock::now();
    auto rows = F().store->GetPersonRows(key);
    us.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t).count());
    if (!rows.ok() || rows->size() != 1) {
      state.SkipWithError("wrong read");
      break;
    }
    benchmark::DoNotOptimize(rows);
  }
  Report(state, us);
}
BENCHMARK(BM_StoreReadOne)->Iterations(200'000)->Unit(benchmark::kMicrosecond);

void BM_ScreenBatch(benchmark::State& state) {
  constexpr size_t kBatch = 65536;
  std::mt19937_64 rng(44);
  std::vector<PaymentRequest> batch(kBatch);
  std::vector<size_t> who(kBatch);
  std::vector<Result<Decision>> out;
  uint64_t done = 0;
  uint64_t batches = 0;
  double cpu_seconds = 0;  // of the whole process (every thread) while ScreenBatch runs
  // Opened before timing starts: run alone (--benchmark_filter) this call builds the state.
  Screener& screener = *F().durable;
  for (auto _ : state) {
    state.PauseTiming();
    // Distinct persons (a random offset and a stride prime to N) for an unpaid period: every
    // answer is known. Periods 2024-11 and -12 are not used by the single-request runs.
    const size_t offset = rng() % g_persons;
    for (size_t k = 0; k < kBatch; ++k) {
      who[k] = (offset + k * 7919) % g_persons;
      batch[k] = RequestFor(who[k], ++g_serial);
      batch[k].period = Month(std::chrono::year(2024), std::chrono::month(11 + (batches & 1)));
    }
    ++batches;
    state.ResumeTiming();
    const double cpu_before = ProcessCpuSeconds();
    Status s = screener.ScreenBatch(batch, &out);
    cpu_seconds += ProcessCpuSeconds() - cpu_before;
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
    for (size_t k = 0; k < kBatch; ++k) {
      // Two batches may hit one person for one period: then a BLOCK for the duplicate.
      if (!out[k].ok() || (IsDead(who[k]) && out[k]->action != Action::kBlock)) {
        state.SkipWithError("wrong decision");
        break;
      }
    }
    done += kBatch;
  }
  state.counters["payments_per_s"] =
      benchmark::Counter(static_cast<double>(done), benchmark::Counter::kIsRate);
  // On a shared machine the wall-clock rate depends on the other load; CPU time per payment
  // (all threads, RocksDB's included) does not: 2 cores give 2 / cpu_us_per_payment payments
  // per microsecond when the process has them to itself.
  if (done > 0) {
    state.counters["cpu_us_per_payment"] = cpu_seconds * 1e6 / static_cast<double>(done);
    state.counters["payments_per_s_2_cores"] = 2.0 * static_cast<double>(done) / cpu_seconds;
  }
}
BENCHMARK(BM_ScreenBatch)->Iterations(16)->Unit(benchmark::kMillisecond)->UseRealTime();

// Last: its audit writes are another writer's for the screener above.
void BM_ScreenOneDeferred(benchmark::State& state) {
  ScreenerOptions o;
  o.audit_mode = AuditMode::kDeferred;
  static std::unique_ptr<Screener> deferred =
      Screener::Open(*F().store, Policy::Defaults(), o).value();
  ScreenOne(state, *deferred);
  (void)deferred->Flush();
}
BENCHMARK(BM_ScreenOneDeferred)->Iterations(200'000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace vigil

int main(int argc, char** argv) {
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--persons=", 10) == 0) {
      vigil::g_persons = std::stoul(argv[i] + 10);
    } else if (std::strncmp(argv[i], "--db=", 5) == 0) {
      vigil::g_db = argv[i] + 5;
    } else if (std::strncmp(argv[i], "--payroll=", 10) == 0) {
      vigil::g_payroll = argv[i] + 10;
    } else {
      rest.push_back(argv[i]);
    }
  }
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

// `vigil bench`: the throughput report. Generates a synthetic city, runs the real product stages
// on it in this process (ingest, score, screening: state build, a payroll month in batches,
// single requests) and times each beside a same-run raw-RocksDB baseline (docs/bench.md).
#include <tbb/global_control.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench_baselines.h"
#include "commands.h"
#include "progress.h"
#include "vigil/durable_file.h"
#include "vigil/generator.h"
#include "vigil/ingest.h"
#include "vigil/policy.h"
#include "vigil/scoring.h"
#include "vigil/screener.h"
#include "vigil/store.h"

#ifndef VIGIL_VERSION_STRING
#define VIGIL_VERSION_STRING "unknown"
#endif

namespace vigil::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

struct BenchArgs {
  uint64_t persons = 100000;
  uint64_t seed = 1;
  std::string work;
  std::string out;
  int threads = 0;
  bool keep = false;
};

// Payments per ScreenBatch call: what `vigil screen` hands the screener at a time.
constexpr size_t kScreenBatch = 65536;
// Single requests timed one by one: enough for a stable p99 at any city size worth timing.
constexpr size_t kSingleRequests = 2000;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double PerSecond(uint64_t n, double seconds) {
  return seconds > 0 ? static_cast<double>(n) / seconds : 0.0;
}

// One line of the report: a product stage or a baseline.
struct Figure {
  std::string name;
  std::string unit;  // what `count` counts: rows, persons, payments, requests
  uint64_t count = 0;
  double seconds = 0;
  uint64_t peak_rss_bytes = 0;  // of the process, after this figure
  double p50_us = 0;            // single requests and point reads only
  double p99_us = 0;
  std::string baseline{};  // stages: the name of the baseline figure beside it
  std::string also{};      // stages: a second baseline printed beside it (optional)
  std::string what{};      // one line: what was measured
  json details = json::object();
};

json FigureJson(const Figure& f) {
  json j = {{"name", f.name},
            {"unit", f.unit},
            {"count", f.count},
            {"seconds", f.seconds},
            {"per_second", PerSecond(f.count, f.seconds)},
            {"peak_rss_bytes", f.peak_rss_bytes},
            {"what", f.what}};
  if (!f.baseline.empty()) j["baseline"] = f.baseline;
  if (f.p50_us > 0 || f.p99_us > 0) {
    j["p50_us"] = f.p50_us;
    j["p99_us"] = f.p99_us;
  }
  for (const auto& [key, value] : f.details.items()) j[key] = value;
  return j;
}

// `ratio`: the stage's seconds over its baseline's (each baseline covers the same rows or
// payees as its stage), printed on the baseline's line; negative for none.
void PrintFigure(const Figure& f, bool is_baseline, double ratio) {
  char latency[48] = "";
  if (f.p50_us > 0 || f.p99_us > 0) {
    std::snprintf(latency, sizeof latency, "%9.1f %9.1f", f.p50_us, f.p99_us);
  }
  char times[32] = "";
  if (ratio >= 0) std::snprintf(times, sizeof times, "%8.1fx", ratio);
  const std::string label = is_baseline ? "  vs " + f.name : f.name;
  std::printf("%-26s %12llu %-9s %9.2f %12.0f %-19s %9.0f %9s\n", label.c_str(),
              static_cast<unsigned long long>(f.count), f.unit.c_str(), f.seconds,
              PerSecond(f.count, f.seconds), latency,
              static_cast<double>(f.peak_rss_bytes) / (1 << 20), times);
}

double Ratio(const Figure& stage, const Figure& baseline) {
  return baseline.seconds > 0 ? stage.seconds / baseline.seconds : 0.0;
}

std::string UtcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// The folders a run writes. Only what this run created is removed afterwards, never a folder
// the caller named that already held something.
struct WorkDir {
  std::string root;
  bool created_root = false;
  bool keep = false;

  std::string city() const { return root + "/city"; }
  std::string db() const { return root + "/db"; }
  std::string raw() const { return root + "/raw"; }
  std::string raw_sst() const { return root + "/raw-sst"; }
  std::string scored() const { return root + "/out"; }
  std::string rejects() const { return root + "/rejects"; }

  ~WorkDir() {
    if (keep || root.empty()) return;
    std::error_code ec;
    if (created_root) {
      fs::remove_all(root, ec);
    } else {
      for (const std::string& p :
           {city(), db(), raw(), raw_sst(), raw_sst() + "-files", scored(), rejects()})
        fs::remove_all(p, ec);
    }
  }
};

// Makes the work folder: a fresh temporary one, or the caller's, which must be absent or empty
// (a run never writes over earlier files). Returns the exit code on failure.
std::optional<int> MakeWorkDir(const BenchArgs& args, WorkDir* work) {
  work->keep = args.keep;
  if (args.work.empty()) {
    std::string tmpl = (fs::temp_directory_path() / "vigil-bench-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      std::cerr << "vigil bench: cannot create a temporary folder\n";
      return kExitFailure;
    }
    work->root = tmpl;
    work->created_root = true;
    return std::nullopt;
  }
  std::error_code ec;
  if (fs::exists(args.work, ec)) {
    if (!fs::is_directory(args.work, ec) || !fs::is_empty(args.work, ec)) {
      std::cerr << "vigil bench: --work " << args.work << " must be an empty or new folder\n";
      return kExitUsage;
    }
  } else {
    if (!fs::create_directories(args.work, ec)) {
      std::cerr << "vigil bench: cannot create " << args.work << ": " << ec.message() << "\n";
      return kExitFailure;
    }
    work->created_root = true;
  }
  work->root = args.work;
  return std::nullopt;
}

int Fail(std::string_view stage, const Status& status) {
  std::cerr << "vigil bench: " << stage << ": " << status.ToString() << "\n";
  return kExitFailure;
}

// The payroll of one month: the pension of every ACTIVE registration, at its approved amount,
// into its registered account, as the payment platform would submit it.
std::vector<PaymentRequest> MakePayroll(const std::vector<PersonRecord>& active, Month period,
                                        std::string_view id_prefix) {
  std::vector<PaymentRequest> payroll;
  payroll.reserve(active.size());
  const std::string period_text = FormatMonth(period);
  for (size_t i = 0; i < active.size(); ++i) {
    const PersonRecord& p = active[i];
    PaymentRequest r;
    r.payment_id = std::string(id_prefix);
    r.payment_id += period_text;
    r.payment_id += '-';
    r.payment_id += std::to_string(i);
    r.person_id = p.person_id;
    r.region = p.region;
    r.benefit = Benefit::kPension;
    r.period = period;
    r.amount = p.monthly_benefit;
    r.bank_account = p.bank_account;
    r.channel = Channel::kBank;
    payroll.push_back(std::move(r));
  }
  return payroll;
}

// One `vigil bench` run: the figures gathered stage by stage, and what the stages hand on.
// Each stage returns the exit code when it fails (the reason printed), else nothing.
struct BenchRun {
  BenchRun(const BenchArgs& bench_args, WorkDir& work_dir, int machine_cores, int stage_threads)
      : args(bench_args), work(work_dir), cores(machine_cores), threads(stage_threads) {}
  std::optional<int> MakeCity();
  std::optional<int> Ingest();
  std::optional<int> RawBaselinesRun();
  std::optional<int> Score();
  std::optional<int> Screening();
  int Report();

  // The parts of Screening: the screener built from the store, the payroll screened in
  // batches (against parallel raw point reads), and a sample screened one request at a time
  // (against one raw point read each).
  std::optional<int> ScreenerOpen(std::unique_ptr<Screener>* screener);
  std::optional<int> ScreenPayroll(Screener& screener, const std::vector<PaymentRequest>& payroll,
                                   Month payroll_month, const std::vector<PersonPoint>& payees);
  std::optional<int> ScreenSingles(Screener& screener, const std::vector<PersonRecord>& active,
                                   const std::vector<PaymentRequest>& payroll, Month payroll_month,
                                   const std::vector<PersonPoint>& payees);

  const BenchArgs& args;
  WorkDir& work;
  const int cores;
  const int threads;
  double load[3] = {0, 0, 0};
  const Policy policy = Policy::Defaults();
  std::vector<Figure> stages;
  std::vector<Figure> baselines;
  json report;
  Date as_of{};
  Result<GeneratorStats> city = Status::Unavailable("not generated");
  std::unique_ptr<Store> store;
  std::unique_ptr<RawBaselines> raw;
};

// Setup: the city (not a product stage; timed for the record).
std::optional<int> BenchRun::MakeCity() {
  GeneratorOptions gen;
  gen.out_dir = work.city();
  gen.persons = args.persons;
  gen.seed = args.seed;
  gen.threads = threads;
  as_of = gen.as_of;
  {
    ProgressLine progress("bench: generate");
    if (progress.enabled()) {
      gen.progress = [&progress](const GeneratorProgress& p) {
        progress.Update(p.persons_done, p.persons_total, "persons");
      };
    }
    city = GenerateCity(gen);
  }
  if (!city.ok()) {
    std::cerr << "vigil bench: generate: " << city.status().ToString() << "\n";
    return city.status().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  static constexpr const char* kFeeds[] = {"persons", "contributions", "payments",
                                           "signals", "registry",      "appraisals"};
  json generated_rows = json::object();
  for (int i = 0; i < 6; ++i) generated_rows[kFeeds[i]] = city->rows[i];
  report["run"]["as_of"] = FormatDate(as_of);
  report["generated"] = {{"persons", city->persons},
                         {"rows", generated_rows},
                         {"total_rows", city->total_rows()},
                         {"seconds", city->seconds}};
  return std::nullopt;
}

// Ingest: the initial (bulk) load of the city.
std::optional<int> BenchRun::Ingest() {
  StoreOptions store_options;
  store_options.path = work.db();
  auto opened = Store::Open(store_options);
  if (!opened.ok()) return Fail("opening the store", opened.status());
  store = std::move(*opened);
  {
    IngestOptions options;
    options.threads = threads;
    ProgressLine progress("bench: ingest");
    const uint64_t total = city->total_rows();
    if (progress.enabled()) {
      options.progress_interval_rows = 200'000;
      options.progress = [&progress, total](const IngestProgress& p) {
        progress.Update(p.rows, total, "rows");
      };
    }
    const auto start = Clock::now();
    auto summary = IngestFolder(*store, work.city(), work.rejects(), options);
    const double seconds = SecondsSince(start);
    progress.Finish();
    if (!summary.ok()) return Fail("ingest", summary.status());
    if (summary->any_file_failed()) {
      return Fail("ingest", Status::IoError("a feed file of the generated city could not be read"));
    }
    uint64_t loaded = 0;
    uint64_t rejected = 0;
    for (const FileSummary& f : summary->files) {
      loaded += f.loaded;
      rejected += f.rejected;
    }
    Figure f{.name = "ingest",
             .unit = "rows",
             .count = summary->total_rows(),
             .seconds = seconds,
             .peak_rss_bytes = PeakRssBytes(),
             .baseline = "raw_sst_ingest",
             .also = "raw_write",
             .what =
                 "IngestFolder of the city's feed folder into an empty store (bulk load: "
                 "parse, validate, sort, aggregates, ingest)"};
    f.details = {{"rows_read", summary->total_rows()},
                 {"loaded", loaded},
                 {"rejected", rejected},
                 {"bulk", summary->bulk},
                 {"files", summary->files.size()}};
    stages.push_back(std::move(f));
  }
  return std::nullopt;
}

// The raw baselines' databases: the store's read-only, and a plain copy.
std::optional<int> BenchRun::RawBaselinesRun() {
  auto opened = RawBaselines::Open(work.db(), work.raw(), threads);
  if (!opened.ok()) return Fail("baselines", opened.status());
  raw = std::move(*opened);
  // The copies take about as long as ingest: a progress line for them too.
  const uint64_t stored_rows = stages.back().details.value("loaded", uint64_t{0});
  auto copy_progress = [this, stored_rows](ProgressLine& line) {
    if (!line.enabled()) return;
    raw->set_progress(
        [&line, stored_rows](uint64_t rows) { line.Update(rows, stored_rows, "rows"); });
  };
  {
    ProgressLine progress("bench: raw_write");
    copy_progress(progress);
    uint64_t persons_rows = 0;
    auto written = raw->WriteRows(&persons_rows);
    progress.Finish();
    if (!written.ok()) return Fail("baseline raw_write", written.status());
    Figure f{.name = "raw_write",
             .unit = "rows",
             .count = written->rows,
             .seconds = written->seconds,
             .peak_rss_bytes = PeakRssBytes(),
             .what =
                 "the stored persons and events rows (same bytes) written to a plain RocksDB "
                 "with the store's options: WriteBatches of 1 MiB, WAL on, then a flush"};
    f.details = {{"persons_rows", persons_rows},
                 {"events_rows", written->rows - persons_rows},
                 {"bytes", written->bytes}};
    baselines.push_back(std::move(f));
  }
  {
    ProgressLine progress("bench: raw_sst_ingest");
    copy_progress(progress);
    auto ingested = raw->IngestRows(work.raw_sst());
    progress.Finish();
    raw->set_progress(nullptr);
    if (!ingested.ok()) return Fail("baseline raw_sst_ingest", ingested.status());
    Figure f{.name = "raw_sst_ingest",
             .unit = "rows",
             .count = ingested->rows,
             .seconds = ingested->seconds,
             .peak_rss_bytes = PeakRssBytes(),
             .what =
                 "the same stored rows written as sorted table files (SstFileWriter, store's "
                 "options) and ingested at once into a fresh plain RocksDB: how the bulk load "
                 "writes, without parsing, validation, sorting or aggregates"};
    f.details = {{"bytes", ingested->bytes}};
    baselines.push_back(std::move(f));
  }
  {
    auto scanned = raw->ScanEvents();
    if (!scanned.ok()) return Fail("baseline raw_scan", scanned.status());
    Figure f{.name = "raw_scan",
             .unit = "rows",
             .count = scanned->rows,
             .seconds = scanned->seconds,
             .peak_rss_bytes = PeakRssBytes(),
             .what =
                 "every row of the store's events family visited with plain RocksDB "
                 "iterators, 256 key slices over the same threads, no decoding"};
    f.details = {{"bytes", scanned->bytes}};
    baselines.push_back(std::move(f));
  }
  return std::nullopt;
}

// Score: everyone, as of the city's last day.
std::optional<int> BenchRun::Score() {
  {
    ScoreOptions options;
    options.as_of = as_of;
    options.out_dir = work.scored();
    ProgressLine progress("bench: score");
    if (progress.enabled()) {
      options.progress = [&progress](uint64_t done, uint64_t total, const char* phase) {
        progress.Update(done, total, "persons", phase);
      };
    }
    const auto start = Clock::now();
    auto summary = ScoreAll(*store, policy, options);
    const double seconds = SecondsSince(start);
    progress.Finish();
    if (!summary.ok()) return Fail("score", summary.status());
    Figure f{.name = "score",
             .unit = "persons",
             .count = summary->persons,
             .seconds = seconds,
             .peak_rss_bytes = PeakRssBytes(),
             .baseline = "raw_scan",
             .what =
                 "ScoreAll as of the city's last day: certification, rules, models, "
                 "cases.csv/jsonl and certification.csv written, cases stored"};
    f.details = {{"registrations", summary->registrations},
                 {"history_rows", summary->history_rows},
                 {"history_rows_per_second", PerSecond(summary->history_rows, seconds)},
                 {"cases", summary->cases},
                 {"certified", summary->certified},
                 {"needs_active", summary->needs_active},
                 {"suspended", summary->suspended},
                 {"model_id", summary->model_id}};
    stages.push_back(std::move(f));
  }
  return std::nullopt;
}

// Screening: state build, one payroll month in batches, single requests.
std::optional<int> BenchRun::Screening() {
  std::vector<PersonRecord> active;  // the ACTIVE registrations: the payroll's payees
  Status scanned = store->ScanPersons([&active](const PersonRecord& p) {
    if (p.status == PersonStatus::kActive) active.push_back(p);
    return true;
  });
  if (!scanned.ok()) return Fail("reading the registrations", scanned);
  const Month as_of_month = MonthOf(as_of);
  const Month payroll_month = MonthFromNumber(MonthNumber(as_of_month) + 1);
  std::vector<PaymentRequest> payroll = MakePayroll(active, payroll_month, "BENCH-");
  std::vector<PersonPoint> payees;
  payees.reserve(payroll.size());
  for (const PaymentRequest& r : payroll) payees.push_back({PersonKey(r.person_id), r.region});

  std::unique_ptr<Screener> screener;
  if (auto failed = ScreenerOpen(&screener)) return failed;
  if (auto failed = ScreenPayroll(*screener, payroll, payroll_month, payees)) return failed;
  if (auto failed = ScreenSingles(*screener, active, payroll, payroll_month, payees)) {
    return failed;
  }
  screener.reset();
  raw.reset();
  store.reset();
  return std::nullopt;
}

std::optional<int> BenchRun::ScreenerOpen(std::unique_ptr<Screener>* screener) {
  ScreenerOptions options;
  options.threads = threads;
  ProgressLine progress("bench: screen state");
  if (progress.enabled()) {
    options.progress = [&progress](uint64_t done, uint64_t total) {
      progress.Update(done, total, "key ranges");
    };
  }
  const auto start = Clock::now();
  auto made = Screener::Open(*store, policy, options);
  const double seconds = SecondsSince(start);
  progress.Finish();
  if (!made.ok()) return Fail("screener", made.status());
  *screener = std::move(*made);
  const ScreenerStats stats = (*screener)->stats();
  Figure f{.name = "screen_open",
           .unit = "persons",
           .count = stats.persons,
           .seconds = seconds,
           .peak_rss_bytes = PeakRssBytes(),
           .baseline = "raw_scan",
           .what = "Screener::Open: the per-person screening state built from the store"};
  f.details = {{"state_bytes", stats.state_bytes}};
  stages.push_back(std::move(f));
  return std::nullopt;
}

std::optional<int> BenchRun::ScreenPayroll(Screener& screener,
                                           const std::vector<PaymentRequest>& payroll,
                                           Month payroll_month,
                                           const std::vector<PersonPoint>& payees) {
  uint64_t by_action[3] = {0, 0, 0};
  uint64_t errors = 0;
  double seconds = 0;
  std::vector<Result<Decision>> decisions;
  ProgressLine progress("bench: screen batch");
  for (size_t begin = 0; begin < payroll.size(); begin += kScreenBatch) {
    const size_t n = std::min(kScreenBatch, payroll.size() - begin);
    const auto start = Clock::now();
    Status s = screener.ScreenBatch(std::span(payroll).subspan(begin, n), &decisions);
    seconds += SecondsSince(start);
    if (!s.ok()) return Fail("screen batch", s);
    for (const Result<Decision>& d : decisions) {
      if (d.ok()) {
        ++by_action[static_cast<size_t>(d->action)];
      } else {
        ++errors;
      }
    }
    progress.Update(begin + n, payroll.size(), "payments");
  }
  progress.Finish();
  Figure f{.name = "screen_batch",
           .unit = "payments",
           .count = payroll.size(),
           .seconds = seconds,
           .peak_rss_bytes = PeakRssBytes(),
           .baseline = "raw_point_reads",
           .what =
               "ScreenBatch over one payroll month (every ACTIVE registration's pension "
               "for the month after the city's last), 65,536 per batch, audit written"};
  f.details = {{"period", FormatMonth(payroll_month)},
               {"pay", by_action[static_cast<size_t>(Action::kPay)]},
               {"hold", by_action[static_cast<size_t>(Action::kHold)]},
               {"block", by_action[static_cast<size_t>(Action::kBlock)]},
               {"errors", errors}};
  stages.push_back(std::move(f));
  auto reads = raw->ParallelPointReads(payees);
  if (!reads.ok()) return Fail("baseline raw_point_reads", reads.status());
  Figure baseline{.name = "raw_point_reads",
                  .unit = "rows",
                  .count = reads->rows,
                  .seconds = reads->seconds,
                  .peak_rss_bytes = PeakRssBytes(),
                  .what = "one plain RocksDB Get of each payee's persons row, on the same threads"};
  baselines.push_back(std::move(baseline));
  return std::nullopt;
}

std::optional<int> BenchRun::ScreenSingles(Screener& screener,
                                           const std::vector<PersonRecord>& active,
                                           const std::vector<PaymentRequest>& payroll,
                                           Month payroll_month,
                                           const std::vector<PersonPoint>& payees) {
  // A sample spread over the payroll, for the month after: each is a first payment for its
  // period, so it takes the full path of a new request (not the repeated-decision shortcut).
  const size_t n = std::min(kSingleRequests, payroll.size());
  const size_t stride = n > 0 ? payroll.size() / n : 1;
  std::vector<PersonRecord> sample_persons;
  std::vector<PersonPoint> sample_points;
  for (size_t k = 0; k < n; ++k) {
    sample_persons.push_back(active[k * stride]);
    sample_points.push_back(payees[k * stride]);
  }
  const std::vector<PaymentRequest> sample =
      MakePayroll(sample_persons, MonthFromNumber(MonthNumber(payroll_month) + 1), "BENCH-ONE-");
  std::vector<double> us;
  us.reserve(n);
  uint64_t errors = 0;
  ProgressLine progress("bench: screen single");
  const auto start = Clock::now();
  for (size_t k = 0; k < sample.size(); ++k) {
    const auto t = Clock::now();
    auto d = screener.Screen(sample[k]);
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t).count());
    if (!d.ok()) ++errors;
    if (k % 100 == 0) progress.Update(k + 1, sample.size(), "requests");
  }
  const double seconds = SecondsSince(start);
  progress.Finish();
  std::sort(us.begin(), us.end());
  Figure f{.name = "screen_single",
           .unit = "requests",
           .count = sample.size(),
           .seconds = seconds,
           .peak_rss_bytes = PeakRssBytes(),
           .p50_us = SortedPercentile(us, 50),
           .p99_us = SortedPercentile(us, 99),
           .baseline = "raw_point_read",
           .what =
               "Screener::Screen one request at a time (durable audit: each returns once "
               "its entry is written to the screening journal), a sample spread over the "
               "payroll"};
  f.details = {{"errors", errors}};
  stages.push_back(std::move(f));

  auto reads = raw->PointReads(sample_points);
  if (!reads.ok()) return Fail("baseline raw_point_read", reads.status());
  Figure b{.name = "raw_point_read",
           .unit = "rows",
           .count = reads->rows,
           .seconds = reads->seconds,
           .peak_rss_bytes = PeakRssBytes(),
           .p50_us = reads->p50_us,
           .p99_us = reads->p99_us,
           .what = "one plain RocksDB Get of the same payees' persons rows, one at a time"};
  baselines.push_back(std::move(b));
  return std::nullopt;
}

// The report: printed, and written as JSON when asked.
int BenchRun::Report() {
  std::printf(
      "vigil bench: %llu persons, seed %llu, %d threads of %d cores, load average %.2f "
      "%.2f %.2f\n",
      static_cast<unsigned long long>(args.persons), static_cast<unsigned long long>(args.seed),
      threads, cores, load[0], load[1], load[2]);
  std::printf("%-26s %12s %-9s %9s %12s %9s %9s %9s %9s\n", "stage", "count", "unit", "seconds",
              "per s", "p50 us", "p99 us", "peak MiB", "stage/raw");
  report["stages"] = json::array();
  for (const Figure& s : stages) {
    PrintFigure(s, false, -1);
    json j = FigureJson(s);
    for (const Figure& b : baselines) {
      if (b.name != s.baseline) continue;
      PrintFigure(b, true, Ratio(s, b));
      j["seconds_over_baseline"] = Ratio(s, b);
    }
    for (const Figure& b : baselines) {
      if (s.also.empty() || b.name != s.also) continue;
      PrintFigure(b, true, Ratio(s, b));
      j["also_compared_with"] = s.also;
      j["seconds_over_" + s.also] = Ratio(s, b);
    }
    report["stages"].push_back(std::move(j));
  }
  report["baselines"] = json::array();
  for (const Figure& b : baselines) report["baselines"].push_back(FigureJson(b));
  report["work_dir"] = args.keep ? json(work.root) : json(nullptr);
  if (!args.out.empty()) {
    const std::string temp = TempPathFor(args.out);
    std::ofstream out(temp, std::ios::binary);
    out << report.dump(2) << '\n';
    out.close();
    // Through a temporary name: a crash leaves the earlier report or this one, never half.
    Status written = Status::Ok();
    if (!out) {
      written = Status::IoError(temp + ": cannot write: " + std::strerror(errno));
    } else if (temp != args.out) {
      written = SyncAndRename(temp, args.out);
      if (written.ok()) written = SyncDirectory(DirectoryOf(args.out));
    }
    if (!written.ok()) {
      std::error_code ignored;
      if (temp != args.out) std::filesystem::remove(temp, ignored);
      std::cerr << "vigil bench: " << written.message() << "\n";
      return kExitFailure;
    }
    std::printf("wrote %s\n", args.out.c_str());
  }
  if (args.keep) std::printf("kept %s\n", work.root.c_str());
  return kExitOk;
}

int RunBench(const BenchArgs& args) {
  if (!args.out.empty() && TempPathFor(args.out) != args.out) {
    // Minutes of work must not end in "cannot write": try the report's place first. Not a
    // device or a pipe, written in place: opening a pipe to try it would end its reader's input.
    const std::string temp = TempPathFor(args.out);
    std::ofstream probe(temp, std::ios::binary);
    if (!probe) {
      std::cerr << "vigil bench: cannot write " << temp << ": " << std::strerror(errno) << "\n";
      return kExitFailure;
    }
    probe.close();
    std::error_code ignored;
    std::filesystem::remove(temp, ignored);
  }
  WorkDir work;
  if (auto code = MakeWorkDir(args, &work)) return *code;
  const int cores = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  const int threads = args.threads > 0 ? args.threads : cores;
  // Every stage (the generator, ingest, scoring and the screener all run on oneTBB) gets the
  // same number of threads as the baselines.
  tbb::global_control parallelism(tbb::global_control::max_allowed_parallelism,
                                  static_cast<size_t>(threads));
  BenchRun run(args, work, cores, threads);
  double* load = run.load;
  if (getloadavg(load, 3) != 3) load[0] = load[1] = load[2] = -1;
  run.report["vigil"] = {{"version", VIGIL_VERSION_STRING}, {"commit", nullptr}};
  run.report["machine"] = {
      {"cores", cores}, {"threads", threads}, {"load_average", {load[0], load[1], load[2]}}};
  run.report["run"] = {{"persons", args.persons},
                       {"seed", args.seed},
                       {"date", UtcNow()},
                       {"policy_version", run.policy.version}};
  for (auto stage : {&BenchRun::MakeCity, &BenchRun::Ingest, &BenchRun::RawBaselinesRun,
                     &BenchRun::Score, &BenchRun::Screening}) {
    if (const std::optional<int> code = (run.*stage)()) return *code;
  }
  return run.Report();
}

}  // namespace

void AddBenchCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand(
      "bench",
      "Run the throughput report: generate a city, time ingest, score and screening beside "
      "raw-RocksDB baselines measured in the same run");
  cmd->add_option("--persons", args->persons, "Persons in the generated city")
      ->check(CLI::Range(1ULL, 1000000000ULL))
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "Random seed of the city")->capture_default_str();
  cmd->add_option("--work", args->work,
                  "Work folder, empty or new (default: a fresh temporary folder); what the run "
                  "wrote there is removed afterwards unless --keep");
  cmd->add_flag("--keep", args->keep, "Keep the work folder (city, store, baseline database)");
  cmd->add_option("--out", args->out, "Write the report as JSON to this file");
  cmd->add_option("--threads", args->threads, "Threads for every stage and baseline (0: all cores)")
      ->check(CLI::Range(0, 1024));
  cmd->callback([args, &exit_code] { exit_code = RunBench(*args); });
}

}  // namespace vigil::cli

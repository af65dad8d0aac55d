// vigil score throughput beside its same-run baselines, on one store:
//   BM_RawEventScan     every event of the store visited (no decoding), over the same key
//                       slices and threads as scoring: the floor of any design that reads
//                       every history in full once. packed:1 reads the packed `histories`
//                       family (what VisitEventsInRange does by default), packed:0 the `events`
//                       family (StoreOptions::scan_packed_histories = false), in the same run.
//   BM_ScoreFast        ScoreAll with the range-scan loader (what vigil score runs), packed:1
//                       and packed:0 as above.
//   BM_ScoreReference   ScoreAll with the reference loader (one seek per person).
// The store is the one given as --db=DIR (written by vigil ingest; opened read-only, cases are
// not stored), or else a city of --persons=N (default 20000) generated and ingested into a
// scratch folder that is removed at exit. Each figure reports persons/s (or rows/s) and checks
// its own counts, so a fast wrong answer fails.
#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <tbb/blocked_range.h>
#include <tbb/combinable.h>
#include <tbb/parallel_for.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "vigil/generator.h"
#include "vigil/ingest.h"
#include "vigil/policy.h"
#include "vigil/scoring.h"
#include "vigil/store.h"

namespace vigil {
namespace {

const Date kAsOf = Date(std::chrono::year(2026), std::chrono::month(10), std::chrono::day(31));

struct BenchStore {
  std::string scratch;  // removed at exit when not empty
  std::string db;
  std::unique_ptr<Store> store;         // range scans read `histories` when it is kept
  std::unique_ptr<Store> events_store;  // the same store, range scans reading `events`
  uint64_t persons = 0;                 // from the first score run
  uint64_t scan_rows = 0;               // from the first raw scan
};

BenchStore& TheStore() {
  static BenchStore s;
  return s;
}

bool Prepare(const std::string& db, uint64_t persons) {
  BenchStore& s = TheStore();
  if (db.empty()) {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "vigil-score-bench-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) return false;
    s.scratch = tmpl;
    GeneratorOptions gen;
    gen.out_dir = s.scratch + "/city";
    gen.persons = persons;
    gen.seed = 5;
    gen.as_of = kAsOf;
    auto stats = GenerateCity(gen);
    if (!stats.ok()) {
      std::fprintf(stderr, "generate: %s\n", stats.status().ToString().c_str());
      return false;
    }
    s.db = s.scratch + "/db";
    StoreOptions so;
    so.path = s.db;
    auto store = Store::Open(so);
    if (!store.ok()) return false;
    auto ingested = IngestFolder(**store, gen.out_dir, s.scratch + "/rejects");
    if (!ingested.ok()) {
      std::fprintf(stderr, "ingest: %s\n", ingested.status().ToString().c_str());
      return false;
    }
  } else {
    s.db = db;
  }
  StoreOptions so;
  so.path = s.db;
  so.mode = OpenMode::kReadOnly;
  so.create_if_missing = false;
  auto store = Store::Open(so);
  if (!store.ok()) {
    std::fprintf(stderr, "open %s: %s\n", s.db.c_str(), store.status().ToString().c_str());
    return false;
  }
  s.store = std::move(*store);
  so.scan_packed_histories = false;
  auto events_store = Store::Open(so);
  if (!events_store.ok()) return false;
  s.events_store = std::move(*events_store);
  if (!s.store->MaintainsHistories()) {
    std::fprintf(stderr, "note: %s has no packed histories: packed:1 reads events too\n",
                 s.db.c_str());
  }
  return true;
}

void Score(benchmark::State& state, bool reference, Store& store) {
  BenchStore& s = TheStore();
  const std::string out =
      (s.scratch.empty() ? std::filesystem::temp_directory_path().string() : s.scratch) +
      (reference ? "/out-reference" : "/out-fast");
  uint64_t persons = 0;
  for (auto _ : state) {
    ScoreOptions options;
    options.as_of = kAsOf;
    options.out_dir = out;
    options.store_cases = false;
    options.reference_loader = reference;
    auto summary = ScoreAll(store, Policy::Defaults(), options);
    if (!summary.ok()) {
      state.SkipWithError(summary.status().ToString().c_str());
      return;
    }
    persons = summary->persons;
    if (s.persons != 0 && persons != s.persons) {
      state.SkipWithError("the two loaders saw different numbers of persons");
      return;
    }
    s.persons = persons;
  }
  std::error_code ec;
  std::filesystem::remove_all(out, ec);
  state.counters["persons"] = static_cast<double>(persons);
  state.counters["persons_per_s"] =
      benchmark::Counter(static_cast<double>(persons) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}

void BM_ScoreFast(benchmark::State& state) {
  Score(state, false, state.range(0) != 0 ? *TheStore().store : *TheStore().events_store);
}
void BM_ScoreReference(benchmark::State& state) { Score(state, true, *TheStore().store); }

void BM_RawEventScan(benchmark::State& state) {
  BenchStore& s = TheStore();
  const Store& store = state.range(0) != 0 ? *s.store : *s.events_store;
  constexpr size_t kSliceBits = 8;
  constexpr size_t kSlices = size_t{1} << kSliceBits;
  HistoryFilter filter;
  filter.known_by = StartOfDay(kAsOf) + std::chrono::hours(24) - std::chrono::seconds(1);
  const auto snapshot = store.GetSnapshot();
  uint64_t rows = 0;
  for (auto _ : state) {
    tbb::combinable<uint64_t> counted([] { return uint64_t{0}; });
    tbb::parallel_for(tbb::blocked_range<size_t>(0, kSlices, 1),
                      [&](const tbb::blocked_range<size_t>& range) {
                        for (size_t slice = range.begin(); slice != range.end(); ++slice) {
                          const uint64_t first = uint64_t{slice} << (64 - kSliceBits);
                          const uint64_t last = first + ((uint64_t{1} << (64 - kSliceBits)) - 1);
                          uint64_t& n = counted.local();
                          Status st = store.VisitEventsInRange(
                              first, last, filter,
                              [&](const EventView& e) {
                                benchmark::DoNotOptimize(e.value.data());
                                ++n;
                                return true;
                              },
                              snapshot.get());
                          if (!st.ok()) std::abort();
                        }
                      });
    rows = counted.combine([](uint64_t a, uint64_t b) { return a + b; });
    if (s.scan_rows != 0 && rows != s.scan_rows) {
      state.SkipWithError("the two families gave different numbers of rows");
      return;
    }
    s.scan_rows = rows;
  }
  state.counters["rows"] = static_cast<double>(rows);
  state.counters["rows_per_s"] =
      benchmark::Counter(static_cast<double>(rows) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}

// packed:0 (the events family) and packed:1 (the packed histories), same run.
void BothFamilies(benchmark::internal::Benchmark* b) {
  b->ArgName("packed")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
  b->Iterations(3);
}

BENCHMARK(BM_RawEventScan)->Apply(BothFamilies);
BENCHMARK(BM_ScoreFast)->Apply(BothFamilies);
BENCHMARK(BM_ScoreReference)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

}  // namespace
}  // namespace vigil

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  std::string db;
  uint64_t persons = 20000;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg(argv[i]);
    if (arg.starts_with("--db=")) {
      db = std::string(arg.substr(5));
    } else if (arg.starts_with("--persons=")) {
      persons = std::strtoull(argv[i] + 10, nullptr, 10);
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  const bool ready = vigil::Prepare(db, persons);
  if (ready) benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  vigil::TheStore().store.reset();
  vigil::TheStore().events_store.reset();
  if (!vigil::TheStore().scratch.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(vigil::TheStore().scratch, ec);
  }
  return ready ? 0 : 1;
}

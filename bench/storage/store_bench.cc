// Store vs raw RocksDB on the same synthetic histories, options and process:
//   writes   Store::Write of pre-built batches      vs  WriteBatch of the same entries, pre-encoded
//                                                        (and, for reference, of the events alone)
//   scans    Store::VisitHistory per person          vs  prefix Iterator over the same keys
//   lookups  Store::MultiGetAggregates (as-of month) vs  the same seeks + decode on a raw Iterator
// Every benchmark checks its answer (row and person counts) and fails on a wrong one.
//
// Run: vigil_storage_bench --benchmark_min_time=1   (TMPDIR chooses where databases go)
#include <benchmark/benchmark.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>

#include "storage/aggregate.h"
#include "storage/coding.h"
#include "storage/db_options.h"
#include "storage/keys.h"
#include "storage/values.h"
#include "vigil/store.h"

namespace vigil {
namespace {

constexpr int kPersons = 2000;
constexpr int kBatchRows = 1000;
constexpr int kScanPersons = 500;
constexpr int kLookupPersons = 1000;

Date D(int y, unsigned m, unsigned d) {
  return Date(std::chrono::year(y), std::chrono::month(m), std::chrono::day(d));
}

std::string PersonIdOf(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "3702021950%04d%04d", i % 10000, (i * 7919) % 10000);
  return buf;
}

// About 100 events per person over five years: signals, monthly pension payments,
// contribution spells, a registry event and an appraisal now and then.
std::vector<AnyRecord> MakeHistories() {
  std::mt19937_64 rng(42);
  std::vector<AnyRecord> rows;
  for (int p = 0; p < kPersons; ++p) {
    const std::string id = PersonIdOf(p);
    for (int s = 0; s < 60; ++s) {
      SignalRecord r;
      r.person_id = id;
      r.source = static_cast<SignalSource>(rng() % 12);
      r.occurred_at =
          StartOfDay(D(2019 + static_cast<int>(rng() % 5), 1 + rng() % 12, 1 + rng() % 28)) +
          std::chrono::seconds(rng() % 86400);
      r.place = "ST" + std::to_string(rng() % 500);
      r.detail = r.source == SignalSource::kFaceCert ? "PASS" : "";
      rows.emplace_back(std::move(r));
    }
    for (int m = 0; m < 30; ++m) {
      PaymentRecord r;
      r.payment_id = "PAY" + std::to_string(p) + "-" + std::to_string(m);
      r.person_id = id;
      r.region = 3702;
      r.benefit = Benefit::kPension;
      r.period =
          MonthFromNumber(MonthNumber(Month(std::chrono::year(2020), std::chrono::month(1))) + m);
      r.amount = Money::FromFen(300000 + static_cast<int64_t>(rng() % 100000));
      r.bank_account = "62220202" + std::to_string(p);
      r.paid_date = Date(r.period.year(), r.period.month(), std::chrono::day(10));
      rows.emplace_back(std::move(r));
    }
    for (int c = 0; c < 8; ++c) {
      ContributionRecord r;
      r.person_id = id;
      r.region = 3702;
      r.employer_id = "EMP" + std::to_string(rng() % 1000);
      r.industry = "C13";
      r.start_month = MonthFromNumber(
          MonthNumber(Month(std::chrono::year(1980), std::chrono::month(1))) + c * 36);
      r.end_month = MonthFromNumber(MonthNumber(r.start_month) + 35);
      r.monthly_base = Money::FromFen(400000);
      r.paid_date = D(2000, 1, 1);
      r.recorded_at = StartOfDay(D(2019 + c % 5, 1 + c, 2));
      rows.emplace_back(std::move(r));
    }
    if (p % 10 == 0) {
      RegistryRecord r;
      r.person_id = id;
      r.event = RegistryEvent::kDeath;
      r.event_date = D(2022, 3, 1);
      r.reported_date = D(2022, 6, 1);
      rows.emplace_back(std::move(r));
    }
    if (p % 4 == 0) {
      AppraisalRecord r;
      r.person_id = id;
      r.appraisal_date = D(2015, 5, 5);
      r.hospital_id = "H1";
      r.doctor_id = "D1";
      r.grade = 3;
      r.conclusion = Conclusion::kCompleteLoss;
      rows.emplace_back(std::move(r));
    }
  }
  // Feeds arrive in no particular person order.
  std::shuffle(rows.begin(), rows.end(), rng);
  return rows;
}

// One input order of the rows, cut into batches of kBatchRows.
struct Data {
  std::vector<AnyRecord> rows;
  std::vector<RecordBatch> batches;
  // The same rows pre-encoded for the raw baseline: (events key, value) per batch.
  std::vector<std::vector<std::pair<std::string, std::string>>> raw_batches;
  // Everything the store writes for those rows, pre-encoded: events puts, aggregate delta
  // merges (one per touched person-month bucket) and payment index puts, per batch.
  struct Full {
    std::vector<std::pair<std::string, std::string>> events, merges, payments;
  };
  std::vector<Full> full_batches;
  std::vector<uint64_t> person_keys;
  size_t events = 0;
};

uint64_t PersonKeyOfRow(const AnyRecord& r) {
  return std::visit([](const auto& x) { return PersonKey(x.person_id); }, r);
}

Data* BuildData(bool person_ordered) {
  auto* d = new Data;
  d->rows = MakeHistories();
  if (person_ordered) {
    // As a feed extracted person by person would arrive: each batch covers few persons.
    std::stable_sort(d->rows.begin(), d->rows.end(), [](const AnyRecord& a, const AnyRecord& b) {
      return PersonKeyOfRow(a) < PersonKeyOfRow(b);
    });
  }
  for (size_t i = 0; i < d->rows.size(); i += kBatchRows) {
    RecordBatch b;
    std::vector<std::pair<std::string, std::string>> raw;
    Data::Full full;
    std::map<std::string, MonthAggregate> deltas;
    for (size_t j = i; j < std::min(d->rows.size(), i + kBatchRows); ++j) {
      b.Add(d->rows[j]);
      std::visit(
          [&raw, &full, &deltas](const auto& r) {
            if constexpr (!std::is_same_v<std::decay_t<decltype(r)>, PersonRecord>) {
              auto e = storage::EncodeEvent(r);
              std::string key =
                  storage::EventKey(e.person_key, e.time_seconds, e.kind, e.natural_key_hash);
              full.events.emplace_back(key, e.value);
              deltas[storage::AggregateKey(e.person_key,
                                           storage::MonthNumberOfSeconds(e.known_at_seconds))]
                  .Merge(storage::AggregateOf(r));
              if constexpr (std::is_same_v<std::decay_t<decltype(r)>, PaymentRecord>) {
                full.payments.emplace_back(r.payment_id, key);
              }
              raw.emplace_back(std::move(key), std::move(e.value));
            }
          },
          d->rows[j]);
    }
    // What a careful raw-RocksDB writer of the same model would send: one merge per
    // person-month bucket per batch, every family's entries in key order.
    for (const auto& [bucket, delta] : deltas)
      full.merges.emplace_back(bucket, EncodeAggregate(delta));
    std::sort(full.events.begin(), full.events.end());
    std::sort(full.payments.begin(), full.payments.end());
    d->events += raw.size();
    d->batches.push_back(std::move(b));
    d->raw_batches.push_back(std::move(raw));
    d->full_batches.push_back(std::move(full));
  }
  for (int p = 0; p < kPersons; ++p) d->person_keys.push_back(PersonKey(PersonIdOf(p)));
  return d;
}

// order 0: rows shuffled across persons (the hard case for aggregates: ~one row per
// person-month bucket per batch); order 1: rows grouped by person.
const Data& GetData(int order = 0) {
  static const Data* shuffled = BuildData(false);
  if (order == 0) return *shuffled;
  static const Data* grouped = BuildData(true);
  return *grouped;
}

std::string FreshDir(const char* name) {
  static int n = 0;
  auto dir =
      std::filesystem::temp_directory_path() /
      ("vigil_storage_bench_" + std::to_string(::getpid()) + "_" + name + std::to_string(n++));
  std::filesystem::remove_all(dir);
  return dir.string();
}

StoreOptions BenchOptions(const std::string& path) {
  StoreOptions o;
  o.path = path;
  return o;
}

// A raw RocksDB opened with exactly the store's options and column families.
struct RawDb {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  RawDb(const std::string& path, bool read_only) {
    auto config = storage::MakeDbConfig(BenchOptions(path));
    rocksdb::DB* raw = nullptr;
    const rocksdb::Status s =
        read_only ? rocksdb::DB::OpenForReadOnly(config.db, path, config.families, &handles, &raw)
                  : rocksdb::DB::Open(config.db, path, config.families, &handles, &raw);
    if (!s.ok()) std::abort();
    db.reset(raw);
  }
  ~RawDb() {
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  }
  rocksdb::ColumnFamilyHandle* cf(storage::CfIndex i) const { return handles[i]; }
};

// ---------------------------------------------------------------- writes

void BM_Write_Store(benchmark::State& state) {
  const Data& data = GetData(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    state.PauseTiming();
    const std::string dir = FreshDir("w");
    {
      auto store = Store::Open(BenchOptions(dir));
      if (!store.ok()) return state.SkipWithError(store.status().ToString().c_str());
      state.ResumeTiming();
      WriteCounts total;
      for (const auto& b : data.batches) {
        auto w = (*store)->Write(b);
        if (!w.ok()) return state.SkipWithError(w.status().ToString().c_str());
        total += *w;
      }
      state.PauseTiming();
      if (total.inserted != data.rows.size()) return state.SkipWithError("wrong insert count");
    }
    std::filesystem::remove_all(dir);
    state.ResumeTiming();
  }
  state.counters["rows"] = static_cast<double>(data.rows.size());
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * data.rows.size()));
}

void BM_Write_Raw(benchmark::State& state) {
  const Data& data = GetData(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    state.PauseTiming();
    const std::string dir = FreshDir("r");
    {
      RawDb raw(dir, false);
      rocksdb::WriteOptions wo;
      state.ResumeTiming();
      for (const auto& batch : data.raw_batches) {
        rocksdb::WriteBatch wb;
        for (const auto& [k, v] : batch) {
          if (!wb.Put(raw.cf(storage::kEventsIdx), k, v).ok()) std::abort();
        }
        if (!raw.db->Write(wo, &wb).ok()) return state.SkipWithError("raw write failed");
      }
      state.PauseTiming();
    }
    std::filesystem::remove_all(dir);
    state.ResumeTiming();
  }
  state.counters["rows"] = static_cast<double>(data.events);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * data.events));
}

// The raw baseline of the store's data model: the same entries (events, one aggregate merge per
// person-month bucket per batch, payment index), pre-encoded and key-sorted outside the timing,
// with no read-check. Store / this = the overhead of the store's layer (idempotence reads,
// encoding checks, locking, batch assembly); this / Write_Raw = the cost of the model itself.
// Arg 1 (`same_job:1`): the same job as the store, done raw. Before each batch's write, one
// key-sorted MultiGet of the payment index and one of the events keys, as any writer that keeps
// merge-operator aggregates exact under re-loads and corrections must do (a replaced row's old
// contribution has to come out of its bucket), and the buckets' deltas derived from the encoded
// rows inside the timing.
void BM_WriteSameEntries_Raw(benchmark::State& state) {
  const Data& data = GetData(static_cast<int>(state.range(0)));
  const bool same_job = state.range(1) != 0;
  std::vector<rocksdb::PinnableSlice> values;
  std::vector<rocksdb::Status> statuses;
  std::vector<rocksdb::Slice> keys;
  std::map<std::string, MonthAggregate> merges;
  std::vector<std::pair<std::string, std::string>> encoded_merges;
  auto multi_get = [&](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                       const std::vector<std::pair<std::string, std::string>>& entries) {
    keys.clear();
    for (const auto& [k, v] : entries) keys.emplace_back(k);
    values.resize(keys.size());
    statuses.resize(keys.size());
    db->MultiGet(rocksdb::ReadOptions(), cf, keys.size(), keys.data(), values.data(),
                 statuses.data(), /*sorted_input=*/true);
    for (const auto& st : statuses) {
      if (!st.ok() && !st.IsNotFound()) std::abort();
    }
  };
  for (auto _ : state) {
    state.PauseTiming();
    const std::string dir = FreshDir("f");
    {
      RawDb raw(dir, false);
      rocksdb::WriteOptions wo;
      state.ResumeTiming();
      for (const auto& batch : data.full_batches) {
        if (same_job) {
          multi_get(raw.db.get(), raw.cf(storage::kPaymentIdsIdx), batch.payments);
          multi_get(raw.db.get(), raw.cf(storage::kEventsIdx), batch.events);
        }
        // The same job also derives each bucket's delta from the rows, as the store must; the
        // blind variant writes deltas computed before the timing.
        if (same_job) {
          merges.clear();
          for (const auto& [k, v] : batch.events) {
            storage::ParsedEventKey parsed;
            int64_t known = 0;
            if (!storage::ParseEventKey(k, &parsed) || !storage::PeekKnownAt(v, &known))
              std::abort();
            auto delta = MonthAggregate::OfEvent(parsed.kind, v);
            if (!delta.ok()) std::abort();
            merges[storage::AggregateKey(parsed.person_key, storage::MonthNumberOfSeconds(known))]
                .Merge(*delta);
          }
          encoded_merges.clear();
          for (const auto& [k, delta] : merges)
            encoded_merges.emplace_back(k, EncodeAggregate(delta));
        }
        const auto& batch_merges = same_job ? encoded_merges : batch.merges;
        rocksdb::WriteBatch wb;
        for (const auto& [k, v] : batch.events) {
          if (!wb.Put(raw.cf(storage::kEventsIdx), k, v).ok()) std::abort();
        }
        for (const auto& [k, v] : batch.payments) {
          if (!wb.Put(raw.cf(storage::kPaymentIdsIdx), k, v).ok()) std::abort();
        }
        for (const auto& [k, v] : batch_merges) {
          if (!wb.Merge(raw.cf(storage::kAggregatesIdx), k, v).ok()) std::abort();
        }
        if (!raw.db->Write(wo, &wb).ok()) return state.SkipWithError("raw write failed");
      }
      state.PauseTiming();
    }
    std::filesystem::remove_all(dir);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * data.events));
}

// Rewriting the same batches into a store that already holds them: every row is "unchanged".
void BM_Rewrite_Store(benchmark::State& state) {
  const Data& data = GetData();
  const std::string dir = FreshDir("rw");
  auto store = Store::Open(BenchOptions(dir));
  if (!store.ok()) return state.SkipWithError(store.status().ToString().c_str());
  for (const auto& b : data.batches) {
    if (!(*store)->Write(b).ok()) return state.SkipWithError("load failed");
  }
  for (auto _ : state) {
    WriteCounts total;
    for (const auto& b : data.batches) total += *(*store)->Write(b);
    if (total.unchanged != data.rows.size()) return state.SkipWithError("rewrite changed rows");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * data.rows.size()));
  store->reset();
  std::filesystem::remove_all(dir);
}

// Encoding rows into a RecordBatch (done by ingest threads, outside the store's lock).
void BM_EncodeBatch(benchmark::State& state) {
  const Data& data = GetData();
  for (auto _ : state) {
    RecordBatch b;
    for (size_t i = 0; i < static_cast<size_t>(kBatchRows); ++i) b.Add(data.rows[i]);
    benchmark::DoNotOptimize(b.ByteSize());
  }
  state.SetItemsProcessed(state.iterations() * kBatchRows);
}

// ---------------------------------------------------------------- reads

// One loaded, compacted database shared by the read benchmarks, opened read-only twice: once
// through the Store and once raw.
struct ReadFixture {
  std::string dir;
  std::unique_ptr<Store> store;
  std::unique_ptr<RawDb> raw;
  std::vector<uint64_t> scan_keys;
  size_t scan_rows = 0;
};

const ReadFixture& GetReadFixture() {
  static ReadFixture* f = [] {
    auto* fx = new ReadFixture;
    const Data& data = GetData();
    fx->dir = FreshDir("read");
    // The fixture lives until exit; its directory goes with it.
    static std::string dir_to_remove;
    dir_to_remove = fx->dir;
    std::atexit([] { std::filesystem::remove_all(dir_to_remove); });
    {
      auto store = Store::Open(BenchOptions(fx->dir));
      if (!store.ok()) std::abort();
      for (const auto& b : data.batches) {
        if (!(*store)->Write(b).ok()) std::abort();
      }
      if (!(*store)->CompactAll().ok()) std::abort();
    }
    StoreOptions ro = BenchOptions(fx->dir);
    ro.mode = OpenMode::kReadOnly;
    fx->store = std::move(Store::Open(ro)).value();
    fx->raw = std::make_unique<RawDb>(fx->dir, true);
    std::mt19937_64 rng(7);
    for (int i = 0; i < kScanPersons; ++i) {
      fx->scan_keys.push_back(data.person_keys[rng() % data.person_keys.size()]);
    }
    for (uint64_t pk : fx->scan_keys) {
      if (!fx->store
               ->VisitHistory(pk, {},
                              [&](const EventView&) {
                                ++fx->scan_rows;
                                return true;
                              })
               .ok()) {
        std::abort();
      }
    }
    return fx;
  }();
  return *f;
}

void BM_Scan_Store(benchmark::State& state) {
  const ReadFixture& fx = GetReadFixture();
  for (auto _ : state) {
    size_t rows = 0;
    size_t bytes = 0;
    for (uint64_t pk : fx.scan_keys) {
      const Status s = fx.store->VisitHistory(pk, {}, [&](const EventView& e) {
        ++rows;
        bytes += e.value.size();
        return true;
      });
      if (!s.ok()) return state.SkipWithError(s.ToString().c_str());
    }
    if (rows != fx.scan_rows) return state.SkipWithError("wrong row count");
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * fx.scan_rows));
}

void BM_Scan_Raw(benchmark::State& state) {
  const ReadFixture& fx = GetReadFixture();
  for (auto _ : state) {
    size_t rows = 0;
    size_t bytes = 0;
    for (uint64_t pk : fx.scan_keys) {
      const std::string prefix = storage::PersonPrefix(pk);
      const std::string upper = storage::PersonPrefix(pk + 1);
      rocksdb::Slice upper_slice(upper);
      rocksdb::ReadOptions ro;
      ro.prefix_same_as_start = true;
      ro.iterate_upper_bound = &upper_slice;
      std::unique_ptr<rocksdb::Iterator> it(
          fx.raw->db->NewIterator(ro, fx.raw->cf(storage::kEventsIdx)));
      for (it->Seek(prefix); it->Valid(); it->Next()) {
        ++rows;
        bytes += it->value().size() + it->key().size();
      }
      if (!it->status().ok()) return state.SkipWithError("raw scan failed");
    }
    if (rows != fx.scan_rows) return state.SkipWithError("wrong row count");
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * fx.scan_rows));
}

const Month kAsOf(std::chrono::year(2022), std::chrono::month(12));

std::vector<uint64_t> LookupKeys() {
  const Data& data = GetData();
  std::mt19937_64 rng(9);
  std::vector<uint64_t> keys;
  for (int i = 0; i < kLookupPersons; ++i)
    keys.push_back(data.person_keys[rng() % data.person_keys.size()]);
  return keys;
}

void BM_MultiGetAggregates_Store(benchmark::State& state) {
  const ReadFixture& fx = GetReadFixture();
  const auto keys = LookupKeys();
  std::vector<MonthAggregate> out;
  int64_t check = -1;
  for (auto _ : state) {
    const Status s = fx.store->MultiGetAggregates(keys, kAsOf, &out);
    if (!s.ok()) return state.SkipWithError(s.ToString().c_str());
    int64_t payments = 0;
    for (const auto& a : out) payments += a.payment_count[0];
    // Each person has 30 monthly payments, 2020-01 .. 2022-06: all known by 2022-12.
    if (payments != int64_t{30} * kLookupPersons) return state.SkipWithError("wrong sum");
    check = payments;
  }
  benchmark::DoNotOptimize(check);
  state.SetItemsProcessed(state.iterations() * kLookupPersons);
}

void BM_MultiGetAggregates_Raw(benchmark::State& state) {
  const ReadFixture& fx = GetReadFixture();
  auto keys = LookupKeys();
  std::vector<MonthAggregate> out(keys.size());
  const uint32_t last = storage::FlipSign32(MonthNumber(kAsOf));
  for (auto _ : state) {
    // The same work done by hand: sorted seeks on one prefix iterator, decode, sum.
    std::vector<uint32_t> order(keys.size());
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](uint32_t a, uint32_t b) { return keys[a] < keys[b]; });
    rocksdb::ReadOptions ro;
    ro.prefix_same_as_start = true;
    std::unique_ptr<rocksdb::Iterator> it(
        fx.raw->db->NewIterator(ro, fx.raw->cf(storage::kAggregatesIdx)));
    int64_t payments = 0;
    for (uint32_t i : order) {
      MonthAggregate sum;
      const std::string prefix = storage::PersonPrefix(keys[i]);
      for (it->Seek(prefix); it->Valid(); it->Next()) {
        const rocksdb::Slice k = it->key();
        if (storage::DecodeFixed32BE(k.data() + 8) > last) break;
        auto a = DecodeAggregate(std::string_view(it->value().data(), it->value().size()));
        if (!a.ok()) return state.SkipWithError("decode");
        sum.Merge(*a);
      }
      payments += sum.payment_count[0];
      out[i] = sum;
    }
    if (payments != int64_t{30} * kLookupPersons) return state.SkipWithError("wrong sum");
  }
  state.SetItemsProcessed(state.iterations() * kLookupPersons);
}

BENCHMARK(BM_EncodeBatch);
BENCHMARK(BM_Write_Raw)
    ->ArgName("person_ordered")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);
BENCHMARK(BM_WriteSameEntries_Raw)
    ->ArgNames({"person_ordered", "same_job"})
    ->ArgsProduct({{0, 1}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);
BENCHMARK(BM_Write_Store)
    ->ArgName("person_ordered")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);
BENCHMARK(BM_Rewrite_Store)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_Scan_Raw)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Scan_Store)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MultiGetAggregates_Raw)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MultiGetAggregates_Store)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace vigil

BENCHMARK_MAIN();

// Shared helpers of the storage tests: temp directories and record factories.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "vigil/records.h"
#include "vigil/store.h"

namespace vigil::testing {

// A fresh directory under the test's TMPDIR, removed on destruction.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("vigil_storage_test_" + std::to_string(::getpid()) + "_" +
             std::to_string(counter.fetch_add(1)));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string path(const std::string& leaf = "db") const { return (path_ / leaf).string(); }

 private:
  std::filesystem::path path_;
};

inline Date D(int y, unsigned m, unsigned d) {
  return Date(std::chrono::year(y), std::chrono::month(m), std::chrono::day(d));
}
inline Month M(int y, unsigned m) { return Month(std::chrono::year(y), std::chrono::month(m)); }
inline Timestamp T(int y, unsigned m, unsigned d, int hour = 0) {
  return StartOfDay(D(y, m, d)) + std::chrono::hours(hour);
}

// prefix + decimal n. (GCC 12 warns falsely, -Wrestrict, on "literal" + std::to_string(n).)
inline std::string Tag(const char* prefix, long long n) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s%lld", prefix, n);
  return buf;
}

inline std::string PersonId(int i) {
  // Shape of a resident id; the store does not validate ids (ingest does).
  char buf[32];
  std::snprintf(buf, sizeof buf, "370202%08d%04d", 19500101 + (i % 28), i % 10000);
  return std::string(buf) + std::to_string(i);
}

inline PersonRecord MakePerson(const std::string& id, uint16_t region = 3702) {
  PersonRecord p;
  p.person_id = id;
  p.region = region;
  p.name = "张三";
  p.birth_date = D(1950, 1, 1);
  p.sex = Sex::kFemale;
  p.district = 370202;
  p.scheme = Scheme::kEmployee;
  p.category = Category::kCadre;
  p.retirement_date = D(2005, 1, 1);
  p.retirement_type = RetirementType::kSpecialJob;
  p.monthly_benefit = Money::FromFen(342150);
  p.bank_account = "6222020200112233";
  p.phone = "13800000000";
  p.address = "青岛市市南区";
  p.status = PersonStatus::kActive;
  return p;
}

inline SignalRecord MakeSignal(const std::string& id, SignalSource source, Timestamp at,
                               std::string place = "P1", std::string detail = "PASS") {
  SignalRecord s;
  s.person_id = id;
  s.source = source;
  s.occurred_at = at;
  s.place = std::move(place);
  s.detail = std::move(detail);
  return s;
}

inline PaymentRecord MakePayment(const std::string& payment_id, const std::string& id, Date paid,
                                 int64_t fen, Benefit benefit = Benefit::kPension) {
  PaymentRecord p;
  p.payment_id = payment_id;
  p.person_id = id;
  p.region = 3702;
  p.benefit = benefit;
  p.period = MonthOf(paid);
  p.amount = Money::FromFen(fen);
  p.bank_account = "6222020200112233";
  p.channel = Channel::kBank;
  p.paid_date = paid;
  return p;
}

inline RegistryRecord MakeRegistry(const std::string& id, RegistryEvent event, Date happened,
                                   Date reported, std::string detail = "") {
  RegistryRecord r;
  r.person_id = id;
  r.event = event;
  r.event_date = happened;
  r.reported_date = reported;
  r.detail = std::move(detail);
  return r;
}

inline ContributionRecord MakeContribution(const std::string& id, Month start, Month end,
                                           Timestamp recorded, JobType job = JobType::kNormal) {
  ContributionRecord c;
  c.person_id = id;
  c.region = 3702;
  c.employer_id = "91370200MA3C000000";
  c.industry = "B06";
  c.job_type = job;
  c.start_month = start;
  c.end_month = end;
  c.monthly_base = Money::FromFen(500000);
  c.kind = ContributionKind::kRegular;
  c.paid_date = D(2001, 1, 15);
  c.recorded_at = recorded;
  return c;
}

inline AppraisalRecord MakeAppraisal(const std::string& id, Date date, uint8_t grade) {
  AppraisalRecord a;
  a.person_id = id;
  a.appraisal_date = date;
  a.hospital_id = "H001";
  a.doctor_id = "D042";
  a.grade = grade;
  a.conclusion = grade <= 4 ? Conclusion::kCompleteLoss : Conclusion::kPartialLoss;
  return a;
}

// A random event of one of `persons` persons. Natural keys are drawn from a small space and
// contents vary, so re-writes and corrections happen often.
inline AnyRecord RandomEvent(std::mt19937_64& rng, int persons) {
  std::uniform_int_distribution<int> person(0, persons - 1);
  std::uniform_int_distribution<int> kind(0, 4);
  std::uniform_int_distribution<int> small(0, 5);
  std::uniform_int_distribution<int> day(1, 28);
  std::uniform_int_distribution<int> month(1, 12);
  const std::string id = PersonId(person(rng));
  const int year = 2019 + small(rng) % 3;
  switch (kind(rng)) {
    case 0: {
      const auto src = static_cast<SignalSource>(small(rng) * 2 % 12);
      return MakeSignal(id, src, T(year, static_cast<unsigned>(month(rng)), 1, small(rng)),
                        Tag("P", small(rng) % 2), small(rng) % 2 == 0 ? "PASS" : "FAIL");
    }
    case 1: {
      // Payment ids are global: a correction may move one to another person or date.
      const std::string pid = Tag("PAY", std::uniform_int_distribution<int>(0, 60)(rng));
      return MakePayment(pid, id, D(year, static_cast<unsigned>(month(rng)), 10),
                         100000 + small(rng) * 100, static_cast<Benefit>(small(rng) % 4));
    }
    case 2: {
      const auto ev = static_cast<RegistryEvent>(small(rng) % 3);
      return MakeRegistry(id, ev, D(2020, 1 + static_cast<unsigned>(small(rng)), 5),
                          D(2020, 3 + static_cast<unsigned>(small(rng)), 1 + small(rng)));
    }
    case 3: {
      const Month start = M(2000 + small(rng), 1);
      return MakeContribution(id, start, M(2000 + small(rng) + 5, 12),
                              T(2021, 1 + static_cast<unsigned>(small(rng)), 2),
                              small(rng) % 2 == 0 ? JobType::kNormal : JobType::kUnderground);
    }
    default:
      return MakeAppraisal(id, D(2018, 1 + static_cast<unsigned>(small(rng)), 3),
                           static_cast<uint8_t>(1 + small(rng)));
  }
}

// Opens a small store; `create_if_missing` false opens an existing one as `vigil upgrade` does
// (nothing created, so a schema-1 store then has no `histories` family).
inline std::unique_ptr<Store> OpenStore(const std::string& path, bool create_if_missing = true) {
  StoreOptions o;
  o.path = path;
  o.create_if_missing = create_if_missing;
  o.block_cache_bytes = 8 << 20;
  o.write_buffer_bytes = 4 << 20;
  auto s = Store::Open(o);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

// Writes `batches` random batches over `persons` persons (corrections, unchanged rows and
// payments moving between persons among them).
inline WriteCounts WriteRandom(Store& store, std::mt19937_64& rng, int batches, int rows,
                               int persons) {
  WriteCounts total;
  for (int b = 0; b < batches; ++b) {
    RecordBatch batch;
    for (int r = 0; r < rows; ++r) batch.Add(RandomEvent(rng, persons));
    auto w = store.Write(batch);
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    if (w.ok()) total += *w;
  }
  return total;
}

// Writes payment "PAY-MOVED" to person 1, then corrects it to person 2 on another date: the
// correction moves the event from one person's history to the other's.
inline void MovePaymentBetweenPersons(Store& store) {
  RecordBatch moved;
  moved.Add(MakePayment("PAY-MOVED", PersonId(1), D(2020, 5, 10), 1000));
  ASSERT_TRUE(store.Write(moved).ok());
  RecordBatch again;
  again.Add(MakePayment("PAY-MOVED", PersonId(2), D(2020, 6, 10), 1000));
  ASSERT_TRUE(store.Write(again).ok());
}

// Sums every event's contribution per (known-at month), from the raw history: the truth the
// merge-operator aggregates must equal.
inline std::vector<std::pair<Month, MonthAggregate>> RecomputeBuckets(const Store& store,
                                                                      uint64_t person_key) {
  std::map<int32_t, MonthAggregate> by_month;
  Status s = store.VisitHistory(person_key, HistoryFilter{}, [&](const EventView& e) {
    auto agg = MonthAggregate::OfEvent(e.kind, e.value);
    EXPECT_TRUE(agg.ok()) << agg.status().ToString();
    by_month[MonthNumber(MonthOf(DateOf(e.known_at)))].Merge(*agg);
    return true;
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  std::vector<std::pair<Month, MonthAggregate>> out;
  for (const auto& [m, a] : by_month) out.emplace_back(MonthFromNumber(m), a);
  return out;
}

// One visited event, copied out of its view.
struct SeenEvent {
  uint64_t person_key = 0;
  EventKind kind = EventKind::kSignal;
  Timestamp time{};
  Timestamp known_at{};
  uint64_t natural_key_hash = 0;
  std::string key;
  std::string value;
  friend bool operator==(const SeenEvent&, const SeenEvent&) = default;
};

inline SeenEvent Seen(const EventView& e) {
  return {e.person_key,        e.kind, e.time, e.known_at, e.natural_key_hash, std::string(e.key),
          std::string(e.value)};
}

// A visitor copying every event into `out`.
inline EventVisitor CollectInto(std::vector<SeenEvent>* out) {
  return [out](const EventView& e) {
    out->push_back(Seen(e));
    return true;
  };
}

// Filters that exercise every field of HistoryFilter, alone and together.
inline std::vector<HistoryFilter> TestFilters() {
  std::vector<HistoryFilter> filters(6);
  filters[1].known_by = T(2020, 6, 1);
  filters[2].kinds = {EventKind::kPayment, EventKind::kSignal};
  filters[3].from = T(2019, 1, 1);
  filters[3].to = T(2020, 6, 30, 23);
  filters[4].kinds = {EventKind::kContribution, EventKind::kRegistry, EventKind::kAppraisal};
  filters[4].known_by = T(2021, 3, 1);
  filters[5].from = T(2020, 1, 1);
  filters[5].to = T(2021, 12, 31);
  filters[5].known_by = T(2021, 6, 1);
  filters[5].kinds = {EventKind::kPayment, EventKind::kRegistry};
  return filters;
}

// Every event of the store through VisitEventsInRange (over `slices` key ranges, in order).
inline std::vector<SeenEvent> RangeScan(const Store& store, const HistoryFilter& filter,
                                        const Snapshot* snapshot = nullptr, int slices = 1) {
  std::vector<SeenEvent> out;
  for (int i = 0; i < slices; ++i) {
    const uint64_t first = UINT64_MAX / static_cast<uint64_t>(slices) * static_cast<uint64_t>(i);
    const uint64_t last =
        i + 1 == slices
            ? UINT64_MAX
            : UINT64_MAX / static_cast<uint64_t>(slices) * static_cast<uint64_t>(i + 1) - 1;
    Status s = store.VisitEventsInRange(first, last, filter, CollectInto(&out), snapshot);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  return out;
}

// Every event of the store, person by person through VisitHistory (which reads `events`).
inline std::vector<SeenEvent> PerPersonScan(const Store& store, const HistoryFilter& filter,
                                            const Snapshot* snapshot = nullptr) {
  std::vector<SeenEvent> out;
  std::vector<uint64_t> persons;
  EXPECT_TRUE(store
                  .ScanEventPersonKeys(
                      [&](uint64_t pk) {
                        persons.push_back(pk);
                        return true;
                      },
                      snapshot)
                  .ok());
  for (uint64_t pk : persons) {
    Status s = store.VisitHistory(pk, filter, CollectInto(&out), snapshot);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  return out;
}

// The range scan (packed histories when the store keeps them) sees exactly the events family,
// under every test filter, whole and in slices.
inline void ExpectRangeScanEqualsEvents(const Store& store, const Snapshot* snapshot = nullptr) {
  for (const HistoryFilter& f : TestFilters()) {
    const auto truth = PerPersonScan(store, f, snapshot);
    EXPECT_EQ(RangeScan(store, f, snapshot), truth);
    EXPECT_EQ(RangeScan(store, f, snapshot, 7), truth);
  }
}

// Opens `path` read-only twice, one reader scanning `histories`, the other `events`: both see
// the same events under every test filter.
inline void ExpectPackedScanEqualsEventsScan(const std::string& path) {
  StoreOptions o;
  o.path = path;
  o.mode = OpenMode::kReadOnly;
  o.scan_packed_histories = false;
  auto events = Store::Open(o);
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  o.scan_packed_histories = true;
  auto packed = Store::Open(o);
  ASSERT_TRUE(packed.ok()) << packed.status().ToString();
  EXPECT_TRUE((*packed)->MaintainsHistories());
  for (const HistoryFilter& f : TestFilters()) {
    EXPECT_EQ(RangeScan(**packed, f), RangeScan(**events, f));
  }
}

// Forks a child running `child(write_fd)`, which must end the child itself (_exit or a
// signal), never return. Returns the child's pid (-1 when fork failed) and, in *read_fd, the
// read end of the pipe the child writes to (the kill tests' acknowledgements).
template <typename Child>
pid_t ForkWithPipe(int* read_fd, Child&& child) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    child(fds[1]);
    _exit(6);  // not reached
  }
  close(fds[1]);
  *read_fd = fds[0];
  return pid;
}

}  // namespace vigil::testing

// Store behaviour: writes and their outcomes, corrections, reads, snapshots, schema, copies.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <algorithm>
#include <cstdio>

#include "storage/coding.h"
#include "storage/db_options.h"
#include "storage/keys.h"
#include "tests/storage/test_util.h"

namespace vigil {
namespace {

using namespace vigil::testing;  // NOLINT(google-build-using-namespace)

std::vector<std::pair<Month, MonthAggregate>> StoredBuckets(const Store& store, uint64_t pk,
                                                            const Snapshot* snap = nullptr) {
  std::vector<std::pair<Month, MonthAggregate>> buckets;
  EXPECT_TRUE(store.GetAggregateBuckets(pk, &buckets, snap).ok());
  // Buckets whose deltas cancelled out hold nothing; the recomputation has no such month.
  std::erase_if(buckets, [](const auto& b) { return b.second.empty(); });
  return buckets;
}

std::vector<Timestamp> HistoryTimes(const Store& store, uint64_t pk, const HistoryFilter& f = {},
                                    const Snapshot* snap = nullptr) {
  std::vector<Timestamp> times;
  Status s = store.VisitHistory(
      pk, f,
      [&](const EventView& e) {
        times.push_back(e.time);
        return true;
      },
      snap);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return times;
}

MonthAggregate AggregateAsOf(const Store& store, uint64_t pk, Month as_of,
                             const Snapshot* snap = nullptr) {
  std::vector<MonthAggregate> out;
  const uint64_t keys[] = {pk};
  EXPECT_TRUE(store.MultiGetAggregates(keys, as_of, &out, snap).ok());
  return out.at(0);
}

TEST(StoreTest, HistoryComesBackInTimeOrderWhateverTheWriteOrder) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  const std::string id = PersonId(1);
  RecordBatch b;
  // Written out of order, including times before 1970.
  for (int y : {2021, 1968, 2003, 1999, 2024, 1969, 1970}) {
    b.Add(MakeSignal(id, SignalSource::kTelecom, T(y, 6, 1)));
  }
  b.Add(MakeSignal(PersonId(2), SignalSource::kTelecom, T(2000, 1, 1)));  // another person
  auto w = store->Write(b);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->inserted, 8u);
  const auto times = HistoryTimes(*store, PersonKey(id));
  ASSERT_EQ(times.size(), 7u);
  EXPECT_TRUE(std::is_sorted(times.begin(), times.end()));
  EXPECT_EQ(times.front(), T(1968, 6, 1));

  // Survives a flush to SST files and a reopen.
  ASSERT_TRUE(store->Flush().ok());
  store.reset();
  store = OpenStore(dir.path());
  EXPECT_EQ(HistoryTimes(*store, PersonKey(id)), times);
}

TEST(StoreTest, RewritingIdenticalRowsChangesNothing) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  std::mt19937_64 rng(11);
  RecordBatch b;
  b.Add(MakePerson(PersonId(1)));
  b.Add(MakePerson(PersonId(1), 3703));
  b.Add(MakeSignal(PersonId(1), SignalSource::kFaceCert, T(2022, 1, 1)));
  b.Add(MakePayment("P1", PersonId(1), D(2022, 1, 10), 1000));
  b.Add(MakeRegistry(PersonId(1), RegistryEvent::kPrisonIn, D(2021, 5, 5), D(2021, 9, 9)));
  b.Add(MakeContribution(PersonId(1), M(2000, 1), M(2009, 12), T(2021, 1, 1)));
  b.Add(MakeAppraisal(PersonId(1), D(2015, 2, 2), 2));
  auto first = store->Write(b);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, (WriteCounts{.inserted = 7, .replaced = 0, .unchanged = 0}));
  const auto buckets = StoredBuckets(*store, PersonKey(PersonId(1)));
  auto again = store->Write(b);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, (WriteCounts{.inserted = 0, .replaced = 0, .unchanged = 7}));
  EXPECT_EQ(StoredBuckets(*store, PersonKey(PersonId(1))), buckets);
  EXPECT_EQ(HistoryTimes(*store, PersonKey(PersonId(1))).size(), 5u);
  EXPECT_EQ(buckets, RecomputeBuckets(*store, PersonKey(PersonId(1))));
}

TEST(StoreTest, DuplicateRowsWithinOneBatchBehaveLikeSuccessiveBatches) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  const std::string id = PersonId(1);
  RecordBatch b;
  b.Add(MakeSignal(id, SignalSource::kFaceCert, T(2022, 1, 1), "A", "FAIL"));
  b.Add(MakeSignal(id, SignalSource::kFaceCert, T(2022, 1, 1), "A", "FAIL"));
  b.Add(MakeSignal(id, SignalSource::kFaceCert, T(2022, 1, 1), "A", "PASS"));
  auto w = store->Write(b);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(*w, (WriteCounts{.inserted = 1, .replaced = 1, .unchanged = 1}));
  const auto agg = AggregateAsOf(*store, PersonKey(id), M(2030, 1));
  EXPECT_EQ(agg.signal_count[0], 1);
  EXPECT_EQ(agg.face_cert_failed, 0);
  EXPECT_EQ(StoredBuckets(*store, PersonKey(id)), RecomputeBuckets(*store, PersonKey(id)));
}

TEST(StoreTest, SignalCorrectionReplacesTheRowAndFixesTheAggregate) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  const std::string id = PersonId(1);
  RecordBatch b;
  b.Add(MakeSignal(id, SignalSource::kFaceCert, T(2022, 1, 1), "A", "FAIL"));
  ASSERT_TRUE(store->Write(b).ok());
  EXPECT_EQ(AggregateAsOf(*store, PersonKey(id), M(2022, 1)).face_cert_failed, 1);
  RecordBatch fix;
  fix.Add(MakeSignal(id, SignalSource::kFaceCert, T(2022, 1, 1), "A", "PASS"));
  auto w = store->Write(fix);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->replaced, 1u);
  const auto agg = AggregateAsOf(*store, PersonKey(id), M(2022, 1));
  EXPECT_EQ(agg.face_cert_failed, 0);
  EXPECT_EQ(agg.signal_count[0], 1);
  EXPECT_EQ(agg.signal_latest[0], Seconds(T(2022, 1, 1)));
  std::vector<std::string> details;
  ASSERT_TRUE(store
                  ->VisitHistory(PersonKey(id), {},
                                 [&](const EventView& e) {
                                   details.push_back(e.AsSignal()->detail);
                                   return true;
                                 })
                  .ok());
  EXPECT_EQ(details, std::vector<std::string>{"PASS"});
}

TEST(StoreTest, RegistryCorrectionMovingKnownAtRebuildsTheOldMonth) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  const std::string id = PersonId(1);
  const uint64_t pk = PersonKey(id);
  RecordBatch b;
  b.Add(MakeRegistry(id, RegistryEvent::kDeath, D(2022, 1, 5), D(2022, 2, 1)));
  b.Add(MakeRegistry(id, RegistryEvent::kCremation, D(2022, 1, 7), D(2022, 2, 3)));
  ASSERT_TRUE(store->Write(b).ok());
  EXPECT_EQ(AggregateAsOf(*store, pk, M(2022, 2)).registry_earliest_day[0],
            DayNumber(D(2022, 1, 5)));

  // The death was in fact reported only in May: as of February nothing says so any more.
  RecordBatch fix;
  fix.Add(MakeRegistry(id, RegistryEvent::kDeath, D(2022, 1, 5), D(2022, 5, 20)));
  auto w = store->Write(fix);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->replaced, 1u);
  const auto feb = AggregateAsOf(*store, pk, M(2022, 2));
  EXPECT_EQ(feb.registry_count[0], 0);
  EXPECT_EQ(feb.registry_earliest_day[0], MonthAggregate::kNoDay);
  EXPECT_EQ(feb.registry_count[1], 1);  // the cremation, same old month, untouched
  const auto may = AggregateAsOf(*store, pk, M(2022, 5));
  EXPECT_EQ(may.registry_count[0], 1);
  EXPECT_EQ(may.registry_earliest_day[0], DayNumber(D(2022, 1, 5)));
  EXPECT_EQ(StoredBuckets(*store, pk), RecomputeBuckets(*store, pk));

  // The day-exact as-of view over the history agrees.
  HistoryFilter f;
  f.known_by = T(2022, 3, 1);
  EXPECT_EQ(HistoryTimes(*store, pk, f).size(), 1u);
}

TEST(StoreTest, PaymentCorrectionMovesItToAnotherPersonAndDate) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  const std::string a = PersonId(1);
  const std::string b = PersonId(2);
  RecordBatch first;
  first.Add(MakePayment("PAY-9", a, D(2022, 3, 10), 100000));
  first.Add(MakePayment("PAY-10", a, D(2022, 3, 11), 5000));
  ASSERT_TRUE(store->Write(first).ok());
  EXPECT_EQ(AggregateAsOf(*store, PersonKey(a), M(2022, 12)).payment_fen[0], 105000);

  RecordBatch fix;
  fix.Add(MakePayment("PAY-9", b, D(2022, 4, 10), 120000, Benefit::kSurvivor));
  auto w = store->Write(fix);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(*w, (WriteCounts{.inserted = 0, .replaced = 1, .unchanged = 0}));
  const auto agg_a = AggregateAsOf(*store, PersonKey(a), M(2022, 12));
  EXPECT_EQ(agg_a.payment_count[0], 1);
  EXPECT_EQ(agg_a.payment_fen[0], 5000);
  const auto agg_b = AggregateAsOf(*store, PersonKey(b), M(2022, 12));
  EXPECT_EQ(agg_b.payment_count[3], 1);
  EXPECT_EQ(agg_b.payment_fen[3], 120000);
  EXPECT_EQ(HistoryTimes(*store, PersonKey(a)).size(), 1u);
  EXPECT_EQ(HistoryTimes(*store, PersonKey(b)), std::vector<Timestamp>{T(2022, 4, 10)});
  auto where = store->GetPaymentEventKey("PAY-9");
  ASSERT_TRUE(where.ok());
  EXPECT_EQ(storage::PersonKeyOf(*where), PersonKey(b));
  EXPECT_EQ(StoredBuckets(*store, PersonKey(a)), RecomputeBuckets(*store, PersonKey(a)));
  EXPECT_EQ(StoredBuckets(*store, PersonKey(b)), RecomputeBuckets(*store, PersonKey(b)));
  // And writing the corrected row again is a no-op.
  EXPECT_EQ(store->Write(fix)->unchanged, 1u);
}

TEST(StoreTest, ACorrectionThatKeepsEveryCountMovesTheLedgerDigestAndGetPaymentReadsIt) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  const std::string a = PersonId(1);
  RecordBatch first;
  first.Add(MakePayment("PAY-9", a, D(2022, 3, 10), 100000));
  ASSERT_TRUE(store->Write(first).ok());
  const MonthAggregate before = AggregateAsOf(*store, PersonKey(a), M(2022, 12));
  EXPECT_NE(before.ledger_digest, 0);

  // Same person, day, amount and benefit; only the period is corrected.
  PaymentRecord corrected = MakePayment("PAY-9", a, D(2022, 3, 10), 100000);
  corrected.period = M(2022, 2);
  RecordBatch fix;
  fix.Add(corrected);
  ASSERT_EQ(store->Write(fix)->replaced, 1u);
  const MonthAggregate after = AggregateAsOf(*store, PersonKey(a), M(2022, 12));
  EXPECT_EQ(after.payment_count, before.payment_count);
  EXPECT_EQ(after.payment_fen, before.payment_fen);
  EXPECT_NE(after.ledger_digest, before.ledger_digest);
  EXPECT_EQ(StoredBuckets(*store, PersonKey(a)), RecomputeBuckets(*store, PersonKey(a)));

  auto stored = store->GetPayment("PAY-9");
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(stored->person_id, a);
  EXPECT_EQ(stored->period, M(2022, 2));
  EXPECT_EQ(store->GetPayment("PAY-404").status().code(), StatusCode::kNotFound);
}

TEST(StoreTest, AggregatesAsOfSumOnlyBucketsUpToThatMonth) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  const std::string id = PersonId(5);
  RecordBatch b;
  for (unsigned m = 1; m <= 12; ++m) {
    b.Add(MakePayment(Tag("P", m), id, D(2022, m, 10), 100));
  }
  // A contribution spell recorded in June about months long ago counts in June.
  b.Add(MakeContribution(id, M(1990, 1), M(1999, 12), T(2022, 6, 15), JobType::kUnderground));
  ASSERT_TRUE(store->Write(b).ok());
  const auto may = AggregateAsOf(*store, PersonKey(id), M(2022, 5));
  EXPECT_EQ(may.payment_count[0], 5);
  EXPECT_EQ(may.contribution_rows, 0);
  const auto june = AggregateAsOf(*store, PersonKey(id), M(2022, 6));
  EXPECT_EQ(june.payment_fen[0], 600);
  EXPECT_EQ(june.contribution_months, 120);
  EXPECT_EQ(june.special_job_months, 120);
  EXPECT_EQ(june.contribution_base_fen, 120 * 500000);
  // Unknown persons come back empty, in input order.
  std::vector<MonthAggregate> out;
  const uint64_t keys[] = {PersonKey("nobody"), PersonKey(id), PersonKey("nobody either")};
  ASSERT_TRUE(store->MultiGetAggregates(keys, M(2030, 1), &out).ok());
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(out[0].empty());
  EXPECT_EQ(out[1].payment_count[0], 12);
  EXPECT_TRUE(out[2].empty());
}

TEST(StoreTest, HistoryFilterSelectsTimeRangeKindsAndKnownBy) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  const std::string id = PersonId(1);
  RecordBatch b;
  b.Add(MakeSignal(id, SignalSource::kTravel, T(2020, 1, 1)));
  b.Add(MakePayment("P", id, D(2020, 2, 1), 1));
  b.Add(MakeRegistry(id, RegistryEvent::kDeath, D(2020, 3, 1), D(2021, 1, 1)));
  b.Add(MakeSignal(id, SignalSource::kTravel, T(2020, 4, 1)));
  ASSERT_TRUE(store->Write(b).ok());
  const uint64_t pk = PersonKey(id);
  HistoryFilter range;
  range.from = T(2020, 2, 1);
  range.to = T(2020, 3, 1);
  EXPECT_EQ(HistoryTimes(*store, pk, range),
            (std::vector<Timestamp>{T(2020, 2, 1), T(2020, 3, 1)}));
  HistoryFilter kinds;
  kinds.kinds = {EventKind::kSignal};
  EXPECT_EQ(HistoryTimes(*store, pk, kinds),
            (std::vector<Timestamp>{T(2020, 1, 1), T(2020, 4, 1)}));
  HistoryFilter asof;
  asof.known_by = T(2020, 12, 31);  // the death is reported only in 2021
  EXPECT_EQ(HistoryTimes(*store, pk, asof).size(), 3u);
  // Early stop is not an error.
  int seen = 0;
  EXPECT_TRUE(store->VisitHistory(pk, {}, [&](const EventView&) { return ++seen < 2; }).ok());
  EXPECT_EQ(seen, 2);
}

TEST(StoreTest, PersonsLookupRowsAndFullScan) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  RecordBatch b;
  for (int i = 0; i < 50; ++i) b.Add(MakePerson(PersonId(i)));
  b.Add(MakePerson(PersonId(7), 3703));  // the same person paid by a second city
  ASSERT_TRUE(store->Write(b).ok());
  auto p = store->GetPerson(PersonId(7), 3703);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->region, 3703);
  EXPECT_EQ(store->GetPerson(PersonId(7), 3799).status().code(), StatusCode::kNotFound);
  auto rows = store->GetPersonRows(PersonKey(PersonId(7)));
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->size(), 2u);
  int n = 0;
  uint64_t last = 0;
  ASSERT_TRUE(store
                  ->ScanPersons([&](const PersonRecord& r) {
                    EXPECT_GE(PersonKey(r.person_id), last);
                    last = PersonKey(r.person_id);
                    ++n;
                    return true;
                  })
                  .ok());
  EXPECT_EQ(n, 51);
  // A changed person row is a replacement.
  PersonRecord moved = MakePerson(PersonId(7), 3703);
  moved.status = PersonStatus::kSuspended;
  RecordBatch fix;
  fix.Add(moved);
  EXPECT_EQ(store->Write(fix)->replaced, 1u);
  EXPECT_EQ(store->GetPerson(PersonId(7), 3703)->status, PersonStatus::kSuspended);
}

TEST(StoreTest, SnapshotSeesOnePointInTimeWhileWritesContinue) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  const std::string id = PersonId(1);
  const uint64_t pk = PersonKey(id);
  RecordBatch b;
  b.Add(MakePerson(id));
  b.Add(MakePayment("P1", id, D(2022, 1, 10), 100));
  b.Add(MakeSignal(id, SignalSource::kFaceCert, T(2022, 1, 2), "A", "FAIL"));
  ASSERT_TRUE(store->Write(b).ok());
  ASSERT_TRUE(store->PutCase("case-1", "v1").ok());
  auto snap = store->GetSnapshot();

  RecordBatch later;
  PersonRecord changed = MakePerson(id);
  changed.status = PersonStatus::kTerminated;
  later.Add(changed);
  later.Add(MakePayment("P2", id, D(2022, 1, 11), 200));
  later.Add(MakeSignal(id, SignalSource::kFaceCert, T(2022, 1, 2), "A", "PASS"));
  ASSERT_TRUE(store->Write(later).ok());
  ASSERT_TRUE(store->PutCase("case-1", "v2").ok());
  ASSERT_TRUE(store->Flush().ok());  // isolation holds across flushes too

  EXPECT_EQ(store->GetPerson(id, 3702, snap.get())->status, PersonStatus::kActive);
  EXPECT_EQ(store->GetPerson(id, 3702)->status, PersonStatus::kTerminated);
  EXPECT_EQ(HistoryTimes(*store, pk, {}, snap.get()).size(), 2u);
  EXPECT_EQ(HistoryTimes(*store, pk).size(), 3u);
  const auto then = AggregateAsOf(*store, pk, M(2022, 1), snap.get());
  EXPECT_EQ(then.payment_fen[0], 100);
  EXPECT_EQ(then.face_cert_failed, 1);
  const auto now = AggregateAsOf(*store, pk, M(2022, 1));
  EXPECT_EQ(now.payment_fen[0], 300);
  EXPECT_EQ(now.face_cert_failed, 0);
  EXPECT_EQ(*store->GetCase("case-1", snap.get()), "v1");
  EXPECT_EQ(*store->GetCase("case-1"), "v2");
  int persons = 0;
  ASSERT_TRUE(store
                  ->ScanPersons(
                      [&](const PersonRecord& r) {
                        EXPECT_EQ(r.status, PersonStatus::kActive);
                        ++persons;
                        return true;
                      },
                      snap.get())
                  .ok());
  EXPECT_EQ(persons, 1);
}

TEST(StoreTest, RefusesADatabaseWrittenByANewerSchema) {
  TempDir dir;
  { auto store = OpenStore(dir.path()); }
  {
    // Forge what a future vigil would leave behind.
    StoreOptions o;
    o.path = dir.path();
    auto config = storage::MakeDbConfig(o);
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(config.db, dir.path(), config.families, &handles, &raw).ok());
    std::string v;
    storage::PutFixed32BE(&v, kStoreSchemaVersion + 1);
    ASSERT_TRUE(raw->Put({}, handles[storage::kMetaIdx], storage::kMetaSchemaVersion, v).ok());
    rocksdb::ColumnFamilyHandle* extra = nullptr;
    ASSERT_TRUE(raw->CreateColumnFamily({}, "future_index", &extra).ok());
    handles.push_back(extra);
    for (auto* h : handles) ASSERT_TRUE(raw->DestroyColumnFamilyHandle(h).ok());
    delete raw;
  }
  StoreOptions o;
  o.path = dir.path();
  auto reopened = Store::Open(o);
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.status().code(), StatusCode::kFailedPrecondition);
  const std::string m = reopened.status().message();
  EXPECT_NE(m.find("schema version " + std::to_string(kStoreSchemaVersion + 1)), std::string::npos)
      << m;
  EXPECT_NE(m.find("schema version " + std::to_string(kStoreSchemaVersion)), std::string::npos)
      << m;
  o.mode = OpenMode::kReadOnly;
  EXPECT_EQ(Store::Open(o).status().code(), StatusCode::kFailedPrecondition);
}

TEST(StoreTest, OptionsAreValidatedAndMissingStoreIsNotFound) {
  TempDir dir;
  EXPECT_EQ(Store::Open(StoreOptions{}).status().code(), StatusCode::kInvalidArgument);
  StoreOptions o;
  o.path = dir.path();
  o.lock_stripes = 0;
  EXPECT_EQ(Store::Open(o).status().code(), StatusCode::kInvalidArgument);
  o.lock_stripes = 16;
  o.mode = OpenMode::kSecondary;
  EXPECT_EQ(Store::Open(o).status().code(), StatusCode::kInvalidArgument);
  o.mode = OpenMode::kReadOnly;
  EXPECT_EQ(Store::Open(o).status().code(), StatusCode::kNotFound);
  o.mode = OpenMode::kReadWrite;
  o.create_if_missing = false;
  EXPECT_EQ(Store::Open(o).status().code(), StatusCode::kNotFound);
}

TEST(StoreTest, ReadOnlyAndSecondaryReadersFollowTheWriter) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  RecordBatch b;
  b.Add(MakePayment("P1", PersonId(1), D(2022, 1, 10), 100));
  ASSERT_TRUE(store->Write(b).ok());
  ASSERT_TRUE(store->Flush().ok());

  StoreOptions ro;
  ro.path = dir.path();
  ro.mode = OpenMode::kReadOnly;
  auto reader = Store::Open(ro);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->Write(b).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ((*reader)->PutCase("k", "v").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(AggregateAsOf(**reader, PersonKey(PersonId(1)), M(2022, 1)).payment_fen[0], 100);

  StoreOptions so;
  so.path = dir.path();
  so.mode = OpenMode::kSecondary;
  so.secondary_path = dir.path("secondary");
  auto follower = Store::Open(so);
  ASSERT_TRUE(follower.ok()) << follower.status().ToString();
  RecordBatch more;
  more.Add(MakePayment("P2", PersonId(1), D(2022, 1, 11), 50));
  ASSERT_TRUE(store->Write(more).ok());
  ASSERT_TRUE((*follower)->CatchUp().ok());
  EXPECT_EQ(AggregateAsOf(**follower, PersonKey(PersonId(1)), M(2022, 1)).payment_fen[0], 150);
  EXPECT_EQ(store->CatchUp().code(), StatusCode::kFailedPrecondition);
}

void ExpectSameContent(const Store& a, const Store& b, const std::vector<std::string>& ids) {
  for (const auto& id : ids) {
    const uint64_t pk = PersonKey(id);
    std::vector<std::string> ka;
    std::vector<std::string> kb;
    ASSERT_TRUE(a.VisitHistory(pk, {}, [&](const EventView& e) {
                   ka.push_back(std::string(e.key) + std::string(e.value));
                   return true;
                 }).ok());
    ASSERT_TRUE(b.VisitHistory(pk, {}, [&](const EventView& e) {
                   kb.push_back(std::string(e.key) + std::string(e.value));
                   return true;
                 }).ok());
    EXPECT_EQ(ka, kb);
    EXPECT_EQ(StoredBuckets(a, pk), StoredBuckets(b, pk));
    EXPECT_EQ(a.GetPersonRows(pk)->size(), b.GetPersonRows(pk)->size());
  }
}

TEST(StoreTest, CheckpointAndBackupOpenWithTheSameContent) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  std::mt19937_64 rng(99);
  std::vector<std::string> ids;
  RecordBatch b;
  for (int i = 0; i < 20; ++i) {
    ids.push_back(PersonId(i));
    b.Add(MakePerson(PersonId(i)));
  }
  for (int i = 0; i < 400; ++i) b.Add(RandomEvent(rng, 20));
  ASSERT_TRUE(store->Write(b).ok());
  ASSERT_TRUE(store->PutMeta("last_load", "2024-06-01").ok());
  ASSERT_TRUE(store->AppendAudit("loaded").ok());

  ASSERT_TRUE(store->CreateCheckpoint(dir.path("checkpoint")).ok());
  ASSERT_TRUE(store->CreateBackup(dir.path("backups")).ok());
  // Writes after the copies are not in them.
  RecordBatch after;
  after.Add(MakePerson(PersonId(999)));
  ASSERT_TRUE(store->Write(after).ok());
  ASSERT_TRUE(Store::RestoreLatestBackup(dir.path("backups"), dir.path("restored")).ok());

  for (const char* copy : {"checkpoint", "restored"}) {
    SCOPED_TRACE(copy);
    auto other = OpenStore(dir.path(copy));
    ASSERT_NE(other, nullptr);
    ExpectSameContent(*store, *other, ids);
    EXPECT_EQ(*other->GetMeta("last_load"), "2024-06-01");
    EXPECT_EQ(other->GetPersonRows(PersonKey(PersonId(999)))->size(), 0u);
    // The audit sequence continues after the copied entries.
    EXPECT_EQ(*other->AppendAudit("next"), 2u);
  }
}

TEST(StoreTest, AuditIsAppendOnlyAndContinuesAfterReopen) {
  TempDir dir;
  {
    auto store = OpenStore(dir.path());
    EXPECT_EQ(*store->AppendAudit("a"), 1u);
    EXPECT_EQ(*store->AppendAudit("b"), 2u);
  }
  auto store = OpenStore(dir.path());
  EXPECT_EQ(*store->AppendAudit("c"), 3u);
  std::vector<std::pair<uint64_t, std::string>> seen;
  ASSERT_TRUE(store
                  ->ScanAudit(2,
                              [&](uint64_t seq, std::string_view e) {
                                seen.emplace_back(seq, std::string(e));
                                return true;
                              })
                  .ok());
  EXPECT_EQ(seen, (std::vector<std::pair<uint64_t, std::string>>{{2, "b"}, {3, "c"}}));
}

TEST(StoreTest, MetaAndCases) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  EXPECT_EQ(store->PutMeta("schema_version", "9").code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(store->PutMeta("policy_version", "3").ok());
  EXPECT_EQ(*store->GetMeta("policy_version"), "3");
  EXPECT_EQ(store->GetMeta("nothing").status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(store->GetMeta("schema_version").ok());
  ASSERT_TRUE(store->PutCase("b", "2").ok());
  ASSERT_TRUE(store->PutCase("a", "1").ok());
  std::string all;
  ASSERT_TRUE(store
                  ->ScanCases([&](std::string_view k, std::string_view v) {
                    all += std::string(k) + "=" + std::string(v) + ";";
                    return true;
                  })
                  .ok());
  EXPECT_EQ(all, "a=1;b=2;");
}

std::string AllCases(const Store& store) {
  std::string all;
  EXPECT_TRUE(store
                  .ScanCases([&](std::string_view k, std::string_view v) {
                    all += std::string(k) + "=" + std::string(v) + ";";
                    return true;
                  })
                  .ok());
  return all;
}

TEST(StoreTest, ReplaceCasesLeavesExactlyTheGivenCasesAndWritesTheMeta) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  for (const char* k : {"a", "b", "c", "e"}) ASSERT_TRUE(store->PutCase(k, "old").ok());
  auto before = store->GetSnapshot();
  // Given out of key order: the stale keys are found whatever the order.
  const Store::KeyValue cases[] = {{"d", "4"}, {"b", "2"}, {"f", "6"}};
  const Store::KeyValue meta[] = {{"last_score_run", "run-2"}};
  ASSERT_TRUE(store->ReplaceCases(cases, meta).ok());
  EXPECT_EQ(AllCases(*store), "b=2;d=4;f=6;");
  EXPECT_EQ(*store->GetMeta("last_score_run"), "run-2");
  // A snapshot taken before sees the earlier cases and no meta: one write, all or nothing.
  EXPECT_EQ(*store->GetCase("a", before.get()), "old");
  EXPECT_EQ(store->GetMeta("last_score_run", before.get()).status().code(), StatusCode::kNotFound);

  // No cases at all empties the family; the meta is written all the same.
  const Store::KeyValue meta3[] = {{"last_score_run", "run-3"}};
  ASSERT_TRUE(store->ReplaceCases({}, meta3).ok());
  EXPECT_EQ(AllCases(*store), "");
  EXPECT_EQ(*store->GetMeta("last_score_run"), "run-3");
}

TEST(StoreTest, ReplaceCasesRefusesATwiceGivenKeyOrAReservedMetaNameAndWritesNothing) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  ASSERT_TRUE(store->PutCase("a", "1").ok());
  const Store::KeyValue twice[] = {{"b", "2"}, {"c", "3"}, {"b", "4"}};
  const Store::KeyValue meta[] = {{"last_score_run", "run-2"}};
  EXPECT_EQ(store->ReplaceCases(twice, meta).code(), StatusCode::kInvalidArgument);
  const Store::KeyValue cases[] = {{"b", "2"}};
  const Store::KeyValue reserved[] = {{"schema_version", "9"}};
  EXPECT_EQ(store->ReplaceCases(cases, reserved).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(AllCases(*store), "a=1;");
  EXPECT_EQ(store->GetMeta("last_score_run").status().code(), StatusCode::kNotFound);
}

TEST(StoreTest, BulkLoadEqualsWritesAndNeedsAnEmptyStore) {
  TempDir dir;
  std::mt19937_64 rng(5);
  RecordBatch b;
  std::vector<std::string> ids;
  for (int i = 0; i < 30; ++i) {
    ids.push_back(PersonId(i));
    b.Add(MakePerson(PersonId(i)));
  }
  for (int i = 0; i < 1500; ++i) b.Add(RandomEvent(rng, 30));
  auto written = OpenStore(dir.path("written"));
  ASSERT_TRUE(written->Write(b).ok());
  auto bulk = OpenStore(dir.path("bulk"));
  auto loaded = bulk->BulkLoad(b);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->total(), b.size());
  ExpectSameContent(*written, *bulk, ids);
  for (const auto& id : ids) {
    EXPECT_EQ(StoredBuckets(*bulk, PersonKey(id)), RecomputeBuckets(*bulk, PersonKey(id)));
  }
  EXPECT_EQ(bulk->BulkLoad(b).status().code(), StatusCode::kFailedPrecondition);
  // Normal writes carry on on top of a bulk-loaded store.
  EXPECT_EQ(bulk->Write(b)->unchanged, written->Write(b)->unchanged);
}

// The streaming bulk writer over many small runs: rows corrected and payments moved across
// runs end as after the same batches through Write, aggregates included; the pending mark
// blocks Write until Finish, and a writer dropped unfinished is discarded by the next one.
TEST(StoreTest, AnInterruptedLoadIsDiscardedOnlyToLoadItAgainOrWhenAskedTo) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  BulkLoadOptions first;
  first.load_id = "delivery-a";
  {
    auto writer = store->StartBulkLoad(first);  // never finished: killed, in effect
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  }
  ASSERT_TRUE(store->BulkLoadPending());

  BulkLoadOptions other;
  other.load_id = "delivery-b";
  EXPECT_EQ(store->StartBulkLoad(other).status(),
            Status::FailedPrecondition(
                "the store holds an interrupted initial load of another delivery (load id "
                "delivery-a): load that folder again to finish it, or discard it explicitly "
                "(vigil ingest --discard-interrupted-load)"));
  EXPECT_TRUE(store->BulkLoadPending());
  {
    auto again = store->StartBulkLoad(first);  // the same delivery: its rerun starts over
    ASSERT_TRUE(again.ok()) << again.status().ToString();
  }
  // Asked to: the other delivery may take the store, and its name is the pending one now.
  other.discard_interrupted = true;
  {
    auto discarding = store->StartBulkLoad(other);
    ASSERT_TRUE(discarding.ok()) << discarding.status().ToString();
  }
  other.discard_interrupted = false;
  auto writer = store->StartBulkLoad(other);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  RecordBatch batch;
  batch.Add(MakePerson(PersonId(1)));
  ASSERT_TRUE((*writer)->Add(std::move(batch)).ok());
  ASSERT_TRUE((*writer)->Finish().ok());
  EXPECT_FALSE(store->BulkLoadPending());
  EXPECT_TRUE(store->GetPerson(PersonId(1), 3702).ok());
}

// Flips bits of the byte at `offset` of the file at `path`.
void DamageByte(const std::string& path, long offset) {
  std::FILE* f = std::fopen(path.c_str(), "r+b");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(std::fseek(f, offset, SEEK_SET), 0);
  const int c = std::fgetc(f);
  ASSERT_EQ(std::fseek(f, offset, SEEK_SET), 0);
  std::fputc(c ^ 0x5a, f);
  std::fclose(f);
}

TEST(StoreTest, ADamagedManifestIsCorruptionNotAMissingStore) {
  TempDir dir;
  { auto store = OpenStore(dir.path()); }
  std::string manifest;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    if (e.path().filename().string().rfind("MANIFEST-", 0) == 0) manifest = e.path().string();
  }
  ASSERT_FALSE(manifest.empty());
  DamageByte(manifest, 40);
  StoreOptions o;
  o.path = dir.path();
  o.mode = OpenMode::kReadOnly;
  const auto opened = Store::Open(o);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kCorruption) << opened.status().ToString();
}

TEST(StoreTest, RocksDbsOwnLogIsKeptBesideTheStoreAndRotatedPerOpen) {
  TempDir dir;
  for (int i = 0; i < 3; ++i) {
    auto store = OpenStore(dir.path());
  }
  int old_logs = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    if (e.path().filename().string().rfind("LOG.old.", 0) == 0) ++old_logs;
  }
  EXPECT_GT(std::filesystem::file_size(dir.path() + "/LOG"), 0u);
  EXPECT_EQ(old_logs, 2);
}

TEST(StoreTest, BulkWriterOverManyRunsEqualsWrites) {
  TempDir dir;
  std::mt19937_64 rng(11);
  std::vector<std::string> ids;
  std::vector<RecordBatch> batches(40);
  for (int i = 0; i < 30; ++i) {
    ids.push_back(PersonId(i));
    batches[static_cast<size_t>(i) % batches.size()].Add(MakePerson(PersonId(i)));
  }
  for (auto& b : batches) {
    for (int i = 0; i < 100; ++i) b.Add(RandomEvent(rng, 30));
  }
  auto written = OpenStore(dir.path("written"));
  for (const auto& b : batches) ASSERT_TRUE(written->Write(b).ok());

  auto bulk = OpenStore(dir.path("bulk"));
  BulkLoadOptions options;
  options.run_bytes = 64 << 10;  // a few batches a run: many runs
  {
    // Interrupted: never finished. Its rows must not survive the next bulk load.
    auto first = bulk->StartBulkLoad(options);
    ASSERT_TRUE(first.ok()) << first.status().ToString();
    RecordBatch stray;
    stray.Add(MakePerson(PersonId(99)));
    ASSERT_TRUE((*first)->Add(std::move(stray)).ok());
    EXPECT_EQ(bulk->StartBulkLoad(options).status().code(), StatusCode::kFailedPrecondition);
  }
  EXPECT_TRUE(bulk->BulkLoadPending());
  EXPECT_EQ(bulk->Write(batches[0]).status().code(), StatusCode::kFailedPrecondition);
  auto writer = bulk->StartBulkLoad(options);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  uint64_t rows = 0;
  for (const auto& b : batches) rows += b.size();
  // The writer takes its batches: build the same ones again (same seed) to hand over.
  std::mt19937_64 again(11);
  std::vector<RecordBatch> fresh(batches.size());
  for (int i = 0; i < 30; ++i) {
    fresh[static_cast<size_t>(i) % fresh.size()].Add(MakePerson(PersonId(i)));
  }
  for (auto& b : fresh) {
    for (int i = 0; i < 100; ++i) b.Add(RandomEvent(again, 30));
  }
  uint64_t counted = 0;
  for (auto& b : fresh) {
    auto counts = (*writer)->Add(std::move(b));
    ASSERT_TRUE(counts.ok()) << counts.status().ToString();
    counted += counts->total();
  }
  EXPECT_EQ(counted, rows);
  ASSERT_TRUE((*writer)->Finish().ok());
  EXPECT_FALSE(bulk->BulkLoadPending());
  ExpectSameContent(*written, *bulk, ids);
  EXPECT_FALSE(bulk->GetPerson(PersonId(99), 3702).ok());
  for (const auto& id : ids) {
    EXPECT_EQ(StoredBuckets(*bulk, PersonKey(id)), StoredBuckets(*written, PersonKey(id)));
    EXPECT_EQ(StoredBuckets(*bulk, PersonKey(id)), RecomputeBuckets(*bulk, PersonKey(id)));
  }
  // Not empty any more: the next load goes through Write, and changes nothing.
  writer->reset();
  EXPECT_EQ(bulk->StartBulkLoad(options).status().code(), StatusCode::kFailedPrecondition);
  for (const auto& b : batches) {
    auto counts = bulk->Write(b);
    ASSERT_TRUE(counts.ok()) << counts.status().ToString();
    EXPECT_EQ(counts->inserted, 0u);
  }
  ExpectSameContent(*written, *bulk, ids);
}

// Batches of persons and random events, many 64 KiB runs' worth.
std::vector<RecordBatch> ManyRunsOfRows() {
  std::mt19937_64 rng(17);
  std::vector<RecordBatch> batches(30);
  for (int i = 0; i < 30; ++i) batches[static_cast<size_t>(i)].Add(MakePerson(PersonId(i)));
  for (auto& b : batches) {
    for (int i = 0; i < 100; ++i) b.Add(RandomEvent(rng, 30));
  }
  return batches;
}

size_t RunFileCount(const std::string& bulk_dir) {
  size_t n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(bulk_dir, ec)) {
    if (e.path().extension() == ".run") ++n;
  }
  return n;
}

// The run files of a bulk load that fails or is dropped unfinished are removed with its writer
// (a rerun starts from an empty folder and needs none of them); the pending mark stays, and
// the rerun loads everything.
TEST(StoreTest, AFailedOrDroppedBulkLoadLeavesNoRunFiles) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  const std::string bulk_dir = dir.path() + "/bulk";
  BulkLoadOptions options;
  options.run_bytes = 64 << 10;
  {
    auto writer = store->StartBulkLoad(options);
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    for (auto& b : ManyRunsOfRows()) ASSERT_TRUE((*writer)->Add(std::move(b)).ok());
    EXPECT_GE(RunFileCount(bulk_dir), 3u);
  }
  EXPECT_FALSE(std::filesystem::exists(bulk_dir));
  EXPECT_TRUE(store->BulkLoadPending());
  {
    auto writer = store->StartBulkLoad(options);
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    for (auto& b : ManyRunsOfRows()) ASSERT_TRUE((*writer)->Add(std::move(b)).ok());
    // The oldest run file was finished before the newest run began: damage one of its bytes.
    std::vector<std::filesystem::path> runs;
    for (const auto& e : std::filesystem::directory_iterator(bulk_dir)) {
      if (e.path().extension() == ".run") runs.push_back(e.path());
    }
    ASSERT_GE(runs.size(), 3u);
    const auto oldest =
        *std::min_element(runs.begin(), runs.end(), [](const auto& a, const auto& b) {
          return std::stoull(a.stem().string()) < std::stoull(b.stem().string());
        });
    DamageByte(oldest, 20);
    EXPECT_EQ((*writer)->Finish(),
              Status::Corruption("bulk load: run file " + oldest.string() + ": checksum mismatch"));
    EXPECT_TRUE(std::filesystem::exists(bulk_dir));  // until the writer goes
  }
  EXPECT_FALSE(std::filesystem::exists(bulk_dir));
  EXPECT_TRUE(store->BulkLoadPending());
  EXPECT_EQ(store->GetPerson(PersonId(0), 3702).status().code(), StatusCode::kNotFound);

  auto writer = store->StartBulkLoad(options);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  for (auto& b : ManyRunsOfRows()) ASSERT_TRUE((*writer)->Add(std::move(b)).ok());
  ASSERT_TRUE((*writer)->Finish().ok());
  EXPECT_FALSE(store->BulkLoadPending());
  EXPECT_FALSE(std::filesystem::exists(bulk_dir));
  for (int i = 0; i < 30; ++i) EXPECT_TRUE(store->GetPerson(PersonId(i), 3702).ok()) << i;
}

std::vector<std::string> DeliveryMarks(const Store& store) {
  std::vector<std::string> marks;
  auto unfinished = store.UnfinishedDeliveries();
  EXPECT_TRUE(unfinished.ok()) << unfinished.status().ToString();
  if (!unfinished.ok()) return marks;
  for (const UnfinishedDelivery& d : *unfinished) {
    marks.push_back(d.load_id + " from " + d.source +
                    (d.loading_here ? " loading" : " interrupted"));
  }
  return marks;
}

DeliveryOptions DeliveryOf(std::string load_id, std::string source) {
  DeliveryOptions options;
  options.load_id = std::move(load_id);
  options.source = std::move(source);
  return options;
}

// A delivery's mark names it from BeginDelivery until End; one dropped without End stays, as
// interrupted (also after a reopen), and keeps other deliveries out until it is loaded again or
// acknowledged.
TEST(StoreTest, ADeliveryMarkStaysUntilEndedAndAnInterruptedOneMustBeFinishedOrAcknowledged) {
  TempDir dir;
  {
    auto store = OpenStore(dir.path());
    auto first = store->BeginDelivery(DeliveryOf("d1", "/feeds/one"));
    ASSERT_TRUE(first.ok()) << first.status().ToString();
    EXPECT_EQ(DeliveryMarks(*store), std::vector<std::string>{"d1 from /feeds/one loading"});
    EXPECT_EQ(*store->GetMeta("store.delivery_in_progress/d1"), "/feeds/one");
    EXPECT_EQ(store->PutMeta("store.delivery_in_progress/d1", "x").code(),
              StatusCode::kInvalidArgument);
    EXPECT_EQ(store->BeginDelivery(DeliveryOf("d1", "/feeds/one")).status(),
              Status::FailedPrecondition("delivery d1 is being loaded already"));
    EXPECT_EQ(store->BeginDelivery(DeliveryOf("", "/feeds/one")).status().code(),
              StatusCode::kInvalidArgument);
    // Another delivery may load beside one being loaded, which it cannot acknowledge.
    DeliveryOptions acknowledging = DeliveryOf("d2", "/feeds/two");
    acknowledging.acknowledged = {"d1"};
    EXPECT_EQ(store->BeginDelivery(acknowledging).status(),
              Status::InvalidArgument(
                  "delivery d1 is being loaded: it cannot be acknowledged as interrupted"));
    auto second = store->BeginDelivery(DeliveryOf("d2", "/feeds/two"));
    ASSERT_TRUE(second.ok()) << second.status().ToString();
    ASSERT_TRUE((*first)->End().ok());
    ASSERT_TRUE((*first)->End().ok());  // again: nothing to do
    EXPECT_EQ(DeliveryMarks(*store), std::vector<std::string>{"d2 from /feeds/two loading"});
    second->reset();  // never ended: killed, in effect
    EXPECT_EQ(DeliveryMarks(*store), std::vector<std::string>{"d2 from /feeds/two interrupted"});
  }
  auto store = OpenStore(dir.path());
  EXPECT_EQ(DeliveryMarks(*store), std::vector<std::string>{"d2 from /feeds/two interrupted"});
  EXPECT_EQ(store->BeginDelivery(DeliveryOf("d3", "/feeds/three")).status(),
            Status::FailedPrecondition(
                "the store holds part of an interrupted delivery (load id d2 from /feeds/two): "
                "load that folder again to finish it, or acknowledge it (vigil ingest "
                "--discard-interrupted-load; the rows it wrote stay)"));
  EXPECT_EQ(store->BeginDelivery(DeliveryOf("d2b", "/feeds/two")).status(),
            Status::FailedPrecondition(
                "the store holds part of an interrupted delivery from /feeds/two (load id d2) "
                "and that folder's files have changed since (load id d2b now): acknowledge the "
                "interrupted one to load the folder as it is now (vigil ingest "
                "--discard-interrupted-load; the rows it wrote stay)"));
  {
    // Its rerun takes the mark over, and ends it.
    auto rerun = store->BeginDelivery(DeliveryOf("d2", "/feeds/two"));
    ASSERT_TRUE(rerun.ok()) << rerun.status().ToString();
    EXPECT_EQ(DeliveryMarks(*store), std::vector<std::string>{"d2 from /feeds/two loading"});
  }
  DeliveryOptions acknowledging = DeliveryOf("d3", "/feeds/three");
  acknowledging.acknowledged = {"d2"};
  auto third = store->BeginDelivery(acknowledging);
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  EXPECT_EQ(DeliveryMarks(*store), std::vector<std::string>{"d3 from /feeds/three loading"});
  ASSERT_TRUE((*third)->End().ok());
  EXPECT_TRUE(DeliveryMarks(*store).empty());
}

TEST(StoreTest, AReadOnlyStoreSeesDeliveryMarksAsNotLoadingHereAndBeginsNone) {
  TempDir dir;
  {
    auto store = OpenStore(dir.path());
    auto delivery = store->BeginDelivery(DeliveryOf("d1", "/feeds/one"));
    ASSERT_TRUE(delivery.ok()) << delivery.status().ToString();
    StoreOptions o;
    o.path = dir.path();
    o.mode = OpenMode::kReadOnly;
    auto reader = Store::Open(o);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    EXPECT_EQ(DeliveryMarks(**reader), std::vector<std::string>{"d1 from /feeds/one interrupted"});
    EXPECT_EQ((*reader)->BeginDelivery(DeliveryOf("d2", "/feeds/two")).status().code(),
              StatusCode::kFailedPrecondition);
  }
}

}  // namespace
}  // namespace vigil

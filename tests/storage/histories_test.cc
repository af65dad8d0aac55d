// The packed `histories` family: its codec and merge edits, and that every write path keeps it
// equal to `events` (the range scan reading it answers exactly what the per-person reads of
// `events` answer), and that stores of schema 1 keep scanning `events`.
#include "storage/histories.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <random>

#include "storage/coding.h"
#include "storage/db_options.h"
#include "tests/storage/raw_db.h"
#include "tests/storage/test_util.h"

namespace vigil {
namespace {

using namespace vigil::testing;  // NOLINT(google-build-using-namespace)

// ---------------------------------------------------------------- codec

std::string Suffix(int64_t time, uint8_t kind, uint64_t hash) {
  std::string s;
  storage::PutFixed64BE(&s, storage::FlipSign64(time));
  s.push_back(static_cast<char>(kind));
  storage::PutFixed64BE(&s, hash);
  return s;
}

using Events = std::vector<std::pair<std::string, std::string>>;

Events Unpack(std::string_view packed) {
  Events out;
  storage::PackedHistoryReader r;
  EXPECT_TRUE(r.Start(packed));
  while (!r.done()) {
    std::string_view suffix;
    std::string_view value;
    EXPECT_TRUE(r.Next(&suffix, &value));
    if (::testing::Test::HasFailure()) break;
    out.emplace_back(suffix, value);
  }
  return out;
}

std::string Apply(const std::string* base, const std::vector<std::string>& operands) {
  std::vector<std::string_view> views(operands.begin(), operands.end());
  std::string out;
  std::string_view b = base != nullptr ? std::string_view(*base) : std::string_view();
  EXPECT_TRUE(storage::ApplyHistoryEdits(base != nullptr ? &b : nullptr, views, &out));
  return out;
}

TEST(HistoriesCodecTest, EditsApplyInOrderAndKeepKeyOrder) {
  const std::string a = Suffix(-5, 3, 1);  // before 1970: sorts first
  const std::string b = Suffix(10, 2, 7);
  const std::string c = Suffix(10, 3, 0);
  storage::HistoryEdits first;
  first.Upsert(c, "cc");
  first.Upsert(a, "a1");
  first.Delete(b);  // absent: nothing to delete
  storage::HistoryEdits second;
  second.Upsert(b, "bb");
  second.Upsert(a, "a2");  // replaces
  second.Delete(c);
  second.Upsert(c, "c2");  // the last edit of a key wins
  const std::string one = Apply(nullptr, {first.bytes()});
  EXPECT_EQ(Unpack(one), (Events{{a, "a1"}, {c, "cc"}}));
  const std::string two = Apply(&one, {second.bytes()});
  EXPECT_EQ(Unpack(two), (Events{{a, "a2"}, {b, "bb"}, {c, "c2"}}));
  // Concatenated operands have the effect of both, applied in order (the partial merge).
  std::string both;
  const std::vector<std::string_view> ops = {first.bytes(), second.bytes()};
  ASSERT_TRUE(storage::ConcatHistoryEdits(ops, &both));
  EXPECT_EQ(Apply(nullptr, {both}), two);
  EXPECT_EQ(Apply(nullptr, {first.bytes(), second.bytes()}), two);
  // Deleting everything leaves an empty history.
  storage::HistoryEdits clear;
  for (const auto& s : {a, b, c}) clear.Delete(s);
  EXPECT_TRUE(Unpack(Apply(&two, {clear.bytes()})).empty());
  EXPECT_TRUE(Unpack("").empty());
}

TEST(HistoriesCodecTest, EveryTruncationAndBadByteIsRefused) {
  std::string packed(1, static_cast<char>(storage::kPackedHistoryFormat));
  storage::AppendPackedEvent(&packed, Suffix(1, 3, 1), std::string(200, 'x'));  // 2-byte varint
  storage::AppendPackedEvent(&packed, Suffix(2, 3, 1), "y");
  storage::HistoryEdits edits;
  edits.Upsert(Suffix(3, 2, 9), "z");
  edits.Delete(Suffix(1, 3, 1));
  const size_t first_event_end = 1 + 17 + 2 + 200;  // a cut there is a valid shorter history
  for (size_t n = 2; n < packed.size(); ++n) {
    if (n == first_event_end) continue;
    const std::string_view cut(packed.data(), n);
    storage::PackedHistoryReader r;
    ASSERT_TRUE(r.Start(cut));
    bool refused = false;
    while (!r.done() && !refused) {
      std::string_view s;
      std::string_view v;
      refused = !r.Next(&s, &v);
    }
    EXPECT_TRUE(refused) << n;
    std::string out;
    const std::vector<std::string_view> ops = {edits.bytes()};
    EXPECT_FALSE(storage::ApplyHistoryEdits(&cut, ops, &out)) << n;
  }
  for (size_t n = 0; n < edits.bytes().size(); ++n) {
    const std::vector<std::string_view> ops = {std::string_view(edits.bytes()).substr(0, n)};
    std::string out;
    // A cut at an edit boundary is a valid shorter operand; any other cut is refused.
    const bool boundary = n == 1 || n == 1 + 1 + 17 + 1 + 1;
    EXPECT_EQ(storage::ApplyHistoryEdits(nullptr, ops, &out), boundary) << n;
    EXPECT_EQ(storage::ConcatHistoryEdits(ops, &out), boundary) << n;
  }
  std::string bad_format = packed;
  bad_format[0] = 9;
  storage::PackedHistoryReader r;
  EXPECT_FALSE(r.Start(bad_format));
  std::string bad_op = edits.bytes();
  bad_op[1] = 7;
  std::string out;
  const std::vector<std::string_view> ops = {bad_op};
  EXPECT_FALSE(storage::ApplyHistoryEdits(nullptr, ops, &out));
  // Out of order: a stored history must be sorted.
  std::string unsorted(1, static_cast<char>(storage::kPackedHistoryFormat));
  storage::AppendPackedEvent(&unsorted, Suffix(2, 3, 1), "b");
  storage::AppendPackedEvent(&unsorted, Suffix(1, 3, 1), "a");
  const std::string_view unsorted_view = unsorted;
  const std::vector<std::string_view> none;
  EXPECT_FALSE(storage::ApplyHistoryEdits(&unsorted_view, none, &out));
}

// ---------------------------------------------------------------- the store

TEST(HistoriesTest, WritesKeepPackedHistoriesEqualToEvents) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  ASSERT_TRUE(store->MaintainsHistories());
  std::mt19937_64 rng(21);
  WriteCounts counts = WriteRandom(*store, rng, 10, 120, 20);
  ExpectRangeScanEqualsEvents(*store);
  const auto snapshot = store->GetSnapshot();
  const auto before = PerPersonScan(*store, {}, snapshot.get());
  counts += WriteRandom(*store, rng, 20, 120, 20);
  EXPECT_GT(counts.replaced, 0u);
  EXPECT_GT(counts.unchanged, 0u);
  // A snapshot sees the histories as they were, as it sees the events.
  EXPECT_EQ(RangeScan(*store, {}, snapshot.get()), before);
  ExpectRangeScanEqualsEvents(*store);
  // Moved explicitly: a payment corrected to another person leaves the first one's history.
  MovePaymentBetweenPersons(*store);
  ExpectRangeScanEqualsEvents(*store);
  // Flushes fold operands into files, compaction folds them into the base values.
  ASSERT_TRUE(store->Flush().ok());
  counts += WriteRandom(*store, rng, 5, 120, 20);
  ExpectRangeScanEqualsEvents(*store);
  ASSERT_TRUE(store->CompactAll().ok());
  ExpectRangeScanEqualsEvents(*store);
}

TEST(HistoriesTest, EarlyStopVisitsNoMore) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  std::mt19937_64 rng(3);
  WriteRandom(*store, rng, 3, 100, 10);
  int visited = 0;
  ASSERT_TRUE(
      store->VisitEventsInRange(0, UINT64_MAX, {}, [&](const EventView&) { return ++visited < 5; })
          .ok());
  EXPECT_EQ(visited, 5);
}

TEST(HistoriesTest, BulkLoadAndBulkWriterWritePackedHistories) {
  TempDir dir;
  // One-batch bulk load, with a row corrected and a payment moved inside the batch.
  {
    auto store = OpenStore(dir.path("one"));
    std::mt19937_64 rng(5);
    RecordBatch batch;
    for (int i = 0; i < 800; ++i) batch.Add(RandomEvent(rng, 15));
    ASSERT_TRUE(store->BulkLoad(batch).ok());
    ASSERT_TRUE(store->MaintainsHistories());
    ExpectRangeScanEqualsEvents(*store);
    // Writes then merge onto the ingested values.
    WriteRandom(*store, rng, 5, 100, 15);
    ExpectRangeScanEqualsEvents(*store);
  }
  // Streaming bulk writer over many runs (corrections and moved payments across runs), after
  // an interrupted load whose events must not survive.
  auto store = OpenStore(dir.path("many"));
  BulkLoadOptions options;
  options.run_bytes = 64 << 10;
  {
    auto first = store->StartBulkLoad(options);
    ASSERT_TRUE(first.ok()) << first.status().ToString();
    RecordBatch stray;
    stray.Add(MakeSignal(PersonId(99), SignalSource::kBankCounter, T(2020, 1, 1)));
    ASSERT_TRUE((*first)->Add(std::move(stray)).ok());
  }
  auto writer = store->StartBulkLoad(options);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  std::mt19937_64 rng(17);
  for (int b = 0; b < 40; ++b) {
    RecordBatch batch;
    for (int i = 0; i < 100; ++i) batch.Add(RandomEvent(rng, 30));
    ASSERT_TRUE((*writer)->Add(std::move(batch)).ok());
  }
  ASSERT_TRUE((*writer)->Finish().ok());
  writer->reset();
  ExpectRangeScanEqualsEvents(*store);
  for (const auto& e : RangeScan(*store, {})) EXPECT_NE(e.person_key, PersonKey(PersonId(99)));
  WriteRandom(*store, rng, 5, 100, 30);
  ExpectRangeScanEqualsEvents(*store);
  ASSERT_TRUE(store->CompactAll().ok());
  ExpectRangeScanEqualsEvents(*store);
}

TEST(HistoriesTest, SwitchOffScansEventsWithTheSameAnswers) {
  TempDir dir;
  {
    auto store = OpenStore(dir.path());
    std::mt19937_64 rng(8);
    WriteRandom(*store, rng, 8, 100, 20);
  }
  ExpectPackedScanEqualsEventsScan(dir.path());
}

TEST(HistoriesTest, CorruptPackedValueOrOperandIsCorruption) {
  TempDir dir;
  std::string person;
  {
    auto store = OpenStore(dir.path());
    RecordBatch batch;
    batch.Add(MakeSignal(PersonId(1), SignalSource::kBankCounter, T(2020, 1, 1)));
    batch.Add(MakeSignal(PersonId(1), SignalSource::kBankCounter, T(2020, 2, 1)));
    ASSERT_TRUE(store->Write(batch).ok());
    ASSERT_TRUE(store->CompactAll().ok());
  }
  const std::string key = storage::PersonPrefix(PersonKey(PersonId(1)));
  auto expect_corruption = [&] {
    auto store = OpenStore(dir.path());
    ASSERT_NE(store, nullptr);
    Status s = store->VisitEventsInRange(0, UINT64_MAX, {}, [](const EventView&) { return true; });
    EXPECT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
    EXPECT_EQ(s.message().find(PersonId(1)), std::string::npos) << s.message();
    // The events family is intact: the per-person read still answers.
    EXPECT_EQ(PerPersonScan(*store, {}).size(), 2u);
  };
  std::string good;
  {
    RawDb raw(dir.path());
    ASSERT_TRUE(raw.db->Get({}, raw.handles[storage::kHistoriesIdx], key, &good).ok());
    std::string packed = good;
    packed.pop_back();  // the last event runs past the end
    ASSERT_TRUE(raw.db->Put({}, raw.handles[storage::kHistoriesIdx], key, packed).ok());
  }
  expect_corruption();
  {
    RawDb raw(dir.path());
    ASSERT_TRUE(raw.db->Put({}, raw.handles[storage::kHistoriesIdx], key, "\x07junk").ok());
  }
  expect_corruption();
  // A well-framed event whose kind byte, or whose value's format byte, is damaged: the first
  // event's suffix starts after the format byte (time 8, kind 1, hash 8), its value after the
  // suffix and a one-byte size.
  for (const size_t at : {size_t{1 + 8}, size_t{1 + storage::kHistorySuffixSize + 1}}) {
    {
      RawDb raw(dir.path());
      std::string damaged = good;
      damaged[at] = static_cast<char>(99);
      ASSERT_TRUE(raw.db->Put({}, raw.handles[storage::kHistoriesIdx], key, damaged).ok());
    }
    expect_corruption();
  }
  // A bad merge operand over a good value: the merge (at the read) fails. The good value is
  // flushed first (by the reopen), so that the flush does not merge the two already.
  {
    RawDb raw(dir.path());
    ASSERT_TRUE(raw.db->Put({}, raw.handles[storage::kHistoriesIdx], key, good).ok());
  }
  {
    RawDb raw(dir.path());
    ASSERT_TRUE(raw.db->Merge({}, raw.handles[storage::kHistoriesIdx], key, "\x01\x09zz").ok());
  }
  expect_corruption();
}

TEST(HistoriesTest, SchemaOneStoreWithDataScansEventsAndIsNotMaintained) {
  TempDir dir;
  std::mt19937_64 rng(12);
  {
    auto store = OpenStore(dir.path());
    WriteRandom(*store, rng, 5, 100, 15);
  }
  { RawDb(dir.path()).MakeSchemaOne(); }
  {
    // Read-only: no histories family at all, and none needed.
    StoreOptions o;
    o.path = dir.path();
    o.mode = OpenMode::kReadOnly;
    auto store = Store::Open(o);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    EXPECT_FALSE((*store)->MaintainsHistories());
    ExpectRangeScanEqualsEvents(**store);
  }
  {
    auto store = OpenStore(dir.path());
    ASSERT_NE(store, nullptr);
    EXPECT_FALSE(store->MaintainsHistories());
    EXPECT_EQ(StoredSchema(*store), 1u);
    WriteRandom(*store, rng, 5, 100, 15);
    ExpectRangeScanEqualsEvents(*store);
  }
  // Its writes left `histories` (created empty by the writable open) empty.
  RawDb raw(dir.path());
  EXPECT_EQ(raw.HistoriesEntries(), 0u);
}

TEST(HistoriesTest, EmptyStoreOfSchemaOneStartsMaintaining) {
  TempDir dir;
  { auto store = OpenStore(dir.path()); }
  { RawDb(dir.path()).MakeSchemaOne(); }
  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->MaintainsHistories());
  EXPECT_EQ(StoredSchema(*store), kStoreSchemaVersion);
  EXPECT_EQ(store->PutMeta(storage::kMetaHistoriesMaintained, "0").code(),
            StatusCode::kInvalidArgument);
  std::mt19937_64 rng(2);
  WriteRandom(*store, rng, 3, 100, 10);
  ExpectRangeScanEqualsEvents(*store);
}

}  // namespace
}  // namespace vigil

// Concurrent writers: whatever the interleaving, every aggregate bucket equals the sum of the
// events it covers, the payment index matches the events, and so do the packed histories.
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "storage/keys.h"
#include "tests/storage/test_util.h"

namespace vigil {
namespace {

using namespace vigil::testing;  // NOLINT(google-build-using-namespace)

std::vector<std::pair<Month, MonthAggregate>> NonEmptyBuckets(const Store& store, uint64_t pk) {
  std::vector<std::pair<Month, MonthAggregate>> buckets;
  EXPECT_TRUE(store.GetAggregateBuckets(pk, &buckets).ok());
  std::erase_if(buckets, [](const auto& b) { return b.second.empty(); });
  return buckets;
}

void ExpectAggregatesMatchEvents(const Store& store, int persons) {
  std::map<std::string, int> payment_events;
  for (int i = 0; i < persons; ++i) {
    const uint64_t pk = PersonKey(PersonId(i));
    EXPECT_EQ(NonEmptyBuckets(store, pk), RecomputeBuckets(store, pk)) << "person " << i;
    ASSERT_TRUE(store
                    .VisitHistory(pk, {},
                                  [&](const EventView& e) {
                                    if (e.kind == EventKind::kPayment) {
                                      const auto p = e.AsPayment();
                                      EXPECT_TRUE(p.ok());
                                      ++payment_events[p->payment_id];
                                      auto where = store.GetPaymentEventKey(p->payment_id);
                                      EXPECT_TRUE(where.ok());
                                      EXPECT_EQ(*where, e.key) << p->payment_id;
                                    }
                                    return true;
                                  })
                    .ok());
  }
  for (const auto& [pid, n] : payment_events) EXPECT_EQ(n, 1) << pid << " stored twice";
}

TEST(ConcurrencyTest, AggregatesEqualRecomputationUnderConcurrentOverlappingWriters) {
  TempDir dir;
  StoreOptions o;
  o.path = dir.path();
  o.write_buffer_bytes = 1 << 20;  // small memtables: flushes and merges in SSTs happen too
  o.block_cache_bytes = 8 << 20;
  o.lock_stripes = 8;  // few stripes: writers collide often
  auto opened = Store::Open(o);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Store& store = **opened;

  constexpr int kThreads = 4;
  constexpr int kBatches = 40;
  constexpr int kRows = 150;
  constexpr int kPersons = 25;
  std::vector<WriteCounts> counts(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Each thread has its own seed, but all draw natural keys from the same small space, so
      // they write the same rows, different versions of them, and move payments around.
      std::mt19937_64 rng(1000 + t);
      for (int b = 0; b < kBatches; ++b) {
        RecordBatch batch;
        for (int r = 0; r < kRows; ++r) batch.Add(RandomEvent(rng, kPersons));
        auto w = store.Write(batch);
        ASSERT_TRUE(w.ok()) << w.status().ToString();
        counts[t] += *w;
      }
    });
  }
  for (auto& th : threads) th.join();
  WriteCounts total;
  for (const auto& c : counts) total += c;
  EXPECT_EQ(total.total(), uint64_t{kThreads} * kBatches * kRows);
  EXPECT_GT(total.replaced, 0u);
  EXPECT_GT(total.unchanged, 0u);

  ExpectAggregatesMatchEvents(store, kPersons);
  // The packed histories, written by merges of interleaved writers, equal the events.
  ASSERT_TRUE(store.MaintainsHistories());
  ExpectRangeScanEqualsEvents(store);
  // Compaction folds the merge operands: the answer must not change.
  ASSERT_TRUE(store.CompactAll().ok());
  ExpectAggregatesMatchEvents(store, kPersons);
  ExpectRangeScanEqualsEvents(store);
}

}  // namespace
}  // namespace vigil

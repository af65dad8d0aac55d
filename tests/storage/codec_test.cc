// Key and value encodings: order, round trips, corruption detection.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <tuple>

#include "storage/aggregate.h"
#include "storage/coding.h"
#include "storage/keys.h"
#include "storage/values.h"
#include "tests/storage/test_util.h"

namespace vigil {
namespace {

using namespace vigil::testing;  // NOLINT(google-build-using-namespace)

TEST(KeyEncodingTest, ByteOrderEqualsPersonTimeKindOrder) {
  std::mt19937_64 rng(20240601);
  struct K {
    uint64_t person;
    int64_t time;
    uint8_t kind;
    uint64_t nk;
    std::string bytes;
  };
  std::vector<K> keys;
  // Few persons so ties on person are common; times straddle zero and the int64 extremes.
  const std::vector<int64_t> special = {INT64_MIN, INT64_MIN + 1, -86400,        -1,       0,
                                        1,         86400,         INT64_MAX - 1, INT64_MAX};
  for (int i = 0; i < 5000; ++i) {
    K k;
    k.person = rng() % 4 == 0 ? UINT64_MAX - rng() % 3 : rng() % 7;
    k.time = i < static_cast<int>(special.size()) ? special[i]
                                                  : static_cast<int64_t>(rng() % 2000000) - 1000000;
    k.kind = static_cast<uint8_t>(1 + rng() % 5);
    k.nk = rng() % 3 == 0 ? rng() : rng() % 4;
    k.bytes = storage::EventKey(k.person, k.time, static_cast<EventKind>(k.kind), k.nk);
    ASSERT_EQ(k.bytes.size(), storage::kEventKeySize);
    keys.push_back(std::move(k));
  }
  auto by_bytes = keys;
  std::sort(by_bytes.begin(), by_bytes.end(),
            [](const K& a, const K& b) { return a.bytes < b.bytes; });
  auto by_tuple = keys;
  std::sort(by_tuple.begin(), by_tuple.end(), [](const K& a, const K& b) {
    return std::tie(a.person, a.time, a.kind, a.nk) < std::tie(b.person, b.time, b.kind, b.nk);
  });
  for (size_t i = 0; i < keys.size(); ++i) {
    ASSERT_EQ(by_bytes[i].bytes, by_tuple[i].bytes) << "at " << i;
  }
  // And keys parse back to their parts.
  for (const K& k : keys) {
    storage::ParsedEventKey p;
    ASSERT_TRUE(storage::ParseEventKey(k.bytes, &p));
    EXPECT_EQ(p.person_key, k.person);
    EXPECT_EQ(p.time_seconds, k.time);
    EXPECT_EQ(static_cast<uint8_t>(p.kind), k.kind);
    EXPECT_EQ(p.natural_key_hash, k.nk);
  }
}

TEST(KeyEncodingTest, AggregateKeysOrderByPersonThenMonthIncludingBefore1970) {
  std::vector<std::pair<uint64_t, int32_t>> parts = {{1, MonthNumber(M(1969, 12))},
                                                     {1, MonthNumber(M(1970, 1))},
                                                     {1, MonthNumber(M(2024, 5))},
                                                     {2, MonthNumber(M(1900, 1))},
                                                     {2, -5},
                                                     {0, 100}};
  std::vector<std::string> keys;
  for (auto [p, m] : parts) keys.push_back(storage::AggregateKey(p, m));
  auto sorted_parts = parts;
  std::sort(sorted_parts.begin(), sorted_parts.end());
  std::sort(keys.begin(), keys.end());
  for (size_t i = 0; i < keys.size(); ++i) {
    uint64_t p = 0;
    int32_t m = 0;
    ASSERT_TRUE(storage::ParseAggregateKey(keys[i], &p, &m));
    EXPECT_EQ(std::make_pair(p, m), sorted_parts[i]);
  }
}

TEST(KeyEncodingTest, PersonKeyIsXxh3OfTheIdText) {
  EXPECT_EQ(PersonKey("110105194912310021"), PersonKey("110105194912310021"));
  EXPECT_NE(PersonKey("110105194912310021"), PersonKey("110105194912310022"));
  // The natural-key hash separates fields: ("ab","c") differs from ("a","bc").
  EXPECT_NE(storage::NaturalKey().Text("ab").Text("c").Hash(),
            storage::NaturalKey().Text("a").Text("bc").Hash());
}

template <typename R>
std::string Reencode(const std::string& value, Result<R> (*decode)(std::string_view)) {
  auto r = decode(value);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? storage::EncodeEvent(*r).value : std::string();
}

TEST(ValueEncodingTest, EveryRecordTypeRoundTrips) {
  const std::string id = PersonId(7);
  const PersonRecord person = MakePerson(id);
  auto p = storage::DecodePerson(storage::EncodePerson(person));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(storage::EncodePerson(*p), storage::EncodePerson(person));
  EXPECT_EQ(p->name, "张三");
  EXPECT_EQ(p->monthly_benefit, Money::FromFen(342150));
  EXPECT_EQ(p->birth_date, D(1950, 1, 1));
  EXPECT_EQ(p->retirement_type, RetirementType::kSpecialJob);

  const auto c = MakeContribution(id, M(1999, 7), M(2004, 6), T(2021, 3, 4, 13), JobType::kToxic);
  const auto ce = storage::EncodeEvent(c);
  EXPECT_EQ(Reencode(ce.value, &storage::DecodeContribution), ce.value);
  auto cd = storage::DecodeContribution(ce.value);
  ASSERT_TRUE(cd.ok());
  EXPECT_EQ(cd->recorded_at, T(2021, 3, 4, 13));
  EXPECT_EQ(cd->end_month, M(2004, 6));
  EXPECT_EQ(cd->job_type, JobType::kToxic);
  EXPECT_EQ(ce.time_seconds, Seconds(T(1999, 7, 1)));
  EXPECT_EQ(ce.known_at_seconds, Seconds(T(2021, 3, 4, 13)));

  const auto pay = MakePayment("PAY-1", id, D(2023, 4, 10), 342150, Benefit::kSurvivor);
  const auto pe = storage::EncodeEvent(pay);
  EXPECT_EQ(Reencode(pe.value, &storage::DecodePayment), pe.value);
  EXPECT_EQ(storage::DecodePayment(pe.value)->amount, Money::FromFen(342150));

  // Negative (pre-1970) times survive too.
  const auto sig = MakeSignal(id, SignalSource::kHospitalDischarge, T(1965, 2, 3, 4), "", "DIED");
  const auto se = storage::EncodeEvent(sig);
  EXPECT_EQ(Reencode(se.value, &storage::DecodeSignal), se.value);
  EXPECT_EQ(storage::DecodeSignal(se.value)->occurred_at, T(1965, 2, 3, 4));
  EXPECT_EQ(storage::DecodeSignal(se.value)->place, "");

  const auto reg = MakeRegistry(id, RegistryEvent::kIdChange, D(2020, 1, 2), D(2020, 6, 30),
                                "birth_date:1962-03-01->1960-03-01");
  const auto re = storage::EncodeEvent(reg);
  EXPECT_EQ(Reencode(re.value, &storage::DecodeRegistry), re.value);
  EXPECT_EQ(re.known_at_seconds, Seconds(T(2020, 6, 30)));
  EXPECT_EQ(re.time_seconds, Seconds(T(2020, 1, 2)));

  const auto ap = MakeAppraisal(id, D(2010, 5, 6), 3);
  const auto ae = storage::EncodeEvent(ap);
  EXPECT_EQ(Reencode(ae.value, &storage::DecodeAppraisal), ae.value);
  EXPECT_EQ(storage::DecodeAppraisal(ae.value)->grade, 3);

  int64_t known = 0;
  ASSERT_TRUE(storage::PeekKnownAt(re.value, &known));
  EXPECT_EQ(known, Seconds(T(2020, 6, 30)));
}

TEST(ValueEncodingTest, AggregateRoundTripsWithNegativeDeltas) {
  MonthAggregate a;
  a.signal_count[3] = 5;
  a.signal_latest[3] = Seconds(T(2021, 2, 3, 4));
  a.signal_latest[0] = -12345;  // before 1970
  a.payment_count[1] = -2;      // a delta taking two payments away
  a.payment_fen[1] = -684300;
  a.registry_earliest_day[0] = DayNumber(D(1969, 12, 31));
  a.contribution_months = 180;
  a.appraisal_complete_loss = 1;
  a.ledger_digest = -4294967295;  // a delta taking a payment's digest away
  auto d = DecodeAggregate(EncodeAggregate(a));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(*d, a);
  auto empty = DecodeAggregate(EncodeAggregate(MonthAggregate()));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  EXPECT_EQ(EncodeAggregate(MonthAggregate()).size(), 1u);  // just the format byte
}

TEST(ValueEncodingTest, MergeIsAssociativeAndCommutative) {
  std::mt19937_64 rng(7);
  std::vector<MonthAggregate> parts;
  for (int i = 0; i < 30; ++i) {
    AnyRecord r = RandomEvent(rng, 3);
    RecordBatch b;
    b.Add(r);
    parts.push_back(std::visit(
        [](const auto& x) -> MonthAggregate {
          if constexpr (std::is_same_v<std::decay_t<decltype(x)>, PersonRecord>) {
            return MonthAggregate();
          } else {
            return storage::AggregateOf(x);
          }
        },
        r));
  }
  MonthAggregate forward;
  for (const auto& p : parts) forward.Merge(p);
  MonthAggregate backward;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) backward.Merge(*it);
  MonthAggregate left;
  MonthAggregate right;
  for (size_t i = 0; i < parts.size(); ++i) (i < 13 ? left : right).Merge(parts[i]);
  right.Merge(left);
  EXPECT_EQ(forward, backward);
  EXPECT_EQ(forward, right);
}

// Every proper prefix of a valid value is truncated, and must say so rather than decode.
TEST(CorruptionTest, EveryTruncationOfEveryValueIsCorruption) {
  const std::string id = PersonId(3);
  const std::vector<std::pair<EventKind, std::string>> values = {
      {EventKind::kContribution,
       storage::EncodeEvent(MakeContribution(id, M(2000, 1), M(2001, 1), T(2021, 1, 1))).value},
      {EventKind::kPayment, storage::EncodeEvent(MakePayment("X", id, D(2022, 1, 1), 5)).value},
      {EventKind::kSignal,
       storage::EncodeEvent(MakeSignal(id, SignalSource::kTravel, T(2022, 1, 1))).value},
      {EventKind::kRegistry,
       storage::EncodeEvent(MakeRegistry(id, RegistryEvent::kDeath, D(2022, 1, 1), D(2022, 2, 1)))
           .value},
      {EventKind::kAppraisal, storage::EncodeEvent(MakeAppraisal(id, D(2010, 1, 1), 2)).value},
  };
  for (const auto& [kind, value] : values) {
    ASSERT_TRUE(storage::DecodeEvent(kind, value).ok());
    for (size_t n = 0; n < value.size(); ++n) {
      auto r = storage::DecodeEvent(kind, value.substr(0, n));
      ASSERT_FALSE(r.ok()) << EventKindName(kind) << " prefix " << n;
      EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << r.status().ToString();
    }
    auto trailing = storage::DecodeEvent(kind, value + "x");
    EXPECT_EQ(trailing.status().code(), StatusCode::kCorruption);
    EXPECT_NE(trailing.status().message().find("trailing bytes"), std::string::npos);
    std::string bad_format = value;
    bad_format[0] = 9;
    auto fmt = storage::DecodeEvent(kind, bad_format);
    EXPECT_EQ(fmt.status().code(), StatusCode::kCorruption);
    EXPECT_NE(fmt.status().message().find("unknown value format 9"), std::string::npos);
  }
  const std::string person = storage::EncodePerson(MakePerson(id));
  for (size_t n = 0; n < person.size(); ++n) {
    EXPECT_EQ(storage::DecodePerson(person.substr(0, n)).status().code(), StatusCode::kCorruption);
  }
}

TEST(CodecTest, SignalSourceIsReadWithoutDecodingTheRest) {
  const std::string id = PersonId(3);
  for (SignalSource source : {SignalSource::kFaceCert, SignalSource::kTelecom}) {
    const std::string sig = storage::EncodeEvent(MakeSignal(id, source, T(2022, 1, 1))).value;
    SignalSource read{};
    ASSERT_TRUE(storage::DecodeSignalSource(sig, &read).ok());
    EXPECT_EQ(read, source);
    // Every prefix that cuts the source off is Corruption; the rest is not looked at.
    const size_t source_end = storage::kEventValueHeaderSize + 1 + id.size() + 1;
    for (size_t n = 0; n < source_end; ++n) {
      EXPECT_EQ(storage::DecodeSignalSource(sig.substr(0, n), &read).code(),
                StatusCode::kCorruption)
          << "prefix " << n;
    }
    EXPECT_TRUE(storage::DecodeSignalSource(sig.substr(0, source_end), &read).ok());
    std::string bad = sig;
    bad[source_end - 1] = 99;
    EXPECT_EQ(storage::DecodeSignalSource(bad, &read).code(), StatusCode::kCorruption);
  }
}

// A payment value written field by field, with raw month and day numbers (found by
// tests/fuzz/values_fuzz: a negative month number decoded to another month on every rewrite).
std::string PaymentValue(int64_t period_number, int64_t paid_day_number, uint64_t region = 3702,
                         char checksum_flag = 1) {
  std::string v;
  v.push_back(static_cast<char>(storage::kValueFormat));
  storage::PutFixed64BE(&v, static_cast<uint64_t>(paid_day_number * 86400));  // known at paid_date
  storage::PutString(&v, "PAY-1");
  storage::PutString(&v, PersonId(5));
  storage::PutVarint64(&v, region);
  v.push_back(0);  // PENSION
  storage::PutSigned(&v, period_number);
  storage::PutSigned(&v, 100);
  storage::PutString(&v, "6222");
  v.push_back(0);  // BANK
  storage::PutSigned(&v, paid_day_number);
  v.push_back(checksum_flag);  // 1: id checksum ok
  return v;
}

TEST(CorruptionTest, APaymentsRegionAndFlagAreCheckedOnTheFastPathToo) {
  // Payments decode on a fast path that must refuse what the Decoder refuses, and then give
  // the Decoder's message.
  ASSERT_TRUE(storage::DecodePayment(PaymentValue(24012, 14365, 65535, 0)).ok());
  auto region = storage::DecodePayment(PaymentValue(24012, 14365, 65536));
  EXPECT_EQ(region.status().code(), StatusCode::kCorruption);
  EXPECT_NE(region.status().message().find("bad region"), std::string::npos);
  auto flag = storage::DecodePayment(PaymentValue(24012, 14365, 3702, 2));
  EXPECT_EQ(flag.status().code(), StatusCode::kCorruption);
  EXPECT_NE(flag.status().message().find("bad flag"), std::string::npos);
}

TEST(CorruptionTest, MonthsAndDaysDecodeToWhatTheyRewriteAsOrAreCorruption) {
  // Month numbers before year 0 (not January) and after it rewrite to themselves.
  for (int64_t month : {int64_t{-238127}, int64_t{-11}, int64_t{-1}, int64_t{0}, int64_t{24012}}) {
    const std::string value = PaymentValue(month, 14365);
    EXPECT_EQ(Reencode(value, &storage::DecodePayment), value) << "month number " << month;
  }
  // Years std::chrono cannot hold are damage, not another date.
  auto far_month = storage::DecodePayment(PaymentValue(int64_t{12} * 40000, 14365));
  EXPECT_EQ(far_month.status().code(), StatusCode::kCorruption);
  EXPECT_NE(far_month.status().message().find("bad month"), std::string::npos);
  auto far_day = storage::DecodePayment(PaymentValue(24012, int64_t{2'000'000'000}));
  EXPECT_EQ(far_day.status().code(), StatusCode::kCorruption);
  EXPECT_NE(far_day.status().message().find("bad date"), std::string::npos);
  auto lowest = storage::DecodePayment(PaymentValue(INT64_MIN, 14365));
  EXPECT_EQ(lowest.status().code(), StatusCode::kCorruption);
  // The first and last days std::chrono holds rewrite to themselves; one day beyond is damage.
  const int64_t first_day =
      std::chrono::sys_days(std::chrono::year(-32767) / 1 / 1).time_since_epoch().count();
  const int64_t last_day =
      std::chrono::sys_days(std::chrono::year(32767) / 12 / 31).time_since_epoch().count();
  for (int64_t day : {first_day, last_day}) {
    const std::string value = PaymentValue(24012, day);
    EXPECT_EQ(Reencode(value, &storage::DecodePayment), value) << "day number " << day;
  }
  for (int64_t day : {first_day - 1, last_day + 1}) {
    EXPECT_EQ(storage::DecodePayment(PaymentValue(24012, day)).status().code(),
              StatusCode::kCorruption)
        << "day number " << day;
  }
}

TEST(CorruptionTest, BadCodesAndBadAggregatesAreCorruption) {
  const std::string id = PersonId(3);
  std::string sig =
      storage::EncodeEvent(MakeSignal(id, SignalSource::kTravel, T(2022, 1, 1))).value;
  // The source code byte follows the header and the length-prefixed person id.
  const size_t source_at = storage::kEventValueHeaderSize + 1 + id.size();
  sig[source_at] = 99;
  auto r = storage::DecodeSignal(sig);
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_NE(r.status().message().find("bad SignalSource code"), std::string::npos)
      << r.status().message();
  // No personal data in the message.
  EXPECT_EQ(r.status().message().find(id), std::string::npos);

  EXPECT_EQ(DecodeAggregate("").status().code(), StatusCode::kCorruption);
  EXPECT_EQ(DecodeAggregate("\x02").status().code(), StatusCode::kCorruption);
  std::string agg = EncodeAggregate([] {
    MonthAggregate a;
    a.signal_count[0] = 1;
    a.payment_count[0] = 2;
    return a;
  }());
  EXPECT_EQ(DecodeAggregate(agg.substr(0, agg.size() - 1)).status().code(),
            StatusCode::kCorruption);
  // Field id 90 is unassigned; ids out of order are damage.
  EXPECT_EQ(DecodeAggregate(std::string("\x01\x5a\x02", 3)).status().code(),
            StatusCode::kCorruption);
  EXPECT_EQ(DecodeAggregate(std::string("\x01\x1e\x02\x00\x02", 5)).status().code(),
            StatusCode::kCorruption);

  EventView view;
  view.kind = EventKind::kSignal;
  view.value = "garbage";
  EXPECT_EQ(view.AsSignal().status().code(), StatusCode::kCorruption);
  EXPECT_EQ(view.AsPayment().status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vigil

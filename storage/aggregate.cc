#include "aggregate.h"

#include <xxhash.h>

#include <algorithm>

#include "coding.h"
#include "values.h"

namespace vigil {
namespace {

constexpr uint8_t kAggregateFormat = 1;

// Field ids of the aggregate encoding: stable, stored on disk. Ranges leave room to grow.
constexpr uint64_t kSignalCount = 0;  // .. +11
constexpr uint64_t kFaceCertFailed = 20;
constexpr uint64_t kDischargedDead = 21;
constexpr uint64_t kPaymentCount = 30;   // .. +3
constexpr uint64_t kPaymentFen = 40;     // .. +3
constexpr uint64_t kRegistryCount = 50;  // .. +6
constexpr uint64_t kContributionRows = 70;
constexpr uint64_t kContributionMonths = 71;
constexpr uint64_t kSpecialJobMonths = 72;
constexpr uint64_t kBackPaymentMonths = 73;
constexpr uint64_t kContributionBaseFen = 74;
constexpr uint64_t kAppraisalCount = 80;
constexpr uint64_t kAppraisalCompleteLoss = 81;
constexpr uint64_t kLedgerDigest = 82;
constexpr uint64_t kSignalLatest = 100;      // .. +11
constexpr uint64_t kRegistryEarliest = 120;  // .. +6
constexpr uint64_t kMaxFieldId = 127;

// A payment's or registry event's share of MonthAggregate::ledger_digest: 32 bits, so that
// sums of any realistic number of them stay far from int64 overflow.
int64_t LedgerDigestOf(std::string_view stored_value) {
  return static_cast<int64_t>(XXH3_64bits(stored_value.data(), stored_value.size()) >> 32);
}

static_assert(MonthAggregate::kSources <= 20 && MonthAggregate::kBenefits <= 10 &&
              MonthAggregate::kRegistryEvents <= 20);

// Calls f(id, int64_t&) for every additive field, in ascending id order.
template <typename A, typename F>
void ForEachSum(A& a, F&& f) {
  for (size_t i = 0; i < a.signal_count.size(); ++i) f(kSignalCount + i, a.signal_count[i]);
  f(kFaceCertFailed, a.face_cert_failed);
  f(kDischargedDead, a.discharged_dead);
  for (size_t i = 0; i < a.payment_count.size(); ++i) f(kPaymentCount + i, a.payment_count[i]);
  for (size_t i = 0; i < a.payment_fen.size(); ++i) f(kPaymentFen + i, a.payment_fen[i]);
  for (size_t i = 0; i < a.registry_count.size(); ++i) f(kRegistryCount + i, a.registry_count[i]);
  f(kContributionRows, a.contribution_rows);
  f(kContributionMonths, a.contribution_months);
  f(kSpecialJobMonths, a.special_job_months);
  f(kBackPaymentMonths, a.back_payment_months);
  f(kContributionBaseFen, a.contribution_base_fen);
  f(kAppraisalCount, a.appraisal_count);
  f(kAppraisalCompleteLoss, a.appraisal_complete_loss);
  f(kLedgerDigest, a.ledger_digest);
}

int64_t* SumField(MonthAggregate& a, uint64_t id) {
  auto in = [id](uint64_t base, size_t n) { return id >= base && id < base + n; };
  if (in(kSignalCount, a.signal_count.size())) return &a.signal_count[id - kSignalCount];
  if (in(kPaymentCount, a.payment_count.size())) return &a.payment_count[id - kPaymentCount];
  if (in(kPaymentFen, a.payment_fen.size())) return &a.payment_fen[id - kPaymentFen];
  if (in(kRegistryCount, a.registry_count.size())) return &a.registry_count[id - kRegistryCount];
  switch (id) {
    case kFaceCertFailed:
      return &a.face_cert_failed;
    case kDischargedDead:
      return &a.discharged_dead;
    case kContributionRows:
      return &a.contribution_rows;
    case kContributionMonths:
      return &a.contribution_months;
    case kSpecialJobMonths:
      return &a.special_job_months;
    case kBackPaymentMonths:
      return &a.back_payment_months;
    case kContributionBaseFen:
      return &a.contribution_base_fen;
    case kAppraisalCount:
      return &a.appraisal_count;
    case kAppraisalCompleteLoss:
      return &a.appraisal_complete_loss;
    case kLedgerDigest:
      return &a.ledger_digest;
    default:
      return nullptr;
  }
}

}  // namespace

void MonthAggregate::Merge(const MonthAggregate& other) {
  // Unrolled by hand rather than through ForEachSum: this is the merge operator's inner loop.
  for (size_t i = 0; i < kSources; ++i) {
    signal_count[i] += other.signal_count[i];
    signal_latest[i] = std::max(signal_latest[i], other.signal_latest[i]);
  }
  face_cert_failed += other.face_cert_failed;
  discharged_dead += other.discharged_dead;
  for (size_t i = 0; i < kBenefits; ++i) {
    payment_count[i] += other.payment_count[i];
    payment_fen[i] += other.payment_fen[i];
  }
  for (size_t i = 0; i < kRegistryEvents; ++i) {
    registry_count[i] += other.registry_count[i];
    registry_earliest_day[i] = std::min(registry_earliest_day[i], other.registry_earliest_day[i]);
  }
  contribution_rows += other.contribution_rows;
  contribution_months += other.contribution_months;
  special_job_months += other.special_job_months;
  back_payment_months += other.back_payment_months;
  contribution_base_fen += other.contribution_base_fen;
  appraisal_count += other.appraisal_count;
  appraisal_complete_loss += other.appraisal_complete_loss;
  ledger_digest += other.ledger_digest;
}

bool MonthAggregate::empty() const { return *this == MonthAggregate(); }

std::string EncodeAggregate(const MonthAggregate& a) {
  std::string out;
  out.reserve(32);
  out.push_back(static_cast<char>(kAggregateFormat));
  ForEachSum(a, [&out](uint64_t id, const int64_t& v) {
    if (v != 0) {
      storage::PutVarint64(&out, id);
      storage::PutSigned(&out, v);
    }
  });
  for (size_t i = 0; i < a.signal_latest.size(); ++i) {
    if (a.signal_latest[i] != MonthAggregate::kNoTime) {
      storage::PutVarint64(&out, kSignalLatest + i);
      storage::PutSigned(&out, a.signal_latest[i]);
    }
  }
  for (size_t i = 0; i < a.registry_earliest_day.size(); ++i) {
    if (a.registry_earliest_day[i] != MonthAggregate::kNoDay) {
      storage::PutVarint64(&out, kRegistryEarliest + i);
      storage::PutSigned(&out, a.registry_earliest_day[i]);
    }
  }
  return out;
}

Result<MonthAggregate> DecodeAggregate(std::string_view bytes) {
  storage::Reader reader(bytes);
  uint8_t format = 0;
  if (!reader.Byte(&format)) return Status::Corruption("aggregate value: empty");
  if (format != kAggregateFormat) {
    return Status::Corruption("aggregate value: unknown format " + std::to_string(format));
  }
  MonthAggregate a;
  int64_t last_id = -1;
  while (!reader.done()) {
    uint64_t id = 0;
    int64_t v = 0;
    if (!reader.Varint(&id) || !reader.Signed(&v)) {
      return Status::Corruption("aggregate value: truncated at byte " +
                                std::to_string(reader.offset()));
    }
    // Ids are written in ascending order, once each: anything else is damage.
    if (id > kMaxFieldId || static_cast<int64_t>(id) <= last_id) {
      return Status::Corruption("aggregate value: bad field id " + std::to_string(id));
    }
    last_id = static_cast<int64_t>(id);
    if (int64_t* f = SumField(a, id)) {
      *f = v;
    } else if (id >= kSignalLatest && id < kSignalLatest + a.signal_latest.size()) {
      a.signal_latest[id - kSignalLatest] = v;
    } else if (id >= kRegistryEarliest && id < kRegistryEarliest + a.registry_earliest_day.size()) {
      if (v < INT32_MIN || v > INT32_MAX) return Status::Corruption("aggregate value: bad day");
      a.registry_earliest_day[id - kRegistryEarliest] = static_cast<int32_t>(v);
    } else {
      return Status::Corruption("aggregate value: unknown field id " + std::to_string(id));
    }
  }
  return a;
}

Result<MonthAggregate> MonthAggregate::OfEvent(EventKind kind, std::string_view value) {
  switch (kind) {
    case EventKind::kContribution: {
      auto r = storage::DecodeContribution(value);
      if (!r.ok()) return r.status();
      return storage::AggregateOf(*r);
    }
    case EventKind::kPayment: {
      auto r = storage::DecodePayment(value);
      if (!r.ok()) return r.status();
      MonthAggregate a = storage::AggregateOf(*r);
      a.ledger_digest = LedgerDigestOf(value);
      return a;
    }
    case EventKind::kSignal: {
      auto r = storage::DecodeSignal(value);
      if (!r.ok()) return r.status();
      return storage::AggregateOf(*r);
    }
    case EventKind::kRegistry: {
      auto r = storage::DecodeRegistry(value);
      if (!r.ok()) return r.status();
      MonthAggregate a = storage::AggregateOf(*r);
      a.ledger_digest = LedgerDigestOf(value);
      return a;
    }
    case EventKind::kAppraisal: {
      auto r = storage::DecodeAppraisal(value);
      if (!r.ok()) return r.status();
      return storage::AggregateOf(*r);
    }
  }
  return Status::Corruption("events value: unknown kind");
}

namespace storage {

MonthAggregate AggregateOf(const ContributionRecord& r) {
  MonthAggregate a;
  const int64_t months = std::max(0, MonthsBetween(r.start_month, r.end_month) + 1);
  a.contribution_rows = 1;
  a.contribution_months = months;
  if (r.job_type != JobType::kNormal) a.special_job_months = months;
  if (r.kind == ContributionKind::kBackPayment) a.back_payment_months = months;
  a.contribution_base_fen = r.monthly_base.fen() * months;
  return a;
}

MonthAggregate AggregateOf(const PaymentRecord& r) {
  MonthAggregate a;
  const auto b = static_cast<size_t>(r.benefit);
  a.payment_count[b] = 1;
  a.payment_fen[b] = r.amount.fen();
  return a;
}

MonthAggregate AggregateOf(const SignalRecord& r) {
  MonthAggregate a;
  const auto s = static_cast<size_t>(r.source);
  a.signal_count[s] = 1;
  a.signal_latest[s] = Seconds(r.occurred_at);
  if (r.source == SignalSource::kFaceCert && r.detail == "FAIL") a.face_cert_failed = 1;
  if (r.source == SignalSource::kHospitalDischarge && r.detail == "DIED") a.discharged_dead = 1;
  return a;
}

MonthAggregate AggregateOf(const RegistryRecord& r) {
  MonthAggregate a;
  const auto e = static_cast<size_t>(r.event);
  a.registry_count[e] = 1;
  a.registry_earliest_day[e] = DayNumber(r.event_date);
  return a;
}

MonthAggregate AggregateOf(const AppraisalRecord& r) {
  MonthAggregate a;
  a.appraisal_count = 1;
  // Grades 1..4 mean complete loss of labour capacity (feeds.md, appraisals.csv).
  if (r.grade >= 1 && r.grade <= 4) a.appraisal_complete_loss = 1;
  return a;
}

bool HasExtremes(const MonthAggregate& a) {
  const MonthAggregate none;
  return a.signal_latest != none.signal_latest ||
         a.registry_earliest_day != none.registry_earliest_day;
}

bool SameExtremes(const MonthAggregate& a, const MonthAggregate& b) {
  return a.signal_latest == b.signal_latest && a.registry_earliest_day == b.registry_earliest_day;
}

void SubtractSums(const MonthAggregate& old, MonthAggregate* delta) {
  MonthAggregate& d = *delta;
  ForEachSum(old, [&d](uint64_t id, const int64_t& v) { *SumField(d, id) -= v; });
}

}  // namespace storage
}  // namespace vigil

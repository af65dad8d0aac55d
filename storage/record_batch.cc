#include <utility>

#include "aggregate.h"
#include "keys.h"
#include "record_batch_impl.h"
#include "values.h"

namespace vigil {
namespace {

template <typename R>
void AddEvent(RecordBatch::Impl* impl, const R& record) {
  storage::EncodedEvent e = storage::EncodeEvent(record);
  RecordBatch::Impl::Row row;
  row.kind = e.kind;
  row.person_key = e.person_key;
  row.known_month = storage::MonthNumberOfSeconds(e.known_at_seconds);
  storage::AppendEventKey(&row.key, e.person_key, e.time_seconds, e.kind, e.natural_key_hash);
  row.value = std::move(e.value);
  row.delta = storage::AggregateOf(record);
  if constexpr (std::is_same_v<R, PaymentRecord>) {
    row.payment_id = record.payment_id;
    row.payment_hash = storage::Hash64(record.payment_id);
  }
  impl->bytes += row.key.size() + row.value.size();
  impl->rows.push_back(std::move(row));
}

}  // namespace

RecordBatch::RecordBatch() : impl_(std::make_unique<Impl>()) {}
RecordBatch::~RecordBatch() = default;
RecordBatch::RecordBatch(RecordBatch&&) noexcept = default;
RecordBatch& RecordBatch::operator=(RecordBatch&&) noexcept = default;

void RecordBatch::Add(const AnyRecord& record) {
  std::visit([this](const auto& r) { Add(r); }, record);
}

void RecordBatch::Add(const PersonRecord& record) {
  Impl::Row row;
  row.is_person = true;
  row.person_key = PersonKey(record.person_id);
  row.key = storage::PersonsKey(row.person_key, record.region);
  row.value = storage::EncodePerson(record);
  impl_->bytes += row.key.size() + row.value.size();
  impl_->rows.push_back(std::move(row));
}

void RecordBatch::Add(const ContributionRecord& record) { AddEvent(impl_.get(), record); }
void RecordBatch::Add(const PaymentRecord& record) { AddEvent(impl_.get(), record); }
void RecordBatch::Add(const SignalRecord& record) { AddEvent(impl_.get(), record); }
void RecordBatch::Add(const RegistryRecord& record) { AddEvent(impl_.get(), record); }
void RecordBatch::Add(const AppraisalRecord& record) { AddEvent(impl_.get(), record); }

size_t RecordBatch::size() const { return impl_->rows.size(); }
size_t RecordBatch::ByteSize() const { return impl_->bytes; }
void RecordBatch::Clear() {
  impl_->rows.clear();
  impl_->bytes = 0;
}

}  // namespace vigil

#include <algorithm>
#include <cstring>
#include <utility>

#include "aggregate.h"
#include "keys.h"
#include "record_batch_impl.h"
#include "values.h"

namespace vigil {

std::string_view RecordBatch::Impl::Keep(std::string_view data) {
  if (chunks_.empty() || chunk_size_ - chunk_used_ < data.size()) {
    chunk_size_ = std::max(kChunkBytes, data.size());
    chunks_.push_back(std::make_unique_for_overwrite<char[]>(chunk_size_));
    chunk_used_ = 0;
  }
  char* at = chunks_.back().get() + chunk_used_;
  if (!data.empty()) std::memcpy(at, data.data(), data.size());
  chunk_used_ += data.size();
  return {at, data.size()};
}

void RecordBatch::Impl::ClearArena() {
  // Keep the first chunk (at least kChunkBytes) for the next rows: a reused batch then
  // allocates nothing.
  chunks_.resize(std::min<size_t>(chunks_.size(), 1));
  chunk_used_ = 0;
  chunk_size_ = kChunkBytes;
}

namespace {

template <typename R>
void AddEvent(RecordBatch::Impl* impl, const R& record) {
  storage::EncodedEvent e;
  impl->scratch.clear();
  storage::EncodeEvent(record, &e, &impl->scratch);
  RecordBatch::Impl::Row row;
  row.kind = e.kind;
  row.person_key = e.person_key;
  row.known_month = storage::MonthNumberOfSeconds(e.known_at_seconds);
  // Key and value go into the arena together: the value first, then its key.
  const size_t value_size = impl->scratch.size();
  storage::AppendEventKey(&impl->scratch, e.person_key, e.time_seconds, e.kind, e.natural_key_hash);
  const std::string_view both = impl->Keep(impl->scratch);
  row.value = both.substr(0, value_size);
  row.key = both.substr(value_size);
  row.key_hash = storage::Hash64(row.key);
  if constexpr (std::is_same_v<R, PaymentRecord>) {
    row.payment_id = impl->Keep(record.payment_id);
    row.payment_hash = storage::Hash64(record.payment_id);
  }
  impl->bytes += row.key.size() + row.value.size();
  impl->rows.push_back(row);
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
  row.key = impl_->Keep(storage::PersonsKey(row.person_key, record.region));
  row.value = impl_->Keep(storage::EncodePerson(record));
  row.key_hash = storage::Hash64(row.key);
  impl_->bytes += row.key.size() + row.value.size();
  impl_->rows.push_back(row);
}

void RecordBatch::Add(const ContributionRecord& record) { AddEvent(impl_.get(), record); }
void RecordBatch::Add(const PaymentRecord& record) { AddEvent(impl_.get(), record); }
void RecordBatch::Add(const SignalRecord& record) { AddEvent(impl_.get(), record); }
void RecordBatch::Add(const RegistryRecord& record) { AddEvent(impl_.get(), record); }
void RecordBatch::Add(const AppraisalRecord& record) { AddEvent(impl_.get(), record); }

void RecordBatch::Reserve(size_t rows) { impl_->rows.reserve(impl_->rows.size() + rows); }
size_t RecordBatch::size() const { return impl_->rows.size(); }
size_t RecordBatch::ByteSize() const { return impl_->bytes; }
void RecordBatch::Clear() {
  impl_->rows.clear();
  impl_->bytes = 0;
  impl_->ClearArena();
}

}  // namespace vigil

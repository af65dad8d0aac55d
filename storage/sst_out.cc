#include "sst_out.h"

#include <utility>

namespace vigil::storage {
namespace {

rocksdb::Slice ToSlice(std::string_view s) { return {s.data(), s.size()}; }

}  // namespace

Status FromRocksStatus(const rocksdb::Status& s, std::string_view context) {
  if (s.ok()) return Status::Ok();
  std::string m = std::string(context) + ": " + s.ToString();
  if (s.IsCorruption()) return Status::Corruption(std::move(m));
  if (s.IsIOError()) return Status::IoError(std::move(m));
  if (s.IsInvalidArgument()) return Status::InvalidArgument(std::move(m));
  return Status::Internal(std::move(m));
}

rocksdb::Options SstFileOptions(const DbConfig& config, CfIndex cf) {
  rocksdb::Options o(config.db, config.families[cf].options);
  o.bottommost_compression = rocksdb::kDisableCompressionOption;
  return o;
}

SstOut::SstOut(rocksdb::Options options, rocksdb::ColumnFamilyHandle* cf,
               std::function<std::string()> new_path, uint64_t file_bytes)
    : options_(std::move(options)),
      cf_(cf),
      new_path_(std::move(new_path)),
      file_bytes_(file_bytes) {}

SstOut::~SstOut() = default;

Status SstOut::Put(std::string_view key, std::string_view value) {
  if (writer_ == nullptr || bytes_ >= file_bytes_) VIGIL_RETURN_IF_ERROR(Next());
  bytes_ += key.size() + value.size();
  return FromRocksStatus(writer_->Put(ToSlice(key), ToSlice(value)), "sst put");
}

Status SstOut::Delete(std::string_view key) {
  if (writer_ == nullptr) VIGIL_RETURN_IF_ERROR(Next());
  bytes_ += key.size();
  return FromRocksStatus(writer_->Delete(ToSlice(key)), "sst delete");
}

Status SstOut::Finish() {
  if (writer_ == nullptr) return Status::Ok();
  auto w = std::move(writer_);
  return FromRocksStatus(w->Finish(), "sst finish " + files_.back());
}

Status SstOut::Next() {
  VIGIL_RETURN_IF_ERROR(Finish());
  writer_ = std::make_unique<rocksdb::SstFileWriter>(rocksdb::EnvOptions(), options_, cf_);
  files_.push_back(new_path_());
  bytes_ = 0;
  return FromRocksStatus(writer_->Open(files_.back()), "sst open " + files_.back());
}

}  // namespace vigil::storage

#include "chunk_source.h"
#include "fields.h"
#include "record_splitter.h"
#include "vigil/csv.h"

namespace vigil {

using ingest_internal::ChunkSource;
using ingest_internal::FieldError;
using ingest_internal::RecordBlock;
using ingest_internal::RecordFlag;
using ingest_internal::RecordSplitter;

struct CsvReader::Impl {
  CsvOptions options;
  std::string file_name;
  std::unique_ptr<ChunkSource> source;
  RecordSplitter splitter;
  RecordBlock block;
  size_t next = 0;  // next record of `block`
  bool eof = false;
  std::vector<std::string> header;
  std::string arena;

  explicit Impl(const CsvOptions& o) : options(o), splitter(o.max_record_bytes) {}

  // Makes sure `block` has an unread record; false at the end of the file.
  Result<bool> Fill() {
    while (next >= block.records.size()) {
      if (eof) return false;
      std::string chunk;
      VIGIL_RETURN_IF_ERROR(source->Read(options.chunk_bytes, &chunk));
      eof = chunk.empty();
      splitter.Split(std::move(chunk), eof, &block);
      next = 0;
    }
    return true;
  }
};

CsvReader::CsvReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CsvReader::~CsvReader() = default;

Result<std::unique_ptr<CsvReader>> CsvReader::Open(const std::string& path,
                                                   const CsvOptions& options) {
  auto impl = std::make_unique<Impl>(options);
  const size_t slash = path.find_last_of('/');
  impl->file_name = slash == std::string::npos ? path : path.substr(slash + 1);
  VIGIL_ASSIGN_OR_RETURN(impl->source, ChunkSource::Open(path));
  VIGIL_ASSIGN_OR_RETURN(const bool has_row, impl->Fill());
  if (!has_row) return Status::InvalidArgument(impl->file_name + ": empty file, no header row");
  const auto& span = impl->block.records[impl->next++];
  const std::string_view text = impl->block.record_text(span);
  if (span.flag != RecordFlag::kHeader) {
    return Status::InvalidArgument(impl->file_name + ": header row is malformed");
  }
  std::vector<std::string_view> fields;
  const auto split = ingest_internal::SplitFields(text, &fields, &impl->arena);
  if (split.error != FieldError::kNone) {
    return Status::InvalidArgument(impl->file_name + ": header row is not valid CSV");
  }
  if (!ingest_internal::IsValidUtf8(text)) {
    return Status::InvalidArgument(impl->file_name + ": header row is not valid UTF-8");
  }
  impl->header.assign(fields.begin(), fields.end());
  return std::unique_ptr<CsvReader>(new CsvReader(std::move(impl)));
}

const std::vector<std::string>& CsvReader::header() const { return impl_->header; }
const std::string& CsvReader::file_name() const { return impl_->file_name; }

Result<bool> CsvReader::Next(CsvRow* row) {
  VIGIL_ASSIGN_OR_RETURN(const bool has_row, impl_->Fill());
  if (!has_row) return false;
  const auto& span = impl_->block.records[impl_->next++];
  row->file = impl_->file_name;
  row->line = span.line;
  row->raw = impl_->block.record_text(span);
  row->fields.clear();
  row->problem = CsvProblem::kNone;
  row->problem_field = 0;
  if (span.flag == RecordFlag::kTooLong) {
    row->problem = CsvProblem::kTooLong;
    return true;
  }
  const auto split = ingest_internal::SplitFields(row->raw, &row->fields, &impl_->arena);
  if (split.error != FieldError::kNone) {
    row->problem = split.error == FieldError::kStrayQuote ? CsvProblem::kStrayQuote
                                                          : CsvProblem::kUnterminatedQuote;
    row->problem_field = split.field;
    row->fields.clear();
    return true;
  }
  if (!ingest_internal::IsValidUtf8(row->raw)) {
    row->problem = CsvProblem::kBadUtf8;
    for (size_t i = 0; i < row->fields.size(); ++i) {
      if (!ingest_internal::IsValidUtf8(row->fields[i])) {
        row->problem_field = i;
        break;
      }
    }
  }
  return true;
}

}  // namespace vigil

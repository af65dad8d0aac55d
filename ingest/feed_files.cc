// Which files of a feed folder are feeds, and reading one whole file (for tests and tools).
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "chunk_source.h"
#include "record_splitter.h"
#include "row_processing.h"
#include "vigil/ingest.h"

namespace vigil {

std::optional<FeedFile> ParseFeedFileName(std::string_view name) {
  FeedFile f;
  f.name.assign(name);
  std::string_view rest = name;
  if (rest.ends_with(".gz")) {
    f.gzip = true;
    rest.remove_suffix(3);
  }
  if (!rest.ends_with(".csv")) return std::nullopt;
  rest.remove_suffix(4);
  // "<feed>" or "<feed>.<digits>"
  const size_t dot = rest.find('.');
  const std::string_view base = rest.substr(0, dot);
  if (dot != std::string_view::npos) {
    const std::string_view digits = rest.substr(dot + 1);
    if (digits.empty() || digits.size() > 9) return std::nullopt;
    int part = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      part = part * 10 + (c - '0');
    }
    f.part = part;
  }
  auto feed = ParseCode<Feed>(base);
  if (!feed.ok()) return std::nullopt;
  f.feed = *feed;
  return f;
}

Result<std::vector<FeedFile>> DiscoverFeedFiles(const std::string& dir,
                                                std::vector<std::string>* ignored) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::NotFound(dir + ": no such folder");
  std::vector<FeedFile> files;
  fs::directory_iterator it(dir, ec);
  if (ec) return Status::IoError(dir + ": cannot list: " + ec.message());
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) return Status::IoError(dir + ": cannot list: " + ec.message());
    const std::string name = it->path().filename().string();
    // Sub-folders (e.g. a generator's truth/) are never read.
    if (it->is_directory(ec)) continue;
    auto file = ParseFeedFileName(name);
    if (!file) {
      if (ignored != nullptr) ignored->push_back(name);
      continue;
    }
    file->path = it->path().string();
    struct stat st {};
    if (::stat(file->path.c_str(), &st) == 0) {
      file->size = static_cast<uint64_t>(st.st_size);
      file->mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 +
                       static_cast<int64_t>(st.st_mtim.tv_nsec);
    }
    files.push_back(std::move(*file));
  }
  // Contract order, then parts in order: rows of a later part correct those of an earlier one.
  std::sort(files.begin(), files.end(), [](const FeedFile& a, const FeedFile& b) {
    if (a.feed != b.feed) return a.feed < b.feed;
    if (a.part != b.part) return a.part < b.part;
    return a.name < b.name;
  });
  if (ignored != nullptr) std::sort(ignored->begin(), ignored->end());
  return files;
}

Result<FeedFileContents> ReadFeedFile(const std::string& path, Feed feed) {
  using ingest_internal::RecordFlag;
  const size_t slash = path.find_last_of('/');
  const std::string file_name = slash == std::string::npos ? path : path.substr(slash + 1);
  VIGIL_ASSIGN_OR_RETURN(auto source, ingest_internal::ChunkSource::Open(path));
  ingest_internal::RecordSplitter splitter;
  ingest_internal::RecordBlock block;
  std::vector<std::string_view> fields;
  std::string arena;
  std::optional<FeedParser> parser;
  FeedFileContents out;
  bool eof = false;
  while (!eof) {
    std::string chunk;
    VIGIL_RETURN_IF_ERROR(source->Read(size_t{1} << 20, &chunk));
    eof = chunk.empty();
    splitter.Split(std::move(chunk), eof, &block);
    for (const auto& span : block.records) {
      const std::string_view text = block.record_text(span);
      if (!parser) {
        const auto split = ingest_internal::SplitFields(text, &fields, &arena);
        if (span.flag != RecordFlag::kHeader || split.error != ingest_internal::FieldError::kNone ||
            !ingest_internal::IsValidUtf8(text)) {
          return Status::InvalidArgument(file_name + ": header row is not valid CSV/UTF-8");
        }
        VIGIL_ASSIGN_OR_RETURN(auto p, FeedParser::Create(feed, fields, file_name));
        parser.emplace(std::move(p));
        continue;
      }
      ++out.rows_read;
      AnyRecord record = ingest_internal::EmptyRecord(feed);
      RowReject reject;
      const bool ok = std::visit(
          [&](auto& typed) {
            return ingest_internal::ProcessRecord(*parser, text, span.flag, &fields, &arena, &typed,
                                                  &reject);
          },
          record);
      if (ok) {
        out.records.push_back(std::move(record));
      } else {
        out.rejects.push_back(
            ingest_internal::MakeReject(file_name, span.line, text, std::move(reject)));
      }
    }
  }
  if (!parser) return Status::InvalidArgument(file_name + ": empty file, no header row");
  return out;
}

}  // namespace vigil

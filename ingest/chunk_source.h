// Reads a feed file as a stream of decompressed byte chunks, plain or gzip (`.gz`).
//
// Memory is bounded by the chunk size the caller asks for: the file is never held whole.
// Thread-safety: not thread-safe; one reader per file, used from one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "vigil/status.h"

namespace vigil::ingest_internal {

class ChunkSource {
 public:
  // Opens `path`; a name ending in ".gz" is read through zlib. Errors: kNotFound, kIoError.
  static Result<std::unique_ptr<ChunkSource>> Open(const std::string& path);
  ~ChunkSource();
  ChunkSource(const ChunkSource&) = delete;
  ChunkSource& operator=(const ChunkSource&) = delete;

  // Replaces `out` with up to `max_bytes` decompressed bytes; an empty `out` means end of file.
  // Errors: kIoError (read failure), kCorruption (damaged gzip stream).
  Status Read(size_t max_bytes, std::string* out);

  // Bytes of the file on disk consumed so far and the file's size on disk (for progress).
  uint64_t disk_offset() const;
  uint64_t disk_size() const { return disk_size_; }

 private:
  ChunkSource() = default;
  std::string path_;
  int fd_ = -1;
  void* gz_ = nullptr;  // gzFile when the file is compressed; kept opaque to spare zlib.h here
  uint64_t disk_size_ = 0;
  uint64_t plain_offset_ = 0;
};

}  // namespace vigil::ingest_internal

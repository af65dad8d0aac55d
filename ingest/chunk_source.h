// Reads a feed file as a stream of decompressed byte chunks, plain or gzip (`.gz`).
//
// Memory is bounded by the chunk size the caller asks for: the file is never held whole.
// A damaged or truncated gzip stream loses nothing that decompressed before the damage: those
// bytes are returned first, and the error (naming the last complete line) on the next Read.
// Thread-safety: not thread-safe; one reader per file, used from one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "vigil/status.h"

namespace vigil::ingest_internal {

class ChunkSource {
 public:
  // Opens `path`; a name ending in ".gz" is decompressed with zlib (concatenated members are
  // read one after the other; bytes after the last member that do not start another are
  // ignored; a ".gz" file that is not gzip at all is read as it is). Errors: kNotFound,
  // kIoError.
  static Result<std::unique_ptr<ChunkSource>> Open(const std::string& path);
  ~ChunkSource();
  ChunkSource(const ChunkSource&) = delete;
  ChunkSource& operator=(const ChunkSource&) = delete;

  // Replaces `out` with up to `max_bytes` decompressed bytes; an empty `out` means end of file.
  // Errors: kIoError (read failure), kCorruption (damaged gzip stream: "<file name>: damaged
  // gzip data after line N: <zlib's reason>", N counting the complete lines returned before
  // it). An error is returned again by every later call.
  Status Read(size_t max_bytes, std::string* out);

  // Bytes of the file on disk consumed so far and the file's size on disk (for progress).
  uint64_t disk_offset() const;
  uint64_t disk_size() const { return disk_size_; }

 private:
  struct Gzip;  // zlib's inflate state; defined in the .cc to spare zlib.h here

  ChunkSource();
  Status ReadGzip(size_t max_bytes, std::string* out);
  // Loads the next compressed bytes into the input buffer; false at the end of the file.
  Result<bool> LoadInput();
  Status Damaged(const char* reason) const;

  std::string path_;
  int fd_ = -1;
  std::unique_ptr<Gzip> gz_;  // set when the file is gzip
  uint64_t disk_size_ = 0;
  uint64_t plain_offset_ = 0;  // bytes read from the file on disk
  uint64_t lines_ = 0;         // line ends among the decompressed bytes returned so far
  Status error_;               // once set, returned by every Read
};

}  // namespace vigil::ingest_internal

#include "chunk_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>

namespace vigil::ingest_internal {
namespace {

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string Errno() { return std::strerror(errno); }

}  // namespace

Result<std::unique_ptr<ChunkSource>> ChunkSource::Open(const std::string& path) {
  std::unique_ptr<ChunkSource> src(new ChunkSource());
  src->path_ = path;
  src->fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (src->fd_ < 0) {
    if (errno == ENOENT) return Status::NotFound(path + ": no such file");
    return Status::IoError(path + ": cannot open: " + Errno());
  }
  struct stat st {};
  if (::fstat(src->fd_, &st) != 0) return Status::IoError(path + ": cannot stat: " + Errno());
  if (!S_ISREG(st.st_mode)) return Status::IoError(path + ": not a regular file");
  src->disk_size_ = static_cast<uint64_t>(st.st_size);
  // Tell the kernel we read front to back so it reads ahead generously.
  (void)::posix_fadvise(src->fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
  if (EndsWith(path, ".gz")) {
    // zlib takes ownership of a duplicate so that our fd_ stays valid for close() below.
    const int dup_fd = ::dup(src->fd_);
    if (dup_fd < 0) return Status::IoError(path + ": cannot dup: " + Errno());
    gzFile gz = ::gzdopen(dup_fd, "rb");
    if (gz == nullptr) {
      ::close(dup_fd);
      return Status::IoError(path + ": cannot open gzip stream");
    }
    ::gzbuffer(gz, 256 * 1024);
    src->gz_ = gz;
  }
  return src;
}

ChunkSource::~ChunkSource() {
  if (gz_ != nullptr) ::gzclose(static_cast<gzFile>(gz_));
  if (fd_ >= 0) ::close(fd_);
}

Status ChunkSource::Read(size_t max_bytes, std::string* out) {
  out->resize(max_bytes);
  size_t filled = 0;
  // Fill the whole chunk when possible: short reads would only make more, smaller batches.
  while (filled < max_bytes) {
    const size_t want = max_bytes - filled;
    if (gz_ != nullptr) {
      auto* gz = static_cast<gzFile>(gz_);
      const unsigned ask = static_cast<unsigned>(std::min<size_t>(want, 1u << 30));
      const int n = ::gzread(gz, out->data() + filled, ask);
      if (n < 0) {
        int errnum = 0;
        const char* msg = ::gzerror(gz, &errnum);
        out->clear();
        return Status::Corruption(path_ + ": damaged gzip data: " + (msg ? msg : "unknown"));
      }
      if (n == 0) {
        // gzread returns 0 both at a clean end and at a truncated stream; only the latter sets
        // an error (Z_BUF_ERROR = "unexpected end of file").
        int errnum = 0;
        const char* msg = ::gzerror(gz, &errnum);
        if (errnum != Z_OK) {
          out->clear();
          return Status::Corruption(path_ + ": damaged gzip data: " + (msg ? msg : "unknown"));
        }
        break;
      }
      filled += static_cast<size_t>(n);
    } else {
      const ssize_t n = ::read(fd_, out->data() + filled, want);
      if (n < 0) {
        if (errno == EINTR) continue;
        out->clear();
        return Status::IoError(path_ + ": read failed: " + Errno());
      }
      if (n == 0) break;
      filled += static_cast<size_t>(n);
      plain_offset_ += static_cast<uint64_t>(n);
    }
  }
  out->resize(filled);
  return Status::Ok();
}

uint64_t ChunkSource::disk_offset() const {
  if (gz_ != nullptr) {
    const auto off = ::gzoffset(static_cast<gzFile>(gz_));
    return off < 0 ? 0 : static_cast<uint64_t>(off);
  }
  return plain_offset_;
}

}  // namespace vigil::ingest_internal

#include "chunk_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace vigil::ingest_internal {
namespace {

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string Errno() { return std::strerror(errno); }

// Compressed bytes read from disk at a time.
constexpr size_t kGzipInputBytes = size_t{256} << 10;
// First byte of every gzip member (RFC 1952).
constexpr unsigned char kGzipMagic0 = 0x1f;
constexpr unsigned char kGzipMagic1 = 0x8b;

}  // namespace

// zlib's inflate is driven directly rather than through gzread: gzread reports no bytes at all
// for a call that ends in a data error, although it has decompressed some into the buffer,
// and names the stream "<fd:N>" in its messages.
struct ChunkSource::Gzip {
  z_stream strm{};
  std::string in = std::string(kGzipInputBytes, '\0');
  bool initialized = false;
  bool input_done = false;  // the file on disk is read to its end
  bool in_member = false;   // inside a gzip member: its end has not been decoded yet
  bool done = false;        // the last member ended
  ~Gzip() {
    if (initialized) ::inflateEnd(&strm);
  }
};

ChunkSource::ChunkSource() = default;

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
    // Like gzread, a ".gz" file that does not start as gzip is read as it is.
    unsigned char magic[2] = {0, 0};
    const ssize_t n = ::pread(src->fd_, magic, sizeof magic, 0);
    if (n < 0) return Status::IoError(path + ": read failed: " + Errno());
    if (n == 2 && magic[0] == kGzipMagic0 && magic[1] == kGzipMagic1) {
      auto gz = std::make_unique<Gzip>();
      if (::inflateInit2(&gz->strm, 15 + 16) != Z_OK) {  // 16: gzip wrapper, checked
        return Status::IoError(path + ": cannot start gzip decompression");
      }
      gz->initialized = true;
      src->gz_ = std::move(gz);
    }
  }
  return src;
}

ChunkSource::~ChunkSource() {
  if (fd_ >= 0) ::close(fd_);
}

Status ChunkSource::Read(size_t max_bytes, std::string* out) {
  if (!error_.ok()) {
    out->clear();
    return error_;
  }
  if (gz_ != nullptr) return ReadGzip(max_bytes, out);
  out->resize(max_bytes);
  size_t filled = 0;
  // Fill the whole chunk when possible: short reads would only make more, smaller batches.
  while (filled < max_bytes) {
    const ssize_t n = ::read(fd_, out->data() + filled, max_bytes - filled);
    if (n < 0) {
      if (errno == EINTR) continue;
      out->clear();
      error_ = Status::IoError(path_ + ": read failed: " + Errno());
      return error_;
    }
    if (n == 0) break;
    filled += static_cast<size_t>(n);
    plain_offset_ += static_cast<uint64_t>(n);
  }
  out->resize(filled);
  return Status::Ok();
}

Result<bool> ChunkSource::LoadInput() {
  Gzip& gz = *gz_;
  while (true) {
    const ssize_t n = ::read(fd_, gz.in.data(), gz.in.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IoError(path_ + ": read failed: " + Errno());
    }
    plain_offset_ += static_cast<uint64_t>(n);
    gz.strm.next_in = reinterpret_cast<Bytef*>(gz.in.data());
    gz.strm.avail_in = static_cast<uInt>(n);
    gz.input_done = n == 0;
    return n > 0;
  }
}

Status ChunkSource::Damaged(const char* reason) const {
  const size_t slash = path_.find_last_of('/');
  const std::string name = slash == std::string::npos ? path_ : path_.substr(slash + 1);
  const std::string where = lines_ == 0 ? "within line 1" : "after line " + std::to_string(lines_);
  return Status::Corruption(name + ": damaged gzip data " + where + ": " +
                            (reason != nullptr ? reason : "unknown error"));
}

Status ChunkSource::ReadGzip(size_t max_bytes, std::string* out) {
  Gzip& gz = *gz_;
  z_stream& strm = gz.strm;
  const size_t want = std::min<size_t>(max_bytes, size_t{1} << 30);  // zlib counts in uInt
  out->resize(want);
  strm.next_out = reinterpret_cast<Bytef*>(out->data());
  strm.avail_out = static_cast<uInt>(want);
  const char* damage = nullptr;
  // Fill the whole chunk when possible: short reads would only make more, smaller batches.
  while (strm.avail_out > 0 && !gz.done) {
    if (strm.avail_in == 0 && !gz.input_done) {
      auto loaded = LoadInput();
      if (!loaded.ok()) {
        out->clear();
        error_ = loaded.status();
        return error_;
      }
      continue;
    }
    if (!gz.in_member) {
      // Between members: another one starts only with gzip's magic byte; anything else after
      // the last member (zero padding) is ignored, as gzip and gzread do.
      if (strm.avail_in == 0 || strm.next_in[0] != kGzipMagic0) {
        gz.done = true;
        break;
      }
      ::inflateReset(&strm);
      gz.in_member = true;
    }
    if (strm.avail_in == 0) {
      damage = "unexpected end of file";  // the file ends inside a member
      break;
    }
    const int ret = ::inflate(&strm, Z_NO_FLUSH);
    if (ret == Z_STREAM_END) {
      gz.in_member = false;
    } else if (ret != Z_OK && !(ret == Z_BUF_ERROR && strm.avail_in == 0)) {
      damage = strm.msg != nullptr ? strm.msg : ::zError(ret);
      break;
    }
  }
  const size_t filled = want - strm.avail_out;
  out->resize(filled);
  lines_ += static_cast<uint64_t>(std::count(out->begin(), out->end(), '\n'));
  if (damage != nullptr) {
    error_ = Damaged(damage);
    // What decompressed before the damage is good: hand it out now, the error next time.
    if (filled == 0) return error_;
  }
  return Status::Ok();
}

uint64_t ChunkSource::disk_offset() const {
  if (gz_ != nullptr) return plain_offset_ - gz_->strm.avail_in;
  return plain_offset_;
}

}  // namespace vigil::ingest_internal

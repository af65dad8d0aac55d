// The screener's audit journal (audit_journal.h has the format and the guarantees).
#include "audit_journal.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <thread>

namespace vigil::storage {
namespace {

namespace fs = std::filesystem;

// A length field beyond this is damage, not a record (a screening entry is ~110 bytes; a whole
// batch is many records, never one).
constexpr uint32_t kMaxRecordBytes = uint32_t{16} << 20;
constexpr uint64_t kOffsetMask = (uint64_t{1} << AuditJournal::kOffsetBits) - 1;
constexpr uint64_t kToEnd = ~uint64_t{0};
constexpr size_t kReadChunk = size_t{1} << 20;

uint32_t Checksum(const char* data, size_t n) {
  // Seeded with the length: a record whose length field was damaged fails its checksum.
  return static_cast<uint32_t>(XXH3_64bits_withSeed(data, n, n));
}
void PutFixed32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
uint32_t GetFixed32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

Status Errno(const std::string& what) {
  return Status::IoError(what + ": " + std::strerror(errno));
}

std::string SegmentName(uint32_t number) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%06u.seg", number);
  return buf;
}

// The segment numbers in `dir`, ascending; they must be consecutive.
Status ListSegments(const std::string& dir, std::vector<uint32_t>* numbers) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() != 10 || name.substr(6) != ".seg") continue;
    if (!std::all_of(name.begin(), name.begin() + 6, [](char c) { return c >= '0' && c <= '9'; })) {
      continue;
    }
    numbers->push_back(static_cast<uint32_t>(std::stoul(name.substr(0, 6))));
  }
  if (ec) return Status::IoError("cannot list audit journal " + dir + ": " + ec.message());
  std::sort(numbers->begin(), numbers->end());
  for (size_t i = 1; i < numbers->size(); ++i) {
    if ((*numbers)[i] != (*numbers)[i - 1] + 1) {
      return Status::Corruption("audit journal " + dir + " misses segment " +
                                SegmentName((*numbers)[i - 1] + 1));
    }
  }
  return Status::Ok();
}

// One pass over the records of a segment in [from, to) (to = kToEnd: to the end of the file).
struct SegmentPass {
  uint64_t valid_end = 0;  // offset after the last complete, intact record visited
  bool damaged = false;    // stopped at bytes that are no complete, intact record
  bool cut_short = false;  // ... because the bytes ran out (a header or a record cut short)
  bool stopped = false;    // the visitor asked to stop
  uint64_t records = 0;
  uint64_t bytes = 0;
};

Status ReadSegment(int fd, uint32_t number, uint64_t from, uint64_t to,
                   const AuditJournal::Visitor& visit, SegmentPass* pass) {
  pass->valid_end = from;
  std::vector<char> buf(kReadChunk);
  uint64_t buf_pos = from;  // file offset of buf[0]
  size_t len = 0;           // bytes of buf holding file data
  size_t at = 0;            // next record in buf
  bool eof = false;
  // Makes at least `need` bytes available at `at`, unless the file (or `to`) ends first.
  auto fill = [&](size_t need) -> Status {
    if (len - at >= need || eof) return Status::Ok();
    std::memmove(buf.data(), buf.data() + at, len - at);
    buf_pos += at;
    len -= at;
    at = 0;
    if (need > buf.size()) buf.resize(need);
    while (len < need && !eof) {
      size_t want = buf.size() - len;
      if (to != kToEnd) want = static_cast<size_t>(std::min<uint64_t>(want, to - (buf_pos + len)));
      if (want == 0) {
        eof = true;
        break;
      }
      const ssize_t n = ::pread(fd, buf.data() + len, want, static_cast<off_t>(buf_pos + len));
      if (n < 0) {
        if (errno == EINTR) continue;
        return Errno("cannot read audit journal segment " + SegmentName(number));
      }
      if (n == 0) eof = true;
      len += static_cast<size_t>(n);
    }
    return Status::Ok();
  };
  for (;;) {
    VIGIL_RETURN_IF_ERROR(fill(AuditJournal::kHeaderBytes));
    if (len - at == 0) return Status::Ok();
    if (len - at < AuditJournal::kHeaderBytes) {
      pass->damaged = true;
      pass->cut_short = true;
      return Status::Ok();
    }
    const uint32_t size = GetFixed32(buf.data() + at);
    if (size == 0 || size > kMaxRecordBytes) {
      pass->damaged = true;
      return Status::Ok();
    }
    const size_t record = AuditJournal::kHeaderBytes + size;
    VIGIL_RETURN_IF_ERROR(fill(record));
    if (len - at < record) {
      pass->damaged = true;
      pass->cut_short = true;
      return Status::Ok();
    }
    const char* entry = buf.data() + at + AuditJournal::kHeaderBytes;
    if (GetFixed32(buf.data() + at + 4) != Checksum(entry, size)) {
      pass->damaged = true;
      return Status::Ok();
    }
    const uint64_t offset = buf_pos + at;
    at += record;
    pass->valid_end = buf_pos + at;
    ++pass->records;
    pass->bytes += record;
    if (visit && !visit(AuditJournal::Position(number, offset), std::string_view(entry, size))) {
      pass->stopped = true;
      return Status::Ok();
    }
  }
}

// Whether the damage `pass` found at the end of the last segment (of `file_size` bytes) can be
// a torn write. A write stopped part way (SIGKILL inside pwritev) leaves a prefix of its bytes,
// so a tear is a header or a record cut short by the end of the file; a power loss without
// sync can also leave a tail of zero bytes (the size grew, the data never reached the disk).
// A complete record with a bad checksum, or a bad length with bytes after it, is damage: the
// records after it were acknowledged and must not be truncated away.
Status CheckTornTail(int fd, const std::string& path, const SegmentPass& pass, uint64_t file_size) {
  if (pass.cut_short) return Status::Ok();
  std::vector<char> buf(kReadChunk);
  for (uint64_t at = pass.valid_end; at < file_size;) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), file_size - at));
    const ssize_t n = ::pread(fd, buf.data(), want, static_cast<off_t>(at));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("cannot read " + path);
    }
    if (n == 0) break;
    if (!std::all_of(buf.data(), buf.data() + n, [](char c) { return c == 0; })) {
      return Status::Corruption("audit journal segment " + path + " is damaged at offset " +
                                std::to_string(pass.valid_end));
    }
    at += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

// Writes all of `pieces` at `offset` (pwritev; partial writes continue where they stopped).
Status WriteAll(int fd, std::span<const std::string_view> pieces, uint64_t offset) {
  std::vector<iovec> iov;
  iov.reserve(std::min<size_t>(pieces.size(), IOV_MAX));
  size_t next = 0;
  while (next < pieces.size()) {
    iov.clear();
    for (; next < pieces.size() && iov.size() < IOV_MAX; ++next) {
      if (pieces[next].empty()) continue;
      iov.push_back({const_cast<char*>(pieces[next].data()), pieces[next].size()});
    }
    size_t first = 0;
    while (first < iov.size()) {
      const ssize_t n = ::pwritev(fd, iov.data() + first, static_cast<int>(iov.size() - first),
                                  static_cast<off_t>(offset));
      if (n < 0) {
        if (errno == EINTR) continue;
        return Errno("cannot write the audit journal");
      }
      offset += static_cast<uint64_t>(n);
      auto left = static_cast<size_t>(n);
      while (first < iov.size() && left >= iov[first].iov_len) left -= iov[first++].iov_len;
      if (first < iov.size()) {
        iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
        iov[first].iov_len -= left;
      }
    }
  }
  return Status::Ok();
}

// The journals open in this process, by folder, with the flock that keeps other processes out.
// The lock belongs to the entry, not the journal object, so that a journal reopened while the
// previous object is being destroyed does not find its own process holding the lock.
struct Registered {
  std::weak_ptr<AuditJournal> journal;
  int lock_fd = -1;
};
std::mutex& RegistryMutex() {
  static std::mutex mu;
  return mu;
}
std::map<std::string, Registered>& Registry() {
  static std::map<std::string, Registered> registry;
  return registry;
}

}  // namespace

size_t AuditJournal::BeginRecord(std::string* out) {
  const size_t start = out->size();
  out->append(kHeaderBytes, '\0');
  return start;
}

void AuditJournal::EndRecord(std::string* out, size_t start) {
  const size_t size = out->size() - start - kHeaderBytes;
  char* header = out->data() + start;
  PutFixed32(header, static_cast<uint32_t>(size));
  PutFixed32(header + 4, Checksum(header + kHeaderBytes, size));
}

Result<std::shared_ptr<AuditJournal>> AuditJournal::OpenShared(const std::string& dir,
                                                               const Options& options) {
  if (options.segment_bytes == 0) {
    return Status::InvalidArgument("AuditJournal::Options.segment_bytes must be > 0");
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IoError("cannot create audit journal " + dir + ": " + ec.message());
  std::string key = fs::weakly_canonical(dir, ec).lexically_normal().string();
  if (ec) return Status::IoError("cannot resolve audit journal " + dir + ": " + ec.message());
  while (key.size() > 1 && key.back() == '/') key.pop_back();  // "a/b/" names "a/b"

  std::lock_guard registry_lock(RegistryMutex());
  Registered& entry = Registry()[key];
  if (auto alive = entry.journal.lock()) {
    // One journal, one durability: a second opener asking for another one must not believe it
    // got it (a sync opener would be acknowledged without the device flush it asked for).
    if (alive->options_.sync != options.sync) {
      return Status::FailedPrecondition("audit journal " + dir + " is open in this process with " +
                                        (alive->options_.sync ? "" : "no ") +
                                        "fdatasync per append; open it with the same setting");
    }
    return alive;
  }
  if (entry.lock_fd < 0) {
    const std::string lock_path = dir + "/LOCK";
    const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      Registry().erase(key);
      return Errno("cannot open " + lock_path);
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      ::close(fd);
      Registry().erase(key);
      if (err == EWOULDBLOCK) {
        return Status::FailedPrecondition("audit journal " + dir +
                                          " is in use by another process (one writer only)");
      }
      errno = err;
      return Errno("cannot lock " + lock_path);
    }
    entry.lock_fd = fd;
  }
  // Opened (and its tail recovered) before it is shared: a failed open is destroyed here,
  // without the deleter below, which takes the registry mutex this function holds.
  std::unique_ptr<AuditJournal> opened(new AuditJournal());
  opened->dir_ = dir;
  opened->options_ = options;
  if (Status s = opened->OpenSegments(); !s.ok()) {
    ::close(entry.lock_fd);
    Registry().erase(key);
    return s;
  }
  std::shared_ptr<AuditJournal> journal(opened.release(), [key](AuditJournal* j) {
    std::lock_guard lock(RegistryMutex());
    delete j;
    auto it = Registry().find(key);
    if (it != Registry().end() && it->second.journal.expired()) {
      ::close(it->second.lock_fd);
      Registry().erase(it);
    }
  });
  entry.journal = journal;
  return journal;
}

AuditJournal::~AuditJournal() {
  for (const int fd : segments_) ::close(fd);
}

Status AuditJournal::OpenSegments() {
  std::vector<uint32_t> numbers;
  VIGIL_RETURN_IF_ERROR(ListSegments(dir_, &numbers));
  if (numbers.empty()) return StartSegment(1);
  first_segment_ = numbers.front();
  for (const uint32_t n : numbers) {
    const std::string path = dir_ + "/" + SegmentName(n);
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return Errno("cannot open " + path);
    segments_.push_back(fd);
  }
  // Only the last segment can end in a torn write (segments before it were complete when the
  // next one was started); damage in the others is found by whoever scans them (Corruption).
  current_ = numbers.back();
  const int fd = segments_.back();
  SegmentPass pass;
  VIGIL_RETURN_IF_ERROR(ReadSegment(fd, current_, 0, kToEnd, nullptr, &pass));
  const std::string path = dir_ + "/" + SegmentName(current_);
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Errno("cannot stat " + path);
  if (pass.damaged) {
    VIGIL_RETURN_IF_ERROR(CheckTornTail(fd, path, pass, static_cast<uint64_t>(st.st_size)));
  }
  if (static_cast<uint64_t>(st.st_size) > pass.valid_end) {
    // A write that never returned (its caller got no decision) was torn: drop its cut-short
    // record, so that the next append follows the last intact one.
    if (::ftruncate(fd, static_cast<off_t>(pass.valid_end)) != 0) {
      return Errno("cannot truncate the torn tail of audit journal segment " +
                   SegmentName(current_));
    }
  }
  current_size_ = pass.valid_end;
  end_.store(Position(current_, current_size_), std::memory_order_release);
  return Status::Ok();
}

Status AuditJournal::StartSegment(uint32_t number) {
  const std::string path = dir_ + "/" + SegmentName(number);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot create " + path);
  if (options_.sync) {
    // The new file's name must survive a power loss too.
    const int dir_fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
      (void)::fsync(dir_fd);
      ::close(dir_fd);
    }
  }
  {
    std::unique_lock lock(segments_mu_);
    if (segments_.empty()) first_segment_ = number;
    segments_.push_back(fd);
  }
  current_ = number;
  current_size_ = 0;
  end_.store(Position(current_, 0), std::memory_order_release);
  return Status::Ok();
}

int AuditJournal::SegmentFd(uint32_t number) const {
  std::shared_lock lock(segments_mu_);
  if (number < first_segment_ || number - first_segment_ >= segments_.size()) return -1;
  return segments_[number - first_segment_];
}

uint64_t AuditJournal::begin() const {
  std::shared_lock lock(segments_mu_);
  return Position(first_segment_, 0);
}

Result<uint64_t> AuditJournal::AppendFramed(std::span<const std::string_view> pieces,
                                            std::atomic<uint64_t>* writer_appends) {
  uint64_t total = 0;
  for (const std::string_view p : pieces) total += p.size();
  std::lock_guard lock(write_mu_);
  if (!broken_.ok()) return broken_;
  if (total == 0) return Position(current_, current_size_);
  if (current_size_ > 0 && current_size_ + total > options_.segment_bytes) {
    VIGIL_RETURN_IF_ERROR(StartSegment(current_ + 1));
  }
  const int fd = segments_.back();  // only this writer changes segments_
  const std::string segment = dir_ + "/" + SegmentName(current_);
  Status s = WriteAll(fd, pieces, current_size_);
  if (!s.ok()) s = s.WithContext(segment);
  if (s.ok() && options_.sync && ::fdatasync(fd) != 0) s = Errno("cannot sync " + segment);
  if (!s.ok()) {
    // Nothing of a failed append may stay: the next append would follow its partial bytes.
    if (::ftruncate(fd, static_cast<off_t>(current_size_)) != 0) {
      broken_ = Errno("cannot take back a failed append to " + segment +
                      "; the journal takes no more appends until it is opened again");
      return broken_;
    }
    return s;
  }
  const uint64_t first = Position(current_, current_size_);
  current_size_ += total;
  end_.store(Position(current_, current_size_), std::memory_order_release);
  counts_seq_.fetch_add(1);  // odd: the pair below is changing
  if (writer_appends != nullptr) writer_appends->fetch_add(1);
  appends_.fetch_add(1);
  counts_seq_.fetch_add(1);
  return first;
}

uint64_t AuditJournal::ForeignAppends(const std::atomic<uint64_t>& writer_appends) const {
  for (;;) {
    const uint64_t before = counts_seq_.load();
    if ((before & 1) != 0) {
      std::this_thread::yield();
      continue;
    }
    const uint64_t all = appends_.load();
    const uint64_t own = writer_appends.load();
    if (counts_seq_.load() == before) return all - own;
  }
}

Result<uint64_t> AuditJournal::Append(std::string_view entry) {
  std::string record;
  record.reserve(kHeaderBytes + entry.size());
  const size_t start = BeginRecord(&record);
  record.append(entry);
  EndRecord(&record, start);
  const std::string_view piece = record;
  return AppendFramed(std::span<const std::string_view>(&piece, 1));
}

Result<std::string> AuditJournal::Read(uint64_t position) const {
  const auto number = static_cast<uint32_t>(position >> kOffsetBits);
  const uint64_t offset = position & kOffsetMask;
  const int fd = SegmentFd(number);
  if (fd < 0 || position >= end()) {
    return Status::NotFound("no audit journal record at " + std::to_string(position));
  }
  // One read for a usual entry (header and ~110 bytes), a second for a longer one.
  char head[512];
  ssize_t n = -1;
  do {
    n = ::pread(fd, head, sizeof head, static_cast<off_t>(offset));
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Errno("cannot read the audit journal");
  const auto got = static_cast<size_t>(n);
  if (got < kHeaderBytes) return Status::Corruption("audit journal record is cut short");
  const uint32_t size = GetFixed32(head);
  if (size == 0 || size > kMaxRecordBytes) {
    return Status::Corruption("audit journal record has a bad length");
  }
  std::string entry(size, '\0');
  const size_t inline_bytes = std::min<size_t>(size, got - kHeaderBytes);
  std::memcpy(entry.data(), head + kHeaderBytes, inline_bytes);
  size_t done = inline_bytes;
  while (done < size) {
    n = ::pread(fd, entry.data() + done, size - done,
                static_cast<off_t>(offset + kHeaderBytes + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("cannot read the audit journal");
    if (n == 0) return Status::Corruption("audit journal record is cut short");
    done += static_cast<size_t>(n);
  }
  if (GetFixed32(head + 4) != Checksum(entry.data(), size)) {
    return Status::Corruption("audit journal record at " + std::to_string(position) +
                              " fails its checksum");
  }
  return entry;
}

Status AuditJournal::Scan(uint64_t from, uint64_t to, const Visitor& visit) const {
  const auto first = static_cast<uint32_t>(from >> kOffsetBits);
  const auto last = static_cast<uint32_t>(to >> kOffsetBits);
  for (uint32_t number = std::max(first, static_cast<uint32_t>(begin() >> kOffsetBits));
       number <= last; ++number) {
    const int fd = SegmentFd(number);
    if (fd < 0) break;
    SegmentPass pass;
    const uint64_t start = number == first ? (from & kOffsetMask) : 0;
    const uint64_t stop = number == last ? (to & kOffsetMask) : kToEnd;
    VIGIL_RETURN_IF_ERROR(ReadSegment(fd, number, start, stop, visit, &pass));
    if (pass.stopped) return Status::Ok();
    if (pass.damaged) {
      return Status::Corruption("audit journal segment " + SegmentName(number) +
                                " is damaged at offset " + std::to_string(pass.valid_end));
    }
  }
  return Status::Ok();
}

Status AuditJournal::ScanFolder(const std::string& dir, const Visitor& visit, ScanReport* report) {
  ScanReport local;
  ScanReport& r = report != nullptr ? *report : local;
  r = ScanReport{};
  std::error_code ec;
  if (!fs::exists(dir, ec)) return Status::Ok();
  std::vector<uint32_t> numbers;
  VIGIL_RETURN_IF_ERROR(ListSegments(dir, &numbers));
  for (size_t i = 0; i < numbers.size(); ++i) {
    const std::string path = dir + "/" + SegmentName(numbers[i]);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Errno("cannot open " + path);
    SegmentPass pass;
    Status s = ReadSegment(fd, numbers[i], 0, kToEnd, visit, &pass);
    struct stat st {};
    if (s.ok() && !pass.stopped && pass.damaged) {
      if (i + 1 < numbers.size()) {
        s = Status::Corruption("audit journal segment " + path + " is damaged at offset " +
                               std::to_string(pass.valid_end));
      } else if (::fstat(fd, &st) != 0) {
        s = Errno("cannot stat " + path);
      } else {
        // The same rule as Open: only a cut-short tail is a torn write, anything else is damage.
        s = CheckTornTail(fd, path, pass, static_cast<uint64_t>(st.st_size));
      }
    }
    ::close(fd);
    VIGIL_RETURN_IF_ERROR(s);
    r.records += pass.records;
    r.bytes += pass.bytes;
    if (pass.stopped) return Status::Ok();
    if (pass.damaged) r.torn_tail_bytes = static_cast<uint64_t>(st.st_size) - pass.valid_end;
  }
  return Status::Ok();
}

}  // namespace vigil::storage

// An append-only journal of audit entries in plain files: where the screener writes its
// decisions (docs/screening.md, "The audit journal"). Internal to vigil (core/ and storage/).
//
// Why not the store's audit family: one screening entry is about 110 bytes, and RocksDB's write
// path (write batch, write-ahead log, memtable insert, later flush and compactions) costs about
// four times a plain write(2) of those bytes. The journal is that write(2) and nothing else.
//
// Layout: a folder of segment files named by number ("000001.seg", ...), each a run of records
//   u32 length (little endian, > 0) | u32 checksum (low 32 bits of XXH3-64 of the entry, seeded
//   with the length) | entry bytes
// A new segment is started when the next write would take the current one past
// Options::segment_bytes. A record's position is (segment number << 40) | offset in the segment:
// positions grow with every append, and one position reads one record back with one pread.
//
// Durability: an append returns after write(2) returned, so its records survive a kill -9 of the
// process (the kernel holds them); a power loss can lose them unless Options::sync is set (one
// fdatasync per append). Only a write that never returned can be torn (a SIGKILL can stop a large
// write part way, leaving a prefix of it): Open truncates the last segment only when its first
// bad record is cut short by the end of the file (or the rest of the file is zero bytes), which
// drops that record; complete records of such a write are kept. Any other bad record (a complete
// record failing its checksum, a bad length with bytes after it), in any segment, is Corruption
// naming the segment and offset, and the file is left as it is.
//
// One writer: Open takes an exclusive flock on the folder's LOCK file, so a second process gets
// FailedPrecondition; in one process, OpenShared hands every caller the same object.
//
// Thread-safety: thread-safe. Appends are serialised (one at a time, in the order they take the
// writer's mutex); reads (Read, Scan) run concurrently with appends and see every record of an
// append that returned before they started.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/status.h"

namespace vigil::storage {

class AuditJournal {
 public:
  struct Options {
    // Size at which a new segment file is started, in bytes. Default: 64 MiB.
    size_t segment_bytes = size_t{64} << 20;
    // fdatasync after every append: the records then survive a power loss too, at the cost of
    // one device flush per append (group commit shares it). Default: false (as the store's WAL).
    bool sync = false;
  };
  // What a read-only pass found (ScanFolder).
  struct ScanReport {
    uint64_t records = 0;
    uint64_t bytes = 0;
    // Bytes after the last complete record of the last segment: a write in progress, or one a
    // crash tore (the next Open for writing truncates them).
    uint64_t torn_tail_bytes = 0;
  };
  using Visitor = std::function<bool(uint64_t position, std::string_view entry)>;

  static constexpr size_t kHeaderBytes = 8;
  static constexpr int kOffsetBits = 40;

  // The journal of folder `dir` (created if missing), opened for appending, recovered (torn
  // tail truncated) and locked against other processes. Callers in one process that name the
  // same folder get the same object while one of them holds it (the first one's segment size
  // applies). Errors: FailedPrecondition when another process holds the folder, or when this
  // process holds it with the other `sync` setting; IoError, Corruption.
  static Result<std::shared_ptr<AuditJournal>> OpenShared(const std::string& dir,
                                                          const Options& options);
  // Visits every complete record of the journal in folder `dir` without locking or changing it
  // (a writer may be appending). A folder that does not exist holds no records.
  static Status ScanFolder(const std::string& dir, const Visitor& visit,
                           ScanReport* report = nullptr);

  ~AuditJournal();
  AuditJournal(const AuditJournal&) = delete;
  AuditJournal& operator=(const AuditJournal&) = delete;

  // Framing, for writers that build records in their own buffers: BeginRecord reserves the
  // header and returns where the record starts; EndRecord fills the header once the entry bytes
  // were appended after it.
  static size_t BeginRecord(std::string* out);
  static void EndRecord(std::string* out, size_t start);

  // Appends framed records (the concatenation of `pieces`, which must be whole records) in one
  // write (one pwritev; more only beyond IOV_MAX pieces). Returns the position of the first
  // record. On an error nothing of the call stays in the journal. `writer_appends`, when given,
  // is the caller's own count of appends, incremented with the journal's (see ForeignAppends).
  Result<uint64_t> AppendFramed(std::span<const std::string_view> pieces,
                                std::atomic<uint64_t>* writer_appends = nullptr);
  // Appends one entry (frames it first).
  Result<uint64_t> Append(std::string_view entry);

  // The entry at `position` (a position Append returned or a visitor was given).
  Result<std::string> Read(uint64_t position) const;
  // Visits the records at positions in [from, to), in order. `to` = end() for all so far.
  Status Scan(uint64_t from, uint64_t to, const Visitor& visit) const;

  // The position after the last record of the last append that returned.
  uint64_t end() const { return end_.load(std::memory_order_acquire); }
  // Appends that returned successfully since Open (any caller of this object).
  uint64_t appends() const { return appends_.load(std::memory_order_acquire); }
  // appends() minus `writer_appends` (a count AppendFramed increments), read as one consistent
  // pair: the appends of everyone but that writer. Equal values at two times mean no one else
  // appended in between, with no window while that writer's own append is finishing.
  uint64_t ForeignAppends(const std::atomic<uint64_t>& writer_appends) const;
  // The first position of the journal (where a full Scan starts).
  uint64_t begin() const;
  const std::string& dir() const { return dir_; }

  static uint64_t Position(uint32_t segment, uint64_t offset) {
    return (uint64_t{segment} << kOffsetBits) | offset;
  }

 private:
  AuditJournal() = default;
  Status OpenSegments();
  Status StartSegment(uint32_t number);
  int SegmentFd(uint32_t number) const;  // -1 when unknown; reads take segments_mu_ shared

  std::string dir_;
  Options options_;
  int lock_fd_ = -1;

  mutable std::shared_mutex segments_mu_;  // guards segments_ (appended to on rotation)
  uint32_t first_segment_ = 1;
  std::vector<int> segments_;  // fds of segments first_segment_, first_segment_ + 1, ...

  std::mutex write_mu_;  // one append at a time
  // Set when a failed append could not be taken back: bytes of it may follow current_size_, so
  // no later append may be written after them (the next Open cuts or reports them).
  Status broken_ = Status::Ok();
  uint32_t current_ = 1;
  uint64_t current_size_ = 0;
  std::atomic<uint64_t> end_{0};
  std::atomic<uint64_t> appends_{0};
  // Odd while an append updates appends_ and its writer's count (a sequence lock: readers of
  // the pair retry instead of waiting for write_mu_, which is held across the system call).
  std::atomic<uint64_t> counts_seq_{0};
};

}  // namespace vigil::storage

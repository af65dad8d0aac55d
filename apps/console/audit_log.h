// The console's append-only audit log, hash-chained so that editing or deleting a past entry is
// detectable (`vigil audit verify`).
//
// Every entry is one JSON object appended to the store's `audit` column family, which the console
// shares with the screening library (payment decisions). Console entries carry "log":"console"
// and their own counter "n" (1, 2, ...); their field "prev" holds the SHA-256 (hex) of the
// previous console entry's exact stored bytes (64 zeros for the first). So a console entry
// cannot be edited, removed, reordered or inserted without breaking the chain at that point;
// entries of other writers are skipped. The newest console entry is also recorded in meta
// "console.audit_head" ("<n> <hex>"), which catches a truncated tail. docs/api.md documents the
// entry fields.
//
// Thread-safety: thread-safe. Appends are serialised by an internal mutex so the chain has one
// order; Verify may run concurrently with appends (it reads a snapshot).
#pragma once

#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/status.h"

namespace vigil {
class Store;
}

namespace vigil::console {

// Hex SHA-256 of `bytes` (64 lower-case characters).
std::string Sha256Hex(std::string_view bytes);

// True when a stored audit entry is one of the console's (cheap test, no parsing).
bool IsConsoleEntry(std::string_view entry);

struct AuditVerifyReport {
  uint64_t entries = 0;        // console entries checked
  uint64_t other_entries = 0;  // entries of other writers (screening), not chained here
  std::string head_hash;       // hash of the last entry ("" when empty)
  // First problem found; empty when the chain is intact.
  std::string problem;
  bool ok() const { return problem.empty(); }
};

class AuditLog {
 public:
  // Binds to `store` (must outlive this). Reads the console entries once (one scan of the audit
  // column family; other writers' entries are skipped by a substring test without parsing).
  static Result<std::unique_ptr<AuditLog>> Open(Store& store);

  // Appends `fields` (an object; "log", "n", "prev" and "time" are set here, "time" as local
  // YYYY-MM-DDTHH:MM:SS) and returns the stored entry plus "seq", its store sequence number.
  Result<nlohmann::json> Append(nlohmann::json fields);

  // Every console entry so far, oldest first, each with "seq" added.
  std::vector<nlohmann::json> Entries() const;

  // Checks the whole chain as stored now.
  static Result<AuditVerifyReport> Verify(const Store& store);

 private:
  explicit AuditLog(Store& store) : store_(store) {}
  Store& store_;
  mutable std::mutex mu_;
  uint64_t last_n_ = 0;
  std::string last_hash_;
  std::vector<nlohmann::json> entries_;
};

inline constexpr std::string_view kAuditHeadMeta = "console.audit_head";

}  // namespace vigil::console

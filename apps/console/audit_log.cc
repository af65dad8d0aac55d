#include "audit_log.h"

#include <openssl/evp.h>

#include <array>
#include <chrono>
#include <cstdio>

#include "vigil/store.h"
#include "vigil/time.h"

namespace vigil::console {
namespace {

// The hash before the first entry: 64 hex zeros.
constexpr std::string_view kGenesis =
    "0000000000000000000000000000000000000000000000000000000000000000";

std::string NowLocalText() {
  // Timestamps in vigil hold naive local time (Asia/Shanghai, as the feeds): UTC+8, no DST.
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) +
                   std::chrono::hours(8);
  return FormatTimestamp(Timestamp(now.time_since_epoch()));
}

std::string HeadValue(uint64_t seq, const std::string& hash) {
  return std::to_string(seq) + " " + hash;
}

}  // namespace

std::string Sha256Hex(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(size_t{length} * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

bool IsConsoleEntry(std::string_view entry) {
  return entry.find(R"("log":"console")") != std::string_view::npos;
}

Result<std::unique_ptr<AuditLog>> AuditLog::Open(Store& store) {
  std::unique_ptr<AuditLog> log(new AuditLog(store));
  log->last_hash_ = kGenesis;
  Status bad = Status::Ok();
  VIGIL_RETURN_IF_ERROR(store.ScanAudit(1, [&](uint64_t seq, std::string_view entry) {
    if (!IsConsoleEntry(entry)) return true;
    auto j = nlohmann::json::parse(entry, nullptr, false);
    if (!j.is_object()) {
      bad = Status::Corruption("audit entry " + std::to_string(seq) + " is not JSON");
      return false;
    }
    log->last_n_ = j.value("n", uint64_t{0});
    log->last_hash_ = Sha256Hex(entry);
    j["seq"] = seq;
    log->entries_.push_back(std::move(j));
    return true;
  }));
  VIGIL_RETURN_IF_ERROR(bad);
  return log;
}

std::vector<nlohmann::json> AuditLog::Entries() const {
  std::lock_guard lock(mu_);
  return entries_;
}

Result<nlohmann::json> AuditLog::Append(nlohmann::json fields) {
  if (!fields.is_object()) return Status::InvalidArgument("audit entry must be an object");
  std::lock_guard lock(mu_);
  // Follow the recorded head when another AuditLog on the same store (a second server in one
  // process, as in tests) appended after us, so the chain never forks.
  if (auto head = store_.GetMeta(kAuditHeadMeta); head.ok()) {
    unsigned long long n = 0;
    char hash[65] = {};
    if (std::sscanf(head->c_str(), "%llu %64s", &n, hash) == 2 && n > last_n_) {
      last_n_ = n;
      last_hash_ = hash;
    }
  }
  fields.erase("seq");
  fields["log"] = "console";
  fields["n"] = last_n_ + 1;
  fields["prev"] = last_hash_;
  if (!fields.contains("time")) fields["time"] = NowLocalText();
  // nlohmann::json keeps object keys sorted and dump() has no whitespace, so the stored text is
  // canonical and contains the exact marker IsConsoleEntry looks for.
  const std::string text = fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  VIGIL_ASSIGN_OR_RETURN(uint64_t seq, store_.AppendAudit(text));
  last_n_ += 1;
  last_hash_ = Sha256Hex(text);
  VIGIL_RETURN_IF_ERROR(store_.PutMeta(kAuditHeadMeta, HeadValue(last_n_, last_hash_)));
  fields["seq"] = seq;
  entries_.push_back(fields);
  return fields;
}

Result<AuditVerifyReport> AuditLog::Verify(const Store& store) {
  AuditVerifyReport report;
  std::string prev(kGenesis);
  uint64_t expected = 1;
  auto snapshot = store.GetSnapshot();
  Status scan = store.ScanAudit(
      1,
      [&](uint64_t seq, std::string_view entry) {
        const std::string at = "audit entry " + std::to_string(seq);
        if (!IsConsoleEntry(entry)) {
          ++report.other_entries;
          return true;
        }
        nlohmann::json j = nlohmann::json::parse(entry, nullptr, false);
        if (j.is_discarded() || !j.is_object()) {
          report.problem = at + ": not a JSON object";
          return false;
        }
        if (!j.contains("prev") || !j["prev"].is_string() || j["prev"].get<std::string>() != prev) {
          report.problem = at +
                           ": its prev hash does not match the console entry before it (an "
                           "earlier entry was changed, removed or moved)";
          return false;
        }
        if (!j.contains("n") || !j["n"].is_number_unsigned() ||
            j["n"].get<uint64_t>() != expected) {
          report.problem = at + ": console entry number " +
                           (j.contains("n") ? j["n"].dump() : std::string("(none)")) +
                           ", expected " + std::to_string(expected);
          return false;
        }
        prev = Sha256Hex(entry);
        report.entries = expected;
        ++expected;
        return true;
      },
      snapshot.get());
  VIGIL_RETURN_IF_ERROR(scan);
  if (!report.ok()) return report;
  report.head_hash = report.entries == 0 ? "" : prev;
  auto head = store.GetMeta(kAuditHeadMeta, snapshot.get());
  if (head.ok()) {
    unsigned long long head_n = 0;
    char hash[65] = {};
    if (std::sscanf(head->c_str(), "%llu %64s", &head_n, hash) != 2) {
      report.problem = "meta console.audit_head is malformed";
    } else if (head_n > report.entries) {
      report.problem = "the console log ends at entry " + std::to_string(report.entries) +
                       " but its head says " + std::to_string(head_n) +
                       " (entries were removed from the end)";
    } else if (head_n == report.entries && std::string(hash) != prev) {
      report.problem = "the last console entry was changed (its hash differs from the head)";
    }
    // head_n < entries: a crash between appending and recording the head; the chain itself
    // still vouches for those entries.
  } else if (head.status().code() != StatusCode::kNotFound) {
    return head.status();
  } else if (report.entries > 0) {
    report.problem = "meta console.audit_head is missing";
  }
  return report;
}

}  // namespace vigil::console

// The review queue: every stored case, held in memory and ordered by expected loss, with the
// review state (decision, assignee) replayed from the audit log.
//
// Loaded once at start (and on refresh) from the store's `cases` column family (the format
// written by `vigil score`, core/case_output.cc) joined with the persons rows for name and
// district. A query is a linear filter over rows already in expected-loss order, which stays
// well under a millisecond per 100,000 cases, so no secondary indexes are needed.
//
// Expected loss = risk x monthly benefit x months at stake, where months at stake are the
// horizon (policy of the console: the next 12 months of payments, --horizon-months) plus the
// months already overpaid (overpaid / monthly benefit), i.e.
// risk x (monthly_benefit x horizon + overpaid). A person without a pension (monthly benefit 0)
// still ranks by risk x overpaid.
//
// Thread-safety: thread-safe. Queries take a shared lock; decisions, assignments and Reload take
// an exclusive one.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "vigil/codes.h"
#include "vigil/status.h"

namespace vigil {
class Store;
}

namespace vigil::console {

// Where a case stands in review. Stable text: stored in audit entries.
enum class CaseStatus : uint8_t { kOpen, kConfirmedFraud, kCleared, kNeedsActive, kRestored };
std::string_view CaseStatusName(CaseStatus status);
std::optional<CaseStatus> ParseCaseStatus(std::string_view text);

// A reviewer's decision and the status it leads to.
enum class Decision : uint8_t { kConfirmFraud, kClear, kNeedsActive, kRestore };
std::string_view DecisionName(Decision decision);
std::optional<Decision> ParseDecision(std::string_view text);
CaseStatus StatusAfter(Decision decision);

// The person key at the head of a case key (its first 8 bytes, big-endian); `case_key` holds
// at least 8 bytes.
uint64_t PersonKeyOfCaseKey(std::string_view case_key);

struct CaseRow {
  std::string key;  // the cases CF key: 8-byte big-endian person key + 2-byte region
  std::string ref;  // hex of `key`: the case's id in URLs for reviewers and supervisors
  // The case's id for auditors: KeyedRefs::CaseRef of `key` (20 hex digits). `ref` is an
  // unkeyed hash of the resident id, which an auditor could invert (see KeyedRefs).
  std::string auditor_ref;
  std::string person_id;
  std::string name;
  uint64_t person_key = 0;
  uint16_t region = 0;
  uint32_t district = 0;
  double risk = 0;
  double anomaly = 0;
  Action action = Action::kPay;
  Certification certification = Certification::kCertified;
  uint32_t patterns = 0;  // bit i = Pattern(i)
  int64_t overpaid_fen = 0;
  int64_t monthly_fen = 0;
  int64_t expected_loss_fen = 0;
  CaseStatus status = CaseStatus::kOpen;
  std::string assignee;
  std::string decided_by;
  std::string decided_at;
  std::string run;
};

struct CaseFilter {
  std::optional<Pattern> pattern;
  std::optional<uint16_t> region;
  std::optional<uint32_t> district;
  std::optional<Action> action;
  std::optional<CaseStatus> status;
  std::optional<Certification> certification;
  // Exact account name; "-" = unassigned; empty = any.
  std::string assignee;
  // Case-insensitive substring of the resident id or the name (UTF-8 bytes), or a case ref.
  std::string query;
  // When false the query does not match resident ids (auditors see them masked).
  bool query_ids = true;
  // When true a ref in the query is matched against `auditor_ref` instead of `ref` (auditors:
  // a real ref must not find its case). Default: false.
  bool query_auditor_refs = false;
};

// The case refs auditors get. A case's `ref` is the hex of its store key: XXH3-64 of the
// resident id, then the region. With the id's last four characters and the region (which
// auditors see), trying every district, birth date and sequence number finds the id from the
// ref in under a second. So auditors get instead the first 10 bytes of HMAC-SHA-256 of the
// case key under a secret (20 hex digits, the length of a ref), and a person key shown in
// place of a resident id as the first 8 bytes of HMAC-SHA-256 of it (another input prefix, so
// the two never coincide). The secret is 32 random bytes kept in meta `console.ref_secret`
// (hex), created on first use and never sent to a client, so an auditor's refs stay the same
// across requests and restarts.
//
// Thread-safety: immutable after construction; thread-safe.
class KeyedRefs {
 public:
  // The meta entry holding the secret (64 hex digits).
  static constexpr std::string_view kMeta = "console.ref_secret";
  // The secret (raw bytes) read from `store`, created at random and stored when absent.
  // Corruption when the stored value is not 64 hex digits; Internal when no random bytes.
  static Result<std::string> LoadOrCreateSecret(Store& store);
  // `secret`: raw bytes (any length; the server's is 32).
  explicit KeyedRefs(std::string secret) : secret_(std::move(secret)) {}

  // 20 hex digits for the 10-byte case key `case_key` (its raw bytes, not its hex).
  std::string CaseRef(std::string_view case_key) const;
  // 16 hex digits for a person key.
  std::string PersonRef(uint64_t person_key) const;

 private:
  std::string Mac(std::string_view prefix, std::string_view bytes, size_t keep) const;
  std::string secret_;
};

struct CaseIndexOptions {
  // Months of future payments at stake in the expected loss. Default: 12.
  int horizon_months = 12;
  // Secret of the rows' `auditor_ref` (KeyedRefs). Default: empty (a queue read without
  // auditors, e.g. in tests).
  std::string ref_secret;
};

class CaseIndex {
 public:
  explicit CaseIndex(CaseIndexOptions options = {}) : options_(std::move(options)) {}

  // Replaces the index with the cases now in `store` and their persons rows, then replays
  // `review_entries` (the console's audit entries, oldest first) for the review state.
  // Corruption when a stored case is not the documented JSON.
  Status Load(const Store& store, const std::vector<nlohmann::json>& review_entries);

  // Rows matching `filter` in queue order (expected loss, then risk, descending), as copies,
  // starting at `offset`, at most `limit`; `total` receives the number of matches.
  std::vector<CaseRow> Query(const CaseFilter& filter, size_t offset, size_t limit,
                             size_t* total) const;
  // Calls `visit` for every matching row in queue order under the shared lock (for
  // aggregates and export; `visit` must not call back into the index).
  void ForEach(const CaseFilter& filter, const std::function<void(const CaseRow&)>& visit) const;

  // A case by ref (20 hex digits) or resident id (its highest-ranked case).
  std::optional<CaseRow> Find(std::string_view id) const;
  // A case by ref only (for callers who may not look cases up by resident id).
  std::optional<CaseRow> FindRef(std::string_view ref) const;
  // A case by auditor ref only (auditors: their refs, never a real ref nor a resident id).
  std::optional<CaseRow> FindAuditorRef(std::string_view auditor_ref) const;

  // Applies one audit entry of type "decision" or "assign" (others are ignored). Used by Load
  // to replay history and by the server after appending a new entry. A decision holds for the
  // case of the run it was made on, and for a later run's case of the same person and region
  // while that case reports no pattern the decision did not see (the entry's "patterns"): a new
  // finding comes back OPEN, never hidden behind an earlier clearance. An entry without
  // "patterns" (written before they were recorded) holds for its own run's case only.
  void Apply(const nlohmann::json& entry);

  size_t size() const;
  std::string last_run() const;
  // The last run's data notes (what the data at hand turned off, docs/scoring.md): empty when
  // it had none or when the stored notes belong to another run.
  std::vector<std::string> last_run_notes() const;

 private:
  bool Matches(const CaseRow& row, const CaseFilter& filter, const std::string& query_upper) const;
  CaseIndexOptions options_;
  mutable std::shared_mutex mu_;
  std::vector<CaseRow> rows_;  // queue order
  std::unordered_map<std::string, size_t> by_ref_;
  std::unordered_map<std::string, size_t> by_auditor_ref_;
  std::unordered_map<std::string, size_t> by_person_;  // first (highest) row of a person
  std::string last_run_;
  std::vector<std::string> last_run_notes_;
};

// Hex of bytes and back (case refs).
std::string ToHex(std::string_view bytes);
std::optional<std::string> FromHex(std::string_view hex);

// Upper-cases ASCII letters (resident ids end in X; searches ignore case).
std::string AsciiUpper(std::string_view text);

}  // namespace vigil::console

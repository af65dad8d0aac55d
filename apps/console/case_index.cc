#include "case_index.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <mutex>

#include "accounts.h"
#include "vigil/money.h"
#include "vigil/store.h"

namespace vigil::console {
namespace {

constexpr std::array<std::string_view, 5> kStatusNames = {"OPEN", "CONFIRMED_FRAUD", "CLEARED",
                                                          "NEEDS_ACTIVE", "RESTORED"};
constexpr std::array<std::string_view, 4> kDecisionNames = {"CONFIRM_FRAUD", "CLEAR",
                                                            "NEEDS_ACTIVE", "RESTORE"};

int64_t FenOf(const nlohmann::json& j, const char* field) {
  if (!j.contains(field) || !j[field].is_string()) return 0;
  auto m = ParseMoney(j[field].get<std::string>());
  return m.ok() ? m->fen() : 0;
}

template <typename E>
std::optional<E> CodeOf(const nlohmann::json& j, const char* field) {
  if (!j.contains(field) || !j[field].is_string()) return std::nullopt;
  auto c = ParseCode<E>(j[field].get<std::string>());
  if (!c.ok()) return std::nullopt;
  return *c;
}

// The patterns named in the array `j[field]` as a mask (bit i = Pattern(i)); unknown names and
// values of another type are left out. nullopt when there is no such array.
std::optional<uint32_t> PatternMaskOf(const nlohmann::json& j, const char* field) {
  auto array = j.find(field);
  if (array == j.end() || !array->is_array()) return std::nullopt;
  uint32_t mask = 0;
  for (const auto& p : *array) {
    if (!p.is_string()) continue;
    auto code = ParseCode<Pattern>(p.get<std::string>());
    if (code.ok()) mask |= 1u << static_cast<unsigned>(*code);
  }
  return mask;
}

// Whether a decision entry speaks for `row`: made on the run of that case, or on a case whose
// patterns include every pattern of it.
bool DecisionCovers(const nlohmann::json& entry, const CaseRow& row) {
  if (entry.value("run", std::string()) == row.run) return true;
  const std::optional<uint32_t> decided = PatternMaskOf(entry, "patterns");
  return decided && (row.patterns & ~*decided) == 0;
}
}  // namespace

std::string_view CaseStatusName(CaseStatus status) {
  return kStatusNames[static_cast<size_t>(status)];
}

std::optional<CaseStatus> ParseCaseStatus(std::string_view text) {
  for (size_t i = 0; i < kStatusNames.size(); ++i) {
    if (kStatusNames[i] == text) return static_cast<CaseStatus>(i);
  }
  return std::nullopt;
}

std::string_view DecisionName(Decision decision) {
  return kDecisionNames[static_cast<size_t>(decision)];
}

std::optional<Decision> ParseDecision(std::string_view text) {
  for (size_t i = 0; i < kDecisionNames.size(); ++i) {
    if (kDecisionNames[i] == text) return static_cast<Decision>(i);
  }
  return std::nullopt;
}

CaseStatus StatusAfter(Decision decision) {
  switch (decision) {
    case Decision::kConfirmFraud:
      return CaseStatus::kConfirmedFraud;
    case Decision::kClear:
      return CaseStatus::kCleared;
    case Decision::kNeedsActive:
      return CaseStatus::kNeedsActive;
    case Decision::kRestore:
      return CaseStatus::kRestored;
  }
  return CaseStatus::kOpen;
}

std::string ToHex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::optional<std::string> FromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

std::string AsciiUpper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

uint64_t PersonKeyOfCaseKey(std::string_view case_key) {
  uint64_t person_key = 0;
  for (size_t i = 0; i < 8; ++i) {
    person_key = (person_key << 8) | static_cast<unsigned char>(case_key[i]);
  }
  return person_key;
}

Result<std::string> KeyedRefs::LoadOrCreateSecret(Store& store) {
  auto stored = store.GetMeta(kMeta);
  if (stored.ok()) {
    auto secret = FromHex(*stored);
    if (!secret || secret->size() != 32) {
      return Status::Corruption("meta " + std::string(kMeta) + " is not 64 hex digits");
    }
    return std::move(*secret);
  }
  if (stored.status().code() != StatusCode::kNotFound) return stored.status();
  const std::string hex = RandomToken(32);
  if (hex.size() != 64) return Status::Internal("no random bytes for the auditors' ref secret");
  VIGIL_RETURN_IF_ERROR(store.PutMeta(kMeta, hex));
  return *FromHex(hex);
}

std::string KeyedRefs::Mac(std::string_view prefix, std::string_view bytes, size_t keep) const {
  crypto_auth_hmacsha256_state state;
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac{};
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret_.data()),
                              secret_.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(prefix.data()),
                                prefix.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(bytes.data()),
                                bytes.size());
  crypto_auth_hmacsha256_final(&state, mac.data());
  return ToHex(std::string_view(reinterpret_cast<const char*>(mac.data()), keep));
}

std::string KeyedRefs::CaseRef(std::string_view case_key) const {
  return Mac("case\n", case_key, 10);
}

std::string KeyedRefs::PersonRef(uint64_t person_key) const {
  std::string bytes(8, '\0');
  for (int i = 7; i >= 0; --i, person_key >>= 8) {
    bytes[static_cast<size_t>(i)] = static_cast<char>(person_key & 0xff);
  }
  return Mac("person\n", bytes, 8);
}

Status CaseIndex::Load(const Store& store, const std::vector<nlohmann::json>& review_entries) {
  auto snapshot = store.GetSnapshot();
  const KeyedRefs keyed(options_.ref_secret);
  std::vector<CaseRow> rows;
  Status bad = Status::Ok();
  VIGIL_RETURN_IF_ERROR(store.ScanCases(
      [&](std::string_view key, std::string_view value) {
        if (key.size() != 10) return true;  // not a case row of the documented layout
        auto j = nlohmann::json::parse(value, nullptr, false);
        if (!j.is_object() || !j.contains("person_id") || !j["person_id"].is_string()) {
          bad = Status::Corruption("case " + ToHex(key) + " is not a case JSON object");
          return false;
        }
        CaseRow r;
        r.key = std::string(key);
        r.ref = ToHex(key);
        r.auditor_ref = keyed.CaseRef(key);
        r.person_id = j["person_id"].get<std::string>();
        r.person_key = PersonKeyOfCaseKey(key);
        r.region = static_cast<uint16_t>((static_cast<unsigned char>(key[8]) << 8) |
                                         static_cast<unsigned char>(key[9]));
        r.risk = j.value("risk", 0.0);
        r.anomaly = j.value("anomaly", 0.0);
        r.action = CodeOf<Action>(j, "action").value_or(Action::kPay);
        r.certification =
            CodeOf<Certification>(j, "certification").value_or(Certification::kCertified);
        r.patterns = PatternMaskOf(j, "patterns").value_or(0);
        r.overpaid_fen = FenOf(j, "overpaid");
        r.monthly_fen = FenOf(j, "monthly_benefit");
        r.run = j.value("run", "");
        rows.push_back(std::move(r));
        return true;
      },
      snapshot.get()));
  VIGIL_RETURN_IF_ERROR(bad);
  std::string last_run;
  if (auto run = store.GetMeta("last_score_run", snapshot.get()); run.ok()) last_run = *run;
  // Notes written by a run that did not finish (killed before "last_score_run") are not shown.
  std::vector<std::string> notes;
  if (auto stored = store.GetMeta("last_score_notes", snapshot.get()); stored.ok()) {
    auto j = nlohmann::json::parse(*stored, nullptr, false);
    // Stored by vigil score, but read defensively: a value of another shape shows no notes.
    if (j.is_object() && j.contains("run") && j["run"].is_string() &&
        j["run"].get<std::string>() == last_run && j.contains("notes") && j["notes"].is_array()) {
      for (const auto& note : j["notes"]) {
        if (note.is_string()) notes.push_back(note.get<std::string>());
      }
    }
  }
  for (CaseRow& r : rows) {
    auto person = store.GetPerson(r.person_id, r.region, snapshot.get());
    if (person.ok()) {
      r.name = person->name;
      r.district = person->district;
      if (r.monthly_fen == 0) r.monthly_fen = person->monthly_benefit.fen();
    }
    const double at_stake = static_cast<double>(r.monthly_fen) * options_.horizon_months +
                            static_cast<double>(std::max<int64_t>(0, r.overpaid_fen));
    r.expected_loss_fen = std::llround(r.risk * at_stake);
  }
  std::stable_sort(rows.begin(), rows.end(), [](const CaseRow& a, const CaseRow& b) {
    if (a.expected_loss_fen != b.expected_loss_fen)
      return a.expected_loss_fen > b.expected_loss_fen;
    if (a.risk != b.risk) return a.risk > b.risk;
    return a.key < b.key;
  });
  {
    std::unique_lock lock(mu_);
    rows_ = std::move(rows);
    by_ref_.clear();
    by_auditor_ref_.clear();
    by_person_.clear();
    for (size_t i = 0; i < rows_.size(); ++i) {
      by_ref_.emplace(rows_[i].ref, i);
      by_auditor_ref_.emplace(rows_[i].auditor_ref, i);
      by_person_.emplace(rows_[i].person_id, i);
    }
    last_run_ = last_run;
    last_run_notes_ = std::move(notes);
  }
  for (const nlohmann::json& entry : review_entries) Apply(entry);
  return Status::Ok();
}

void CaseIndex::Apply(const nlohmann::json& entry) {
  const std::string type = entry.value("type", "");
  if (type != "decision" && type != "assign") return;
  const std::string ref = entry.value("case", "");
  std::unique_lock lock(mu_);
  auto it = by_ref_.find(ref);
  if (it == by_ref_.end()) return;  // a case of an older run no longer flagged
  CaseRow& row = rows_[it->second];
  if (type == "assign") {
    row.assignee = entry.value("assignee", "");
    return;
  }
  auto decision = ParseDecision(entry.value("decision", ""));
  if (!decision) return;
  if (!DecisionCovers(entry, row)) return;
  row.status = StatusAfter(*decision);
  row.decided_by = entry.value("user", "");
  row.decided_at = entry.value("time", "");
}

bool CaseIndex::Matches(const CaseRow& r, const CaseFilter& f,
                        const std::string& query_upper) const {
  if (f.pattern && (r.patterns & (1u << static_cast<unsigned>(*f.pattern))) == 0) return false;
  if (f.region && r.region != *f.region) return false;
  if (f.district && r.district != *f.district) return false;
  if (f.action && r.action != *f.action) return false;
  if (f.status && r.status != *f.status) return false;
  if (f.certification && r.certification != *f.certification) return false;
  if (!f.assignee.empty()) {
    if (f.assignee == "-" ? !r.assignee.empty() : r.assignee != f.assignee) return false;
  }
  if (!f.query.empty()) {
    const bool by_name = r.name.find(f.query) != std::string::npos;
    const bool by_id = f.query_ids && r.person_id.find(query_upper) != std::string::npos;
    const bool by_ref = (f.query_auditor_refs ? r.auditor_ref : r.ref) == f.query;
    if (!by_name && !by_id && !by_ref) return false;
  }
  return true;
}

std::vector<CaseRow> CaseIndex::Query(const CaseFilter& filter, size_t offset, size_t limit,
                                      size_t* total) const {
  const std::string query_upper = AsciiUpper(filter.query);
  std::shared_lock lock(mu_);
  std::vector<CaseRow> out;
  size_t matched = 0;
  for (const CaseRow& r : rows_) {
    if (!Matches(r, filter, query_upper)) continue;
    if (matched >= offset && out.size() < limit) out.push_back(r);
    ++matched;
  }
  if (total != nullptr) *total = matched;
  return out;
}

void CaseIndex::ForEach(const CaseFilter& filter,
                        const std::function<void(const CaseRow&)>& visit) const {
  const std::string query_upper = AsciiUpper(filter.query);
  std::shared_lock lock(mu_);
  for (const CaseRow& r : rows_) {
    if (Matches(r, filter, query_upper)) visit(r);
  }
}

std::optional<CaseRow> CaseIndex::Find(std::string_view id) const {
  if (auto row = FindRef(id)) return row;
  std::shared_lock lock(mu_);
  if (auto it = by_person_.find(AsciiUpper(id)); it != by_person_.end()) {
    return rows_[it->second];
  }
  return std::nullopt;
}

std::optional<CaseRow> CaseIndex::FindRef(std::string_view ref) const {
  std::shared_lock lock(mu_);
  if (auto it = by_ref_.find(std::string(ref)); it != by_ref_.end()) return rows_[it->second];
  return std::nullopt;
}

std::optional<CaseRow> CaseIndex::FindAuditorRef(std::string_view auditor_ref) const {
  std::shared_lock lock(mu_);
  if (auto it = by_auditor_ref_.find(std::string(auditor_ref)); it != by_auditor_ref_.end()) {
    return rows_[it->second];
  }
  return std::nullopt;
}

size_t CaseIndex::size() const {
  std::shared_lock lock(mu_);
  return rows_.size();
}

std::string CaseIndex::last_run() const {
  std::shared_lock lock(mu_);
  return last_run_;
}

std::vector<std::string> CaseIndex::last_run_notes() const {
  std::shared_lock lock(mu_);
  return last_run_notes_;
}

}  // namespace vigil::console

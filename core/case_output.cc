#include "case_output.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "vigil/csv_field.h"
#include "vigil/store.h"

namespace vigil {
namespace {

std::string FormatEvidence(const std::vector<Evidence>& evidence, size_t max_items) {
  std::string out;
  for (size_t i = 0; i < evidence.size() && i < max_items; ++i) {
    if (i > 0) out += "; ";
    out += evidence[i].source;
    out += ' ';
    out += FormatDate(evidence[i].date);
    if (!evidence[i].note.empty()) {
      out += " (";
      out += evidence[i].note;
      out += ')';
    }
  }
  return out;
}

std::string JoinPatterns(const std::vector<Pattern>& patterns) {
  std::string out;
  for (size_t i = 0; i < patterns.size(); ++i) {
    if (i > 0) out += ';';
    out += CodeName(patterns[i]);
  }
  return out;
}

std::string FormatRisk(double risk) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.4f", risk);
  return buf;
}

// Opens OUT/name.tmp; Commit() renames it to OUT/name.
class AtomicFile {
 public:
  AtomicFile(const std::string& dir, const std::string& name)
      : final_(dir + "/" + name), temp_(final_ + ".tmp"), out_(temp_, std::ios::binary) {}
  bool ok() const { return static_cast<bool>(out_); }
  std::ofstream& stream() { return out_; }
  Status Commit() {
    out_.flush();
    if (!out_) return Status::IoError(final_ + ": write failed");
    out_.close();
    std::error_code ec;
    std::filesystem::rename(temp_, final_, ec);
    if (ec) return Status::IoError(final_ + ": rename failed: " + ec.message());
    return Status::Ok();
  }
  const std::string& path() const { return final_; }

 private:
  std::string final_;
  std::string temp_;
  std::ofstream out_;
};

std::string CaseKey(uint64_t person_key, uint16_t region) {
  std::string key(10, '\0');
  for (int i = 0; i < 8; ++i) key[i] = static_cast<char>(person_key >> (56 - 8 * i));
  key[8] = static_cast<char>(region >> 8);
  key[9] = static_cast<char>(region & 0xff);
  return key;
}

}  // namespace

Status WriteOutputs(const CaseWriterOptions& options,
                    const std::vector<PersonRecord>& registrations, size_t persons,
                    const std::function<std::span<const PersonRecord>(size_t)>& rows_of,
                    const std::vector<PersonOutcome>& outcomes, Store* store,
                    ScoreSummary* summary) {
  (void)registrations;
  AtomicFile cases_csv(options.out_dir, "cases.csv");
  AtomicFile cases_jsonl(options.out_dir, "cases.jsonl");
  AtomicFile certification_csv(options.out_dir, "certification.csv");
  for (AtomicFile* f : {&cases_csv, &cases_jsonl, &certification_csv}) {
    if (!f->ok()) return Status::IoError(f->path() + ".tmp: cannot open for writing");
  }
  cases_csv.stream()
      << "person_id,region,risk,action,certification,patterns,reasons,overpaid,evidence\n";
  certification_csv.stream()
      << "person_id,region,certification,evidence,score,reason,restore,months_owed\n";
  const std::string run_id =
      FormatDate(options.as_of) + "/" + options.policy_version + "/" + options.model_id;
  std::string line;
  for (size_t i = 0; i < persons; ++i) {
    const PersonOutcome& o = outcomes[i];
    const auto rows = rows_of(i);
    const CertificationResult& c = o.certification;
    const std::string evidence = FormatEvidence(c.evidence, 6);
    // One row per pension registration; a benefit claimant with no registration (unemployment
    // or another benefit paid without a pension) gets one row under the region that pays them:
    // their proof of life is due as much as a pensioner's, and a supervisor looking them up
    // should find it. A person with neither (only other agencies' rows) has no row.
    const auto write_row = [&](std::string_view person_id, uint16_t region) {
      switch (c.outcome) {
        case Certification::kCertified:
          ++summary->certified;
          break;
        case Certification::kNeedsActive:
          ++summary->needs_active;
          break;
        case Certification::kSuspend:
          ++summary->suspended;
          break;
      }
      line.clear();
      AppendCsvField(line, person_id);
      line += ',';
      line += std::to_string(region);
      line += ',';
      line += CodeName(c.outcome);
      line += ',';
      AppendCsvField(line, evidence);
      line += ',';
      line += FormatRisk(c.score);
      line += ',';
      AppendCsvField(line, c.reason);
      line += ',';
      line += c.restore ? '1' : '0';
      line += ',';
      line += std::to_string(c.months_owed);
      line += '\n';
      certification_csv.stream() << line;
    };
    for (const PersonRecord& r : rows) write_row(r.person_id, r.region);
    if (rows.empty() && o.primary_region != 0 && !o.person_id.empty()) {
      write_row(o.person_id, o.primary_region);
    }
    if (!o.flagged()) continue;
    ++summary->cases;
    for (Pattern p : o.patterns) ++summary->cases_per_pattern[static_cast<size_t>(p)];
    std::string reasons;
    for (size_t k = 0; k < o.reasons.size(); ++k) {
      if (k > 0) reasons += " | ";
      reasons += o.reasons[k];
    }
    std::vector<Evidence> case_evidence;
    for (const RuleHit& h : o.hits) {
      case_evidence.insert(case_evidence.end(), h.evidence.begin(), h.evidence.end());
    }
    case_evidence.insert(case_evidence.end(), c.evidence.begin(), c.evidence.end());
    const std::string case_evidence_text = FormatEvidence(case_evidence, 8);
    const std::string& person_id = o.person_id;
    line.clear();
    AppendCsvField(line, person_id);
    line += ',';
    line += std::to_string(o.case_region);
    line += ',';
    line += FormatRisk(o.risk);
    line += ',';
    line += CodeName(o.action);
    line += ',';
    line += CodeName(c.outcome);
    line += ',';
    line += JoinPatterns(o.patterns);
    line += ',';
    AppendCsvField(line, reasons);
    line += ',';
    line += FormatMoney(o.overpaid);
    line += ',';
    AppendCsvField(line, case_evidence_text);
    line += '\n';
    cases_csv.stream() << line;

    nlohmann::json j;
    j["v"] = 1;
    j["run"] = run_id;
    j["person_id"] = person_id;
    j["region"] = o.case_region;
    j["risk"] = o.risk;
    j["anomaly"] = o.anomaly;
    j["action"] = CodeName(o.action);
    j["certification"] = CodeName(c.outcome);
    j["patterns"] = nlohmann::json::array();
    for (Pattern p : o.patterns) j["patterns"].push_back(CodeName(p));
    j["reasons"] = o.reasons;
    j["overpaid"] = FormatMoney(o.overpaid);
    j["monthly_benefit"] = FormatMoney(o.monthly_benefit);
    j["hits"] = nlohmann::json::array();
    for (const RuleHit& h : o.hits) {
      j["hits"].push_back({{"pattern", CodeName(h.pattern)},
                           {"strength", h.strength},
                           {"clause", h.clause},
                           {"reason", h.reason},
                           {"overpaid", FormatMoney(h.overpaid)}});
    }
    j["evidence"] = nlohmann::json::array();
    for (const Evidence& e : case_evidence) {
      j["evidence"].push_back(
          {{"source", e.source}, {"date", FormatDate(e.date)}, {"note", e.note}});
    }
    const std::string json_line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    cases_jsonl.stream() << json_line << '\n';
    if (store != nullptr) {
      VIGIL_RETURN_IF_ERROR(
          store->PutCase(CaseKey(PersonKey(person_id), o.case_region), json_line));
    }
  }
  VIGIL_RETURN_IF_ERROR(cases_csv.Commit());
  VIGIL_RETURN_IF_ERROR(cases_jsonl.Commit());
  VIGIL_RETURN_IF_ERROR(certification_csv.Commit());
  if (store != nullptr) {
    VIGIL_RETURN_IF_ERROR(store->PutMeta("last_score_run", run_id));
  }
  return Status::Ok();
}

}  // namespace vigil

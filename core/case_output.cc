#include "case_output.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "certification_text.h"
#include "vigil/csv_field.h"
#include "vigil/durable_file.h"
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

std::string FormatRisk(double risk) { return FormatFixed(risk, 4); }

std::string CaseKey(uint64_t person_key, uint16_t region) {
  std::string key(10, '\0');
  for (int i = 0; i < 8; ++i) key[i] = static_cast<char>(person_key >> (56 - 8 * i));
  key[8] = static_cast<char>(region >> 8);
  key[9] = static_cast<char>(region & 0xff);
  return key;
}

std::string_view CertificationName(Certification c, CertificationCounts* counts) {
  switch (c) {
    case Certification::kCertified:
      ++counts->certified;
      break;
    case Certification::kNeedsActive:
      ++counts->needs_active;
      break;
    case Certification::kSuspend:
      ++counts->suspended;
      break;
  }
  return CodeName(c);
}

// One case's cases.csv line and cases.jsonl line (each ending in '\n'); the JSON without its
// newline is what the store keeps.
void FormatCase(const std::string& run_id, const PersonOutcome& o, std::string* csv,
                std::string* jsonl) {
  const CertificationResult& c = o.certification;
  std::string reasons;
  for (size_t k = 0; k < o.reasons.size(); ++k) {
    if (k > 0) reasons += " | ";
    reasons += o.reasons[k];
  }
  // A rule and the certification often cite the same record (the cremation, the death in
  // hospital): a supervisor should read it once.
  std::vector<Evidence> case_evidence;
  const auto add_evidence = [&case_evidence](const std::vector<Evidence>& items) {
    for (const Evidence& e : items) {
      const bool seen =
          std::any_of(case_evidence.begin(), case_evidence.end(), [&e](const Evidence& known) {
            return known.date == e.date && known.source == e.source && known.note == e.note;
          });
      if (!seen) case_evidence.push_back(e);
    }
  };
  for (const RuleHit& h : o.hits) add_evidence(h.evidence);
  add_evidence(c.evidence);
  const std::string case_evidence_text = FormatEvidence(case_evidence, 8);
  const std::string& person_id = o.person_id;
  AppendCsvField(*csv, person_id);
  *csv += ',';
  *csv += std::to_string(o.case_region);
  *csv += ',';
  *csv += FormatRisk(o.risk);
  *csv += ',';
  *csv += CodeName(o.action);
  *csv += ',';
  *csv += CodeName(c.outcome);
  *csv += ',';
  *csv += JoinPatterns(o.patterns);
  *csv += ',';
  AppendCsvField(*csv, reasons);
  *csv += ',';
  *csv += FormatMoney(o.overpaid);
  *csv += ',';
  AppendCsvField(*csv, case_evidence_text);
  *csv += '\n';

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
    j["evidence"].push_back({{"source", e.source}, {"date", FormatDate(e.date)}, {"note", e.note}});
  }
  *jsonl += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  *jsonl += '\n';
}

// The run id every case and the manifest carry: as-of date, policy version, model id.
std::string RunIdOf(const CaseWriterOptions& options) {
  return FormatDate(options.as_of) + "/" + options.policy_version + "/" + options.model_id;
}

// A stream's failed write: the system's reason (a full disk) when it left one.
Status WriteFailed(const std::string& path) {
  const int error = errno;
  return Status::IoError(path + ": write failed" +
                         (error != 0 ? ": " + std::string(std::strerror(error)) : std::string()));
}

// Cases formatted per chunk in parallel, then written in order: big enough that a chunk's
// formatting outweighs scheduling it, small enough that 2-16 threads share the work.
constexpr size_t kCasesPerChunk = 512;

}  // namespace

void AppendCertificationRows(std::span<const PersonRecord> rows, const PersonOutcome& outcome,
                             std::string* out, CertificationCounts* counts) {
  const CertificationResult& c = outcome.certification;
  if (rows.empty() && (outcome.primary_region == 0 || outcome.person_id.empty())) return;
  const std::string evidence = FormatEvidence(c.evidence, 6);
  const auto write_row = [&](std::string_view person_id, uint16_t region) {
    // A suspended registration's row is its own decision (restored or asked); the others carry
    // the person's outcome, with no restore.
    const CertificationResult::SuspendedRegistration* suspended = nullptr;
    for (const auto& s : c.suspended_registrations) {
      if (s.region == region) suspended = &s;
    }
    const Certification row_outcome = suspended == nullptr ? c.outcome
                                      : suspended->restore ? Certification::kCertified
                                                           : Certification::kNeedsActive;
    AppendCsvField(*out, person_id);
    *out += ',';
    *out += std::to_string(region);
    *out += ',';
    *out += CertificationName(row_outcome, counts);
    *out += ',';
    AppendCsvField(*out, evidence);
    *out += ',';
    *out += FormatRisk(c.score);
    *out += ',';
    AppendCsvField(*out, suspended == nullptr ? c.reason : suspended->reason);
    *out += ',';
    *out += suspended != nullptr && suspended->restore ? '1' : '0';
    *out += ',';
    *out += std::to_string(suspended == nullptr ? 0 : suspended->months_owed);
    *out += '\n';
  };
  for (const PersonRecord& r : rows) write_row(r.person_id, r.region);
  if (rows.empty()) write_row(outcome.person_id, outcome.primary_region);
}

Result<std::unique_ptr<OutputWriter>> OutputWriter::Open(const std::string& out_dir) {
  std::unique_ptr<OutputWriter> writer(new OutputWriter());
  VIGIL_RETURN_IF_ERROR(writer->OpenFile(&writer->cases_csv_, out_dir, "cases.csv"));
  VIGIL_RETURN_IF_ERROR(writer->OpenFile(&writer->cases_jsonl_, out_dir, "cases.jsonl"));
  VIGIL_RETURN_IF_ERROR(
      writer->OpenFile(&writer->certification_csv_, out_dir, "certification.csv"));
  writer->cases_csv_.out
      << "person_id,region,risk,action,certification,patterns,reasons,overpaid,evidence\n";
  writer->certification_csv_.out
      << "person_id,region,certification,evidence,score,reason,restore,months_owed\n";
  return writer;
}

OutputWriter::~OutputWriter() {
  for (File* f : {&cases_csv_, &cases_jsonl_, &certification_csv_}) {
    if (f->committed || f->temp_path.empty()) continue;
    f->out.close();
    std::error_code ec;
    std::filesystem::remove(f->temp_path, ec);  // best effort: the run failed already
  }
}

Status OutputWriter::OpenFile(File* file, const std::string& dir, const std::string& name) {
  file->final_path = dir + "/" + name;
  file->temp_path = file->final_path + ".tmp";
  file->out.open(file->temp_path, std::ios::binary | std::ios::trunc);
  if (!file->out) return Status::IoError(file->temp_path + ": cannot open for writing");
  return Status::Ok();
}

Status OutputWriter::Rename(File* file) {
  file->out.flush();
  if (!file->out) return WriteFailed(file->temp_path);
  file->out.close();
  VIGIL_RETURN_IF_ERROR(SyncAndRename(file->temp_path, file->final_path));
  file->committed = true;
  return Status::Ok();
}

Status OutputWriter::AppendCertification(std::string_view text) {
  certification_csv_.out.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!certification_csv_.out) return WriteFailed(certification_csv_.temp_path);
  return Status::Ok();
}

Status OutputWriter::WriteCases(const CaseWriterOptions& options,
                                std::span<const PersonOutcome* const> flagged,
                                ScoreSummary* summary) {
  const std::string run_id = RunIdOf(options);
  struct Chunk {
    std::string csv;
    std::string jsonl;
    std::vector<size_t> json_ends;  // end of each case's line in jsonl (after its newline)
  };
  auto start = std::chrono::steady_clock::now();
  auto stage_done = [&](const char* stage) {
    const auto now = std::chrono::steady_clock::now();
    summary->stages.push_back({stage, std::chrono::duration<double>(now - start).count()});
    start = now;
  };
  const size_t chunks = (flagged.size() + kCasesPerChunk - 1) / kCasesPerChunk;
  std::vector<Chunk> formatted(chunks);
  tbb::parallel_for(size_t{0}, chunks, [&](size_t k) {
    Chunk& chunk = formatted[k];
    const size_t end = std::min(flagged.size(), (k + 1) * kCasesPerChunk);
    for (size_t i = k * kCasesPerChunk; i < end; ++i) {
      FormatCase(run_id, *flagged[i], &chunk.csv, &chunk.jsonl);
      chunk.json_ends.push_back(chunk.jsonl.size());
    }
  });
  stage_done("write outputs: format cases");
  for (const PersonOutcome* o : flagged) {
    ++summary->cases;
    for (Pattern p : o->patterns) ++summary->cases_per_pattern[static_cast<size_t>(p)];
  }
  for (const Chunk& chunk : formatted) {
    cases_csv_.out << chunk.csv;
    cases_jsonl_.out << chunk.jsonl;
  }
  stage_done("write outputs: case files");
  stored_cases_.clear();
  stored_cases_.reserve(flagged.size());
  case_lines_.clear();
  case_lines_.reserve(chunks);
  for (size_t k = 0; k < chunks; ++k) {
    Chunk& chunk = formatted[k];
    size_t begin = 0;
    for (size_t n = 0; n < chunk.json_ends.size(); ++n) {
      const PersonOutcome& o = *flagged[k * kCasesPerChunk + n];
      stored_cases_.push_back(
          {CaseKey(PersonKey(o.person_id), o.case_region), k, begin, chunk.json_ends[n] - 1});
      begin = chunk.json_ends[n];
    }
    case_lines_.push_back(std::move(chunk.jsonl));
  }
  if (!cases_csv_.out) return WriteFailed(cases_csv_.temp_path);
  if (!cases_jsonl_.out) return WriteFailed(cases_jsonl_.temp_path);
  return Status::Ok();
}

Status OutputWriter::Commit(const CaseWriterOptions& options, Store* store) {
  const std::string run_id = RunIdOf(options);
  // The three renames are not one atomic step: the manifest goes first and comes back last, so
  // a folder with a manifest holds the files it names, all of one run.
  const std::string dir = DirectoryOf(certification_csv_.final_path);
  const std::string manifest_path = dir + "/" + std::string(kRunManifestName);
  std::error_code ec;
  if (std::filesystem::remove(manifest_path, ec)) {
    VIGIL_RETURN_IF_ERROR(SyncDirectory(dir));
  } else if (ec) {
    return Status::IoError(manifest_path + ": cannot remove: " + ec.message());
  }
  VIGIL_RETURN_IF_ERROR(Rename(&cases_csv_));
  VIGIL_RETURN_IF_ERROR(Rename(&cases_jsonl_));
  VIGIL_RETURN_IF_ERROR(Rename(&certification_csv_));
  nlohmann::json manifest = {{"run", run_id},
                             {"as_of", FormatDate(options.as_of)},
                             {"policy", options.policy_version},
                             {"model", options.model_id},
                             {"notes", options.data_notes},
                             {"files", nlohmann::json::object()}};
  for (const File* f : {&cases_csv_, &cases_jsonl_, &certification_csv_}) {
    const uintmax_t bytes = std::filesystem::file_size(f->final_path, ec);
    if (ec) return Status::IoError(f->final_path + ": cannot read its size: " + ec.message());
    manifest["files"][std::filesystem::path(f->final_path).filename().string()] = {
        {"bytes", bytes}};
  }
  // The renames reach the disk before the manifest that vouches for them.
  VIGIL_RETURN_IF_ERROR(SyncDirectory(dir));
  {
    const std::string temp = manifest_path + ".tmp";
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << manifest.dump(2) << '\n';
    out.close();
    Status written = out ? SyncAndRename(temp, manifest_path) : WriteFailed(temp);
    if (!written.ok()) {
      std::filesystem::remove(temp, ec);  // best effort: the run failed already
      return written;
    }
  }
  // The store names this run only once its files have their names for good.
  VIGIL_RETURN_IF_ERROR(SyncDirectory(dir));
  if (store != nullptr) {
    const std::string notes = nlohmann::json{{"run", run_id}, {"notes", options.data_notes}}.dump();
    std::vector<Store::KeyValue> cases;
    cases.reserve(stored_cases_.size());
    for (const StoredCase& c : stored_cases_) {
      const std::string& lines = case_lines_[c.chunk];
      cases.push_back({c.key, std::string_view(lines).substr(c.begin, c.end - c.begin)});
    }
    const Store::KeyValue meta[] = {{"last_score_notes", notes}, {"last_score_run", run_id}};
    VIGIL_RETURN_IF_ERROR(store->ReplaceCases(cases, meta));
  }
  return Status::Ok();
}

}  // namespace vigil

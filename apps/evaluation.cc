#include "evaluation.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "vigil/csv.h"

namespace vigil::cli {
namespace {

using PatternSet = uint32_t;  // bit i = Pattern(i)

// Opens a CSV and resolves the named columns; InvalidArgument naming the file and column when
// one is missing.
Result<std::unique_ptr<CsvReader>> OpenWithColumns(const std::string& path,
                                                   const std::vector<std::string_view>& names,
                                                   std::vector<size_t>* indexes) {
  auto reader = CsvReader::Open(path);
  if (!reader.ok()) return reader.status();  // the reader's message names the file
  const auto& header = (*reader)->header();
  indexes->clear();
  for (std::string_view name : names) {
    size_t found = header.size();
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i] == name) found = i;
    }
    if (found == header.size()) {
      return Status::InvalidArgument(path + ": missing required column '" + std::string(name) +
                                     "'");
    }
    indexes->push_back(found);
  }
  return std::move(*reader);
}

Status RowError(const CsvRow& row, std::string_view column, const Status& why) {
  return Status::InvalidArgument(std::string(row.file) + " line " + std::to_string(row.line) +
                                 " column " + std::string(column) + ": " + why.message());
}

Result<PatternSet> ParsePatterns(std::string_view text) {
  PatternSet set = 0;
  while (!text.empty()) {
    const size_t semi = text.find(';');
    const std::string_view code = text.substr(0, semi);
    if (!code.empty()) {
      auto pattern = ParseCode<Pattern>(code);
      if (!pattern.ok()) return pattern.status();
      set |= PatternSet{1} << static_cast<unsigned>(*pattern);
    }
    if (semi == std::string_view::npos) break;
    text.remove_prefix(semi + 1);
  }
  return set;
}

std::string RowKey(std::string_view person_id, std::string_view region) {
  std::string key(person_id);
  key += '|';
  key += region;
  return key;
}

// `name` in `dir`, or its gzipped form when only that exists (a feed may be gzipped, and
// `vigil generate --gzip` gzips the truth too).
std::string PlainOrGzipped(const std::string& dir, const std::string& name) {
  std::string plain = dir + "/" + name;
  std::error_code ec;
  if (!std::filesystem::exists(plain, ec) && std::filesystem::exists(plain + ".gz", ec)) {
    return plain + ".gz";
  }
  return plain;
}

}  // namespace

Result<EvaluationReport> Evaluate(const std::string& truth_dir, const std::string& cases_dir) {
  EvaluationReport report;
  std::unordered_map<std::string, PatternSet> truth_patterns;  // by person id
  std::unordered_map<std::string, bool> alive_by_row;          // by person id|region
  std::unordered_set<std::string> pensioner_rows;              // by person id|region, with role
  std::vector<size_t> col;
  CsvRow row;

  {
    VIGIL_ASSIGN_OR_RETURN(auto reader,
                           OpenWithColumns(PlainOrGzipped(truth_dir, "persons.csv"),
                                           {"person_id", "region", "alive", "patterns"}, &col));
    // `role` is not part of the contract's truth columns: read it when a generator writes it,
    // to tell pensioners from benefit claimants among the rows without a certification row.
    const auto& header = reader->header();
    const auto role_it = std::find(header.begin(), header.end(), "role");
    const bool has_role = role_it != header.end();
    const auto role_col = static_cast<size_t>(role_it - header.begin());
    report.certification.truth_has_role = has_role;
    while (true) {
      VIGIL_ASSIGN_OR_RETURN(bool more, reader->Next(&row));
      if (!more) break;
      if (row.problem != CsvProblem::kNone || row.fields.size() != reader->header().size()) {
        return RowError(row, "*", Status::InvalidArgument("malformed row"));
      }
      if (has_role && row.fields[role_col] == "PENSIONER") {
        pensioner_rows.insert(RowKey(row.fields[col[0]], row.fields[col[1]]));
      }
      auto patterns = ParsePatterns(row.fields[col[3]]);
      if (!patterns.ok()) return RowError(row, "patterns", patterns.status());
      const std::string_view alive = row.fields[col[2]];
      if (alive != "0" && alive != "1") {
        return RowError(row, "alive", Status::InvalidArgument("expected 0 or 1"));
      }
      truth_patterns[std::string(row.fields[col[0]])] |= *patterns;
      alive_by_row[RowKey(row.fields[col[0]], row.fields[col[1]])] = alive == "1";
    }
  }
  report.truth_persons = truth_patterns.size();

  std::unordered_map<std::string, PatternSet> case_patterns;
  {
    VIGIL_ASSIGN_OR_RETURN(
        auto reader, OpenWithColumns(cases_dir + "/cases.csv", {"person_id", "patterns"}, &col));
    while (true) {
      VIGIL_ASSIGN_OR_RETURN(bool more, reader->Next(&row));
      if (!more) break;
      if (row.problem != CsvProblem::kNone || row.fields.size() != reader->header().size()) {
        return RowError(row, "*", Status::InvalidArgument("malformed row"));
      }
      auto patterns = ParsePatterns(row.fields[col[1]]);
      if (!patterns.ok()) return RowError(row, "patterns", patterns.status());
      case_patterns[std::string(row.fields[col[0]])] |= *patterns;
      ++report.case_rows;
    }
  }

  for (size_t p = 0; p < CodeCount<Pattern>(); ++p) {
    const PatternSet bit = PatternSet{1} << p;
    PatternScore& score = report.patterns[p];
    for (const auto& [id, set] : truth_patterns) {
      if ((set & bit) == 0) continue;
      ++score.truth;
      auto it = case_patterns.find(id);
      if (it != case_patterns.end() && (it->second & bit) != 0) ++score.true_positive;
    }
    for (const auto& [id, set] : case_patterns) score.flagged += (set & bit) != 0 ? 1 : 0;
  }
  for (const auto& [id, set] : truth_patterns) report.any.truth += set != 0 ? 1 : 0;
  for (const auto& [id, set] : case_patterns) {
    if (set == 0) continue;
    ++report.any.flagged;
    auto it = truth_patterns.find(id);
    if (it != truth_patterns.end() && it->second != 0) ++report.any.true_positive;
  }

  {
    VIGIL_ASSIGN_OR_RETURN(auto reader,
                           OpenWithColumns(cases_dir + "/certification.csv",
                                           {"person_id", "region", "certification"}, &col));
    std::unordered_set<std::string> seen;
    CertificationRates& rates = report.certification;
    while (true) {
      VIGIL_ASSIGN_OR_RETURN(bool more, reader->Next(&row));
      if (!more) break;
      if (row.problem != CsvProblem::kNone || row.fields.size() != reader->header().size()) {
        return RowError(row, "*", Status::InvalidArgument("malformed row"));
      }
      auto outcome = ParseCode<Certification>(row.fields[col[2]]);
      if (!outcome.ok()) return RowError(row, "certification", outcome.status());
      std::string key = RowKey(row.fields[col[0]], row.fields[col[1]]);
      auto it = alive_by_row.find(key);
      if (it == alive_by_row.end() || !seen.insert(std::move(key)).second) continue;
      if (it->second) {
        ++rates.living;
        rates.living_certified += *outcome == Certification::kCertified ? 1 : 0;
        rates.living_needs_active += *outcome == Certification::kNeedsActive ? 1 : 0;
      } else {
        ++rates.dead;
        rates.dead_certified += *outcome == Certification::kCertified ? 1 : 0;
        rates.dead_suspended += *outcome == Certification::kSuspend ? 1 : 0;
      }
    }
    for (const auto& [key, alive] : alive_by_row) {
      if (seen.contains(key)) continue;
      ++rates.missing;
      rates.missing_living += alive ? 1 : 0;
      rates.missing_pensioners += pensioner_rows.contains(key) ? 1 : 0;
    }
  }
  return report;
}

std::string FormatReport(const EvaluationReport& report) {
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "%-26s %8s %8s %8s %9s %7s\n", "pattern", "truth", "flagged",
                "correct", "precision", "recall");
  out += line;
  auto row = [&](std::string_view name, const PatternScore& s) {
    std::snprintf(line, sizeof line, "%-26.*s %8llu %8llu %8llu %9.3f %7.3f\n",
                  static_cast<int>(name.size()), name.data(),
                  static_cast<unsigned long long>(s.truth),
                  static_cast<unsigned long long>(s.flagged),
                  static_cast<unsigned long long>(s.true_positive), s.precision(), s.recall());
    out += line;
  };
  for (Pattern p : AllCodes<Pattern>()) row(CodeName(p), report.patterns[static_cast<size_t>(p)]);
  row("(any pattern)", report.any);
  const CertificationRates& c = report.certification;
  std::snprintf(
      line, sizeof line,
      "certification: living certified %.2f%% (%llu of %llu), needs active %llu; "
      "dead certified %.2f%% (%llu of %llu), suspended %llu\n",
      100.0 * c.living_certified_share(), static_cast<unsigned long long>(c.living_certified),
      static_cast<unsigned long long>(c.living),
      static_cast<unsigned long long>(c.living_needs_active), 100.0 * c.dead_certified_share(),
      static_cast<unsigned long long>(c.dead_certified), static_cast<unsigned long long>(c.dead),
      static_cast<unsigned long long>(c.dead_suspended));
  out += line;
  if (c.missing > 0) {
    // One certification row per pension registration (data contract): truth rows for people
    // paid no pension have none and are not in the rates above. Pensioners without a row are
    // a fault of the output, counted apart.
    std::snprintf(
        line, sizeof line,
        "truth rows without a certification row: %llu (%llu living); %s; "
        "counting them as not certified: living certified %.2f%%\n",
        static_cast<unsigned long long>(c.missing),
        static_cast<unsigned long long>(c.missing_living),
        c.truth_has_role
            ? (std::to_string(c.missing_pensioners) + " of them pensioners by role").c_str()
            : "no role column to tell pensioners from benefit claimants",
        100.0 * c.living_certified_share_strict());
    out += line;
  }
  return out;
}

}  // namespace vigil::cli

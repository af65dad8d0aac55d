// Helpers for the ingest tests: temporary folders, files (plain and gzip), valid resident ids
// and valid rows of every feed.
#pragma once

#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "vigil/ingest.h"
#include "vigil/resident_id.h"

namespace vigil::testing {

// A fresh folder under the system temporary directory, removed on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "vigil-ingest-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline void WriteFile(const std::string& path, const std::string& content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

inline void WriteGzip(const std::string& path, const std::string& content) {
  gzFile gz = gzopen(path.c_str(), "wb");
  gzwrite(gz, content.data(), static_cast<unsigned>(content.size()));
  gzclose(gz);
}

inline std::string ReadAll(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  std::string out(ec ? 0 : size, '\0');
  std::ifstream in(path, std::ios::binary);
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  return out;
}

// A valid resident id from its first 17 digits.
inline std::string Id(const std::string& first17) {
  return first17 + ResidentId::ComputeCheckChar(first17);
}
// The same id with a wrong check character.
inline std::string BadCheckId(const std::string& first17) {
  const char good = ResidentId::ComputeCheckChar(first17);
  return first17 + (good == '0' ? '1' : '0');
}

inline const std::string kId1 = Id("37020219500301123");
inline const std::string kId2 = Id("37020319520815246");
inline const std::string kId3 = Id("37021119480102331");

// Valid values of every column of every feed, in contract order.
inline std::vector<std::pair<std::string, std::string>> DefaultRow(Feed feed) {
  switch (feed) {
    case Feed::kPersons:
      return {{"person_id", kId1},      {"region", "3702"},           {"name", "张三"},
              {"birth_date", "1950-03-01"}, {"sex", "M"},             {"district", "370202"},
              {"scheme", "EMPLOYEE"},   {"category", "WORKER"},       {"retirement_date", "2010-03-01"},
              {"retirement_type", "NORMAL"}, {"monthly_benefit", "3421.50"},
              {"bank_account", "6222000011112222"}, {"phone", "13800000000"},
              {"address", "青岛市市南区"}, {"status", "ACTIVE"}};
    case Feed::kContributions:
      return {{"person_id", kId1},     {"region", "3702"},         {"employer_id", "91370200MA3C"},
              {"industry", "B06"},     {"job_type", "UNDERGROUND"}, {"start_month", "1980-01"},
              {"end_month", "1999-12"}, {"monthly_base", "800.00"}, {"kind", "REGULAR"},
              {"paid_date", "2000-01-15"}, {"recorded_at", "2000-01-15T09:30:00"}};
    case Feed::kPayments:
      return {{"payment_id", "P0001"}, {"person_id", kId1},  {"region", "3702"},
              {"benefit", "PENSION"},  {"period", "2024-01"}, {"amount", "3421.50"},
              {"bank_account", "6222000011112222"}, {"channel", "BANK"},
              {"paid_date", "2024-01-10"}};
    case Feed::kSignals:
      return {{"person_id", kId1}, {"source", "FACE_CERT"}, {"occurred_at", "2024-02-01T10:00:00"},
              {"place", "APP"},    {"detail", "PASS"}};
    case Feed::kRegistry:
      return {{"person_id", kId1}, {"event", "DEATH"}, {"event_date", "2024-01-20"},
              {"reported_date", "2024-03-01"}, {"detail", ""}};
    case Feed::kAppraisals:
      return {{"person_id", kId1}, {"appraisal_date", "2015-06-01"}, {"hospital_id", "H01"},
              {"doctor_id", "D07"}, {"grade", "3"}, {"conclusion", "COMPLETE_LOSS"}};
  }
  return {};
}

inline std::string CsvQuote(const std::string& v) {
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

inline std::string HeaderLine(Feed feed) {
  std::string out;
  for (const auto& [k, v] : DefaultRow(feed)) out += (out.empty() ? "" : ",") + k;
  return out + "\n";
}

// A data line of `feed` with some columns overridden (values written as given: no quoting).
inline std::string RowLine(Feed feed, const std::map<std::string, std::string>& overrides = {}) {
  std::string out;
  bool first = true;
  for (const auto& [k, v] : DefaultRow(feed)) {
    if (!first) out += ",";
    first = false;
    const auto it = overrides.find(k);
    out += it != overrides.end() ? it->second : CsvQuote(v);
  }
  return out + "\n";
}

}  // namespace vigil::testing

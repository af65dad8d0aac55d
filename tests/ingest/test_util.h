// Helpers for the ingest tests: temporary folders, files (plain and gzip), valid resident ids
// and valid rows of every feed.
#pragma once

#include <zlib.h>

#include <cstdio>
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
      return {{"person_id", kId1},
              {"region", "3702"},
              {"name", "张三"},
              {"birth_date", "1950-03-01"},
              {"sex", "M"},
              {"district", "370202"},
              {"scheme", "EMPLOYEE"},
              {"category", "WORKER"},
              {"retirement_date", "2010-03-01"},
              {"retirement_type", "NORMAL"},
              {"monthly_benefit", "3421.50"},
              {"bank_account", "6222000011112222"},
              {"phone", "13800000000"},
              {"address", "青岛市市南区"},
              {"status", "ACTIVE"}};
    case Feed::kContributions:
      return {{"person_id", kId1},
              {"region", "3702"},
              {"employer_id", "91370200MA3C"},
              {"industry", "B06"},
              {"job_type", "UNDERGROUND"},
              {"start_month", "1980-01"},
              {"end_month", "1999-12"},
              {"monthly_base", "800.00"},
              {"kind", "REGULAR"},
              {"paid_date", "2000-01-15"},
              {"recorded_at", "2000-01-15T09:30:00"}};
    case Feed::kPayments:
      return {{"payment_id", "P0001"},
              {"person_id", kId1},
              {"region", "3702"},
              {"benefit", "PENSION"},
              {"period", "2024-01"},
              {"amount", "3421.50"},
              {"bank_account", "6222000011112222"},
              {"channel", "BANK"},
              {"paid_date", "2024-01-10"}};
    case Feed::kSignals:
      return {{"person_id", kId1},
              {"source", "FACE_CERT"},
              {"occurred_at", "2024-02-01T10:00:00"},
              {"place", "APP"},
              {"detail", "PASS"}};
    case Feed::kRegistry:
      return {{"person_id", kId1},
              {"event", "DEATH"},
              {"event_date", "2024-01-20"},
              {"reported_date", "2024-03-01"},
              {"detail", ""}};
    case Feed::kAppraisals:
      return {{"person_id", kId1},    {"appraisal_date", "2015-06-01"},
              {"hospital_id", "H01"}, {"doctor_id", "D07"},
              {"grade", "3"},         {"conclusion", "COMPLETE_LOSS"}};
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

namespace vigil::testing {

// The i-th synthetic valid resident id (unique for i < 10,000,000).
inline std::string SyntheticId(uint64_t i) {
  const Date birth =
      DateFromDayNumber(static_cast<int32_t>(-10000 + static_cast<int64_t>(i / 1000)));
  std::string first17 = "370202" + FormatDate(birth).substr(0, 4) + FormatDate(birth).substr(5, 2) +
                        FormatDate(birth).substr(8, 2);
  const std::string seq = std::to_string(1000 + i % 1000).substr(1);
  first17 += seq;
  return Id(first17);
}

// A feed folder with `persons` persons, each with payments and `signals_per_person` signals,
// a few registry events, one bad row per feed and one correction inside the signals.
inline void WriteSampleFeeds(const std::string& dir, uint64_t persons,
                             uint64_t signals_per_person) {
  std::string p = HeaderLine(Feed::kPersons);
  std::string pay = HeaderLine(Feed::kPayments);
  std::string sig = HeaderLine(Feed::kSignals);
  std::string reg = HeaderLine(Feed::kRegistry);
  for (uint64_t i = 0; i < persons; ++i) {
    const std::string id = SyntheticId(i);
    p +=
        RowLine(Feed::kPersons, {{"person_id", id}, {"name", "\"王, " + std::to_string(i) + "\""}});
    for (int m = 1; m <= 3; ++m) {
      // snprintf, not "literal" + std::to_string: GCC 12 warns falsely (-Wrestrict) on that.
      char payment_id[48], period[16], paid_date[16];
      std::snprintf(payment_id, sizeof payment_id, "P%llu-%d", static_cast<unsigned long long>(i),
                    m);
      std::snprintf(period, sizeof period, "2024-0%d", m);
      std::snprintf(paid_date, sizeof paid_date, "2024-0%d-10", m);
      pay += RowLine(Feed::kPayments, {{"payment_id", payment_id},
                                       {"person_id", id},
                                       {"period", period},
                                       {"paid_date", paid_date}});
    }
    for (uint64_t k = 0; k < signals_per_person; ++k) {
      char ts[32];
      std::snprintf(ts, sizeof ts, "2024-%02d-%02dT%02d:%02d:00", static_cast<int>(1 + k % 6),
                    static_cast<int>(1 + k % 28), static_cast<int>(k % 24),
                    static_cast<int>(i % 60));
      std::string place = "S";
      place += std::to_string(k);
      sig += RowLine(Feed::kSignals, {{"person_id", id},
                                      {"source", k % 2 ? "TRANSIT" : "FACE_CERT"},
                                      {"occurred_at", ts},
                                      {"place", place},
                                      {"detail", k % 2 ? "bus 5" : "PASS"}});
    }
    if (i % 50 == 0) reg += RowLine(Feed::kRegistry, {{"person_id", id}});
  }
  p += RowLine(Feed::kPersons, {{"region", "37"}});
  pay += RowLine(Feed::kPayments, {{"amount", "1.234"}});
  sig += RowLine(Feed::kSignals, {{"source", "SELFIE"}});
  // A correction: same natural key as the first signal of person 0, other detail.
  sig += RowLine(Feed::kSignals, {{"person_id", SyntheticId(0)},
                                  {"source", "FACE_CERT"},
                                  {"occurred_at", "2024-01-01T00:00:00"},
                                  {"place", "S0"},
                                  {"detail", "FAIL"}});
  reg += RowLine(Feed::kRegistry, {{"reported_date", "2023-01-01"}});
  WriteFile(dir + "/persons.csv", p);
  WriteFile(dir + "/payments.csv", pay);
  WriteGzip(dir + "/signals.csv.gz", sig);
  WriteFile(dir + "/registry.csv", reg);
}

}  // namespace vigil::testing

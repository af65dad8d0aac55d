// Helpers for the screening tests: a temporary store with a few persons, payments, registry
// events and the cases of a (simulated) score run.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

#include "vigil/resident_id.h"
#include "vigil/screener.h"
#include "vigil/store.h"

namespace vigil::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "vigil-screen-XXXXXX").string();
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

inline std::string Id(const std::string& first17) {
  return first17 + ResidentId::ComputeCheckChar(first17);
}

inline StoreOptions StoreAt(const std::string& path) {
  StoreOptions o;
  o.path = path;
  return o;
}

// prefix + number (GCC 12 warns falsely on "x" + std::to_string(n) under -Wrestrict).
inline std::string Name(const std::string& prefix, int n) {
  std::string s = prefix;
  s += std::to_string(n);
  return s;
}

inline Date D(const char* text) { return *ParseDate(text); }
inline Month M(const char* text) { return *ParseMonth(text); }

inline PersonRecord Person(const std::string& id, uint16_t region, int64_t benefit_fen,
                           const std::string& account,
                           PersonStatus status = PersonStatus::kActive) {
  PersonRecord p;
  p.person_id = id;
  p.region = region;
  p.name = "test";
  p.birth_date = D("1950-03-01");
  p.sex = Sex::kMale;
  p.district = 370202;
  p.retirement_date = D("2010-03-01");
  p.monthly_benefit = Money::FromFen(benefit_fen);
  p.bank_account = account;
  p.status = status;
  return p;
}

inline PaymentRecord Payment(const std::string& payment_id, const std::string& id, uint16_t region,
                             const char* period, int64_t fen, const std::string& account,
                             Benefit benefit = Benefit::kPension) {
  PaymentRecord p;
  p.payment_id = payment_id;
  p.person_id = id;
  p.region = region;
  p.benefit = benefit;
  p.period = M(period);
  p.amount = Money::FromFen(fen);
  p.bank_account = account;
  p.paid_date = Date(p.period.year(), p.period.month(), std::chrono::day(15));
  return p;
}

inline RegistryRecord Registry(const std::string& id, RegistryEvent event, const char* date,
                               const char* reported) {
  RegistryRecord r;
  r.person_id = id;
  r.event = event;
  r.event_date = D(date);
  r.reported_date = D(reported);
  return r;
}

inline PaymentRequest Request(const std::string& payment_id, const std::string& id, uint16_t region,
                              const char* period, int64_t fen, const std::string& account,
                              Benefit benefit = Benefit::kPension) {
  PaymentRequest r;
  r.payment_id = payment_id;
  r.person_id = id;
  r.region = region;
  r.benefit = benefit;
  r.period = M(period);
  r.amount = Money::FromFen(fen);
  r.bank_account = account;
  return r;
}

// The key scoring stores a case under: 8-byte big-endian person key + 2-byte region.
inline std::string CaseKey(const std::string& id, uint16_t region) {
  const uint64_t k = PersonKey(id);
  std::string key(10, '\0');
  for (int i = 0; i < 8; ++i) key[static_cast<size_t>(i)] = static_cast<char>(k >> (56 - 8 * i));
  key[8] = static_cast<char>(region >> 8);
  key[9] = static_cast<char>(region & 0xff);
  return key;
}

}  // namespace vigil::testing

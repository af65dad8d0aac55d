// One struct per feed row of the data contract (feeds.md), already validated and typed.
//
// `person_id` keeps the 18-character text (upper-case X). `id_checksum_ok` is false only in the
// fund's own ledgers (persons, contributions, payments), where rows with a bad check character
// are kept and flagged; the other feeds reject such rows.
// Regions are the 4-digit city codes as integers (3702); districts the 6-digit codes.
// Thread-safety: plain value types.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "vigil/codes.h"
#include "vigil/money.h"
#include "vigil/time.h"

namespace vigil {

struct PersonRecord {
  std::string person_id;
  uint16_t region = 0;
  std::string name;
  Date birth_date{};
  Sex sex = Sex::kMale;
  uint32_t district = 0;
  Scheme scheme = Scheme::kEmployee;
  Category category = Category::kWorker;
  Date retirement_date{};
  RetirementType retirement_type = RetirementType::kNormal;
  Money monthly_benefit;
  std::string bank_account;
  std::string phone;    // may be empty
  std::string address;  // may be empty
  PersonStatus status = PersonStatus::kActive;
  bool id_checksum_ok = true;
};

struct ContributionRecord {
  std::string person_id;
  uint16_t region = 0;
  std::string employer_id;
  std::string industry;  // GB/T 4754 section letter + 2 digits, e.g. "B06"
  JobType job_type = JobType::kNormal;
  Month start_month{};
  Month end_month{};  // inclusive
  Money monthly_base;
  ContributionKind kind = ContributionKind::kRegular;
  Date paid_date{};
  Timestamp recorded_at{};
  bool id_checksum_ok = true;
};

struct PaymentRecord {
  std::string payment_id;
  std::string person_id;
  uint16_t region = 0;
  Benefit benefit = Benefit::kPension;
  Month period{};
  Money amount;
  std::string bank_account;
  Channel channel = Channel::kBank;
  Date paid_date{};
  bool id_checksum_ok = true;
};

struct SignalRecord {
  std::string person_id;
  SignalSource source = SignalSource::kTelecom;
  Timestamp occurred_at{};
  std::string place;   // may be empty
  std::string detail;  // FACE_CERT: PASS/FAIL; HOSPITAL_DISCHARGE: CURED/TRANSFERRED/DIED
};

struct RegistryRecord {
  std::string person_id;
  RegistryEvent event = RegistryEvent::kDeath;
  Date event_date{};
  Date reported_date{};
  std::string detail;  // ID_CHANGE: "field:old->new"
};

struct AppraisalRecord {
  std::string person_id;
  Date appraisal_date{};
  std::string hospital_id;
  std::string doctor_id;
  uint8_t grade = 10;  // 1..10; 1..4 = complete loss of labour capacity
  Conclusion conclusion = Conclusion::kNone;
};

// The feeds, in the order of the contract. Stable values: stored on disk.
enum class Feed : uint8_t { kPersons, kContributions, kPayments, kSignals, kRegistry, kAppraisals };
template <>
struct CodeNames<Feed> {
  static constexpr std::string_view kWhat = "Feed";
  static constexpr auto kNames = std::to_array<std::string_view>(
      {"persons", "contributions", "payments", "signals", "registry", "appraisals"});
};

using AnyRecord = std::variant<PersonRecord, ContributionRecord, PaymentRecord, SignalRecord,
                               RegistryRecord, AppraisalRecord>;

}  // namespace vigil

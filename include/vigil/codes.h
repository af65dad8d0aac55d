// Every enumerated code of the data contract (feeds.md) as an enum class, with parse/format.
//
// The text forms are exactly the contract's (upper case). Parsing is exact and case-sensitive;
// an unknown value is an InvalidArgument naming the offending text and the allowed values.
// Each enum's underlying value is stable: it is stored on disk, so append, never reorder.
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "vigil/status.h"

namespace vigil {

enum class Sex : uint8_t { kMale, kFemale };
enum class Scheme : uint8_t { kEmployee, kPublic, kResident };
enum class Category : uint8_t { kWorker, kCadre };
enum class RetirementType : uint8_t { kNormal, kSpecialJob, kDisability, kResidentAge };
enum class PersonStatus : uint8_t { kActive, kSuspended, kTerminated };
enum class JobType : uint8_t {
  kNormal,
  kUnderground,
  kHighAltitude,
  kHighTemperature,
  kHeavyLabour,
  kToxic
};
enum class ContributionKind : uint8_t { kRegular, kBackPayment };
enum class Benefit : uint8_t { kPension, kUnemployment, kWorkInjury, kSurvivor };
enum class Channel : uint8_t { kBank, kEcny };
enum class SignalSource : uint8_t {
  kFaceCert,
  kFieldVisit,
  kBankCounter,
  kGovService,  // seen in person
  kHospitalAdmission,
  kHospitalDischarge,
  kMedicalSettlement,
  kTravel,
  kCareHome,
  kTransit,
  kBankActivity,
  kTelecom,
};
enum class RegistryEvent : uint8_t {
  kDeath,
  kCremation,
  kPrisonIn,
  kPrisonOut,
  kMissing,
  kEmigrated,
  kIdChange
};
enum class Conclusion : uint8_t { kCompleteLoss, kPartialLoss, kNone };
enum class Certification : uint8_t { kCertified, kNeedsActive, kSuspend };
enum class Action : uint8_t { kPay, kHold, kBlock };
enum class Pattern : uint8_t {
  kDeceasedPaid,
  kConcealedDeath,
  kPrisonPaid,
  kDuplicateReceipt,
  kSharedAccount,
  kAccountHijack,
  kFakeSpecialJob,
  kFakeDisability,
  kAgeFalsified,
  kBackpayAbuse,
  kUnemployedWhileEmployed,
  kForgedIdentity,
  kAmountAnomaly,
  kFaceReuse,
  kAnomaly,
};

// The four sources the contract says are seen in person (cannot be produced by a card holder).
constexpr bool IsInPerson(SignalSource s) {
  return s == SignalSource::kFaceCert || s == SignalSource::kFieldVisit ||
         s == SignalSource::kBankCounter || s == SignalSource::kGovService;
}

// Names table per enum, indexed by the underlying value.
template <typename E>
struct CodeNames;

#define VIGIL_CODE_NAMES(E, ...)                                                   \
  template <>                                                                      \
  struct CodeNames<E> {                                                            \
    static constexpr std::string_view kWhat = #E;                                  \
    static constexpr auto kNames = std::to_array<std::string_view>({__VA_ARGS__}); \
  }

VIGIL_CODE_NAMES(Sex, "M", "F");
VIGIL_CODE_NAMES(Scheme, "EMPLOYEE", "PUBLIC", "RESIDENT");
VIGIL_CODE_NAMES(Category, "WORKER", "CADRE");
VIGIL_CODE_NAMES(RetirementType, "NORMAL", "SPECIAL_JOB", "DISABILITY", "RESIDENT_AGE");
VIGIL_CODE_NAMES(PersonStatus, "ACTIVE", "SUSPENDED", "TERMINATED");
VIGIL_CODE_NAMES(JobType, "NORMAL", "UNDERGROUND", "HIGH_ALTITUDE", "HIGH_TEMPERATURE",
                 "HEAVY_LABOUR", "TOXIC");
VIGIL_CODE_NAMES(ContributionKind, "REGULAR", "BACK_PAYMENT");
VIGIL_CODE_NAMES(Benefit, "PENSION", "UNEMPLOYMENT", "WORK_INJURY", "SURVIVOR");
VIGIL_CODE_NAMES(Channel, "BANK", "ECNY");
VIGIL_CODE_NAMES(SignalSource, "FACE_CERT", "FIELD_VISIT", "BANK_COUNTER", "GOV_SERVICE",
                 "HOSPITAL_ADMISSION", "HOSPITAL_DISCHARGE", "MEDICAL_SETTLEMENT", "TRAVEL",
                 "CARE_HOME", "TRANSIT", "BANK_ACTIVITY", "TELECOM");
VIGIL_CODE_NAMES(RegistryEvent, "DEATH", "CREMATION", "PRISON_IN", "PRISON_OUT", "MISSING",
                 "EMIGRATED", "ID_CHANGE");
VIGIL_CODE_NAMES(Conclusion, "COMPLETE_LOSS", "PARTIAL_LOSS", "NONE");
VIGIL_CODE_NAMES(Certification, "CERTIFIED", "NEEDS_ACTIVE", "SUSPEND");
VIGIL_CODE_NAMES(Action, "PAY", "HOLD", "BLOCK");
VIGIL_CODE_NAMES(Pattern, "DECEASED_PAID", "CONCEALED_DEATH", "PRISON_PAID", "DUPLICATE_RECEIPT",
                 "SHARED_ACCOUNT", "ACCOUNT_HIJACK", "FAKE_SPECIAL_JOB", "FAKE_DISABILITY",
                 "AGE_FALSIFIED", "BACKPAY_ABUSE", "UNEMPLOYED_WHILE_EMPLOYED", "FORGED_IDENTITY",
                 "AMOUNT_ANOMALY", "FACE_REUSE", "ANOMALY");
#undef VIGIL_CODE_NAMES

template <typename E>
constexpr size_t CodeCount() {
  return CodeNames<E>::kNames.size();
}

template <typename E>
constexpr std::string_view CodeName(E value) {
  const auto index = static_cast<size_t>(value);
  return index < CodeNames<E>::kNames.size() ? CodeNames<E>::kNames[index] : "?";
}

// Builds the error for an unknown code: "unknown Scheme 'FOO' (expected one of EMPLOYEE, ...)".
Status UnknownCodeError(std::string_view what, std::string_view text,
                        std::span<const std::string_view> allowed);

template <typename E>
Result<E> ParseCode(std::string_view text) {
  const auto& names = CodeNames<E>::kNames;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == text) return static_cast<E>(i);
  }
  return UnknownCodeError(CodeNames<E>::kWhat, text, names);
}

// Every value of E in order, for loops and tables.
template <typename E>
constexpr auto AllCodes() {
  std::array<E, CodeNames<E>::kNames.size()> all{};
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<E>(i);
  return all;
}

// ---- implementation (header-only: every target uses these, see docs/architecture.md) ----

inline Status UnknownCodeError(std::string_view what, std::string_view text,
                               std::span<const std::string_view> allowed) {
  std::string m = "unknown ";
  m += what;
  m += " '";
  m += text;
  m += "' (expected one of ";
  for (size_t i = 0; i < allowed.size(); ++i) {
    if (i > 0) m += ", ";
    m += allowed[i];
  }
  m += ")";
  return Status::InvalidArgument(std::move(m));
}

}  // namespace vigil

// Runs every golden case in tests/core/golden/: a small person history written as data, with the
// certification, patterns and overpaid sum a policy expert expects. See golden/README.md.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "history_builder.h"
#include "vigil/certification.h"
#include "vigil/rules.h"

namespace vigil {
namespace {

using Json = nlohmann::json;
using namespace vigil::testing;  // NOLINT(google-build-using-namespace)

template <typename E>
E Code(const Json& j, const char* key, E fallback) {
  if (!j.contains(key)) return fallback;
  auto parsed = ParseCode<E>(j.at(key).get<std::string>());
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  return parsed.value_or(fallback);
}

std::string Str(const Json& j, const char* key, const std::string& fallback = "") {
  return j.contains(key) ? j.at(key).get<std::string>() : fallback;
}

PersonRecord ReadRegistration(const Json& j) {
  PersonRecord r = Registration(
      j.value("region", 3702), D(Str(j, "birth_date", "1955-05-10")), Code(j, "sex", Sex::kMale),
      D(Str(j, "retirement_date", "2015-06-01")),
      Code(j, "retirement_type", RetirementType::kNormal), Str(j, "monthly_benefit", "3000.00"),
      Str(j, "bank_account", "6222000000000001"), Code(j, "status", PersonStatus::kActive));
  r.name = Str(j, "name", r.name);
  r.phone = Str(j, "phone", r.phone);
  r.category = Code(j, "category", Category::kWorker);
  r.scheme = Code(j, "scheme", Scheme::kEmployee);
  r.id_checksum_ok = j.value("id_checksum_ok", true);
  return r;
}

PersonHistory ReadHistory(const Json& c) {
  PersonHistory h;
  h.person_key = 1;
  for (const Json& j : c.value("registrations", Json::array())) {
    h.registrations.push_back(ReadRegistration(j));
  }
  if (c.contains("id_birth_date")) h.person_id = MakeId(D(Str(c, "id_birth_date")));
  for (const Json& j : c.value("pension", Json::array())) {
    const PersonRecord& reg = h.registrations.at(0);
    PayMonthly(h, j.value("region", reg.region), M(Str(j, "from")), M(Str(j, "to")),
               Str(j, "amount", FormatMoney(reg.monthly_benefit)),
               Str(j, "account", reg.bank_account), Code(j, "benefit", Benefit::kPension));
  }
  for (const Json& j : c.value("payments", Json::array())) {
    PaymentRecord p = Payment(j.value("region", 3702), M(Str(j, "period")), Str(j, "amount"),
                              Str(j, "account"), Code(j, "benefit", Benefit::kPension));
    if (j.contains("paid_date")) p.paid_date = D(Str(j, "paid_date"));
    h.payments.push_back(std::move(p));
  }
  for (const Json& j : c.value("signals", Json::array())) {
    h.signals.push_back(Signal(Code(j, "source", SignalSource::kTelecom), Str(j, "at"),
                               Str(j, "place"), Str(j, "detail")));
  }
  for (const Json& j : c.value("signal_series", Json::array())) {
    Repeat(h, Code(j, "source", SignalSource::kTelecom), D(Str(j, "from")), D(Str(j, "to")),
           j.at("every_days").get<int>(), j.at("hour").get<int>(), Str(j, "place"),
           Str(j, "detail"));
  }
  for (const Json& j : c.value("registry", Json::array())) {
    h.registry.push_back(Event(Code(j, "event", RegistryEvent::kDeath), D(Str(j, "date")),
                               D(Str(j, "reported")), Str(j, "detail")));
  }
  for (const Json& j : c.value("contributions", Json::array())) {
    h.contributions.push_back(Spell(Str(j, "employer"), Str(j, "industry"),
                                    Code(j, "job", JobType::kNormal), M(Str(j, "from")),
                                    M(Str(j, "to")), Code(j, "kind", ContributionKind::kRegular),
                                    j.contains("paid") ? D(Str(j, "paid")) : Date{}));
  }
  for (const Json& j : c.value("appraisals", Json::array())) {
    h.appraisals.push_back(Appraisal(D(Str(j, "date")), Str(j, "doctor"), j.at("grade")));
  }
  Finish(h);
  return h;
}

CrossPersonFacts ReadPopulation(const Json& c) {
  CrossPersonFacts f;
  const Json p = c.value("population", Json::object());
  auto counts = [&p](const char* key, FactCounts& out) {
    const Json map = p.value(key, Json::object());
    for (const auto& [k, v] : map.items()) out[k] = v.get<uint32_t>();
  };
  counts("persons_per_account", f.persons_per_account);
  counts("ids_per_name_birth", f.ids_per_name_birth);
  counts("ids_per_phone", f.ids_per_phone);
  counts("special_retirements_per_employer", f.special_retirements_per_employer);
  counts("persons_per_face_place", f.persons_per_face_place);
  const Json doctors = p.value("appraisals_per_doctor", Json::object());
  for (const auto& [k, v] : doctors.items()) {
    f.appraisals_per_doctor[k] = {v.at(0).get<uint32_t>(), v.at(1).get<uint32_t>()};
  }
  f.population_complete_loss_share = p.value("complete_loss_share", 0.0);
  return f;
}

TEST(GoldenTest, EveryCaseGivesTheExpectedDecision) {
  const std::filesystem::path dir = std::filesystem::path(VIGIL_SOURCE_DIR) / "tests/core/golden";
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 5u);
  const Policy policy = Policy::Defaults();
  for (const auto& file : files) {
    SCOPED_TRACE(file.filename().string());
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    Json c;
    PersonHistory h;
    CrossPersonFacts facts;
    try {  // a malformed case fails with its file name instead of aborting the run
      c = Json::parse(text.str());
      h = ReadHistory(c);
      facts = ReadPopulation(c);
    } catch (const Json::exception& e) {
      ADD_FAILURE() << "cannot read the case: " << e.what();
      continue;
    }
    const Date as_of = D(Str(c, "as_of"));
    const CertificationResult cert = Certify(h, policy, as_of, &facts);
    const std::vector<RuleHit> hits = ApplyRules(h, facts, cert, policy, as_of);
    const Json& expect = c.at("expect");
    EXPECT_EQ(CodeName(cert.outcome), Str(expect, "certification")) << cert.reason;
    std::set<std::string> got, want;
    Money overpaid;
    std::string reasons = cert.reason;
    for (const RuleHit& hit : hits) {
      reasons += " | " + hit.reason;
      if (hit.strength < policy.rules.pattern_min_strength) continue;
      got.insert(std::string(CodeName(hit.pattern)));
      overpaid += hit.overpaid;
    }
    for (const Json& p : expect.value("patterns", Json::array())) want.insert(p.get<std::string>());
    EXPECT_EQ(got, want) << reasons;
    EXPECT_EQ(FormatMoney(overpaid), Str(expect, "overpaid", "0.00")) << reasons;
    for (const Json& part : expect.value("reason_contains", Json::array())) {
      EXPECT_NE(reasons.find(part.get<std::string>()), std::string::npos) << reasons;
    }
    if (expect.contains("restore")) {
      EXPECT_EQ(cert.restore, expect.at("restore").get<bool>());
      EXPECT_EQ(cert.months_owed, expect.value("months_owed", 0));
    }
  }
}

}  // namespace
}  // namespace vigil

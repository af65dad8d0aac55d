// Audit entries of screening decisions: one JSON line each, written by hand because a payroll
// run writes a million of them (a JSON library's DOM would cost more than the decision).
#include <cinttypes>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "screener_internal.h"
#include "vigil/store.h"

namespace vigil {

std::string_view ScreenCheckName(ScreenCheck check) {
  static constexpr std::string_view kNames[] = {
      "LAST_RUN", "DEATH",          "PRISON",         "MISSING",
      "REGISTRATION_STATUS", "NOT_REGISTERED", "UNKNOWN_PERSON", "DUPLICATE_PERIOD",
      "AMOUNT",   "ACCOUNT",        "PERIOD_OUT_OF_WINDOW", "IDENTITY",
      "PAYMENT_ID_REUSED"};
  const auto i = static_cast<size_t>(check);
  return i < std::size(kNames) ? kNames[i] : "?";
}

std::string JoinPatternNames(const std::vector<Pattern>& patterns, char separator) {
  std::string out;
  for (size_t i = 0; i < patterns.size(); ++i) {
    if (i > 0) out += separator;
    out += CodeName(patterns[i]);
  }
  return out;
}

std::string JoinReasonTexts(const std::vector<ScreenReason>& reasons, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < reasons.size(); ++i) {
    if (i > 0) out += separator;
    out += reasons[i].text;
  }
  return out;
}

namespace screen {
namespace {

void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void AppendHex(std::string& out, uint64_t v) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, v);
  out += buf;
}

void AppendKey(std::string& out, std::string_view key) {
  out += ',';
  AppendJsonString(out, key);
  out += ':';
}

}  // namespace

uint64_t RequestHash(const PaymentRequest& r) {
  std::string text;
  text.reserve(96);
  text += r.payment_id;
  text += '\x1f';
  text += r.person_id;
  text += '\x1f';
  text += std::to_string(r.region);
  text += '\x1f';
  text += CodeName(r.benefit);
  text += '\x1f';
  text += std::to_string(MonthNumber(r.period));
  text += '\x1f';
  text += std::to_string(r.amount.fen());
  text += '\x1f';
  text += r.bank_account;
  text += '\x1f';
  text += CodeName(r.channel);
  return PersonKey(text);
}

std::string FormatAuditEntry(const PaymentRequest& request, uint64_t request_hash,
                             const Decision& d, const AuditFacts& facts) {
  std::string out;
  out.reserve(512);
  out += "{\"kind\":\"screen\",\"v\":1";
  AppendKey(out, "payment_id");
  AppendJsonString(out, request.payment_id);
  AppendKey(out, "person_id");
  AppendJsonString(out, request.person_id);
  AppendKey(out, "person_key");
  out += '"';
  AppendHex(out, d.person_key);
  out += '"';
  AppendKey(out, "region");
  out += std::to_string(request.region);
  AppendKey(out, "benefit");
  AppendJsonString(out, CodeName(request.benefit));
  AppendKey(out, "period");
  AppendJsonString(out, request.period.ok() ? FormatMonth(request.period) : "");
  AppendKey(out, "amount");
  AppendJsonString(out, FormatMoney(request.amount));
  // The account is kept as a fingerprint: enough to prove which account was asked for.
  AppendKey(out, "account");
  out += '"';
  AppendHex(out, AccountHash(request.bank_account));
  out += '"';
  AppendKey(out, "channel");
  AppendJsonString(out, CodeName(request.channel));
  AppendKey(out, "request");
  out += '"';
  AppendHex(out, request_hash);
  out += '"';
  AppendKey(out, "action");
  AppendJsonString(out, CodeName(d.action));
  AppendKey(out, "risk");
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", d.risk);
  out += buf;
  AppendKey(out, "repeated");
  out += d.repeated ? "true" : "false";
  AppendKey(out, "patterns");
  out += '[';
  for (size_t i = 0; i < d.patterns.size(); ++i) {
    if (i > 0) out += ',';
    AppendJsonString(out, CodeName(d.patterns[i]));
  }
  out += ']';
  AppendKey(out, "reasons");
  out += '[';
  for (size_t i = 0; i < d.reasons.size(); ++i) {
    if (i > 0) out += ',';
    out += "{\"check\":";
    AppendJsonString(out, ScreenCheckName(d.reasons[i].check));
    out += ",\"action\":";
    AppendJsonString(out, CodeName(d.reasons[i].action));
    out += ",\"text\":";
    AppendJsonString(out, d.reasons[i].text);
    out += '}';
  }
  out += ']';
  AppendKey(out, "facts");
  out += "{\"known\":";
  out += facts.known ? "true" : "false";
  out += ",\"registered\":";
  out += facts.registered ? "true" : "false";
  out += ",\"approved\":";
  if (facts.approved_fen >= 0) {
    AppendJsonString(out, FormatMoney(Money::FromFen(facts.approved_fen)));
  } else {
    out += "null";
  }
  out += ",\"account_match\":";
  out += facts.account_match ? "true" : "false";
  out += ",\"dead\":";
  out += facts.dead ? "true" : "false";
  if (facts.dead) {
    out += ",\"death_date\":";
    AppendJsonString(out, FormatDate(DateFromDayNumber(facts.death_day)));
  }
  out += ",\"in_prison\":";
  out += facts.in_prison ? "true" : "false";
  out += ",\"period_paid\":";
  out += facts.period_paid ? "true" : "false";
  out += ",\"case_action\":";
  if (facts.case_action >= 0) {
    AppendJsonString(out, CodeName(static_cast<Action>(facts.case_action)));
    std::snprintf(buf, sizeof buf, "%.4f", facts.case_risk);
    out += ",\"case_risk\":";
    out += buf;
  } else {
    out += "null";
  }
  out += ",\"state_version\":";
  out += std::to_string(facts.state_version);
  out += '}';
  AppendKey(out, "policy");
  AppendJsonString(out, d.policy_version);
  AppendKey(out, "score_run");
  AppendJsonString(out, d.score_run);
  out += '}';
  return out;
}

Result<Decision> ParseAuditEntry(std::string_view entry, uint64_t* request_hash) {
  const auto j = nlohmann::json::parse(entry, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("kind", std::string()) != "screen") {
    return Status::Corruption("audit entry is not a screening decision");
  }
  try {
    Decision d;
    d.payment_id = j.at("payment_id").get<std::string>();
    d.person_key = std::stoull(j.at("person_key").get<std::string>(), nullptr, 16);
    *request_hash = std::stoull(j.at("request").get<std::string>(), nullptr, 16);
    VIGIL_ASSIGN_OR_RETURN(d.action, ParseCode<Action>(j.at("action").get<std::string>()));
    d.risk = j.at("risk").get<double>();
    for (const auto& p : j.at("patterns")) {
      VIGIL_ASSIGN_OR_RETURN(Pattern pattern, ParseCode<Pattern>(p.get<std::string>()));
      d.patterns.push_back(pattern);
    }
    for (const auto& r : j.at("reasons")) {
      ScreenReason reason;
      const std::string check = r.at("check").get<std::string>();
      bool found = false;
      for (uint8_t c = 0; c <= static_cast<uint8_t>(ScreenCheck::kPaymentIdReused); ++c) {
        if (ScreenCheckName(static_cast<ScreenCheck>(c)) == check) {
          reason.check = static_cast<ScreenCheck>(c);
          found = true;
        }
      }
      if (!found) return Status::Corruption("audit entry has an unknown check '" + check + "'");
      VIGIL_ASSIGN_OR_RETURN(reason.action, ParseCode<Action>(r.at("action").get<std::string>()));
      reason.text = r.at("text").get<std::string>();
      d.reasons.push_back(std::move(reason));
    }
    d.policy_version = j.at("policy").get<std::string>();
    d.score_run = j.at("score_run").get<std::string>();
    return d;
  } catch (const std::exception& e) {
    return Status::Corruption(std::string("audit entry: ") + e.what());
  }
}

}  // namespace screen
}  // namespace vigil

// Audit entries of screening decisions: one JSON line each, written by hand because a payroll
// run writes a million of them (a JSON library's DOM would cost more than the decision).
#include <charconv>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "screener_internal.h"
#include "vigil/store.h"

namespace vigil {

std::string_view ScreenCheckName(ScreenCheck check) {
  static constexpr std::string_view kNames[] = {"LAST_RUN",
                                                "DEATH",
                                                "PRISON",
                                                "MISSING",
                                                "REGISTRATION_STATUS",
                                                "NOT_REGISTERED",
                                                "UNKNOWN_PERSON",
                                                "DUPLICATE_PERIOD",
                                                "AMOUNT",
                                                "ACCOUNT",
                                                "PERIOD_OUT_OF_WINDOW",
                                                "IDENTITY",
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
  static constexpr char kDigits[] = "0123456789abcdef";
  char buf[16];
  for (int i = 15; i >= 0; --i) {
    buf[i] = kDigits[v & 0xf];
    v >>= 4;
  }
  out.append(buf, sizeof buf);
}

void AppendInt(std::string& out, int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// "1234.56" (what FormatMoney writes), without a temporary string.
void AppendMoney(std::string& out, int64_t fen) {
  if (fen < 0) {
    out += '-';
    fen = -fen;
  }
  AppendInt(out, fen / 100);
  out += '.';
  out += static_cast<char>('0' + fen % 100 / 10);
  out += static_cast<char>('0' + fen % 10);
}

// A risk in 0..1 with four decimals ("%.4f" of a value already rounded to 1e-4).
void AppendRisk(std::string& out, double risk) {
  const auto v = static_cast<int64_t>(std::llround(risk * 1e4));
  AppendInt(out, v / 10000);
  out += '.';
  char buf[4];
  int64_t frac = v % 10000;
  for (int i = 3; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + frac % 10);
    frac /= 10;
  }
  out.append(buf, 4);
}

void AppendKey(std::string& out, std::string_view key) {
  out += ',';
  out += '"';
  out += key;  // keys are plain identifiers: no escaping needed
  out += "\":";
}

void AppendCode(std::string& out, std::string_view name) {
  out += '"';
  out += name;  // code names are plain identifiers
  out += '"';
}

}  // namespace

uint64_t RequestHash(const PaymentRequest& r) {
  // The exact text of the first version (a repeat after a restart compares with stored
  // hashes), built in a per-thread buffer.
  thread_local std::string text;
  text.clear();
  text += r.payment_id;
  text += '\x1f';
  text += r.person_id;
  text += '\x1f';
  AppendInt(text, r.region);
  text += '\x1f';
  text += CodeName(r.benefit);
  text += '\x1f';
  AppendInt(text, MonthNumber(r.period));
  text += '\x1f';
  AppendInt(text, r.amount.fen());
  text += '\x1f';
  text += r.bank_account;
  text += '\x1f';
  text += CodeName(r.channel);
  return PersonKey(text);
}

std::string FormatAuditEntry(const PaymentRequest& request, uint64_t request_hash,
                             const Decision& d, const AuditFacts& facts) {
  // Formatted in a per-thread buffer and copied once: one allocation per entry.
  thread_local std::string out;
  out.clear();
  out += "{\"kind\":\"screen\",\"v\":2";
  AppendKey(out, "payment_id");
  AppendJsonString(out, request.payment_id);
  AppendKey(out, "person_id");
  AppendJsonString(out, request.person_id);
  AppendKey(out, "region");
  AppendInt(out, request.region);
  AppendKey(out, "benefit");
  AppendCode(out, CodeName(request.benefit));
  AppendKey(out, "period");
  if (request.period.ok()) {
    AppendCode(out, FormatMonth(request.period));
  } else {
    out += "\"\"";
  }
  AppendKey(out, "amount");
  out += '"';
  AppendMoney(out, request.amount.fen());
  out += '"';
  // The account is kept as a fingerprint: enough to prove which account was asked for.
  AppendKey(out, "account");
  out += '"';
  AppendHex(out, facts.account_hash != 0 ? facts.account_hash : AccountHash(request.bank_account));
  out += '"';
  AppendKey(out, "channel");
  AppendCode(out, CodeName(request.channel));
  AppendKey(out, "request");
  out += '"';
  AppendHex(out, request_hash);
  out += '"';
  AppendKey(out, "action");
  AppendCode(out, CodeName(d.action));
  AppendKey(out, "risk");
  AppendRisk(out, d.risk);
  // Absent means false / empty: a clean PAY, most of a payroll, stays short.
  if (d.repeated) {
    AppendKey(out, "repeated");
    out += "true";
  }
  if (!d.patterns.empty()) {
    AppendKey(out, "patterns");
    out += '[';
    for (size_t i = 0; i < d.patterns.size(); ++i) {
      if (i > 0) out += ',';
      AppendCode(out, CodeName(d.patterns[i]));
    }
    out += ']';
  }
  if (!d.reasons.empty()) AppendKey(out, "reasons");
  if (!d.reasons.empty()) out += '[';
  for (size_t i = 0; i < d.reasons.size(); ++i) {
    if (i > 0) out += ',';
    out += "{\"check\":";
    AppendCode(out, ScreenCheckName(d.reasons[i].check));
    out += ",\"action\":";
    AppendCode(out, CodeName(d.reasons[i].action));
    out += ",\"text\":";
    AppendJsonString(out, d.reasons[i].text);
    out += '}';
  }
  if (!d.reasons.empty()) out += ']';
  // The facts the decision used, as letters (docs/screening.md): k known, r registered in the
  // paying region, a account matches, d dead, p in prison, y period already paid or passed.
  AppendKey(out, "facts");
  out += '"';
  if (facts.known) out += 'k';
  if (facts.registered) out += 'r';
  if (facts.account_match) out += 'a';
  if (facts.dead) out += 'd';
  if (facts.in_prison) out += 'p';
  if (facts.period_paid) out += 'y';
  out += '"';
  if (facts.approved_fen >= 0) {
    AppendKey(out, "approved");
    out += '"';
    AppendMoney(out, facts.approved_fen);
    out += '"';
  }
  if (facts.dead) {
    AppendKey(out, "death_date");
    AppendCode(out, FormatDate(DateFromDayNumber(facts.death_day)));
  }
  if (facts.case_action >= 0) {
    AppendKey(out, "case_action");
    AppendCode(out, CodeName(static_cast<Action>(facts.case_action)));
    AppendKey(out, "case_risk");
    AppendRisk(out, facts.case_risk);
  }
  AppendKey(out, "state");
  char version[24];
  out.append(version, std::to_chars(version, version + sizeof version, facts.state_version).ptr);
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
    // Version 1 entries carry the person key; it is the key of the (upper-cased) person id.
    d.person_key = j.contains("person_key")
                       ? std::stoull(j.at("person_key").get<std::string>(), nullptr, 16)
                       : PersonKey(j.at("person_id").get<std::string>());
    *request_hash = std::stoull(j.at("request").get<std::string>(), nullptr, 16);
    VIGIL_ASSIGN_OR_RETURN(d.action, ParseCode<Action>(j.at("action").get<std::string>()));
    d.risk = j.at("risk").get<double>();
    static const nlohmann::json kNone = nlohmann::json::array();
    for (const auto& p : j.contains("patterns") ? j.at("patterns") : kNone) {
      VIGIL_ASSIGN_OR_RETURN(Pattern pattern, ParseCode<Pattern>(p.get<std::string>()));
      d.patterns.push_back(pattern);
    }
    for (const auto& r : j.contains("reasons") ? j.at("reasons") : kNone) {
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

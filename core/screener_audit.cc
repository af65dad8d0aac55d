// Audit entries of screening decisions: one JSON line each, written by hand because a payroll
// run writes a million of them (a JSON library's DOM would cost more than the decision).
#include <charconv>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "../storage/coding.h"  // header-only byte coding of the store formats
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

// The JSON form: written for the rare decision whose texts contain a quote (format 2), and the
// rendering of a binary entry for people (format 3). Appends to `out`.
void AppendAuditJson(std::string& out, const PaymentRequest& request, uint64_t request_hash,
                     const Decision& d, const AuditFacts& facts, int format) {
  out += "{\"kind\":\"screen\",\"v\":";
  AppendInt(out, format);
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
}

// ---- the binary form (format 3) ----
//
// Why binary: a payroll run writes a million entries, and every byte is written to the log,
// the memtable, a flush and compactions. A clean PAY is about 110 bytes here (about 330 as
// JSON). Layout (varints are LEB128, "str" is a varint length and the bytes):
//   tag 0xa5, format 3, flags (varint, kFlag* below), payment_id str, person_id str,
//   region varint, benefit byte, period (month number) varint, amount (fen) varint,
//   account fingerprint 8 bytes big-endian, channel byte, request hash 8 bytes big-endian, action
//   byte, risk (1e-4 units) varint, [approved fen varint], [death day number zigzag varint], [case
//   action byte, case risk varint], state version varint, patterns: count varint + one byte each,
//   reasons: count varint + (check byte, action byte, text str) each, policy str, score_run str.
// Fields in [] are present when their flag is set. New fields go at the end behind a new
// flag, so a reader of this format skips what it does not know.
enum AuditFlag : uint32_t {
  kFlagRepeated = 1u << 0,
  kFlagFirst = 1u << 1,
  kFlagKnown = 1u << 2,
  kFlagRegistered = 1u << 3,
  kFlagAccountMatch = 1u << 4,
  kFlagDead = 1u << 5,
  kFlagInPrison = 1u << 6,
  kFlagPeriodPaid = 1u << 7,
  kFlagApproved = 1u << 8,
  kFlagCase = 1u << 9,
};

uint64_t RiskUnits(double risk) { return static_cast<uint64_t>(std::llround(risk * 1e4)); }

// Everything a binary entry holds.
struct AuditRecord {
  PaymentRequest request;  // bank_account left empty: the entry has its fingerprint only
  uint64_t request_hash = 0;
  Decision decision;
  AuditFacts facts;
  bool first = false;
};

template <typename E>
bool CodeFrom(uint8_t v, E* out) {
  if (v >= CodeCount<E>()) return false;
  *out = static_cast<E>(v);
  return true;
}

Result<AuditRecord> DecodeBinary(std::string_view entry) {
  const Status bad = Status::Corruption("binary audit entry is truncated or malformed");
  storage::Reader in(entry);
  AuditRecord rec;
  uint8_t tag = 0, format = 0;
  if (!in.Byte(&tag) || !in.Byte(&format) || static_cast<char>(tag) != kAuditTag) return bad;
  if (format != kAuditFormat) {
    return Status::Corruption("binary audit entry of unknown format " + std::to_string(format));
  }
  uint64_t flags = 0, v = 0;
  std::string_view text;
  uint8_t byte = 0;
  PaymentRequest& r = rec.request;
  Decision& d = rec.decision;
  AuditFacts& f = rec.facts;
  if (!in.Varint(&flags) || !in.String(&text)) return bad;
  r.payment_id = text;
  if (!in.String(&text)) return bad;
  r.person_id = text;
  if (!in.Varint(&v) || v > 0xffff) return bad;
  r.region = static_cast<uint16_t>(v);
  if (!in.Byte(&byte) || !CodeFrom(byte, &r.benefit) || !in.Varint(&v)) return bad;
  r.period = MonthFromNumber(static_cast<int32_t>(v));
  if (!in.Varint(&v)) return bad;
  r.amount = Money::FromFen(static_cast<int64_t>(v));
  if (!in.Fixed64BE(&f.account_hash) || !in.Byte(&byte) || !CodeFrom(byte, &r.channel)) return bad;
  if (!in.Fixed64BE(&rec.request_hash) || !in.Byte(&byte) || !CodeFrom(byte, &d.action)) return bad;
  if (!in.Varint(&v)) return bad;
  d.risk = static_cast<double>(v) / 1e4;
  if ((flags & kFlagApproved) != 0) {
    if (!in.Varint(&v)) return bad;
    f.approved_fen = static_cast<int64_t>(v);
  }
  if ((flags & kFlagDead) != 0) {
    int64_t day = 0;
    if (!in.Signed(&day)) return bad;
    f.death_day = static_cast<int32_t>(day);
  }
  if ((flags & kFlagCase) != 0) {
    Action a = Action::kPay;
    if (!in.Byte(&byte) || !CodeFrom(byte, &a) || !in.Varint(&v)) return bad;
    f.case_action = static_cast<int>(a);
    f.case_risk = static_cast<double>(v) / 1e4;
  }
  if (!in.Varint(&f.state_version) || !in.Varint(&v) || v > CodeCount<Pattern>()) return bad;
  for (uint64_t i = 0; i < v; ++i) {
    Pattern p = Pattern::kAnomaly;
    if (!in.Byte(&byte) || !CodeFrom(byte, &p)) return bad;
    d.patterns.push_back(p);
  }
  uint64_t reasons = 0;
  if (!in.Varint(&reasons) || reasons > entry.size()) return bad;
  for (uint64_t i = 0; i < reasons; ++i) {
    ScreenReason reason;
    if (!in.Byte(&byte) || byte > static_cast<uint8_t>(ScreenCheck::kPaymentIdReused)) return bad;
    reason.check = static_cast<ScreenCheck>(byte);
    if (!in.Byte(&byte) || !CodeFrom(byte, &reason.action) || !in.String(&text)) return bad;
    reason.text = text;
    d.reasons.push_back(std::move(reason));
  }
  if (!in.String(&text)) return bad;
  d.policy_version = text;
  if (!in.String(&text)) return bad;
  d.score_run = text;
  d.payment_id = r.payment_id;
  d.person_key = PersonKey(r.person_id);
  d.repeated = (flags & kFlagRepeated) != 0;
  rec.first = (flags & kFlagFirst) != 0;
  f.known = (flags & kFlagKnown) != 0;
  f.registered = (flags & kFlagRegistered) != 0;
  f.account_match = (flags & kFlagAccountMatch) != 0;
  f.dead = (flags & kFlagDead) != 0;
  f.in_prison = (flags & kFlagInPrison) != 0;
  f.period_paid = (flags & kFlagPeriodPaid) != 0;
  return rec;
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

void AppendAuditEntry(const PaymentRequest& r, uint64_t request_hash, const Decision& d,
                      const AuditFacts& facts, bool first, std::string* buffer) {
  const uint64_t account =
      facts.account_hash != 0 ? facts.account_hash : AccountHash(r.bank_account);
  std::string& out = *buffer;
  uint32_t flags = 0;
  if (d.repeated) flags |= kFlagRepeated;
  if (first) flags |= kFlagFirst;
  if (facts.known) flags |= kFlagKnown;
  if (facts.registered) flags |= kFlagRegistered;
  if (facts.account_match) flags |= kFlagAccountMatch;
  if (facts.dead) flags |= kFlagDead;
  if (facts.in_prison) flags |= kFlagInPrison;
  if (facts.period_paid) flags |= kFlagPeriodPaid;
  if (facts.approved_fen >= 0) flags |= kFlagApproved;
  if (facts.case_action >= 0) flags |= kFlagCase;
  out += kAuditTag;
  out += kAuditFormat;
  storage::PutVarint64(&out, flags);
  storage::PutString(&out, r.payment_id);
  storage::PutString(&out, r.person_id);
  storage::PutVarint64(&out, r.region);
  out += static_cast<char>(r.benefit);
  storage::PutVarint64(&out, static_cast<uint32_t>(MonthNumber(r.period)));
  storage::PutVarint64(&out, static_cast<uint64_t>(r.amount.fen()));
  storage::PutFixed64BE(&out, account);
  out += static_cast<char>(r.channel);
  storage::PutFixed64BE(&out, request_hash);
  out += static_cast<char>(d.action);
  storage::PutVarint64(&out, RiskUnits(d.risk));
  if (facts.approved_fen >= 0)
    storage::PutVarint64(&out, static_cast<uint64_t>(facts.approved_fen));
  if (facts.dead) storage::PutSigned(&out, facts.death_day);
  if (facts.case_action >= 0) {
    out += static_cast<char>(facts.case_action);
    storage::PutVarint64(&out, RiskUnits(facts.case_risk));
  }
  storage::PutVarint64(&out, facts.state_version);
  storage::PutVarint64(&out, d.patterns.size());
  for (Pattern p : d.patterns) out += static_cast<char>(p);
  storage::PutVarint64(&out, d.reasons.size());
  for (const ScreenReason& reason : d.reasons) {
    out += static_cast<char>(reason.check);
    out += static_cast<char>(reason.action);
    storage::PutString(&out, reason.text);
  }
  storage::PutString(&out, d.policy_version);
  storage::PutString(&out, d.score_run);
}

std::optional<std::string_view> FirstDecisionPaymentId(std::string_view entry,
                                                       std::optional<PassedPeriod>* passed) {
  storage::Reader in(entry);
  uint8_t tag = 0, format = 0;
  uint64_t flags = 0;
  std::string_view id;
  if (!in.Byte(&tag) || !in.Byte(&format) || static_cast<char>(tag) != kAuditTag ||
      format != kAuditFormat || !in.Varint(&flags) || (flags & kFlagFirst) == 0 ||
      !in.String(&id)) {
    return std::nullopt;
  }
  if (passed == nullptr) return id;
  passed->reset();
  uint8_t byte = 0;
  uint64_t v = 0, fingerprint = 0;
  std::string_view person;
  PassedPeriod period;
  if (!in.String(&person) || !in.Varint(&v) || !in.Byte(&byte) ||
      !CodeFrom(byte, &period.benefit) || !in.Varint(&v)) {
    return id;
  }
  period.period = MonthFromNumber(static_cast<int32_t>(v));
  Action action = Action::kBlock;
  if (in.Varint(&v) && in.Fixed64BE(&fingerprint) && in.Byte(&byte) && in.Fixed64BE(&fingerprint) &&
      in.Byte(&byte) && CodeFrom(byte, &action) && action == Action::kPay) {
    period.person_key = PersonKeyOf(person);
    *passed = period;
  }
  return id;
}

Result<Decision> ParseAuditEntry(std::string_view entry, uint64_t* request_hash) {
  if (!entry.empty() && entry[0] == kAuditTag) {
    VIGIL_ASSIGN_OR_RETURN(AuditRecord rec, DecodeBinary(entry));
    *request_hash = rec.request_hash;
    return std::move(rec.decision);
  }
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
    static const nlohmann::json none = nlohmann::json::array();
    for (const auto& p : j.contains("patterns") ? j.at("patterns") : none) {
      VIGIL_ASSIGN_OR_RETURN(Pattern pattern, ParseCode<Pattern>(p.get<std::string>()));
      d.patterns.push_back(pattern);
    }
    for (const auto& r : j.contains("reasons") ? j.at("reasons") : none) {
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

Result<std::string> AuditEntryJson(std::string_view entry) {
  if (entry.empty() || entry[0] != screen::kAuditTag) return std::string(entry);
  VIGIL_ASSIGN_OR_RETURN(screen::AuditRecord rec, screen::DecodeBinary(entry));
  std::string out;
  screen::AppendAuditJson(out, rec.request, rec.request_hash, rec.decision, rec.facts,
                          screen::kAuditFormat);
  return out;
}

}  // namespace vigil

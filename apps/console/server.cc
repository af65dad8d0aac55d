#include "server.h"

#include <httplib.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <unordered_map>

#include "audit_log.h"
#include "case_index.h"
#include "date_masking.h"
#include "links.h"
#include "vigil/money.h"
#include "vigil/policy.h"
#include "vigil/resident_id.h"
#include "vigil/store.h"
#include "vigil/time.h"

namespace vigil::console {

using nlohmann::json;

std::string MaskTail(std::string_view text) {
  if (text.size() <= 4) return std::string(text.size(), '*');
  return std::string(text.size() - 4, '*') + std::string(text.substr(text.size() - 4));
}

namespace {

constexpr std::string_view kCookieName = "vigil_session";
constexpr std::string_view kLabelsMeta = "console.labels";
constexpr std::string_view kPolicyMeta = "console.policy";
constexpr uint64_t kMaxPerPage = 200;
// Pages are bounded so that (page - 1) x per_page cannot overflow.
constexpr uint64_t kMaxPage = 999'999'999;
static_assert(kMaxPage <= SIZE_MAX / kMaxPerPage);
constexpr uint64_t kMaxAuditLimit = 1000;
constexpr size_t kMaxCommentCodePoints = 2000;
// Deeper JSON is refused: nlohmann's dump (and Policy's flattening) recurse once per level, so a
// body of a few hundred kilobytes of brackets would overflow the stack. Real bodies are at most
// four levels deep.
constexpr int kMaxJsonDepth = 64;
constexpr std::array<std::string_view, 6> kAuditTypes = {"decision",     "assign", "login",
                                                         "login_failed", "export", "policy"};
constexpr size_t kLinksPerKind = 12;
constexpr int kTimelineMonths = 24;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

void SendJson(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(Dump(body), "application/json; charset=utf-8");
}

void SendError(httplib::Response& res, int status, std::string_view message) {
  SendJson(res, status, json{{"error", message}});
}

std::string CookieValue(const httplib::Request& req, std::string_view name) {
  const std::string header = req.get_header_value("Cookie");
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    std::string_view part(header.data() + pos, end - pos);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.substr(0, name.size()) == name &&
        part[name.size()] == '=') {
      return std::string(part.substr(name.size() + 1));
    }
    pos = end + 1;
  }
  return {};
}

std::string Trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\n' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\n' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return std::string(s);
}

// A whole number of at most 9 digits (no sign, no spaces) up to `max`; nullopt otherwise.
std::optional<uint64_t> ParseWhole(std::string_view v, uint64_t max) {
  if (v.empty() || v.size() > 9) return std::nullopt;
  uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  if (n > max) return std::nullopt;
  return n;
}

// The query parameter `name` as a whole number in 1..max (`fallback` when absent); nullopt
// after answering 400 when it is anything else.
std::optional<uint64_t> CountParam(const httplib::Request& req, httplib::Response& res,
                                   const std::string& name, uint64_t fallback, uint64_t max) {
  if (!req.has_param(name)) return fallback;
  const std::string v = Trim(req.get_param_value(name));
  auto n = ParseWhole(v, max);
  if (!n || *n == 0) {
    SendError(
        res, 400,
        "bad " + name + ": '" + v + "' (a whole number from 1 to " + std::to_string(max) + ")");
    return std::nullopt;
  }
  return n;
}

// True when `text` has arrays or objects nested more than `limit` deep. Counts brackets outside
// strings only; right for any valid JSON, and invalid JSON fails to parse anyway.
bool NestedDeeperThan(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

// True for "application/json", with parameters ("; charset=utf-8") and in any case.
bool IsJsonMediaType(std::string_view content_type) {
  const std::string type = AsciiUpper(Trim(content_type.substr(0, content_type.find(';'))));
  return type == "APPLICATION/JSON";
}

// The JSON object in the body of `req`; nullopt after answering 415 when it was not sent as
// application/json (a cross-site form cannot send that without the browser asking the server
// first), or 400 with `usage` when it is not a JSON object, or when it is nested too deep.
std::optional<json> JsonObjectBody(const httplib::Request& req, httplib::Response& res,
                                   std::string_view usage) {
  if (!IsJsonMediaType(req.get_header_value("Content-Type"))) {
    SendError(res, 415, "the body must be sent as Content-Type: application/json");
    return std::nullopt;
  }
  if (NestedDeeperThan(req.body, kMaxJsonDepth)) {
    SendError(res, 400, "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    return std::nullopt;
  }
  auto body = json::parse(req.body, nullptr, false);
  if (!body.is_object()) {
    SendError(res, 400, usage);
    return std::nullopt;
  }
  return body;
}

// Characters as a person counts them (and a browser's maxlength, for Chinese text): UTF-8 code
// points, i.e. the bytes that do not continue a sequence. Strings from nlohmann are valid UTF-8.
size_t CodePoints(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

// The trimmed "comment" of `body`; nullopt after answering 400 when it is missing, blank or
// longer than kMaxCommentCodePoints characters. `what` names the change ("decision").
std::optional<std::string> RequiredComment(const json& body, httplib::Response& res,
                                           std::string_view what) {
  const auto it = body.find("comment");
  const std::string comment =
      it != body.end() && it->is_string() ? Trim(it->get<std::string>()) : "";
  if (comment.empty()) {
    SendError(res, 400, "a comment is required with every " + std::string(what));
    return std::nullopt;
  }
  if (CodePoints(comment) > kMaxCommentCodePoints) {
    SendError(res, 400,
              "comment longer than " + std::to_string(kMaxCommentCodePoints) + " characters");
    return std::nullopt;
  }
  return comment;
}

// The person key of a case ref (the first 8 bytes of the case key, big-endian).
std::optional<uint64_t> PersonKeyOfRef(std::string_view ref) {
  const auto key = FromHex(ref);
  if (!key || key->size() < 8) return std::nullopt;
  return PersonKeyOfCaseKey(*key);
}

std::string PatternList(uint32_t mask) {
  std::string out;
  for (Pattern p : AllCodes<Pattern>()) {
    if ((mask & (1u << static_cast<unsigned>(p))) == 0) continue;
    if (!out.empty()) out += ';';
    out += CodeName(p);
  }
  return out;
}

json PatternArray(uint32_t mask) {
  json a = json::array();
  for (Pattern p : AllCodes<Pattern>()) {
    if ((mask & (1u << static_cast<unsigned>(p))) != 0) a.push_back(CodeName(p));
  }
  return a;
}

std::string Yuan(int64_t fen) { return FormatMoney(Money::FromFen(fen)); }

// Keeps CSV cells from being read as formulas by spreadsheets (names come from feeds).
std::string CsvCell(std::string_view text) {
  std::string cell(text);
  if (!cell.empty() && (cell[0] == '=' || cell[0] == '+' || cell[0] == '-' || cell[0] == '@' ||
                        cell[0] == '\t' || cell[0] == '\r')) {
    cell.insert(cell.begin(), '\'');
  }
  if (cell.find_first_of(",\"\r\n") == std::string::npos) return cell;
  std::string out = "\"";
  for (char c : cell) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

struct Access {
  bool reviewer = false;
  bool supervisor = false;
  bool auditor = false;
  bool Allows(Role r) const {
    return (r == Role::kReviewer && reviewer) || (r == Role::kSupervisor && supervisor) ||
           (r == Role::kAuditor && auditor);
  }
};
constexpr Access kEveryone{true, true, true};
constexpr Access kDeciders{true, true, false};
constexpr Access kSupervisors{false, true, false};
constexpr Access kOversight{false, true, true};

}  // namespace

struct ConsoleServer::Impl {
  Store& store;
  ServerOptions options;
  Accounts accounts;
  Sessions sessions;
  LoginLimiter limiter;
  std::unique_ptr<AuditLog> audit;
  // Auditors' refs (case keys and person keys under the console's secret).
  KeyedRefs refs;
  CaseIndex index;
  LinkIndex links;
  httplib::Server http;
  int port = 0;

  // Serialises decisions and assignments from the audit append to the last in-memory update
  // (labels, queue, case history), so all of them follow the audit log's order.
  std::mutex review_mu;
  json labels = json::object();  // guarded by review_mu
  std::mutex history_mu;
  std::unordered_map<std::string, std::vector<json>> case_history;  // ref -> audit entries

  Impl(Store& s, ServerOptions o, const std::string& ref_secret)
      : store(s),
        options(std::move(o)),
        accounts(s),
        sessions(options.session),
        limiter(options.login_max_failures, options.login_window),
        refs(ref_secret),
        index(CaseIndexOptions{options.horizon_months, ref_secret}) {}

  Status Load() {
    VIGIL_ASSIGN_OR_RETURN(audit, AuditLog::Open(store));
    VIGIL_RETURN_IF_ERROR(index.Load(store, audit->Entries()));
    {
      std::lock_guard lock(history_mu);
      case_history.clear();
      for (json& j : audit->Entries()) {
        if (j.contains("case")) case_history[j.value("case", "")].push_back(std::move(j));
      }
    }
    auto stored = store.GetMeta(kLabelsMeta);
    if (stored.ok()) {
      auto j = json::parse(*stored, nullptr, false);
      if (j.is_object()) labels = std::move(j);
    }
    return links.BuildPersons(store);
  }

  // ---- authorisation ----

  // The session of the request when it may use a route with `access`; otherwise answers
  // 401/403 and returns nullopt. `changes_state` also demands the CSRF header.
  std::optional<Session> Guard(const httplib::Request& req, httplib::Response& res, Access access,
                               bool changes_state) {
    auto session = sessions.Find(CookieValue(req, kCookieName));
    if (!session) {
      SendError(res, 401, "login required (no session or the session expired)");
      return std::nullopt;
    }
    if (changes_state && !SecureEquals(req.get_header_value("X-CSRF-Token"), session->csrf)) {
      SendError(res, 403, "missing or wrong CSRF token (X-CSRF-Token header)");
      return std::nullopt;
    }
    if (!access.Allows(session->role)) {
      SendError(res, 403,
                std::string("not allowed for role ") + std::string(RoleName(session->role)));
      return std::nullopt;
    }
    return session;
  }

  static bool Masked(const Session& s) { return s.role == Role::kAuditor; }
  static std::string Id(const Session& s, std::string_view id) {
    return Masked(s) ? MaskTail(id) : std::string(id);
  }
  // The ref of a case as `s` may see it: auditors get its keyed ref (KeyedRefs: the real one
  // is a hash of the resident id they could invert).
  static const std::string& Ref(const CaseRow& r, const Session& s) {
    return Masked(s) ? r.auditor_ref : r.ref;
  }
  // A case as `s` may look it up: auditors by their keyed ref only (a real ref or a resident
  // id answers like an unknown case, so a guess is never confirmed).
  std::optional<CaseRow> FindFor(const Session& s, std::string_view id) const {
    return Masked(s) ? index.FindAuditorRef(id) : index.Find(id);
  }

  // The dates that tell the person's birth date, for masking them from auditors.
  PersonDates DatesOf(uint64_t person_key, std::string_view person_id) const {
    PersonDates dates;
    auto add_id_birth = [&](std::string_view id) {
      if (auto parsed = ResidentId::ParseLenient(id); parsed.ok()) {
        dates.births.push_back(parsed->birth_date());
      }
    };
    add_id_birth(person_id);
    if (auto rows = store.GetPersonRows(person_key); rows.ok()) {
      for (const PersonRecord& p : *rows) {
        add_id_birth(p.person_id);
        dates.births.push_back(p.birth_date);
        dates.retirements.push_back(p.retirement_date);
      }
    }
    // An AGE_FALSIFIED reason names the birth date a change replaced.
    HistoryFilter registry;
    registry.kinds = {EventKind::kRegistry};
    (void)store.VisitHistory(person_key, registry, [&](const EventView& e) {
      auto r = e.AsRegistry();
      if (r.ok() && r->event == RegistryEvent::kIdChange && r->detail.starts_with("birth_date:")) {
        for (const Date& d : DatesIn(r->detail)) dates.births.push_back(d);
      }
      return true;
    });
    return dates;
  }

  Result<json> Audit(const Session& s, json fields) {
    fields["user"] = s.user;
    fields["role"] = RoleName(s.role);
    return audit->Append(std::move(fields));
  }

  // ---- rendering ----

  // Auditors get no district nor birth date: with the id's last four characters they would
  // spell out most of the resident id (district, birth date, sequence number).
  json RowJson(const CaseRow& r, const Session& s) const {
    json row{{"ref", Ref(r, s)},
             {"person_id", Id(s, r.person_id)},
             {"name", r.name},
             {"region", r.region},
             {"risk", r.risk},
             {"anomaly", r.anomaly},
             {"action", CodeName(r.action)},
             {"certification", CodeName(r.certification)},
             {"patterns", PatternArray(r.patterns)},
             {"overpaid", Yuan(r.overpaid_fen)},
             {"monthly_benefit", Yuan(r.monthly_fen)},
             {"expected_loss", Yuan(r.expected_loss_fen)},
             {"status", CaseStatusName(r.status)},
             {"assignee", r.assignee},
             {"decided_by", r.decided_by},
             {"decided_at", r.decided_at}};
    if (!Masked(s)) row["district"] = r.district;
    return row;
  }

  // Parses the queue filters from query parameters; answers 400 and returns nullopt on a bad one.
  std::optional<CaseFilter> ParseFilter(const httplib::Request& req, httplib::Response& res,
                                        const Session& s) {
    CaseFilter f;
    auto param = [&](const char* name) {
      return req.has_param(name) ? Trim(req.get_param_value(name)) : std::string();
    };
    auto bad = [&](const std::string& what) {
      SendError(res, 400, "bad filter " + what);
      return std::nullopt;
    };
    if (auto v = param("pattern"); !v.empty()) {
      auto p = ParseCode<Pattern>(v);
      if (!p.ok()) return bad("pattern: " + p.status().message());
      f.pattern = *p;
    }
    if (auto v = param("action"); !v.empty()) {
      auto a = ParseCode<Action>(v);
      if (!a.ok()) return bad("action: " + a.status().message());
      f.action = *a;
    }
    if (auto v = param("certification"); !v.empty()) {
      auto c = ParseCode<Certification>(v);
      if (!c.ok()) return bad("certification: " + c.status().message());
      f.certification = *c;
    }
    if (auto v = param("status"); !v.empty()) {
      f.status = ParseCaseStatus(v);
      if (!f.status) return bad("status: '" + v + "'");
    }
    if (auto v = param("region"); !v.empty()) {
      auto n = ParseWhole(v, 65535);
      if (!n) return bad("region: '" + v + "'");
      f.region = static_cast<uint16_t>(*n);
    }
    if (auto v = param("district"); !v.empty()) {
      // Refused rather than ignored: an answer for every district would read as that district's.
      if (Masked(s)) {
        SendError(res, 403, "not allowed for role auditor: the district filter");
        return std::nullopt;
      }
      auto n = ParseWhole(v, 999999);
      if (!n) return bad("district: '" + v + "'");
      f.district = static_cast<uint32_t>(*n);
    }
    f.assignee = param("assignee");
    f.query = param("q");
    f.query_ids = !Masked(s);
    f.query_auditor_refs = Masked(s);
    return f;
  }

  // `masked_dates` is null for roles that see every date; for auditors, the dates that tell the
  // birth date are masked in the events' dates and details.
  json Timeline(uint64_t person_key, const std::string& run,
                const PersonDates* masked_dates) const {
    const bool masked = masked_dates != nullptr;
    // The window ends at the as-of date of the score run that made the case.
    Date end = std::chrono::year_month_day{
        std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now())};
    if (auto d = ParseDate(run.substr(0, std::min<size_t>(10, run.size()))); d.ok()) end = *d;
    const Month last = MonthOf(end);
    const Month first = last - std::chrono::months(kTimelineMonths - 1);
    std::vector<std::string> months;
    for (Month m = first; m <= last; m += std::chrono::months(1)) months.push_back(FormatMonth(m));
    auto month_index = [&](Timestamp t) -> int {
      const Month m = MonthOf(DateOf(t));
      const int diff = (static_cast<int>(m.year()) - static_cast<int>(first.year())) * 12 +
                       static_cast<int>(static_cast<unsigned>(m.month())) -
                       static_cast<int>(static_cast<unsigned>(first.month()));
      return diff >= 0 && diff < kTimelineMonths ? diff : -1;
    };
    std::map<std::string, std::vector<int64_t>> payments_fen, signals;
    json events = json::array();
    HistoryFilter filter;
    filter.from = StartOfDay(Date(first / std::chrono::day(1)));
    filter.to = StartOfDay(Date(std::chrono::sys_days(end) + std::chrono::days(1))) -
                std::chrono::seconds(1);
    (void)store.VisitHistory(person_key, filter, [&](const EventView& e) {
      const int i = month_index(e.time);
      if (i < 0) return true;
      switch (e.kind) {
        case EventKind::kPayment: {
          auto p = e.AsPayment();
          if (!p.ok()) break;
          auto& v = payments_fen[std::string(CodeName(p->benefit))];
          v.resize(kTimelineMonths);
          v[static_cast<size_t>(i)] += p->amount.fen();
          break;
        }
        case EventKind::kSignal: {
          auto sg = e.AsSignal();
          if (!sg.ok()) break;
          auto& v = signals[std::string(CodeName(sg->source))];
          v.resize(kTimelineMonths);
          ++v[static_cast<size_t>(i)];
          if (sg->source == SignalSource::kFaceCert || sg->source == SignalSource::kFieldVisit ||
              sg->source == SignalSource::kHospitalDischarge) {
            events.push_back(
                {{"date", FormatDate(DateOf(e.time))},
                 {"kind", "SIGNAL"},
                 {"what", CodeName(sg->source)},
                 {"detail", sg->detail + (sg->place.empty() ? "" : " @ " + sg->place)}});
          }
          break;
        }
        case EventKind::kRegistry: {
          auto r = e.AsRegistry();
          if (!r.ok()) break;
          events.push_back(
              {{"date", FormatDate(r->event_date)},
               {"kind", "REGISTRY"},
               {"what", CodeName(r->event)},
               {"detail", masked && r->event == RegistryEvent::kIdChange
                              ? std::string("(masked)")
                              : r->detail + " (reported " + FormatDate(r->reported_date) + ")"}});
          break;
        }
        case EventKind::kAppraisal: {
          auto a = e.AsAppraisal();
          if (!a.ok()) break;
          events.push_back({{"date", FormatDate(a->appraisal_date)},
                            {"kind", "APPRAISAL"},
                            {"what", CodeName(a->conclusion)},
                            {"detail", "grade " + std::to_string(a->grade) + ", doctor " +
                                           a->doctor_id + ", hospital " + a->hospital_id}});
          break;
        }
        case EventKind::kContribution: {
          auto c = e.AsContribution();
          if (!c.ok()) break;
          events.push_back(
              {{"date", FormatDate(c->paid_date)},
               {"kind", "CONTRIBUTION"},
               {"what", CodeName(c->kind)},
               {"detail", FormatMonth(c->start_month) + ".." + FormatMonth(c->end_month) + " " +
                              c->employer_id + " " + std::string(CodeName(c->job_type))}});
          break;
        }
      }
      return true;
    });
    json pay = json::object();
    for (auto& [k, v] : payments_fen) {
      json a = json::array();
      for (int64_t fen : v) a.push_back(static_cast<double>(fen) / 100.0);
      pay[k] = a;
    }
    json sig = json::object();
    for (auto& [k, v] : signals) sig[k] = v;
    // Keep the newest 200 dated events: a page, not a data dump.
    if (events.size() > 200) events.erase(events.begin(), events.end() - 200);
    if (masked) {
      // Details carry place codes, employer, doctor and hospital ids, and a district can sit
      // inside any of them (a home visit's community office).
      for (json& e : events) {
        MaskFields(e, {"date"}, *masked_dates, MaskBirthLinkedDates);
        MaskFields(e, {"detail"}, *masked_dates, MaskCodes);
      }
    }
    return json{{"months", months},
                {"payments_yuan", pay},
                {"signals", sig},
                {"events", events},
                {"as_of", FormatDate(end)}};
  }

  // As RowJson, no district nor birth date for auditors; nor the retirement date (less the
  // retirement age it is the birth date) nor the address (it names the district).
  json PersonJson(const PersonRecord& p, const Session& s) const {
    json person{{"person_id", Id(s, p.person_id)},
                {"region", p.region},
                {"name", p.name},
                {"sex", CodeName(p.sex)},
                {"scheme", CodeName(p.scheme)},
                {"category", CodeName(p.category)},
                {"retirement_type", CodeName(p.retirement_type)},
                {"monthly_benefit", FormatMoney(p.monthly_benefit)},
                {"bank_account", Masked(s) ? MaskTail(p.bank_account) : p.bank_account},
                {"phone", Masked(s) ? MaskTail(p.phone) : p.phone},
                {"status", CodeName(p.status)},
                {"id_checksum_ok", p.id_checksum_ok}};
    if (!Masked(s)) {
      person["birth_date"] = FormatDate(p.birth_date);
      person["district"] = p.district;
      person["retirement_date"] = FormatDate(p.retirement_date);
      person["address"] = p.address;
    }
    return person;
  }

  json LinksJson(uint64_t person_key, const Session& s) const {
    json out = json{{"events_ready", links.events_ready()}, {"links", json::array()}};
    auto found = links.LinksOf(store, person_key, kLinksPerKind);
    if (!found.ok()) return out;
    out["events_ready"] = found->events_ready;
    for (const Link& l : found->links) {
      json item{{"via", l.via}, {"group_size", l.group_size}};
      std::string value = l.value;
      if (Masked(s) && (l.via == "ACCOUNT" || l.via == "PHONE")) {
        value = MaskTail(value);
      } else if (Masked(s) && l.via == "NAME_BIRTH") {
        // "NAME birth-date": the name alone for auditors (see RowJson).
        value = value.substr(0, value.rfind(' '));
      } else if (Masked(s)) {
        // An employer's credit code names the district it is registered in; a doctor's id may.
        value = MaskCodes(value, PersonDates{});
      }
      item["value"] = value;
      auto rows = store.GetPersonRows(l.person_key);
      if (rows.ok() && !rows->empty()) {
        item["person_id"] = Id(s, rows->front().person_id);
        item["name"] = rows->front().name;
        // Linked persons that are cases themselves can be opened from the graph.
        if (auto c = index.Find(rows->front().person_id); c) item["ref"] = Ref(*c, s);
      } else if (Masked(s)) {
        // The person key is a hash of the resident id, as a case ref is: keyed for auditors.
        item["person_id"] = "key " + refs.PersonRef(l.person_key);
        item["name"] = "";
      } else {
        // Not in the pension registry (e.g. paid unemployment only): show the person key.
        char key[24];
        std::snprintf(key, sizeof key, "key %016llx",
                      static_cast<unsigned long long>(l.person_key));
        item["person_id"] = key;
        item["name"] = "";
      }
      out["links"].push_back(std::move(item));
    }
    return out;
  }

  // An audit entry as `s` may see it. For auditors the case ref is keyed (KeyedRefs; a value
  // that is not a ref is dropped), the case's resident id is masked, and what
  // people typed is read as MaskTyped reads it: comments (with the dates that tell the birth
  // date of `dates`, the case's person), export filters (names and values, as sent in the query
  // string) and a failed login's name. An export's district filter is all '*'.
  json MaskAuditEntry(json e, const Session& s, const PersonDates& dates) const {
    if (!Masked(s)) return e;
    if (auto it = e.find("case"); it != e.end()) {
      const auto key = it->is_string() ? FromHex(it->get<std::string>()) : std::nullopt;
      *it = key ? refs.CaseRef(*key) : std::string();
    }
    if (auto it = e.find("person_id"); it != e.end() && it->is_string()) {
      *it = MaskTail(it->get<std::string>());
    }
    MaskFields(e, {"comment"}, dates, MaskTyped);
    if (e.value("type", "") == "login_failed") MaskFields(e, {"user"}, PersonDates{}, MaskTyped);
    if (auto it = e.find("filters"); it != e.end() && it->is_object()) {
      json filters = json::object();
      for (const auto& [k, v] : it->items()) {
        const std::string name = MaskTyped(k, PersonDates{});
        if (name == "district" && v.is_string()) {
          filters[name] = std::string(v.get<std::string>().size(), '*');
        } else {
          filters[name] = v.is_string() ? json(MaskTyped(v.get<std::string>(), dates)) : v;
        }
      }
      *it = std::move(filters);
    }
    return e;
  }

  // The string fields `fields` of `j` replaced by what `mask` makes of them with `dates`.
  static void MaskFields(json& j, std::initializer_list<const char*> fields,
                         const PersonDates& dates,
                         std::string (*mask)(std::string_view, const PersonDates&)) {
    for (const char* field : fields) {
      if (auto it = j.find(field); it != j.end() && it->is_string()) {
        *it = mask(it->get<std::string>(), dates);
      }
    }
  }

  // The case as `vigil score` stored it, as an auditor may see it: the resident id masked; in
  // the reasons and the evidence, the dates that tell the birth date and the long digit runs
  // of codes (MaskCodes: a face device, an employer, a doctor in a reason).
  static void MaskScored(json& scored, const PersonDates& dates) {
    if (scored.contains("person_id")) scored["person_id"] = MaskTail(scored.value("person_id", ""));
    if (auto it = scored.find("reasons"); it != scored.end() && it->is_array()) {
      for (json& reason : *it) {
        if (reason.is_string()) reason = MaskCodes(reason.get<std::string>(), dates);
      }
    }
    for (const char* list : {"hits", "evidence"}) {
      if (auto it = scored.find(list); it != scored.end() && it->is_array()) {
        for (json& item : *it) {
          if (!item.is_object()) continue;
          MaskFields(item, {"date"}, dates, MaskBirthLinkedDates);
          MaskFields(item, {"reason", "clause", "note"}, dates, MaskCodes);
        }
      }
    }
  }

  // ---- handlers ----

  void Login(const httplib::Request& req, httplib::Response& res) {
    constexpr std::string_view kUsage = "expected {\"user\": ..., \"password\": ...}";
    auto body = JsonObjectBody(req, res, kUsage);
    if (!body) return;
    if (!body->contains("user") || !(*body)["user"].is_string() || !body->contains("password") ||
        !(*body)["password"].is_string()) {
      SendError(res, 400, kUsage);
      return;
    }
    const std::string user = (*body)["user"].get<std::string>();
    const std::string password = (*body)["password"].get<std::string>();
    const std::string address = req.remote_addr;
    // Counted before the (slow) password check, so parallel guesses cannot overtake the limit.
    if (const int64_t wait = limiter.BeginAttempt(user, address); wait > 0) {
      res.set_header("Retry-After", std::to_string(wait));
      SendError(res, 429, "too many failed logins; try again later");
      return;
    }
    auto checked = accounts.Check(user, password);
    if (!checked.ok()) {
      if (ValidUserName(user)) {
        (void)audit->Append(json{{"type", "login_failed"}, {"user", user}, {"address", address}});
      }
      SendError(res, 401, "wrong user name or password");
      return;
    }
    limiter.RecordSuccess(user, address);
    const Session s = sessions.Create(*checked);
    (void)audit->Append(json{
        {"type", "login"}, {"user", s.user}, {"role", RoleName(s.role)}, {"address", address}});
    res.set_header("Set-Cookie", std::string(kCookieName) + "=" + s.token +
                                     "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                                     std::to_string(options.session.absolute.count()));
    SendJson(res, 200,
             json{{"csrf", s.csrf},
                  {"user", s.user},
                  {"role", RoleName(s.role)},
                  {"idle_seconds", options.session.idle.count()}});
  }

  void Cases(const httplib::Request& req, httplib::Response& res) {
    auto s = Guard(req, res, kEveryone, false);
    if (!s) return;
    const auto started = std::chrono::steady_clock::now();
    auto filter = ParseFilter(req, res, *s);
    if (!filter) return;
    const auto page = CountParam(req, res, "page", 1, kMaxPage);
    if (!page) return;
    const auto per_page = CountParam(req, res, "per_page", 50, kMaxPerPage);
    if (!per_page) return;
    size_t total = 0;
    auto rows = index.Query(*filter, static_cast<size_t>((*page - 1) * *per_page),
                            static_cast<size_t>(*per_page), &total);
    json items = json::array();
    for (const CaseRow& r : rows) items.push_back(RowJson(r, *s));
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count();
    res.set_header("Server-Timing", "app;dur=" + std::to_string(ms));
    SendJson(res, 200,
             json{{"total", total},
                  {"page", *page},
                  {"per_page", *per_page},
                  {"items", items},
                  {"run", index.last_run()},
                  {"run_notes", index.last_run_notes()},
                  {"server_ms", ms}});
  }

  void CaseDetail(const httplib::Request& req, httplib::Response& res) {
    auto s = Guard(req, res, kEveryone, false);
    if (!s) return;
    // Auditors open cases by their keyed ref only, and a resident id or a real ref answers like
    // an unknown case: a 200 would confirm a guessed id.
    const std::string id = req.matches[1].str();
    auto row = FindFor(*s, id);
    if (!row) {
      SendError(res, 404, "no such case");
      return;
    }
    const PersonDates dates = Masked(*s) ? DatesOf(row->person_key, row->person_id) : PersonDates{};
    json out;
    out["case"] = RowJson(*row, *s);
    auto stored = store.GetCase(row->key);
    if (stored.ok()) {
      auto j = json::parse(*stored, nullptr, false);
      if (j.is_object()) {
        if (Masked(*s)) MaskScored(j, dates);
        out["scored"] = j;
      }
    }
    out["persons"] = json::array();
    if (auto rows = store.GetPersonRows(row->person_key); rows.ok()) {
      for (const PersonRecord& p : *rows) out["persons"].push_back(PersonJson(p, *s));
    }
    out["timeline"] = Timeline(row->person_key, row->run, Masked(*s) ? &dates : nullptr);
    out["linked"] = LinksJson(row->person_key, *s);
    json history = json::array();
    {
      std::lock_guard lock(history_mu);
      if (auto it = case_history.find(row->ref); it != case_history.end()) {
        for (const json& e : it->second) history.push_back(MaskAuditEntry(e, *s, dates));
      }
    }
    out["history"] = history;
    out["can_decide"] = s->role != Role::kAuditor;
    out["can_assign"] = s->role == Role::kSupervisor;
    SendJson(res, 200, out);
  }

  void Decide(const httplib::Request& req, httplib::Response& res) {
    auto s = Guard(req, res, kDeciders, true);
    if (!s) return;
    const std::string id = req.matches[1].str();
    if (!index.Find(id)) {
      SendError(res, 404, "no such case");
      return;
    }
    constexpr std::string_view kUsage = "expected {\"decision\": ..., \"comment\": ...}";
    auto body = JsonObjectBody(req, res, kUsage);
    if (!body) return;
    if (!body->contains("decision") || !(*body)["decision"].is_string()) {
      SendError(res, 400, kUsage);
      return;
    }
    auto decision = ParseDecision((*body)["decision"].get<std::string>());
    if (!decision) {
      SendError(res, 400, "decision must be CONFIRM_FRAUD, CLEAR, NEEDS_ACTIVE or RESTORE");
      return;
    }
    auto comment = RequiredComment(*body, res, "decision");
    if (!comment) return;
    std::lock_guard review(review_mu);
    // Read again under the lock: the status this decision replaces is the latest one.
    auto row = index.Find(id);
    if (!row) {
      SendError(res, 404, "no such case");
      return;
    }
    auto entry = Audit(*s, json{{"type", "decision"},
                                {"case", row->ref},
                                {"person_id", row->person_id},
                                {"region", row->region},
                                {"decision", DecisionName(*decision)},
                                {"previous_status", CaseStatusName(row->status)},
                                {"comment", *comment},
                                {"run", row->run},
                                {"patterns", PatternArray(row->patterns)}});
    if (!entry.ok()) {
      SendError(res, 500, "could not record the decision: " + entry.status().ToString());
      return;
    }
    if (*decision == Decision::kConfirmFraud || *decision == Decision::kClear) {
      labels[row->person_id] = *decision == Decision::kConfirmFraud ? 1 : 0;
      if (Status st = store.PutMeta(kLabelsMeta, Dump(labels)); !st.ok()) {
        SendError(res, 500, "decision recorded but labels not saved: " + st.ToString());
        return;
      }
    }
    Record(row->ref, *entry);
    SendJson(res, 200,
             json{{"case", RowJson(*index.Find(row->ref), *s)}, {"audit_seq", (*entry)["seq"]}});
  }

  // Applies a new decision or assignment entry to the queue and the case's history (caller
  // holds review_mu).
  void Record(const std::string& ref, const json& entry) {
    index.Apply(entry);
    std::lock_guard lock(history_mu);
    case_history[ref].push_back(entry);
  }

  void Assign(const httplib::Request& req, httplib::Response& res) {
    auto s = Guard(req, res, kSupervisors, true);
    if (!s) return;
    const std::string id = req.matches[1].str();
    if (!index.Find(id)) {
      SendError(res, 404, "no such case");
      return;
    }
    constexpr std::string_view kUsage = "expected {\"assignee\": NAME} (\"\" to unassign)";
    auto body = JsonObjectBody(req, res, kUsage);
    if (!body) return;
    if (!body->contains("assignee") || !(*body)["assignee"].is_string()) {
      SendError(res, 400, kUsage);
      return;
    }
    const std::string assignee = (*body)["assignee"].get<std::string>();
    if (!assignee.empty()) {
      auto user = accounts.Get(assignee);
      if (!user.ok() || user->role == Role::kAuditor) {
        SendError(res, 400, "assignee must be a reviewer or supervisor account");
        return;
      }
    }
    std::lock_guard review(review_mu);
    auto row = index.Find(id);
    if (!row) {
      SendError(res, 404, "no such case");
      return;
    }
    auto entry = Audit(*s, json{{"type", "assign"},
                                {"case", row->ref},
                                {"person_id", row->person_id},
                                {"region", row->region},
                                {"assignee", assignee}});
    if (!entry.ok()) {
      SendError(res, 500, "could not record the assignment: " + entry.status().ToString());
      return;
    }
    Record(row->ref, *entry);
    SendJson(res, 200, json{{"case", RowJson(*index.Find(row->ref), *s)}});
  }

  void Dashboard(const httplib::Request& req, httplib::Response& res) {
    auto s = Guard(req, res, kEveryone, false);
    if (!s) return;
    auto filter = ParseFilter(req, res, *s);
    if (!filter) return;
    struct Sum {
      int64_t cases = 0, overpaid = 0, expected = 0;
    };
    std::map<std::string, Sum> by_pattern, by_region, by_district, by_status, by_cert, by_action;
    std::array<int64_t, 20> histogram{};
    Sum total;
    int64_t confirmed_overpaid = 0, confirmed_monthly = 0, cleared = 0, decided = 0;
    index.ForEach(*filter, [&](const CaseRow& r) {
      auto add = [&](Sum& x) {
        ++x.cases;
        x.overpaid += r.overpaid_fen;
        x.expected += r.expected_loss_fen;
      };
      add(total);
      for (Pattern p : AllCodes<Pattern>()) {
        if (r.patterns & (1u << static_cast<unsigned>(p)))
          add(by_pattern[std::string(CodeName(p))]);
      }
      add(by_region[std::to_string(r.region)]);
      add(by_district[std::to_string(r.district)]);
      add(by_status[std::string(CaseStatusName(r.status))]);
      add(by_cert[std::string(CodeName(r.certification))]);
      add(by_action[std::string(CodeName(r.action))]);
      ++histogram[std::min<size_t>(19, static_cast<size_t>(std::max(0.0, r.risk) * 20))];
      if (r.status == CaseStatus::kConfirmedFraud) {
        confirmed_overpaid += r.overpaid_fen;
        confirmed_monthly += r.monthly_fen;
      }
      if (r.status == CaseStatus::kCleared) ++cleared;
      if (r.status != CaseStatus::kOpen) ++decided;
    });
    auto table = [](const std::map<std::string, Sum>& m, size_t top) {
      std::vector<std::pair<std::string, Sum>> v(m.begin(), m.end());
      std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
        return a.second.cases != b.second.cases ? a.second.cases > b.second.cases
                                                : a.first < b.first;
      });
      if (v.size() > top) v.resize(top);
      json a = json::array();
      for (const auto& [k, x] : v) {
        a.push_back(json{{"key", k},
                         {"cases", x.cases},
                         {"overpaid", Yuan(x.overpaid)},
                         {"expected_loss", Yuan(x.expected)}});
      }
      return a;
    };
    json hist = json::array();
    for (size_t i = 0; i < histogram.size(); ++i) {
      hist.push_back(json{{"from", static_cast<double>(i) / 20.0}, {"cases", histogram[i]}});
    }
    json body{{"cases", total.cases},
              {"overpaid", Yuan(total.overpaid)},
              {"expected_loss", Yuan(total.expected)},
              {"decided", decided},
              {"cleared", cleared},
              {"confirmed_overpaid", Yuan(confirmed_overpaid)},
              {"confirmed_monthly_stopped", Yuan(confirmed_monthly)},
              {"by_pattern", table(by_pattern, 32)},
              {"by_region", table(by_region, 32)},
              {"by_status", table(by_status, 8)},
              {"by_certification", table(by_cert, 8)},
              {"by_action", table(by_action, 8)},
              {"risk_histogram", hist},
              {"run", index.last_run()},
              {"run_notes", index.last_run_notes()}};
    // Not for auditors: a dashboard filtered down to one case (by name or ref) would name its
    // district.
    if (!Masked(*s)) body["by_district"] = table(by_district, 20);
    SendJson(res, 200, body);
  }

  void Export(const httplib::Request& req, httplib::Response& res) {
    auto s = Guard(req, res, kSupervisors, false);
    if (!s) return;
    auto filter = ParseFilter(req, res, *s);
    if (!filter) return;
    // A UTF-8 byte order mark so spreadsheet programs read Chinese names correctly.
    std::string csv = "\xEF\xBB\xBF";
    csv +=
        "person_id,region,name,district,risk,expected_loss,action,certification,patterns,"
        "overpaid,monthly_benefit,status,assignee\n";
    size_t rows = 0;
    index.ForEach(*filter, [&](const CaseRow& r) {
      char risk[16];
      std::snprintf(risk, sizeof risk, "%.4f", r.risk);
      csv += CsvCell(r.person_id) + ',' + std::to_string(r.region) + ',' + CsvCell(r.name) + ',' +
             std::to_string(r.district) + ',' + risk + ',' + Yuan(r.expected_loss_fen) + ',' +
             std::string(CodeName(r.action)) + ',' + std::string(CodeName(r.certification)) + ',' +
             PatternList(r.patterns) + ',' + Yuan(r.overpaid_fen) + ',' + Yuan(r.monthly_fen) +
             ',' + std::string(CaseStatusName(r.status)) + ',' + CsvCell(r.assignee) + '\n';
      ++rows;
    });
    json filters = json::object();
    for (const auto& [k, v] : req.params) filters[k] = v;
    auto entry = Audit(*s, json{{"type", "export"}, {"rows", rows}, {"filters", filters}});
    if (!entry.ok()) {
      SendError(res, 500, "could not record the export: " + entry.status().ToString());
      return;
    }
    res.set_header("Content-Disposition", "attachment; filename=\"vigil-cases.csv\"");
    res.set_header("Cache-Control", "no-store");
    res.set_content(csv, "text/csv; charset=utf-8");
  }

  void AuditList(const httplib::Request& req, httplib::Response& res) {
    auto s = Guard(req, res, kOversight, false);
    if (!s) return;
    const auto limit = CountParam(req, res, "limit", 100, kMaxAuditLimit);
    if (!limit) return;
    const std::string type = req.has_param("type") ? Trim(req.get_param_value("type")) : "";
    if (!type.empty() &&
        std::find(kAuditTypes.begin(), kAuditTypes.end(), type) == kAuditTypes.end()) {
      SendError(
          res, 400,
          "bad type: '" + type + "' (decision, assign, login, login_failed, export or policy)");
      return;
    }
    // Newest first: keep the last `limit` matching console entries.
    std::deque<json> last;
    uint64_t total = 0;
    for (json& j : audit->Entries()) {
      if (!type.empty() && j.value("type", "") != type) continue;
      ++total;
      last.push_back(std::move(j));
      if (last.size() > *limit) last.pop_front();
    }
    // For auditors, each entry's comment is masked with the dates of its case's person.
    std::unordered_map<uint64_t, PersonDates> dates_of;
    const PersonDates no_person;
    auto dates_for = [&](const json& e) -> const PersonDates& {
      if (!Masked(*s)) return no_person;
      const auto person_key = PersonKeyOfRef(e.value("case", ""));
      if (!person_key) return no_person;
      auto [it, added] = dates_of.try_emplace(*person_key);
      if (added) it->second = DatesOf(*person_key, e.value("person_id", ""));
      return it->second;
    };
    json items = json::array();
    for (auto it = last.rbegin(); it != last.rend(); ++it) {
      items.push_back(MaskAuditEntry(*it, *s, dates_for(*it)));
    }
    SendJson(res, 200, json{{"total", total}, {"items", items}});
  }

  void PolicyGet(const httplib::Request& req, httplib::Response& res) {
    auto s = Guard(req, res, kEveryone, false);
    if (!s) return;
    auto stored = store.GetMeta(kPolicyMeta);
    std::string text = stored.ok() ? *stored : Policy::Defaults().ToJson();
    auto j = json::parse(text, nullptr, false);
    SendJson(res, 200,
             json{{"policy", j},
                  {"source", stored.ok() ? "console" : "defaults"},
                  {"can_edit", s->role == Role::kSupervisor}});
  }

  void PolicyPut(const httplib::Request& req, httplib::Response& res) {
    auto s = Guard(req, res, kSupervisors, true);
    if (!s) return;
    constexpr std::string_view kUsage = "expected {\"policy\": {...}, \"comment\": ...}";
    auto body = JsonObjectBody(req, res, kUsage);
    if (!body) return;
    if (!body->contains("policy") || !(*body)["policy"].is_object()) {
      SendError(res, 400, kUsage);
      return;
    }
    auto comment = RequiredComment(*body, res, "policy change");
    if (!comment) return;
    const std::string text = Dump((*body)["policy"]);
    auto parsed = Policy::FromJson(text, "policy");
    if (!parsed.ok()) {
      SendError(res, 400, parsed.status().message());
      return;
    }
    const std::string canonical = parsed->ToJson();
    auto entry = Audit(*s, json{{"type", "policy"},
                                {"comment", *comment},
                                {"version", parsed->version},
                                {"policy_sha256", Sha256Hex(canonical)}});
    if (!entry.ok()) {
      SendError(res, 500, "could not record the change: " + entry.status().ToString());
      return;
    }
    if (Status st = store.PutMeta(kPolicyMeta, canonical); !st.ok()) {
      SendError(res, 500, st.ToString());
      return;
    }
    SendJson(res, 200, json{{"version", parsed->version}, {"audit_seq", (*entry)["seq"]}});
  }

  void Users(const httplib::Request& req, httplib::Response& res) {
    auto s = Guard(req, res, kSupervisors, false);
    if (!s) return;
    auto users = accounts.List();
    json a = json::array();
    if (users.ok()) {
      for (const User& u : *users) a.push_back(json{{"name", u.name}, {"role", RoleName(u.role)}});
    }
    SendJson(res, 200, json{{"users", a}});
  }

  void Refresh(const httplib::Request& req, httplib::Response& res) {
    auto s = Guard(req, res, kSupervisors, true);
    if (!s) return;
    if (Status st = index.Load(store, audit->Entries()); !st.ok()) {
      SendError(res, 500, st.ToString());
      return;
    }
    SendJson(res, 200,
             json{{"cases", index.size()},
                  {"run", index.last_run()},
                  {"run_notes", index.last_run_notes()}});
  }

  void Routes() {
    http.set_default_headers({
        {"X-Content-Type-Options", "nosniff"},
        {"X-Frame-Options", "DENY"},
        {"Referrer-Policy", "no-referrer"},
        {"Content-Security-Policy",
         "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
         "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
         "form-action 'self'"},
    });
    http.set_payload_max_length(size_t{1} << 20);
    http.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, const std::exception_ptr&) {
          SendError(res, 500, "internal error");
        });
    http.Post("/api/login", [this](const auto& q, auto& r) { Login(q, r); });
    http.Post("/api/logout", [this](const httplib::Request& q, httplib::Response& r) {
      auto s = Guard(q, r, kEveryone, true);
      if (!s) return;
      sessions.Remove(s->token);
      r.set_header("Set-Cookie",
                   std::string(kCookieName) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
      SendJson(r, 200, json{{"ok", true}});
    });
    http.Get("/api/me", [this](const httplib::Request& q, httplib::Response& r) {
      auto s = Guard(q, r, kEveryone, false);
      if (!s) return;
      SendJson(r, 200, json{{"user", s->user}, {"role", RoleName(s->role)}, {"csrf", s->csrf}});
    });
    http.Get("/api/cases", [this](const auto& q, auto& r) { Cases(q, r); });
    http.Get(R"(/api/cases/([0-9A-Za-z]{1,32}))",
             [this](const auto& q, auto& r) { CaseDetail(q, r); });
    http.Post(R"(/api/cases/([0-9A-Za-z]{1,32})/decision)",
              [this](const auto& q, auto& r) { Decide(q, r); });
    http.Post(R"(/api/cases/([0-9A-Za-z]{1,32})/assign)",
              [this](const auto& q, auto& r) { Assign(q, r); });
    http.Get("/api/dashboard", [this](const auto& q, auto& r) { Dashboard(q, r); });
    http.Get("/api/export", [this](const auto& q, auto& r) { Export(q, r); });
    http.Get("/api/audit", [this](const auto& q, auto& r) { AuditList(q, r); });
    http.Get("/api/policy", [this](const auto& q, auto& r) { PolicyGet(q, r); });
    http.Put("/api/policy", [this](const auto& q, auto& r) { PolicyPut(q, r); });
    http.Get("/api/users", [this](const auto& q, auto& r) { Users(q, r); });
    http.Post("/api/refresh", [this](const auto& q, auto& r) { Refresh(q, r); });
    // httplib calls this for every error status, also after a route has answered one itself
    // (404 "no such case"): only an answer without a body is filled in.
    http.set_error_handler([](const httplib::Request& q, httplib::Response& r) {
      if (r.body.empty() && r.status == 404 && q.path.rfind("/api/", 0) == 0) {
        SendError(r, 404, "no such route");
      }
    });
    const std::filesystem::path web(options.web_dir);
    http.set_mount_point("/vendor/echarts", (web / "node_modules" / "echarts" / "dist").string());
    http.set_mount_point("/", (web / "public").string());
  }
};

ConsoleServer::ConsoleServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ConsoleServer::~ConsoleServer() { Stop(); }

Result<std::unique_ptr<ConsoleServer>> ConsoleServer::Create(Store& store, ServerOptions options) {
  if (options.web_dir.empty() ||
      !std::filesystem::exists(std::filesystem::path(options.web_dir) / "public" / "index.html")) {
    return Status::InvalidArgument("web folder '" + options.web_dir + "' has no public/index.html");
  }
  VIGIL_ASSIGN_OR_RETURN(const std::string ref_secret, KeyedRefs::LoadOrCreateSecret(store));
  auto impl = std::make_unique<Impl>(store, std::move(options), ref_secret);
  VIGIL_RETURN_IF_ERROR(impl->Load());
  if (impl->options.index_events) impl->links.StartEventsBuild(store);
  impl->Routes();
  return std::unique_ptr<ConsoleServer>(new ConsoleServer(std::move(impl)));
}

Result<int> ConsoleServer::Bind() {
  if (impl_->options.port == 0) {
    impl_->port = impl_->http.bind_to_any_port(impl_->options.host);
    if (impl_->port <= 0) return Status::IoError("cannot bind " + impl_->options.host);
  } else {
    if (!impl_->http.bind_to_port(impl_->options.host, impl_->options.port)) {
      return Status::IoError("cannot bind " + impl_->options.host + ":" +
                             std::to_string(impl_->options.port));
    }
    impl_->port = impl_->options.port;
  }
  return impl_->port;
}

Status ConsoleServer::Run() {
  if (!impl_->http.listen_after_bind()) return Status::IoError("the server stopped with an error");
  return Status::Ok();
}

void ConsoleServer::Stop() {
  if (impl_) impl_->http.stop();
}

size_t ConsoleServer::cases() const { return impl_->index.size(); }

}  // namespace vigil::console

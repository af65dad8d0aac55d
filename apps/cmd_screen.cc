// `vigil screen --db DB PAYROLL.csv --out DECISIONS.csv`: screens a payroll (a payments file of
// the data contract) before disbursement. Rows that break the contract go to the rejects file
// with their reasons; every other row gets a decision (PAY / HOLD / BLOCK) in DECISIONS.csv and
// an entry in the screener's audit journal (DB/screen-audit/). docs/screening.md.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>

#include "commands.h"
#include "progress.h"
#include "vigil/csv.h"
#include "vigil/csv_field.h"
#include "vigil/ingest.h"
#include "vigil/policy.h"
#include "vigil/screener.h"

namespace vigil::cli {
namespace {

struct ScreenArgs {
  std::string db;
  std::string payroll;
  std::string out;
  std::string rejects;
  std::string policy;
  std::string secondary;
  std::string audit;
  int threads = 0;
  int window_months = 24;
  size_t batch = 65536;
};

// Escapes bytes that are not printable so a rejects row stays one line of text.
std::string RawText(std::string_view raw) {
  std::string out;
  for (char c : raw) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 && c != '\t') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

struct Counts {
  uint64_t rows = 0;
  uint64_t rejected = 0;
  uint64_t by_action[3] = {0, 0, 0};
  uint64_t repeated = 0;
};

// Whether a payroll's header names a paid_date column (any case).
bool NamesPaidDate(const std::vector<std::string>& header) {
  for (const std::string& h : header) {
    std::string name = h;
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name.find("paid_date") != std::string::npos) return true;
  }
  return false;
}

// The reject reason of a row the CSV reader could not split.
RejectReason CsvProblemReason(CsvProblem problem) {
  switch (problem) {
    case CsvProblem::kUnterminatedQuote:
      return RejectReason::kUnterminatedQuote;
    case CsvProblem::kStrayQuote:
      return RejectReason::kStrayQuote;
    case CsvProblem::kTooLong:
      return RejectReason::kRowTooLong;
    default:
      return RejectReason::kBadUtf8;
  }
}

// One row of the rejects file: file, line, column, reason, raw.
std::string RejectLine(const Reject& r) {
  std::string line;
  AppendCsvField(line, r.file);
  line += ',';
  line += std::to_string(r.line);
  line += ',';
  AppendCsvField(line, r.column);
  line += ',';
  AppendCsvField(line, r.ReasonText());
  line += ',';
  AppendCsvField(line, r.raw);
  return line;
}

PaymentRequest ToRequest(PaymentRecord&& record) {
  PaymentRequest request;
  request.payment_id = std::move(record.payment_id);
  request.person_id = std::move(record.person_id);
  request.region = record.region;
  request.benefit = record.benefit;
  request.period = record.period;
  request.amount = record.amount;
  request.bank_account = std::move(record.bank_account);
  request.channel = record.channel;
  return request;
}

// One row of the decisions file, in the order of its header.
void AppendDecisionRow(const PaymentRequest& r, const Decision& d, std::string& text) {
  AppendCsvField(text, r.payment_id);
  text += ',';
  AppendCsvField(text, r.person_id);
  text += ',';
  text += std::to_string(r.region);
  text += ',';
  text += CodeName(r.benefit);
  text += ',';
  text += FormatMonth(r.period);
  text += ',';
  text += FormatMoney(r.amount);
  text += ',';
  text += CodeName(d.action);
  text += ',';
  char risk[16];
  std::snprintf(risk, sizeof risk, "%.4f", d.risk);
  text += risk;
  text += ',';
  AppendCsvField(text, JoinPatternNames(d.patterns));
  text += ',';
  AppendCsvField(text, JoinReasonTexts(d.reasons, " | "));
  text += ',';
  text += d.repeated ? '1' : '0';
  text += '\n';
}

int RunScreen(const ScreenArgs& args) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  Policy policy = Policy::Defaults();
  if (!args.policy.empty()) {
    auto loaded = Policy::LoadFile(args.policy);
    if (!loaded.ok()) {
      std::cerr << "vigil screen: " << loaded.status().message() << "\n";
      return kExitFailure;
    }
    policy = std::move(*loaded);
  }
  if (args.batch == 0) {
    std::cerr << "vigil screen: --batch must be > 0\n";
    return kExitUsage;
  }
  auto reader = CsvReader::Open(args.payroll);
  if (!reader.ok()) {
    std::cerr << "vigil screen: " << args.payroll << ": " << reader.status().ToString() << "\n";
    return kExitFailure;
  }
  // A payroll is requests not yet paid: paid_date may be absent; it is not used by screening,
  // so the contract's payments validation gets today's date in its place.
  std::vector<std::string> header = (*reader)->header();
  const bool synthetic_paid_date = !NamesPaidDate(header);
  const std::string today =
      FormatDate(Date(std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now())));
  if (synthetic_paid_date) header.push_back("paid_date");
  auto parser = FeedParser::Create(Feed::kPayments, header, (*reader)->file_name());
  if (!parser.ok()) {
    std::cerr << "vigil screen: " << parser.status().message() << "\n";
    return kExitFailure;
  }

  ProgressLine progress("screen");
  ScreenerStoreOptions where;
  where.db_path = args.db;
  where.secondary_path = args.secondary;
  where.audit_path = args.audit;
  ScreenerOptions options;
  options.threads = args.threads;
  options.window_months = args.window_months;
  // The state is built on the screener's threads while this thread reads and validates the
  // first batches of the payroll (up to kReadAhead of them): reading is not on the critical
  // path of a payroll whose state takes longer to build than the file to read.
  double open_seconds = 0;
  std::future<Result<std::unique_ptr<Screener>>> opening =
      std::async(std::launch::async, [&]() -> Result<std::unique_ptr<Screener>> {
        auto opened = Screener::Open(where, policy, options);
        open_seconds = std::chrono::duration<double>(Clock::now() - start).count();
        return opened;
      });
  Result<std::unique_ptr<Screener>> screener = Status::Unavailable("not open yet");
  bool open = false;
  auto wait_open = [&]() -> bool {
    if (!open) {
      screener = opening.get();
      open = true;
    }
    if (!screener.ok()) {
      std::cerr << "vigil screen: cannot open " << args.db << ": " << screener.status().ToString()
                << "\n";
      return false;
    }
    return true;
  };
  auto opened = [&] {
    return open || opening.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  };

  const std::string rejects_path = args.rejects.empty() ? args.out + ".rejects.csv" : args.rejects;
  const std::string out_tmp = args.out + ".tmp";
  std::ofstream out(out_tmp, std::ios::binary);
  std::ofstream rejects(rejects_path, std::ios::binary);
  if (!out || !rejects) {
    std::cerr << "vigil screen: cannot write " << (out ? rejects_path : out_tmp) << "\n";
    return kExitFailure;
  }
  out << "payment_id,person_id,region,benefit,period,amount,action,risk,patterns,reasons,"
         "repeated\n";
  rejects << "file,line,column,reason,raw\n";

  // Pipelined: while one batch is screened (on the screener's threads), the main thread writes
  // the decisions of the batch before it and reads and validates the next one; the decisions
  // are written in input order.
  Counts counts;
  std::vector<PaymentRequest> batch;      // being read
  std::vector<PaymentRequest> screening;  // being screened
  std::vector<Result<Decision>> decisions;
  std::vector<PaymentRequest> to_write;  // screened, decisions not written yet
  std::vector<Result<Decision>> to_write_decisions;
  std::future<Status> pending;
  double screen_seconds = 0;
  std::string text;
  // Waits for the batch being screened and sets it aside to be written.
  auto wait_screened = [&]() -> bool {
    if (!pending.valid()) return true;
    Status s = pending.get();
    if (!s.ok()) {
      std::cerr << "vigil screen: " << s.ToString() << "\n";
      return false;
    }
    to_write.swap(screening);
    to_write_decisions.swap(decisions);
    screening.clear();
    return true;
  };
  auto write_screened = [&] {
    text.clear();
    for (size_t i = 0; i < to_write.size(); ++i) {
      const PaymentRequest& r = to_write[i];
      const Result<Decision>& decision = to_write_decisions[i];
      if (!decision.ok()) {
        // The contract's validation passed but screening refused it (e.g. a region outside
        // 1000..9999): still a reject, with the reason.
        std::string line = "payroll,,,";
        AppendCsvField(line, "INVALID_REQUEST: " + decision.status().message());
        line += ',';
        AppendCsvField(line, r.payment_id);
        rejects << line << '\n';
        ++counts.rejected;
        continue;
      }
      const Decision& d = *decision;
      ++counts.by_action[static_cast<size_t>(d.action)];
      counts.repeated += d.repeated ? 1 : 0;
      AppendDecisionRow(r, d, text);
    }
    out << text;
    to_write.clear();
  };
  auto finish_pending = [&]() -> bool {
    if (!wait_screened()) return false;
    write_screened();
    return true;
  };
  // Batches read while the state is being built.
  constexpr size_t kReadAhead = 16;
  std::deque<std::vector<PaymentRequest>> read_ahead;
  // Hands `batch` on: kept while the state is being built (up to kReadAhead batches), else
  // screened after the batches read before it. The `last` call screens everything kept.
  auto flush_batch = [&](bool last) -> bool {
    if (!last && !opened() && read_ahead.size() < kReadAhead) {
      read_ahead.push_back(std::move(batch));
      batch.clear();
      return true;
    }
    if (!wait_open()) return false;
    if (!batch.empty()) read_ahead.push_back(std::move(batch));
    batch.clear();
    while (!read_ahead.empty()) {
      if (!wait_screened()) return false;
      screening = std::move(read_ahead.front());
      read_ahead.pop_front();
      pending = std::async(std::launch::async, [&]() -> Status {
        const auto t = Clock::now();
        Status s = (*screener)->ScreenBatch(screening, &decisions);
        screen_seconds += std::chrono::duration<double>(Clock::now() - t).count();
        return s;
      });
      write_screened();  // the batch before, while this one is screened
    }
    return true;
  };

  CsvRow row;
  std::vector<std::string_view> fields;
  PaymentRecord record;
  RowReject reject;
  while (true) {
    auto more = (*reader)->Next(&row);
    if (!more.ok()) {
      std::cerr << "vigil screen: " << args.payroll << ": " << more.status().ToString() << "\n";
      return kExitFailure;
    }
    if (!*more) break;
    ++counts.rows;
    bool ok = row.problem == CsvProblem::kNone;
    if (ok) {
      fields.assign(row.fields.begin(), row.fields.end());
      if (synthetic_paid_date && fields.size() + 1 == header.size()) fields.push_back(today);
      ok = parser->Parse(fields, &record, &reject);
    } else {
      reject.column.clear();
      reject.reason = CsvProblemReason(row.problem);
      reject.message = "the row is not valid CSV";
    }
    if (!ok) {
      rejects << RejectLine(Reject{std::string(row.file), row.line, reject.column, reject.reason,
                                   reject.message, RawText(row.raw)})
              << '\n';
      ++counts.rejected;
      continue;
    }
    batch.push_back(ToRequest(std::move(record)));
    record = PaymentRecord();
    if (batch.size() >= args.batch && !flush_batch(false)) return kExitFailure;
    if (progress.enabled() && counts.rows % 65536 == 0) {
      progress.Update(counts.rows, 0, "payments");
    }
  }
  if (!flush_batch(true) || !finish_pending()) return kExitFailure;
  progress.Finish();
  out.flush();
  rejects.flush();
  if (!out || !rejects) {
    std::cerr << "vigil screen: write failed\n";
    return kExitFailure;
  }
  out.close();
  std::error_code ec;
  std::filesystem::rename(out_tmp, args.out, ec);
  if (ec) {
    std::cerr << "vigil screen: " << args.out << ": " << ec.message() << "\n";
    return kExitFailure;
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const ScreenerStats stats = (*screener)->stats();
  const uint64_t screened = counts.by_action[0] + counts.by_action[1] + counts.by_action[2];
  std::printf(
      "screened %llu payments in %.2f s (state of %llu persons built in %.2f s, %.0f MiB; "
      "screening %.2f s, overlapped with reading): "
      "PAY %llu, HOLD %llu, BLOCK %llu (%llu repeated); %llu rejected\n",
      static_cast<unsigned long long>(screened), seconds,
      static_cast<unsigned long long>(stats.persons), open_seconds,
      static_cast<double>(stats.state_bytes) / (1 << 20), screen_seconds,
      static_cast<unsigned long long>(counts.by_action[0]),
      static_cast<unsigned long long>(counts.by_action[1]),
      static_cast<unsigned long long>(counts.by_action[2]),
      static_cast<unsigned long long>(counts.repeated),
      static_cast<unsigned long long>(counts.rejected));
  std::printf("wrote %s and %s (policy %s, score run %s)\n", args.out.c_str(), rejects_path.c_str(),
              policy.version.c_str(),
              (*screener)->score_run().empty() ? "none" : (*screener)->score_run().c_str());
  return kExitOk;
}

}  // namespace

void AddScreenCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ScreenArgs>();
  CLI::App* cmd = app.add_subcommand(
      "screen", "Screen a payroll file before disbursement: PAY, HOLD or BLOCK per payment");
  cmd->add_option("--db", args->db, "Store folder (written by vigil ingest and vigil score)")
      ->required();
  cmd->add_option("payroll", args->payroll, "Payments file of the data contract (.csv or .csv.gz)")
      ->required();
  cmd->add_option("--out", args->out, "Decisions CSV to write")->required();
  cmd->add_option("--rejects", args->rejects, "Rejected rows (default: OUT.rejects.csv)");
  cmd->add_option("--policy", args->policy, "policy.json (defaults of the contract if absent)");
  cmd->add_option("--secondary", args->secondary,
                  "Follow a running ingest: open DB as a secondary kept in this folder");
  cmd->add_option("--audit", args->audit,
                  "With --secondary: the folder of the screener's own audit journal");
  cmd->add_option("--threads", args->threads, "Worker threads (0 = all cores)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--window-months", args->window_months,
                  "Months of paid periods the screener keeps (default 24)")
      ->check(CLI::Range(1, 57));
  cmd->add_option("--batch", args->batch, "Payments per screening batch (default 65536)");
  cmd->callback([args, &exit_code] { exit_code = RunScreen(*args); });
}

}  // namespace vigil::cli

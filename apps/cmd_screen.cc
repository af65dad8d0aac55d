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
#include <memory>
#include <optional>

#include "commands.h"
#include "progress.h"
#include "vigil/csv.h"
#include "vigil/csv_field.h"
#include "vigil/durable_file.h"
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

// Whether a payroll's header names a paid_date column (any case; another column whose name
// merely contains it, say paid_date_planned, is an unknown column and ignored).
bool NamesPaidDate(const std::vector<std::string>& header) {
  for (const std::string& h : header) {
    std::string name = h;
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name == "paid_date") return true;
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

// One run of `vigil screen`, in named steps. Pipelined: while one batch is screened (on the
// screener's threads), the main thread writes the decisions of the batch before it and reads
// and validates the next one; the decisions are written in input order. The screener's state
// is built on its threads while this thread reads and validates the first batches of the
// payroll (up to kReadAhead of them): reading is not on the critical path of a payroll whose
// state takes longer to build than the file to read.
class PayrollScreening {
 public:
  explicit PayrollScreening(const ScreenArgs& args)
      : args_(args),
        rejects_path_(args.rejects.empty() ? args.out + ".rejects.csv" : args.rejects),
        out_tmp_(TempPathFor(args.out)),
        rejects_tmp_(TempPathFor(rejects_path_)) {}

  // A failed run leaves the earlier decisions and rejects as they were, and no temporary file.
  ~PayrollScreening() {
    if (committed_ || !outputs_opened_) return;
    std::error_code ec;
    if (out_tmp_ != args_.out) std::filesystem::remove(out_tmp_, ec);
    if (rejects_tmp_ != rejects_path_) std::filesystem::remove(rejects_tmp_, ec);
  }
  PayrollScreening(const PayrollScreening&) = delete;
  PayrollScreening& operator=(const PayrollScreening&) = delete;

  int Run() {
    if (const int failed = LoadPolicy(); failed != kExitOk) return failed;
    if (args_.batch == 0) {
      std::cerr << "vigil screen: --batch must be > 0\n";
      return kExitUsage;
    }
    if (!OpenPayroll()) return kExitFailure;
    StartOpeningScreener();
    if (!OpenOutputs() || !ReadPayroll()) return kExitFailure;
    if (!FlushBatch(/*last=*/true) || !WaitScreened()) return kExitFailure;
    WriteScreened();
    progress_.Finish();
    if (!CommitOutputs()) return kExitFailure;
    PrintSummary();
    return kExitOk;
  }

 private:
  using Clock = std::chrono::steady_clock;
  static constexpr size_t kReadAhead = 16;

  int LoadPolicy() {
    if (args_.policy.empty()) return kExitOk;
    auto loaded = Policy::LoadFile(args_.policy);
    if (!loaded.ok()) {
      std::cerr << "vigil screen: " << loaded.status().message() << "\n";
      return kExitFailure;
    }
    policy_ = std::move(*loaded);
    return kExitOk;
  }

  bool OpenPayroll() {
    auto reader = CsvReader::Open(args_.payroll);
    if (!reader.ok()) {
      std::cerr << "vigil screen: " << args_.payroll << ": " << reader.status().ToString() << "\n";
      return false;
    }
    reader_ = std::move(*reader);
    // A payroll is requests not yet paid: paid_date may be absent; it is not used by
    // screening, so the contract's payments validation gets today's date in its place.
    header_ = reader_->header();
    synthetic_paid_date_ = !NamesPaidDate(header_);
    today_ =
        FormatDate(Date(std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now())));
    if (synthetic_paid_date_) header_.push_back("paid_date");
    auto parser = FeedParser::Create(Feed::kPayments, header_, reader_->file_name());
    if (!parser.ok()) {
      std::cerr << "vigil screen: " << parser.status().message() << "\n";
      return false;
    }
    parser_.emplace(std::move(*parser));
    return true;
  }

  void StartOpeningScreener() {
    ScreenerStoreOptions where;
    where.db_path = args_.db;
    where.secondary_path = args_.secondary;
    where.audit_path = args_.audit;
    ScreenerOptions options;
    options.threads = args_.threads;
    options.window_months = args_.window_months;
    opening_ = std::async(std::launch::async,
                          [this, where, options]() -> Result<std::unique_ptr<Screener>> {
                            auto opened = Screener::Open(where, policy_, options);
                            open_seconds_ = SecondsSince(start_);
                            return opened;
                          });
  }

  // Waits for the screener to be open; false (and the reason on stderr) when it failed to.
  bool WaitOpen() {
    if (!open_) {
      screener_ = opening_.get();
      open_ = true;
    }
    if (!screener_.ok()) {
      std::cerr << "vigil screen: cannot open " << args_.db << ": " << screener_.status().ToString()
                << "\n";
      return false;
    }
    return true;
  }
  bool Opened() const {
    return open_ || opening_.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  }

  bool OpenOutputs() {
    outputs_opened_ = true;
    out_.open(out_tmp_, std::ios::binary);
    rejects_.open(rejects_tmp_, std::ios::binary);
    if (!out_ || !rejects_) {
      std::cerr << "vigil screen: cannot write " << (out_ ? rejects_tmp_ : out_tmp_) << "\n";
      return false;
    }
    out_ << "payment_id,person_id,region,benefit,period,amount,action,risk,patterns,reasons,"
            "repeated\n";
    rejects_ << "file,line,column,reason,raw\n";
    return true;
  }

  // Reads and validates every row, handing full batches on.
  bool ReadPayroll() {
    CsvRow row;
    std::vector<std::string_view> fields;
    PaymentRecord record;
    RowReject reject;
    while (true) {
      auto more = reader_->Next(&row);
      if (!more.ok()) {
        std::cerr << "vigil screen: " << args_.payroll << ": " << more.status().ToString() << "\n";
        return false;
      }
      if (!*more) return true;
      ++counts_.rows;
      bool ok = row.problem == CsvProblem::kNone;
      if (ok) {
        fields.assign(row.fields.begin(), row.fields.end());
        if (synthetic_paid_date_ && fields.size() + 1 != header_.size()) {
          // Counted against the file's own header, which has no paid_date: an extra field must
          // not pass for one.
          ok = false;
          reject.column.clear();
          reject.reason = RejectReason::kFieldCount;
          reject.message = "row has " + std::to_string(fields.size()) + " fields, header has " +
                           std::to_string(header_.size() - 1);
        } else {
          if (synthetic_paid_date_) fields.push_back(today_);
          ok = parser_->Parse(fields, &record, &reject);
        }
      } else {
        reject.column.clear();
        reject.reason = CsvProblemReason(row.problem);
        reject.message = "the row is not valid CSV";
      }
      if (!ok) {
        rejects_ << RejectLine(Reject{std::string(row.file), row.line, reject.column, reject.reason,
                                      reject.message, RawText(row.raw)})
                 << '\n';
        ++counts_.rejected;
        continue;
      }
      batch_.push_back(ToRequest(std::move(record)));
      record = PaymentRecord();
      if (batch_.size() >= args_.batch && !FlushBatch(/*last=*/false)) return false;
      if (progress_.enabled() && counts_.rows % 65536 == 0) {
        progress_.Update(counts_.rows, 0, "payments");
      }
    }
  }

  // Hands the batch read on: kept while the state is being built (up to kReadAhead batches),
  // else screened after the batches read before it. The `last` call screens everything kept.
  bool FlushBatch(bool last) {
    if (!last && !Opened() && read_ahead_.size() < kReadAhead) {
      read_ahead_.push_back(std::move(batch_));
      batch_.clear();
      return true;
    }
    if (!WaitOpen()) return false;
    if (!batch_.empty()) read_ahead_.push_back(std::move(batch_));
    batch_.clear();
    while (!read_ahead_.empty()) {
      if (!WaitScreened()) return false;
      screening_ = std::move(read_ahead_.front());
      read_ahead_.pop_front();
      pending_ = std::async(std::launch::async, [this]() -> Status {
        const auto t = Clock::now();
        Status s = (*screener_)->ScreenBatch(screening_, &decisions_);
        screen_seconds_ += SecondsSince(t);
        return s;
      });
      WriteScreened();  // the batch before, while this one is screened
    }
    return true;
  }

  // Waits for the batch being screened and sets it aside to be written.
  bool WaitScreened() {
    if (!pending_.valid()) return true;
    Status s = pending_.get();
    if (!s.ok()) {
      std::cerr << "vigil screen: " << s.ToString() << "\n";
      return false;
    }
    to_write_.swap(screening_);
    to_write_decisions_.swap(decisions_);
    screening_.clear();
    return true;
  }

  void WriteScreened() {
    text_.clear();
    for (size_t i = 0; i < to_write_.size(); ++i) {
      const PaymentRequest& r = to_write_[i];
      const Result<Decision>& decision = to_write_decisions_[i];
      if (!decision.ok()) {
        // The contract's validation passed but screening refused it (e.g. a region outside
        // 1000..9999): still a reject, with the reason.
        std::string line = "payroll,,,";
        AppendCsvField(line, "INVALID_REQUEST: " + decision.status().message());
        line += ',';
        AppendCsvField(line, r.payment_id);
        rejects_ << line << '\n';
        ++counts_.rejected;
        continue;
      }
      const Decision& d = *decision;
      ++counts_.by_action[static_cast<size_t>(d.action)];
      counts_.repeated += d.repeated ? 1 : 0;
      AppendDecisionRow(r, d, text_);
    }
    out_ << text_;
    to_write_.clear();
  }

  bool CommitOutputs() {
    out_.flush();
    rejects_.flush();
    if (!out_ || !rejects_) {
      std::cerr << "vigil screen: write failed\n";
      return false;
    }
    out_.close();
    rejects_.close();
    // The rejects first: the decisions file names the run complete, so it comes last.
    Status committed = Status::Ok();
    if (rejects_tmp_ != rejects_path_) committed = SyncAndRename(rejects_tmp_, rejects_path_);
    if (committed.ok() && out_tmp_ != args_.out) committed = SyncAndRename(out_tmp_, args_.out);
    if (committed.ok()) committed = SyncDirectory(DirectoryOf(args_.out));
    if (!committed.ok()) {
      std::cerr << "vigil screen: " << committed.message() << "\n";
      return false;
    }
    committed_ = true;
    return true;
  }

  void PrintSummary() const {
    const ScreenerStats stats = (*screener_)->stats();
    const uint64_t screened = counts_.by_action[0] + counts_.by_action[1] + counts_.by_action[2];
    std::printf(
        "screened %llu payments in %.2f s (state of %llu persons built in %.2f s, %.0f MiB; "
        "screening %.2f s, overlapped with reading): "
        "PAY %llu, HOLD %llu, BLOCK %llu (%llu repeated); %llu rejected\n",
        static_cast<unsigned long long>(screened), SecondsSince(start_),
        static_cast<unsigned long long>(stats.persons), open_seconds_,
        static_cast<double>(stats.state_bytes) / (1 << 20), screen_seconds_,
        static_cast<unsigned long long>(counts_.by_action[0]),
        static_cast<unsigned long long>(counts_.by_action[1]),
        static_cast<unsigned long long>(counts_.by_action[2]),
        static_cast<unsigned long long>(counts_.repeated),
        static_cast<unsigned long long>(counts_.rejected));
    std::printf("wrote %s and %s (policy %s, score run %s)\n", args_.out.c_str(),
                rejects_path_.c_str(), policy_.version.c_str(),
                (*screener_)->score_run().empty() ? "none" : (*screener_)->score_run().c_str());
  }

  static double SecondsSince(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
  }

  const ScreenArgs& args_;
  const Clock::time_point start_ = Clock::now();
  const std::string rejects_path_;
  const std::string out_tmp_;
  const std::string rejects_tmp_;
  bool outputs_opened_ = false;
  bool committed_ = false;
  Policy policy_ = Policy::Defaults();
  ProgressLine progress_{"screen"};

  std::unique_ptr<CsvReader> reader_;
  std::vector<std::string> header_;
  bool synthetic_paid_date_ = false;
  std::string today_;
  std::optional<FeedParser> parser_;

  // The tasks' results are declared before the futures, which wait for their tasks when
  // destroyed (destruction runs in reverse order).
  double open_seconds_ = 0;  // written by the opening task, read after opening_.get()
  std::future<Result<std::unique_ptr<Screener>>> opening_;
  Result<std::unique_ptr<Screener>> screener_ = Status::Unavailable("not open yet");
  bool open_ = false;

  std::ofstream out_;
  std::ofstream rejects_;
  Counts counts_;
  std::vector<PaymentRequest> batch_;                   // being read
  std::deque<std::vector<PaymentRequest>> read_ahead_;  // read while the state is built
  std::vector<PaymentRequest> screening_;               // being screened
  std::vector<Result<Decision>> decisions_;
  std::vector<PaymentRequest> to_write_;  // screened, decisions not written yet
  std::vector<Result<Decision>> to_write_decisions_;
  double screen_seconds_ = 0;  // written by the screening tasks, one at a time
  std::future<Status> pending_;
  std::string text_;
};

int RunScreen(const ScreenArgs& args) { return PayrollScreening(args).Run(); }

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

// `vigil audit`: check and print the console's hash-chained audit log (in the store's audit
// family) and, with --all, the screening decisions (the screeners' audit journal in the store's
// folder, and those earlier versions wrote to the audit family).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "console/audit_log.h"
#include "vigil/screener.h"
#include "vigil/store.h"

namespace vigil::cli {
namespace {

struct AuditArgs {
  std::string db;
  uint64_t from = 1;
  bool all = false;
};

Result<std::unique_ptr<Store>> OpenReadOnly(const std::string& db) {
  StoreOptions options;
  options.path = db;
  options.create_if_missing = false;
  options.mode = OpenMode::kReadOnly;
  return Store::Open(options);
}

// A secondary screener's audit folder (ScreenerStoreOptions::audit_path) holds only the
// screening journal, no store: the commands read the journal alone there.
bool IsJournalOnlyFolder(const std::string& db, const Status& open_failure) {
  std::error_code ec;
  return open_failure.code() == StatusCode::kNotFound &&
         std::filesystem::is_directory(std::filesystem::path(db) / "screen-audit", ec);
}

int PrintJournal(const std::string& db, const char* command) {
  Status bad = Status::Ok();
  auto journal = ScanScreenerAudit(db, [&](std::string_view entry) {
    auto line = AuditEntryJson(entry);
    if (!line.ok()) {
      bad = line.status().WithContext("screening journal");
      return false;
    }
    std::fwrite(line->data(), 1, line->size(), stdout);
    std::fputc('\n', stdout);
    return true;
  });
  const Status s = journal.ok() ? bad : journal.status();
  if (!s.ok()) {
    std::cerr << "vigil audit " << command << ": " << s.ToString() << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

std::string TornTailNote(const ScreenerAuditScan& scan) {
  return scan.torn_tail_bytes == 0 ? std::string()
                                   : " (+" + std::to_string(scan.torn_tail_bytes) +
                                         " bytes of an unfinished write at the tail)";
}

int VerifyJournalOnly(const std::string& db) {
  auto journal = ScanScreenerAudit(db, nullptr);
  if (!journal.ok()) {
    std::printf("audit log BROKEN: screening journal: %s\n", journal.status().ToString().c_str());
    return kExitFailure;
  }
  std::printf(
      "screening journal intact (no store here: a screener's audit folder): %llu entries%s\n",
      static_cast<unsigned long long>(journal->entries), TornTailNote(*journal).c_str());
  return kExitOk;
}

int RunVerify(const AuditArgs& args) {
  auto store = OpenReadOnly(args.db);
  if (!store.ok() && IsJournalOnlyFolder(args.db, store.status()))
    return VerifyJournalOnly(args.db);
  if (!store.ok()) {
    std::cerr << "vigil audit verify: cannot open " << args.db << ": " << store.status().ToString()
              << "\n";
    return kExitFailure;
  }
  auto report = console::AuditLog::Verify(**store);
  if (!report.ok()) {
    std::cerr << "vigil audit verify: " << report.status().ToString() << "\n";
    return kExitFailure;
  }
  if (!report->ok()) {
    std::printf("audit log BROKEN after %llu intact entries: %s\n",
                static_cast<unsigned long long>(report->entries), report->problem.c_str());
    return kExitFailure;
  }
  // The screening journal: every entry's checksum is checked; a damaged entry before the tail
  // is a broken log, a cut-short write at the tail is not (a screener may be writing).
  auto journal = ScanScreenerAudit(args.db, nullptr);
  if (!journal.ok()) {
    std::printf("audit log BROKEN: screening journal: %s\n", journal.status().ToString().c_str());
    return kExitFailure;
  }
  std::printf(
      "audit log intact: %llu console entries chained (%llu entries of other writers), "
      "head %s; screening journal: %llu entries%s\n",
      static_cast<unsigned long long>(report->entries),
      static_cast<unsigned long long>(report->other_entries),
      report->entries == 0 ? "(empty)" : report->head_hash.c_str(),
      static_cast<unsigned long long>(journal->entries), TornTailNote(*journal).c_str());
  return kExitOk;
}

int RunShow(const AuditArgs& args) {
  auto store = OpenReadOnly(args.db);
  if (!store.ok() && args.all && IsJournalOnlyFolder(args.db, store.status())) {
    return PrintJournal(args.db, "show");
  }
  if (!store.ok()) {
    std::cerr << "vigil audit show: cannot open " << args.db << ": " << store.status().ToString()
              << "\n";
    return kExitFailure;
  }
  Status bad = Status::Ok();
  Status s = (*store)->ScanAudit(args.from, [&](uint64_t seq, std::string_view entry) {
    if (!args.all && !console::IsConsoleEntry(entry)) return true;
    // Screening decisions are stored in a compact binary form: printed as their JSON.
    auto line = AuditEntryJson(entry);
    if (!line.ok()) {
      bad = line.status().WithContext("audit entry " + std::to_string(seq));
      return false;
    }
    std::fwrite(line->data(), 1, line->size(), stdout);
    std::fputc('\n', stdout);
    return true;
  });
  if (s.ok()) s = bad;
  if (!s.ok()) {
    std::cerr << "vigil audit show: " << s.ToString() << "\n";
    return kExitFailure;
  }
  // The screening decisions of the journal, in the order written.
  return args.all ? PrintJournal(args.db, "show") : kExitOk;
}

}  // namespace

void AddAuditCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<AuditArgs>();
  CLI::App* cmd = app.add_subcommand("audit", "Verify or print the console's audit log");
  cmd->require_subcommand(1);
  CLI::App* verify =
      cmd->add_subcommand("verify", "Check the hash chain; exit 1 when an entry was tampered with");
  verify->add_option("--db", args->db, "Store folder")->required();
  verify->callback([args, &exit_code] { exit_code = RunVerify(*args); });
  CLI::App* show = cmd->add_subcommand("show", "Print the entries as JSON lines");
  show->add_option("--db", args->db, "Store folder")->required();
  show->add_option("--from", args->from, "First sequence number of the store's audit family");
  show->add_flag("--all", args->all,
                 "Also print other writers' entries: the screening decisions (those of the "
                 "screening journal after the store's)");
  show->callback([args, &exit_code] { exit_code = RunShow(*args); });
}

}  // namespace vigil::cli

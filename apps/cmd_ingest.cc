// `vigil ingest --db DB FEED_DIR`: loads a feed folder into the store (docs/ingest.md).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <string>

#include "commands.h"
#include "vigil/ingest.h"
#include "vigil/store.h"

namespace vigil::cli {
namespace {

struct IngestArgs {
  std::string db;
  std::string feed_dir;
  int threads = 0;
  int staleness_days = 45;
  std::string as_of;
  bool quiet = false;
  bool discard_interrupted_load = false;
  bool recover_to_consistent_point = false;
};

int RunIngest(const IngestArgs& args) {
  IngestOptions options;
  options.threads = args.threads;
  options.staleness_days = args.staleness_days;
  options.discard_interrupted_load = args.discard_interrupted_load;
  if (!args.as_of.empty()) {
    auto as_of = ParseDate(args.as_of);
    if (!as_of.ok()) {
      std::cerr << "vigil ingest: --as-of: " << as_of.status().message() << "\n";
      return kExitUsage;
    }
    options.as_of = *as_of;
  }
  // Progress is for a person watching: only when stderr is a terminal, never into logs.
  if (!args.quiet && ::isatty(STDERR_FILENO) == 1) {
    options.progress_interval_rows = 200'000;
    options.progress = [](const IngestProgress& p) {
      const double rate = p.seconds > 0 ? static_cast<double>(p.rows) / p.seconds : 0.0;
      const double done =
          p.bytes_total > 0 ? static_cast<double>(p.bytes_done) / static_cast<double>(p.bytes_total)
                            : 0.0;
      const double eta = done > 0.001 ? p.seconds * (1.0 - done) / done : 0.0;
      std::fprintf(stderr, "\r%-24.*s %12llu rows  %10.0f rows/s  %5.1f%%  ETA %5.0f s ",
                   static_cast<int>(p.file.size()), p.file.data(),
                   static_cast<unsigned long long>(p.rows), rate, done * 100.0, eta);
      std::fflush(stderr);
    };
  }

  StoreOptions store_options;
  store_options.path = args.db;
  store_options.recover_wal_to_consistent_point = args.recover_to_consistent_point;
  auto store = Store::Open(store_options);
  if (!store.ok()) {
    std::cerr << "vigil ingest: cannot open " << args.db << ": " << store.status().ToString()
              << "\n";
    return kExitFailure;
  }
  auto summary = IngestFolder(**store, args.feed_dir, args.db + "/rejects", options);
  if (options.progress) std::fprintf(stderr, "\n");
  if (!summary.ok()) {
    std::cerr << "vigil ingest: " << summary.status().ToString() << "\n";
    return kExitFailure;
  }
  std::cout << FormatIngestSummary(*summary);
  if (summary->any_file_failed()) {
    std::cerr << "vigil ingest: some files could not be read (see ERROR lines above); the "
                 "store holds part of this delivery, and score, train and screening refuse it "
                 "until this folder loads in full or the load is acknowledged "
                 "(--discard-interrupted-load)\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

void AddIngestCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<IngestArgs>();
  CLI::App* cmd = app.add_subcommand("ingest", "Load a feed folder into the store");
  cmd->add_option("--db", args->db, "Database directory (created if absent)")->required();
  cmd->add_option("feed_dir", args->feed_dir, "Folder of feed files (*.csv, *.csv.gz)")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--threads", args->threads, "Worker threads (0 = all cores)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--staleness-days", args->staleness_days,
                  "Warn when a feed's newest row is older than this many days")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--as-of", args->as_of,
                  "Reference date for staleness (default: newest date in the load)");
  cmd->add_flag("--quiet", args->quiet, "No progress line on stderr");
  cmd->add_flag("--recover-to-consistent-point", args->recover_to_consistent_point,
                "Open a store whose write-ahead log is damaged before its end at its last "
                "consistent point (the writes after it are lost: load the deliveries since again)");
  cmd->add_flag("--discard-interrupted-load", args->discard_interrupted_load,
                "Load this folder although another folder's load was interrupted: an "
                "interrupted initial load is discarded, a later load's rows stay as they are");
  cmd->callback([args, &exit_code] { exit_code = RunIngest(*args); });
}

}  // namespace vigil::cli

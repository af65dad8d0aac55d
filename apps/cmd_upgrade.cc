// `vigil upgrade --db DB`: upgrades a store filled by an older vigil to this build's schema in
// place (docs/storage.md "Upgrading a schema-1 store"): today, builds the packed per-person
// histories of a schema-1 store from its events, so that scans read one entry per person.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>

#include "commands.h"
#include "progress.h"
#include "vigil/store.h"

namespace vigil::cli {
namespace {

struct UpgradeArgs {
  std::string db;
};

int RunUpgrade(const UpgradeArgs& args) {
  StoreOptions options;
  options.path = args.db;
  // An upgrade never creates a store: a mistyped path is an error, not a new empty store.
  options.create_if_missing = false;
  auto store = Store::Open(options);
  if (!store.ok()) {
    std::cerr << "vigil upgrade: cannot open " << args.db << ": " << store.status().ToString()
              << "\n";
    return kExitFailure;
  }
  ProgressLine progress("upgrade");
  HistoriesRebuildProgressFn report;
  if (progress.enabled()) {
    report = [&progress](const HistoriesRebuildProgress& p) {
      progress.Update(p.events, std::max(p.events, p.events_estimate), "events",
                      p.ingesting ? "ingesting" : "packing");
    };
  }
  const auto start = std::chrono::steady_clock::now();
  auto rebuilt = (*store)->RebuildHistories(report);
  progress.Finish();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!rebuilt.ok()) {
    std::cerr << "vigil upgrade: " << args.db << ": " << rebuilt.status().ToString() << "\n";
    return kExitFailure;
  }
  if (!rebuilt->rebuilt) {
    std::printf("store at %s: already at schema version %u\n", args.db.c_str(),
                kStoreSchemaVersion);
    return kExitOk;
  }
  std::printf(
      "store at %s: packed histories built for %llu persons (%llu events) in %.1f s; "
      "schema version %u\n",
      args.db.c_str(), static_cast<unsigned long long>(rebuilt->persons),
      static_cast<unsigned long long>(rebuilt->events), seconds, kStoreSchemaVersion);
  return kExitOk;
}

}  // namespace

void AddUpgradeCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<UpgradeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "upgrade", "Upgrade a store written by an older vigil to this build's schema, in place");
  cmd->add_option("--db", args->db, "Database directory (must exist)")->required();
  cmd->callback([args, &exit_code] { exit_code = RunUpgrade(*args); });
}

}  // namespace vigil::cli

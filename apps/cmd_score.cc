#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "commands.h"
#include "progress.h"
#include "scoring_inputs.h"
#include "vigil/policy.h"
#include "vigil/scoring.h"
#include "vigil/store.h"

namespace vigil::cli {
namespace {

struct ScoreArgs {
  std::string db;
  std::string as_of;
  std::string out;
  std::string policy;
  bool verbose = false;
  bool reference_loader = false;
};

int RunScore(const ScoreArgs& args) {
  int failure = kExitFailure;
  auto inputs = OpenScoringInputs("score", args.db, args.as_of, args.policy, &failure);
  if (!inputs) return failure;
  const Policy& policy = inputs->policy;
  Store& store = *inputs->store;
  ProgressLine progress("score");
  ScoreOptions options;
  options.as_of = inputs->as_of;
  options.out_dir = args.out;
  options.reference_loader = args.reference_loader;
  if (progress.enabled()) {
    options.progress = [&progress](uint64_t done, uint64_t total, const char* phase) {
      progress.Update(done, total, "persons", phase);
    };
  }
  auto summary = ScoreAll(store, policy, options);
  progress.Finish();
  if (!summary.ok()) {
    std::cerr << "vigil score: " << summary.status().ToString() << "\n";
    return kExitFailure;
  }
  const ScoreSummary& s = *summary;
  std::printf(
      "scored %llu persons (%llu registrations, %llu history rows) as of %s in %.1f s: "
      "%.0f persons/s\n",
      static_cast<unsigned long long>(s.persons), static_cast<unsigned long long>(s.registrations),
      static_cast<unsigned long long>(s.history_rows), args.as_of.c_str(), s.wall_seconds,
      s.wall_seconds > 0 ? static_cast<double>(s.persons) / s.wall_seconds : 0.0);
  std::printf("certification: %llu CERTIFIED, %llu NEEDS_ACTIVE, %llu SUSPEND\n",
              static_cast<unsigned long long>(s.certified),
              static_cast<unsigned long long>(s.needs_active),
              static_cast<unsigned long long>(s.suspended));
  std::printf("cases: %llu flagged persons; by pattern:", static_cast<unsigned long long>(s.cases));
  for (Pattern p : AllCodes<Pattern>()) {
    const auto n = s.cases_per_pattern[static_cast<size_t>(p)];
    if (n > 0) {
      std::printf(" %.*s=%llu", static_cast<int>(CodeName(p).size()), CodeName(p).data(),
                  static_cast<unsigned long long>(n));
    }
  }
  std::printf(
      "\nwrote %s/cases.csv, cases.jsonl, certification.csv, run.json (model %s, policy %s)\n",
      args.out.c_str(), s.model_id.c_str(), policy.version.c_str());
  for (const std::string& note : s.data_notes)
    std::fprintf(stderr, "vigil score: note: %s\n", note.c_str());
  if (args.verbose) {
    for (const StageTiming& t : s.stages) {
      std::printf("  stage %-40s %8.2f s\n", t.stage.c_str(), t.seconds);
    }
  }
  return kExitOk;
}

}  // namespace

void AddScoreCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ScoreArgs>();
  CLI::App* cmd =
      app.add_subcommand("score",
                         "Certify and score everyone as things stood on a date; write cases.csv, "
                         "cases.jsonl and certification.csv and store the cases");
  cmd->add_option("--db", args->db, "Store folder (written by vigil ingest)")->required();
  cmd->add_option("--as-of", args->as_of, "Date YYYY-MM-DD; rows known later are not used")
      ->required();
  cmd->add_option("--out", args->out, "Output folder")->required();
  cmd->add_option("--policy", args->policy, "policy.json (defaults of the contract if absent)");
  cmd->add_flag("--verbose", args->verbose, "Print per-stage timings");
  cmd->add_flag("--reference-loader", args->reference_loader,
                "Read histories with one seek per person (the original, slower loader; same "
                "decisions): the baseline the fast path is measured and tested against");
  cmd->callback([args, &exit_code] { exit_code = RunScore(*args); });
}

}  // namespace vigil::cli

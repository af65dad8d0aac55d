#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "console/audit_log.h"
#include "progress.h"
#include "scoring_inputs.h"
#include "vigil/csv.h"
#include "vigil/policy.h"
#include "vigil/scoring.h"
#include "vigil/store.h"

namespace vigil::cli {
namespace {

struct TrainArgs {
  std::string db;
  std::string as_of;
  std::string truth;
  std::string policy;
};

// Labels from a ground-truth folder: a person listing any pattern is a positive.
Result<FusionLabels> ReadTruthLabels(const std::string& truth_dir) {
  const std::string path = truth_dir + "/persons.csv";
  VIGIL_ASSIGN_OR_RETURN(auto reader, CsvReader::Open(path));
  const auto& header = reader->header();
  size_t id_col = header.size(), patterns_col = header.size();
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == "person_id") id_col = i;
    if (header[i] == "patterns") patterns_col = i;
  }
  if (id_col == header.size() || patterns_col == header.size()) {
    return Status::InvalidArgument(path + ": needs columns person_id and patterns");
  }
  FusionLabels labels;
  CsvRow row;
  while (true) {
    VIGIL_ASSIGN_OR_RETURN(bool more, reader->Next(&row));
    if (!more) break;
    if (row.problem != CsvProblem::kNone || row.fields.size() != header.size()) {
      return Status::InvalidArgument(path + " line " + std::to_string(row.line) +
                                     ": malformed row");
    }
    uint8_t& label = labels[std::string(row.fields[id_col])];
    label = static_cast<uint8_t>(label | (row.fields[patterns_col].empty() ? 0 : 1));
  }
  return labels;
}

// Labels from the reviewers: each person's latest CONFIRM_FRAUD (1) or CLEAR (0) decision in the
// console's audit log (docs/api.md) recorded on or before `as_of`. A model fitted as of a date
// then knows only the decisions known that day: a backtest trained for an earlier date learns
// nothing from later reviews (the stored model is used for runs as of that date and later).
Result<FusionLabels> ReadReviewerLabels(Store& store, Date as_of) {
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<console::AuditLog> log, console::AuditLog::Open(store));
  const std::string last_day = FormatDate(as_of);
  FusionLabels labels;
  uint64_t later = 0;
  for (const nlohmann::json& entry : log->Entries()) {  // oldest first: the latest one wins
    if (entry.value("type", "") != "decision") continue;
    const std::string decision = entry.value("decision", "");
    if (decision != "CONFIRM_FRAUD" && decision != "CLEAR") continue;
    // "time" is local YYYY-MM-DDTHH:MM:SS: its date part compares as text.
    if (entry.value("time", "").substr(0, 10) > last_day) {
      ++later;
      continue;
    }
    labels[entry.value("person_id", "")] = decision == "CONFIRM_FRAUD" ? 1 : 0;
  }
  labels.erase("");
  if (labels.empty()) {
    return Status::FailedPrecondition(
        "no reviewer decision (CONFIRM_FRAUD or CLEAR) recorded on or before " + last_day +
        (later > 0 ? " (" + std::to_string(later) + " recorded after it)" : std::string()) +
        ": confirm or clear cases in the console, or pass --truth");
  }
  return labels;
}

int RunTrain(const TrainArgs& args) {
  int failure = kExitFailure;
  auto inputs = OpenScoringInputs("train", args.db, args.as_of, args.policy, &failure);
  if (!inputs) return failure;
  const Policy& policy = inputs->policy;
  Store& store = *inputs->store;
  auto labels =
      args.truth.empty() ? ReadReviewerLabels(store, inputs->as_of) : ReadTruthLabels(args.truth);
  if (!labels.ok()) {
    std::cerr << "vigil train: " << labels.status().message() << "\n";
    return kExitFailure;
  }
  ProgressLine progress("train");
  ScoreOptions options;
  options.as_of = inputs->as_of;
  if (progress.enabled()) {
    options.progress = [&progress](uint64_t done, uint64_t total, const char* phase) {
      progress.Update(done, total, "persons", phase);
    };
  }
  auto summary = TrainFusion(store, policy, options, *labels);
  progress.Finish();
  if (!summary.ok()) {
    std::cerr << "vigil train: " << summary.status().ToString() << "\n";
    return kExitFailure;
  }
  std::printf(
      "fitted the fusion model on %llu labelled persons (%llu positive) of %llu scored "
      "in %d iterations; training log-loss %.4f; stored in %s\n",
      static_cast<unsigned long long>(summary->labelled),
      static_cast<unsigned long long>(summary->positives),
      static_cast<unsigned long long>(summary->persons), summary->iterations,
      summary->train_log_loss, args.db.c_str());
  for (const auto& [name, weight] : summary->weights) {
    std::printf("  %-32s %+9.4f\n", name.c_str(), weight);
  }
  return kExitOk;
}

}  // namespace

void AddTrainCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* cmd = app.add_subcommand(
      "train",
      "Fit the fusion model from labels (reviewers' decisions or a truth folder) and "
      "store it; later score runs use it");
  cmd->add_option("--db", args->db, "Store folder")->required();
  cmd->add_option("--as-of", args->as_of,
                  "Date YYYY-MM-DD: the data as of then, and the reviewers' decisions recorded "
                  "on or before it")
      ->required();
  cmd->add_option("--truth", args->truth,
                  "Ground-truth folder (persons.csv with person_id, patterns); without it the "
                  "reviewers' CONFIRM_FRAUD / CLEAR decisions from the console are the labels");
  cmd->add_option("--policy", args->policy, "policy.json (defaults of the contract if absent)");
  cmd->callback([args, &exit_code] { exit_code = RunTrain(*args); });
}

}  // namespace vigil::cli

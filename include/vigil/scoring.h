// `vigil score`: certify and score everyone in the store as of one date.
//
// The run reads one snapshot of the store, so ingest may keep writing. It makes two passes over
// the population with oneTBB: the first gathers the cross-person facts (accounts, phones,
// employers, doctors, face places), the second certifies each person, applies the rules and
// computes the model features; then the isolation forest is fitted on the population's features
// and a fusion step turns rule hits, anomaly score and certification into a calibrated risk,
// an action and ordered reasons. Outputs (the data contract's "What vigil writes"):
//   OUT/cases.csv, OUT/cases.jsonl, OUT/certification.csv, and the cases in the store.
// Output files are written under temporary names and renamed when complete, so a reader never
// sees half a file and a killed run leaves the previous outputs intact.
//
// Thread-safety: ScoreAll may run concurrently with writers to the same Store; two ScoreAll
// runs on one Store at once are not supported (they would both rewrite the cases).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "vigil/policy.h"
#include "vigil/status.h"
#include "vigil/time.h"

namespace vigil {

class Store;

struct ScoreOptions {
  // Rows reported or recorded after this date are not used. Required.
  Date as_of{};
  // Folder for cases.csv, cases.jsonl and certification.csv (created if missing). Required.
  std::string out_dir;
  // Persons per pipeline batch. Default: 256.
  size_t batch_persons = 256;
  // Isolation forest: trees, samples per tree and seed. Defaults: 100, 2048, 1. More samples
  // than the usual 256 because the outliers sought are far beyond the tail of honest
  // heterogeneity: a row beyond a sample's range takes the path of the sample's extreme row, so
  // the sample must hold the population's tail for the far row to stand out from it.
  int forest_trees = 100;
  int forest_samples = 2048;
  uint64_t forest_seed = 1;
  // Write the cases into the store as well. Default: true.
  bool store_cases = true;
  // Read each person's history with a seek of its own and fresh records (the original
  // loader), instead of one sequential scan per key range with recycled records. The
  // decisions are the same either way; this is the reference the fast path is tested against.
  // Default: false.
  bool reference_loader = false;
  // Called now and then with (persons done, persons in all, pass name); may be empty.
  std::function<void(uint64_t, uint64_t, const char*)> progress;
};

struct StageTiming {
  std::string stage;
  double seconds = 0;  // summed over threads for parallel stages
};

struct ScoreSummary {
  uint64_t persons = 0;
  uint64_t registrations = 0;
  // certification.csv rows by outcome (one per registration, one per registry-less claimant).
  uint64_t certified = 0;
  uint64_t needs_active = 0;
  uint64_t suspended = 0;
  uint64_t cases = 0;
  uint64_t history_rows = 0;
  std::vector<uint64_t> cases_per_pattern;  // indexed by Pattern
  std::string model_id;
  double wall_seconds = 0;
  std::vector<StageTiming> stages;
  // What the data at hand turns off, for the operator (e.g. the other agencies' feeds look
  // missing, so "no other agency knows this id" accuses nobody): one sentence each.
  std::vector<std::string> data_notes;
};

// Scores everyone. When the store holds a fusion model (meta "fusion_model", written by
// TrainFusion, this build's inputs) fitted on the data as of options.as_of or earlier, it turns the
// evidence into the risk and is named in the run's model_id; otherwise the policy's default fusion
// does (a backtest of a date before the model's data learns nothing from later labels, and the
// run's data_notes say so). Errors: InvalidArgument for bad options, IoError when an output cannot
// be written, Corruption when stored rows cannot be decoded, FailedPrecondition when the store
// holds part of a load (an interrupted delivery, Store::UnfinishedDeliveries, or initial load,
// Store::BulkLoadPending; the message names its folder) or is loading one.
Result<ScoreSummary> ScoreAll(Store& store, const Policy& policy, const ScoreOptions& options);

// Labels for TrainFusion: person id -> 1 (confirmed problem) or 0 (cleared / honest).
using FusionLabels = std::unordered_map<std::string, uint8_t>;

struct TrainSummary {
  uint64_t persons = 0;   // persons scored
  uint64_t labelled = 0;  // of which had a label
  uint64_t positives = 0;
  int iterations = 0;
  double train_log_loss = 0;
  // Weight of each fusion input on its raw scale, with its name.
  std::vector<std::pair<std::string, double>> weights;
};

// Runs the scoring passes (no outputs), fits the learned fusion on the labelled persons and
// stores it in the store's meta as "fusion_model", with options.as_of as its fitted date.
// InvalidArgument when the labels hold only one class among the scored persons;
// FailedPrecondition as for ScoreAll when the store holds part of a load.
Result<TrainSummary> TrainFusion(Store& store, const Policy& policy, const ScoreOptions& options,
                                 const FusionLabels& labels);

// Names of the learned fusion's inputs, in order.
std::vector<std::string> FusionInputNames();

}  // namespace vigil

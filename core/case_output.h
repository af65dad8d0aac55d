// Writes a scoring run's outputs: cases.csv, cases.jsonl, certification.csv and the cases in
// the store. Internal to core/.
//
// The certification rows are known as soon as a person is certified, the cases only after the
// isolation forest and fusion have seen everyone; so the rows are formatted by the pass that
// decides them (in parallel, a batch of persons at a time) and appended in person order while
// the pass runs, and only the few flagged persons' outcomes wait for the case writer. Nothing
// per person has to be held for certification.csv, which keeps the run's memory flat in the
// population.
#pragma once

#include <cstdint>
#include <fstream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "person_features.h"
#include "vigil/scoring.h"

namespace vigil {

class Store;

struct CaseWriterOptions {
  std::string out_dir;
  Date as_of{};
  std::string policy_version;
  std::string model_id;
  // What the data at hand means for the run (ScoreSummary::data_notes: a test it turns off, a
  // feed that looks late), kept with the run for the console.
  std::vector<std::string> data_notes;
};

// certification.csv rows by outcome.
struct CertificationCounts {
  uint64_t certified = 0;
  uint64_t needs_active = 0;
  uint64_t suspended = 0;
  void Add(const CertificationCounts& other) {
    certified += other.certified;
    needs_active += other.needs_active;
    suspended += other.suspended;
  }
};

// Appends the certification.csv rows of one person to `out` and counts them: one row per
// pension registration (`rows`); a claimant without one gets one row under the region that
// pays them (outcome.primary_region); a person with neither has no row. Reads person_id,
// primary_region and certification of `outcome`. Thread-safe (touches only its arguments).
void AppendCertificationRows(std::span<const PersonRecord> rows, const PersonOutcome& outcome,
                             std::string* out, CertificationCounts* counts);

// The run's manifest beside the three files (docs/scoring.md, "Outputs"): the run id, its
// parts and data notes, and each file's size. Written last and removed before the first
// rename, so it exists only when the files it names are whole and of its run.
inline constexpr std::string_view kRunManifestName = "run.json";

// The three output files, each written as NAME.tmp and renamed to NAME by Commit, so a reader
// never sees half a file under the final name and an interrupted run leaves the previous outputs
// in place (the .tmp files of a failed run are removed when the writer is destroyed).
// Thread-safety: not thread-safe; WriteCases parallelises its own formatting.
class OutputWriter {
 public:
  // Opens the .tmp files and writes the headers. IoError when a file cannot be opened.
  static Result<std::unique_ptr<OutputWriter>> Open(const std::string& out_dir);
  ~OutputWriter();
  OutputWriter(const OutputWriter&) = delete;
  OutputWriter& operator=(const OutputWriter&) = delete;

  // Appends certification rows formatted by AppendCertificationRows (callers append in person
  // order).
  Status AppendCertification(std::string_view text);

  // Writes the cases: `flagged` holds every flagged person's outcome in person-key order.
  // Formats them in parallel and writes them in that order to cases.csv and cases.jsonl; keeps
  // each case's JSON line for Commit. Counts cases and patterns in *summary.
  Status WriteCases(const CaseWriterOptions& options, std::span<const PersonOutcome* const> flagged,
                    ScoreSummary* summary);

  // Removes the folder's manifest, syncs the three files and renames them to their final
  // names, writes the manifest naming them (through a temporary), then syncs the directory
  // (vigil/durable_file.h: the files survive a power loss too); then, when `store` is not null,
  // makes the run's cases the store's cases and records the run in its meta, in one atomic write
  // (Store::ReplaceCases): the cases under their keys, the cases of earlier runs that this run
  // does not flag removed, "last_score_notes" (the run's id and its data notes, JSON) and
  // "last_score_run" (its id). So the console and the screener see one run's cases whole,
  // never a killed run's part of them beside an earlier run's.
  Status Commit(const CaseWriterOptions& options, Store* store);

 private:
  struct File {
    std::string final_path;
    std::string temp_path;
    std::ofstream out;
    bool committed = false;
  };
  OutputWriter() = default;
  Status OpenFile(File* file, const std::string& dir, const std::string& name);
  static Status Rename(File* file);

  File cases_csv_;
  File cases_jsonl_;
  File certification_csv_;
  // Kept by WriteCases for Commit: the cases.jsonl text in chunks, and per case its key and
  // where its line (without the newline) lies in them.
  struct StoredCase {
    std::string key;
    size_t chunk = 0;
    size_t begin = 0;
    size_t end = 0;
  };
  std::vector<std::string> case_lines_;
  std::vector<StoredCase> stored_cases_;
};

}  // namespace vigil

// Writes a scoring run's outputs: cases.csv, cases.jsonl, certification.csv and the cases in
// the store. Internal to core/.
#pragma once

#include <functional>
#include <span>
#include <string>
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
};

// Files are written as NAME.tmp and renamed when complete. `store` may be null.
Status WriteOutputs(const CaseWriterOptions& options, const std::vector<PersonRecord>& registrations,
                    size_t persons,
                    const std::function<std::span<const PersonRecord>(size_t)>& rows_of,
                    const std::vector<PersonOutcome>& outcomes, Store* store,
                    ScoreSummary* summary);

}  // namespace vigil

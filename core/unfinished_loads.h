// The refusal shared by scoring, training and screening: a store that holds part of a load (an
// interrupted delivery or initial load, docs/ingest.md) would be judged on facts that are not
// all there, and nothing in the outputs would say so.
// Thread-safety: as Store's reads.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "vigil/status.h"
#include "vigil/store.h"

namespace vigil {

// FailedPrecondition naming the load and its folder when the store holds an interrupted
// delivery or initial load, or a delivery this Store object is loading now unless
// `loading_here_ok`; Ok otherwise. `before` ends the advice: "before scoring".
inline Status CheckNoUnfinishedLoad(const Store& store, std::string_view before,
                                    bool loading_here_ok) {
  VIGIL_ASSIGN_OR_RETURN(std::vector<UnfinishedDelivery> unfinished, store.UnfinishedDeliveries());
  for (const UnfinishedDelivery& d : unfinished) {
    if (d.loading_here && loading_here_ok) continue;
    const std::string named = "(load id " + d.load_id + " from " + d.source + ")";
    if (d.loading_here) {
      return Status::FailedPrecondition("the store is loading a delivery " + named +
                                        ": wait until it is loaded " + std::string(before));
    }
    return Status::FailedPrecondition("the store holds part of an interrupted delivery " + named +
                                      ": run vigil ingest on that folder again " +
                                      std::string(before));
  }
  if (unfinished.empty() && store.BulkLoadPending()) {
    // A bulk load that no delivery names (one of an earlier version, or of a direct user of
    // Store::StartBulkLoad); ingest's are named by their delivery, checked above.
    return Status::FailedPrecondition(
        "the store holds an interrupted initial load: run vigil ingest on that folder again " +
        std::string(before));
  }
  return Status::Ok();
}

}  // namespace vigil

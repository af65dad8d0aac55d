// Helper process for the kill -9 tests: `ingest_tool DB FEED_DIR THREADS` runs one load (as
// `vigil ingest` does) so the test can kill it at a random moment and run it again.
// `ingest_tool DB FEED_DIR THREADS stall=N` stops for good once N rows are written, after
// printing "STALLED <rows>" on stdout: the test kills it there, in the middle of a delivery.
// `ingest_tool DB FEED_DIR THREADS default` loads with the default chunk and run sizes and
// prints the summary (for profiling the loader alone); `write` likewise, but an initial load
// goes through Store::Write instead of the bulk writer (the comparison in docs/ingest.md). Kept
// separate from the test binary so that fork+exec starts a clean process (TBB and RocksDB
// threads do not survive a bare fork).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "vigil/ingest.h"
#include "vigil/store.h"

int main(int argc, char** argv) {
  if (argc != 4 && argc != 5) {
    std::fprintf(stderr, "usage: ingest_tool DB FEED_DIR THREADS [default|write|stall=ROWS]\n");
    return 2;
  }
  vigil::StoreOptions store_options;
  store_options.path = argv[1];
  auto store = vigil::Store::Open(store_options);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  vigil::IngestOptions options;
  options.threads = std::atoi(argv[3]);
  const std::string mode = argc == 5 ? argv[4] : "";
  const bool defaults = mode == "default" || mode == "write";
  options.bulk_initial_load = mode != "write";
  if (!defaults) {
    options.chunk_bytes = 64 * 1024;     // many small batches: more distinct kill points
    options.bulk_run_bytes = 64 * 1024;  // an initial load of many runs: more kill points too
  }
  if (mode.starts_with("stall=")) {
    // Called by the write stage after each batch is written and its rejects appended.
    const uint64_t stall_at = std::strtoull(mode.c_str() + 6, nullptr, 10);
    options.progress_interval_rows = 1;
    options.progress = [stall_at](const vigil::IngestProgress& p) {
      if (p.rows < stall_at) return;
      std::printf("STALLED %llu\n", static_cast<unsigned long long>(p.rows));
      std::fflush(stdout);
      for (;;) ::pause();
    };
  }
  auto summary = vigil::IngestFolder(**store, argv[2], std::string(argv[1]) + "/rejects", options);
  if (!summary.ok()) {
    std::fprintf(stderr, "%s\n", summary.status().ToString().c_str());
    return 1;
  }
  if (defaults) std::fputs(vigil::FormatIngestSummary(*summary).c_str(), stdout);
  return summary->any_file_failed() ? 1 : 0;
}

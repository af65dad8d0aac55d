#include "commands.h"
#include "not_built.h"

namespace vigil::cli {

void AddIngestCommand(CLI::App& app, int& exit_code) {
  AddNotBuiltCommand(app, "ingest", "Load a feed folder into the store", exit_code);
}

}  // namespace vigil::cli

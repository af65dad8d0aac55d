#include "commands.h"
#include "not_built.h"

namespace vigil::cli {

void AddBenchCommand(CLI::App& app, int& exit_code) {
  AddNotBuiltCommand(app, "bench", "Run the throughput report", exit_code);
}

}  // namespace vigil::cli

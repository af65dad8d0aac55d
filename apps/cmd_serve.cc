#include "commands.h"
#include "not_built.h"

namespace vigil::cli {

void AddServeCommand(CLI::App& app, int& exit_code) {
  AddNotBuiltCommand(app, "serve", "Start the review console", exit_code);
}

}  // namespace vigil::cli

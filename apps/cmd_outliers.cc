#include "commands.h"
#include "not_built.h"

namespace vigil::cli {

void AddOutliersCommand(CLI::App& app, int& exit_code) {
  AddNotBuiltCommand(app, "outliers", "Isolation-forest scores for a numeric CSV", exit_code);
}

}  // namespace vigil::cli

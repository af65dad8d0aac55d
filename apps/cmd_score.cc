#include "commands.h"
#include "not_built.h"

namespace vigil::cli {

void AddScoreCommand(CLI::App& app, int& exit_code) {
  AddNotBuiltCommand(app, "score", "Certify and score everyone as of a date", exit_code);
}

}  // namespace vigil::cli

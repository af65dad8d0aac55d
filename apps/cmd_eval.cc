#include "commands.h"
#include "not_built.h"

namespace vigil::cli {

void AddEvalCommand(CLI::App& app, int& exit_code) {
  AddNotBuiltCommand(app, "eval", "Compare cases with ground truth", exit_code);
}

}  // namespace vigil::cli

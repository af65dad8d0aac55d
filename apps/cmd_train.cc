#include "commands.h"
#include "not_built.h"

namespace vigil::cli {

void AddTrainCommand(CLI::App& app, int& exit_code) {
  AddNotBuiltCommand(app, "train", "Fit the fusion model from labels", exit_code);
}

}  // namespace vigil::cli

#include "commands.h"
#include "not_built.h"

namespace vigil::cli {

void AddGenerateCommand(CLI::App& app, int& exit_code) {
  AddNotBuiltCommand(app, "generate", "Write a synthetic city's feeds and ground truth", exit_code);
}

}  // namespace vigil::cli

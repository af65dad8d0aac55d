#include "commands.h"
#include "not_built.h"

namespace vigil::cli {

void AddScreenCommand(CLI::App& app, int& exit_code) {
  AddNotBuiltCommand(app, "screen", "Screen a payroll file before disbursement", exit_code);
}

}  // namespace vigil::cli

#include "commands.h"
#include "not_built.h"

namespace vigil::cli {

void AddUserCommand(CLI::App& app, int& exit_code) {
  AddNotBuiltCommand(app, "user", "Manage console accounts", exit_code);
}

}  // namespace vigil::cli

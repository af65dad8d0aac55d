#include "commands.h"
#include "not_built.h"

namespace vigil::cli {

void AddAuditCommand(CLI::App& app, int& exit_code) {
  AddNotBuiltCommand(app, "audit", "Verify the audit log", exit_code);
}

}  // namespace vigil::cli

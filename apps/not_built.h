// Registers a subcommand that exists in the contract but is not implemented yet: it says so on
// stderr and exits 1, so scripts fail loudly instead of silently doing nothing.
#pragma once

#include <CLI/CLI.hpp>
#include <iostream>
#include <string>

namespace vigil::cli {

inline CLI::App* AddNotBuiltCommand(CLI::App& app, const std::string& name,
                                    const std::string& description, int& exit_code) {
  CLI::App* cmd = app.add_subcommand(name, description + " (not built yet)");
  cmd->allow_extras();
  cmd->callback([name, &exit_code] {
    std::cerr << "vigil " << name << ": not built yet in this version\n";
    exit_code = 1;
  });
  return cmd;
}

}  // namespace vigil::cli

// `vigil user`: console accounts. Passwords are read from standard input (never from the
// command line, where other users could see them in the process list), without echo on a
// terminal.
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <string>

#include "commands.h"
#include "console/accounts.h"
#include "vigil/store.h"

namespace vigil::cli {
namespace {

struct UserArgs {
  std::string db;
  std::string name;
  std::string role;
  bool moderate = false;
};

std::string ReadLine(bool echo_off) {
  termios old_mode{};
  const bool tty = isatty(STDIN_FILENO) != 0;
  if (tty && echo_off && tcgetattr(STDIN_FILENO, &old_mode) == 0) {
    termios quiet = old_mode;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty && echo_off) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &old_mode);
    std::cerr << "\n";
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

Result<std::unique_ptr<Store>> OpenStore(const std::string& db) {
  StoreOptions options;
  options.path = db;
  options.create_if_missing = false;
  return Store::Open(options);
}

int RunAdd(const UserArgs& args) {
  auto role = console::ParseRole(args.role);
  if (!role.ok()) {
    std::cerr << "vigil user add: " << role.status().message() << "\n";
    return kExitUsage;
  }
  if (!console::ValidUserName(args.name)) {
    std::cerr << "vigil user add: account names are 1-64 characters of A-Z a-z 0-9 . _ -\n";
    return kExitUsage;
  }
  const bool tty = isatty(STDIN_FILENO) != 0;
  if (tty) std::cerr << "Password for " << args.name << ": ";
  const std::string password = ReadLine(true);
  if (tty) {
    std::cerr << "Repeat it: ";
    if (ReadLine(true) != password) {
      std::cerr << "vigil user add: the passwords differ\n";
      return kExitFailure;
    }
  }
  auto store = OpenStore(args.db);
  if (!store.ok()) {
    std::cerr << "vigil user add: cannot open " << args.db << ": " << store.status().ToString()
              << " (stop vigil serve first: it holds the store)\n";
    return kExitFailure;
  }
  console::Accounts accounts(**store);
  Status s = accounts.Put(
      args.name, *role, password,
      args.moderate ? console::KdfStrength::kModerate : console::KdfStrength::kInteractive);
  if (!s.ok()) {
    std::cerr << "vigil user add: " << s.message() << "\n";
    return s.code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  std::printf("account %s (%s) saved\n", args.name.c_str(), args.role.c_str());
  return kExitOk;
}

int RunList(const UserArgs& args) {
  auto store = OpenStore(args.db);
  if (!store.ok()) {
    std::cerr << "vigil user list: cannot open " << args.db << ": " << store.status().ToString()
              << "\n";
    return kExitFailure;
  }
  console::Accounts accounts(**store);
  auto users = accounts.List();
  if (!users.ok()) {
    std::cerr << "vigil user list: " << users.status().ToString() << "\n";
    return kExitFailure;
  }
  for (const auto& u : *users) {
    std::printf("%-24s %-10s %s\n", u.name.c_str(), std::string(console::RoleName(u.role)).c_str(),
                u.created.c_str());
  }
  return kExitOk;
}

}  // namespace

void AddUserCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<UserArgs>();
  CLI::App* cmd = app.add_subcommand("user", "Manage review console accounts");
  cmd->require_subcommand(1);
  CLI::App* add = cmd->add_subcommand(
      "add", "Create an account or reset its password and role (password read from stdin)");
  add->add_option("--db", args->db, "Store folder")->required();
  add->add_option("name", args->name, "Account name")->required();
  add->add_option("--role", args->role, "reviewer, supervisor or auditor")->required();
  add->add_flag("--moderate", args->moderate,
                "Stronger password hash (256 MiB per login instead of 64 MiB)");
  add->callback([args, &exit_code] { exit_code = RunAdd(*args); });
  CLI::App* list = cmd->add_subcommand("list", "List the accounts and their roles");
  list->add_option("--db", args->db, "Store folder")->required();
  list->callback([args, &exit_code] { exit_code = RunList(*args); });
}

}  // namespace vigil::cli

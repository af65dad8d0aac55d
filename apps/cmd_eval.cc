#include <CLI/CLI.hpp>
#include <iostream>

#include "commands.h"
#include "evaluation.h"

namespace vigil::cli {

void AddEvalCommand(CLI::App& app, int& exit_code) {
  CLI::App* cmd = app.add_subcommand(
      "eval",
      "Print per-pattern precision and recall and the certification rates of a scoring "
      "run against a generator's ground truth");
  auto truth = std::make_shared<std::string>();
  auto cases = std::make_shared<std::string>();
  cmd->add_option("--truth", *truth, "Ground-truth folder (holds persons.csv)")->required();
  cmd->add_option("--cases", *cases, "Scoring output folder (cases.csv, certification.csv)")
      ->required();
  cmd->callback([truth, cases, &exit_code] {
    auto report = Evaluate(*truth, *cases);
    if (!report.ok()) {
      std::cerr << "vigil eval: " << report.status().message() << "\n";
      exit_code = kExitFailure;
      return;
    }
    std::cout << FormatReport(*report);
    exit_code = kExitOk;
  });
}

}  // namespace vigil::cli

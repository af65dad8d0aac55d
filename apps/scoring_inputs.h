// What `vigil score` and `vigil train` both start from: the as-of date, the policy in force and
// the existing store. On failure the reason goes to stderr as "vigil <command>: ..." and the
// exit code to return is stored in `exit_code` (2 for a bad date, 1 otherwise).
#pragma once

#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "commands.h"
#include "vigil/policy.h"
#include "vigil/store.h"
#include "vigil/time.h"

namespace vigil::cli {

struct ScoringInputs {
  Date as_of{};
  Policy policy;
  std::unique_ptr<Store> store;
};

inline std::optional<ScoringInputs> OpenScoringInputs(std::string_view command,
                                                      const std::string& db,
                                                      const std::string& as_of,
                                                      const std::string& policy_path,
                                                      int* exit_code) {
  ScoringInputs inputs;
  auto date = ParseDate(as_of);
  if (!date.ok()) {
    std::cerr << "vigil " << command << ": --as-of: " << date.status().message() << "\n";
    *exit_code = kExitUsage;
    return std::nullopt;
  }
  inputs.as_of = *date;
  inputs.policy = Policy::Defaults();
  if (!policy_path.empty()) {
    auto loaded = Policy::LoadFile(policy_path);
    if (!loaded.ok()) {
      std::cerr << "vigil " << command << ": " << loaded.status().message() << "\n";
      *exit_code = kExitFailure;
      return std::nullopt;
    }
    inputs.policy = std::move(*loaded);
  }
  StoreOptions store_options;
  store_options.path = db;
  store_options.create_if_missing = false;
  auto store = Store::Open(store_options);
  if (!store.ok()) {
    std::cerr << "vigil " << command << ": cannot open " << db << ": " << store.status().ToString()
              << "\n";
    *exit_code = kExitFailure;
    return std::nullopt;
  }
  inputs.store = std::move(*store);
  return inputs;
}

}  // namespace vigil::cli

// vigil generate: writes a synthetic city's feeds and ground truth (docs/synthetic-city.md).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>

#include "commands.h"
#include "vigil/codes.h"
#include "vigil/generator.h"
#include "vigil/time.h"

namespace vigil::cli {
namespace {

struct GenerateArgs {
  std::string out;
  uint64_t persons = 10000;
  uint64_t seed = 1;
  std::string as_of = "2026-10-31";
  int months = 24;
  int threads = 0;
  bool gzip = false;
};

int RunGenerate(const GenerateArgs& args) {
  GeneratorOptions options;
  options.out_dir = args.out;
  options.persons = args.persons;
  options.seed = args.seed;
  options.months = args.months;
  options.threads = args.threads;
  options.gzip = args.gzip;
  Result<Date> as_of = ParseDate(args.as_of);
  if (!as_of.ok()) {
    std::fprintf(stderr, "vigil generate: --as-of: %s\n", as_of.status().message().c_str());
    return kExitUsage;
  }
  options.as_of = *as_of;
  // Progress only for a person watching a terminal; pipes and logs stay quiet.
  const bool tty = isatty(STDERR_FILENO) == 1;
  if (tty) {
    options.progress = [](const GeneratorProgress& p) {
      const double rate = p.seconds > 0 ? static_cast<double>(p.rows_written) / p.seconds : 0;
      const double done =
          static_cast<double>(p.persons_done) / static_cast<double>(p.persons_total);
      const double eta = done > 0 ? p.seconds * (1 - done) / done : 0;
      std::fprintf(stderr, "\rgenerate: %llu/%llu persons, %.2fM rows, %.2fM rows/s, ETA %.0fs   ",
                   static_cast<unsigned long long>(p.persons_done),
                   static_cast<unsigned long long>(p.persons_total), p.rows_written / 1e6,
                   rate / 1e6, eta);
    };
  }
  Result<GeneratorStats> stats = GenerateCity(options);
  if (tty) std::fputc('\n', stderr);
  if (!stats.ok()) {
    std::fprintf(stderr, "vigil generate: %s\n", stats.status().ToString().c_str());
    return stats.status().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  static constexpr const char* kNames[] = {"persons",  "contributions", "payments", "signals",
                                           "registry", "appraisals",    "truth"};
  std::printf("generated %llu persons in %.1fs into %s\n",
              static_cast<unsigned long long>(stats->persons), stats->seconds, args.out.c_str());
  for (int i = 0; i < 7; ++i) {
    std::printf("  %-13s %12llu rows %14llu bytes\n", kNames[i],
                static_cast<unsigned long long>(stats->rows[i]),
                static_cast<unsigned long long>(stats->bytes[i]));
  }
  // Truth rows per pattern: what an evaluation of this city can measure.
  std::printf("  truth patterns:");
  for (size_t k = 0; k < CodeCount<Pattern>(); ++k) {
    const std::string_view code = CodeName(static_cast<Pattern>(k));
    std::printf(" %.*s=%llu", static_cast<int>(code.size()), code.data(),
                static_cast<unsigned long long>(stats->injected[k]));
  }
  std::printf("\n");
  return kExitOk;
}

}  // namespace

void AddGenerateCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<GenerateArgs>();
  CLI::App* cmd = app.add_subcommand("generate", "Write a synthetic city's feeds and ground truth");
  cmd->add_option("--out", args->out, "Output folder (feeds; ground truth in truth/)")->required();
  cmd->add_option("--persons", args->persons, "Number of persons")
      ->check(CLI::Range(1ULL, 1000000000ULL));
  cmd->add_option("--seed", args->seed, "Random seed (same seed and persons: same bytes)");
  cmd->add_option("--as-of", args->as_of, "Last day of the history (YYYY-MM-DD)")
      ->capture_default_str();
  // At least 6: the behaviours the city plants (late death reports, missing persons, habit
  // changes, back-dated supplements) need that much history to fit in.
  cmd->add_option("--months", args->months, "Months of payments and signals (6 to 120)")
      ->check(CLI::Range(6, 120))
      ->capture_default_str();
  cmd->add_option("--threads", args->threads, "Worker threads (0: all cores)")
      ->check(CLI::Range(0, 1024));
  cmd->add_flag("--gzip", args->gzip, "Write .csv.gz files");
  cmd->callback([args, &exit_code] { exit_code = RunGenerate(*args); });
}

}  // namespace vigil::cli

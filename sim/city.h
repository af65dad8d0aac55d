// Generation of one block of persons into per-feed text buffers (internal to vigil::sim).
//
// A block is a fixed range of person indices; its output depends only on the options and the
// block index, never on which thread runs it or when, which makes the whole city deterministic.
// Thread-safety: a City is immutable after construction; GenerateBlock may run concurrently on
// distinct BlockOutput objects.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "tables.h"
#include "vigil/generator.h"

namespace vigil::sim {

// Output files in a fixed order; kTruth goes to truth/persons.csv.
enum class OutFile : int { kPersons, kContributions, kPayments, kSignals, kRegistry, kAppraisals, kTruth };
inline constexpr int kOutFiles = 7;

struct BlockOutput {
  std::array<std::string, kOutFiles> text;
  std::array<uint64_t, kOutFiles> rows{};
  std::array<uint64_t, CodeCount<Pattern>()> patterns{};
  uint64_t persons = 0;
  void Clear();
};

// File names (without .gz) and header rows, in OutFile order.
const char* OutFileName(int file);
const char* OutFileHeader(int file);

class City {
 public:
  static constexpr uint64_t kBlockSize = 1024;

  explicit City(const GeneratorOptions& options);
  uint64_t block_count() const { return (options_.persons + kBlockSize - 1) / kBlockSize; }
  void GenerateBlock(uint64_t block, BlockOutput& out) const;

  // Calendar helpers shared by the generator (day numbers since 1970-01-01).
  struct MonthInfo {
    int32_t number;     // vigil::MonthNumber
    int32_t first_day;  // day number of the 1st
    int32_t days;       // days in the month
  };
  const std::vector<MonthInfo>& window() const { return window_; }
  const GeneratorOptions& options() const { return options_; }
  const Tables& tables() const { return tables_; }

  // Implementation detail exposed for the .cc's helper functions.
  struct Impl;

 private:
  GeneratorOptions options_;
  Tables tables_;
  std::vector<MonthInfo> window_;
  int32_t as_of_day_ = 0;
  std::vector<double> pattern_cdf_;  // cumulative injection rates in Pattern order
  std::vector<double> region_cdf_;
  std::vector<std::vector<double>> district_cdf_;
  std::vector<double> birth_cdf_[2];  // by sex, over birth years from kFirstBirthYear
  std::vector<double> industry_cdf_[2];  // over industries: [0] enterprise, [1] public
  friend struct Impl;
};

}  // namespace vigil::sim

// Generation of one block of persons into per-feed text buffers (internal to vigil::sim).
//
// A block is a fixed range of person indices; its output depends only on the options, the block
// index and the ids issued in earlier blocks, never on which thread runs it or when, which makes
// the whole city deterministic. A block goes through three steps: DrawBlock (parallel) draws its
// persons, ResolveIds (serial, in block order) makes their resident ids unique in the city, and
// WriteBlock (parallel) formats their rows.
// Thread-safety: a City is immutable after construction; DrawBlock and WriteBlock may run
// concurrently on distinct BlockOutput objects; ResolveIds must be called for one block at a
// time, in block order (it updates the IdRegistry).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "id_registry.h"
#include "tables.h"
#include "vigil/generator.h"
#include "vigil/status.h"

namespace vigil::sim {

// Output files in a fixed order; kTruth goes to truth/persons.csv.
enum class OutFile : int {
  kPersons,
  kContributions,
  kPayments,
  kSignals,
  kRegistry,
  kAppraisals,
  kTruth
};
inline constexpr int kOutFiles = 7;

// The persons of one block between drawing and writing (defined in city.cc).
struct DrawnBlock;
struct DrawnBlockDeleter {
  void operator()(DrawnBlock* drawn) const;
};

struct BlockOutput {
  uint64_t block = 0;
  std::unique_ptr<DrawnBlock, DrawnBlockDeleter> drawn;  // set by DrawBlock, freed by WriteBlock
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
  // Draws the persons of `block` into `out` (text buffers cleared, rows not yet written).
  void DrawBlock(uint64_t block, BlockOutput& out) const;
  // Registers the resident id of every person of the drawn block; an id already issued to an
  // earlier person gets another sequence number of the same sex (address code and birth date
  // kept). Fails only if all 500 sequence numbers of that address code, birth date and sex are
  // taken, which no city the generator can draw comes near.
  [[nodiscard]] Status ResolveIds(BlockOutput& out, IdRegistry& registry) const;
  // Formats the rows of the drawn (and resolved) persons into out.text and frees them.
  void WriteBlock(BlockOutput& out) const;

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
  Impl MakeImpl(BlockOutput& out) const;

  GeneratorOptions options_;
  Tables tables_;
  std::vector<MonthInfo> window_;
  int32_t as_of_day_ = 0;
  std::vector<double> pattern_cdf_;  // cumulative injection rates in Pattern order
  std::vector<double> region_cdf_;
  std::vector<std::vector<double>> district_cdf_;
  std::vector<double> birth_cdf_[2];     // by sex, over birth years from kFirstBirthYear
  std::vector<double> industry_cdf_[2];  // over industries: [0] enterprise, [1] public
  friend struct Impl;
};

}  // namespace vigil::sim

// Fuzz target: ReadNumericCsv, the reader of `vigil outliers` (public benchmark CSVs).
//
// Input: byte 0 picks the label column (none, "label" or "Class"), the rest is the file.
// Invariants, for any bytes: no crash, leak or UB; an error starts with the file's path (and a
// cell or row error names its line); a table read is consistent: rows x features values, all
// finite (missing cells were imputed), one 0/1 label per row exactly when a label column was
// named, and imputation counts within the table.
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_temp_file.h"
#include "vigil/isolation_forest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static constexpr std::string_view kLabels[] = {"", "label", "Class"};
  const std::string_view label = kLabels[data[0] % 3];
  const std::string path = vigil::fuzz::WriteTempFile("table.csv", data + 1, size - 1);
  auto table = vigil::ReadNumericCsv(path, label);
  if (!table.ok()) {
    const std::string message = table.status().message();
    VIGIL_FUZZ_CHECK(message.starts_with(path));
    if (message.find("column") != std::string::npos &&
        message.find("no label column") == std::string::npos) {
      VIGIL_FUZZ_CHECK(message.find(" line ") != std::string::npos);
    }
    return 0;
  }
  const size_t cols = table->feature_names.size();
  VIGIL_FUZZ_CHECK(table->values.size() == table->rows * cols);
  for (float v : table->values) VIGIL_FUZZ_CHECK(std::isfinite(v));
  VIGIL_FUZZ_CHECK(table->labels.size() == (label.empty() ? 0 : table->rows));
  for (float l : table->labels) VIGIL_FUZZ_CHECK(l == 0.0f || l == 1.0f);
  VIGIL_FUZZ_CHECK(table->imputed_columns <= cols);
  VIGIL_FUZZ_CHECK(table->imputed_cells <= table->values.size());
  VIGIL_FUZZ_CHECK((table->imputed_cells == 0) == (table->imputed_columns == 0));
  return 0;
}

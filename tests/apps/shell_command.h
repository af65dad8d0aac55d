// Runs a shell command for the end-to-end tests, the way an operator would, and reads what it
// wrote.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace vigil::cli {

// Runs `command` through the shell with stderr joined to stdout; returns the exit code (-1 when
// it could not run or did not exit) and, if asked, the output.
inline int RunShellCommand(const std::string& command, std::string* output = nullptr) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[4096];
  size_t n = 0;
  std::string text;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) text.append(buffer, n);
  const int status = pclose(pipe);
  if (output != nullptr) *output = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Generates a 2000-person city of seed 5 into DIR/city with the program `vigil` and ingests it
// into `db`: true when both exit 0; their output goes to `output`.
inline bool GenerateAndIngestSmallCity(const std::string& vigil, const std::string& dir,
                                       const std::string& db, std::string* output) {
  return RunShellCommand(vigil + " generate --out " + dir + "/city --persons 2000 --seed 5",
                         output) == 0 &&
         RunShellCommand(vigil + " ingest --quiet --db " + db + " " + dir + "/city", output) == 0;
}

// The whole contents of a file a command wrote ("" when it cannot be read).
inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

}  // namespace vigil::cli

// A scratch file for the fuzz targets whose parser reads a path (ReadFeedFile, CsvReader,
// ReadNumericCsv): one private folder per process under the system temporary directory,
// removed at exit, so parallel fuzzing jobs never share a file.
// Thread-safety: not thread-safe (fuzz targets run one input at a time).
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace vigil::fuzz {

class TempFolder {
 public:
  static const std::string& Path() {
    static TempFolder folder;
    return folder.path_;
  }

 private:
  TempFolder() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "vigil-fuzz-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
    path_ = tmpl;
  }
  ~TempFolder() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string path_;
};

// Writes `size` bytes to `name` in the process's scratch folder and returns its path.
inline std::string WriteTempFile(const std::string& name, const uint8_t* data, size_t size) {
  const std::string path = TempFolder::Path() + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) std::abort();
  return path;
}

}  // namespace vigil::fuzz

// Durable replacement of a file (include/vigil/durable_file.h).
#include "vigil/durable_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace vigil {
namespace {

Status SystemError(const std::string& path, const char* what) {
  return Status::IoError(path + ": " + what + ": " + std::strerror(errno));
}

// fsync of whatever `path` names (a file or a directory), opened read-only: Linux syncs a
// file's data through any descriptor of it.
Status SyncPath(const std::string& path, int extra_flags) {
  int fd = -1;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | extra_flags);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return SystemError(path, "cannot open to sync");
  if (::fsync(fd) != 0) {
    Status failed = SystemError(path, "fsync failed");
    ::close(fd);
    return failed;
  }
  ::close(fd);
  return Status::Ok();
}

}  // namespace

Status SyncAndRename(const std::string& temp_path, const std::string& final_path) {
  VIGIL_RETURN_IF_ERROR(SyncPath(temp_path, 0));
  if (::rename(temp_path.c_str(), final_path.c_str()) != 0) {
    return SystemError(final_path, "rename failed");
  }
  return Status::Ok();
}

Status SyncDirectory(const std::string& dir) { return SyncPath(dir, O_DIRECTORY); }

std::string TempPathFor(const std::string& path) {
  std::error_code ec;
  const bool special =
      std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec);
  return special ? path : path + ".tmp";
}

std::string DirectoryOf(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

}  // namespace vigil

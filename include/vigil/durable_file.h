// Replacing a file so that the replacement survives a power loss as well as a kill.
//
// Every output vigil writes whole (scoring's cases and certification files, the screener's
// decisions, ingest's rejects) is written as NAME.tmp and renamed when complete: a killed
// writer leaves the earlier file whole. A rename alone is not enough after a power loss: the
// new name can reach the disk before the file's bytes (an empty or short file under the final
// name), and the rename itself can be lost. So the temporary file is synced before the rename,
// and the directory after it.
//
// Internal to vigil: not part of the installed headers.
// Thread-safety: thread-safe (each call works on the paths it is given only).
#pragma once

#include <string>

#include "vigil/status.h"

namespace vigil {

// Syncs `temp_path`'s bytes to stable storage, then renames it to `final_path` (replacing an
// earlier file atomically). IoError naming the path and the system's reason when the file
// cannot be opened, synced or renamed. The rename is durable once SyncDirectory has returned
// for `final_path`'s directory.
[[nodiscard]] Status SyncAndRename(const std::string& temp_path, const std::string& final_path);

// Syncs the directory `dir` itself, so that the files created and renamed in it keep their
// names after a power loss. IoError naming `dir` when it cannot be opened or synced.
[[nodiscard]] Status SyncDirectory(const std::string& dir);

// Where an output replacing `path` is written before SyncAndRename: `path` + ".tmp", or `path`
// itself when it exists and is no regular file (/dev/null, a named pipe: such a path must be
// written in place, never replaced by a file).
std::string TempPathFor(const std::string& path);

// The directory SyncDirectory needs after a rename to `path`: its parent, or "." for a bare
// file name.
std::string DirectoryOf(const std::string& path);

}  // namespace vigil

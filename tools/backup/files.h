#ifndef CAREBRIDGE_TOOLS_BACKUP_FILES_H_
#define CAREBRIDGE_TOOLS_BACKUP_FILES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace carebridge::backup {

// A file of a data directory that a backup takes.
struct DataFile {
  // Relative to the data directory, '/'-separated.
  std::string path;
  bool sqlite = false;
  uint32_t mode = 0600;
};

// Every file of `data_dir` a server needs, in path order: SQLite databases
// and the other regular files (keys, the bootstrap token). Left out: SQLite's
// own -wal, -shm and -journal files (a database's copy is whole without
// them) and audit logs' per-person indexes (`*.audit-index`, rebuilt from
// the log when a server opens the database).
absl::StatusOr<std::vector<DataFile>> ListDataFiles(
    const std::string& data_dir);

// Whether `path` names nothing, or an empty directory.
absl::StatusOr<bool> IsAbsentOrEmptyDir(const std::string& path);

// A manifest path is relative, with no `.` or `..` step and no empty one
// (a manifest never writes outside the directory it is restored into).
bool IsSafeRelativePath(const std::string& path);

// SHA-256 of the file, lower-case hex, and its size.
struct Digest {
  std::string sha256;
  int64_t bytes = 0;
};
absl::StatusOr<Digest> DigestFile(const std::string& path);

// Copies `from` to `to` (which must not exist) with permission bits `mode`,
// fsynced.
absl::Status CopyFile(const std::string& from, const std::string& to,
                      uint32_t mode);

// fsyncs a file or directory.
absl::Status SyncPath(const std::string& path);

}  // namespace carebridge::backup

#endif  // CAREBRIDGE_TOOLS_BACKUP_FILES_H_

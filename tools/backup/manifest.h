#ifndef CAREBRIDGE_TOOLS_BACKUP_MANIFEST_H_
#define CAREBRIDGE_TOOLS_BACKUP_MANIFEST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/backup/sqlite_file.h"

namespace carebridge::backup {

// The name of a backup's manifest inside the backup directory. Written
// last: a directory without it is not a (complete) backup.
inline constexpr char kManifestName[] = "backup.json";
inline constexpr int kManifestFormat = 1;

// One file of a backup.
struct BackupFile {
  // Relative to the data directory, '/'-separated.
  std::string path;
  // An SQLite database, copied with SQLite's backup API (else a plain copy).
  bool sqlite = false;
  int64_t bytes = 0;
  // SHA-256 of the copy, lower-case hex: a restore refuses a copy that
  // differs.
  std::string sha256;
  // The source file's permission bits (keys stay 0600).
  uint32_t mode = 0600;
  // SQLite only: the snapshot's schema version, feed and cursors.
  DatabaseFacts facts;
};

// What a backup holds (backup.json).
struct Manifest {
  int format = kManifestFormat;
  // When the backup was taken (RFC 3339, UTC) and by which version.
  std::string created;
  std::string version;
  // The data directory it was taken from.
  std::string data_dir;
  std::vector<BackupFile> files;
};

std::string ManifestToJson(const Manifest& manifest);
// INVALID_ARGUMENT naming what is wrong when `json` is not a manifest this
// version can read.
absl::StatusOr<Manifest> ManifestFromJson(absl::string_view json);

}  // namespace carebridge::backup

#endif  // CAREBRIDGE_TOOLS_BACKUP_MANIFEST_H_

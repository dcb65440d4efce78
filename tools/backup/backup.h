#ifndef CAREBRIDGE_TOOLS_BACKUP_BACKUP_H_
#define CAREBRIDGE_TOOLS_BACKUP_BACKUP_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tools/backup/manifest.h"

namespace carebridge::backup {

// Takes an online backup of a server's data directory into `out_dir` (which
// must be absent or empty, and outside `data_dir`), while the server runs:
//
// - each SQLite database through SQLite's backup API from a read
//   connection, in one step, so the copy is one committed snapshot (WAL
//   lets the live writer go on meanwhile). Every database's snapshot is
//   pinned (a read transaction) before any is copied, consumers' databases
//   before the databases whose feeds they follow, and the directory's last:
//   a consumer's cursor in the copy is never past its producer's copied
//   head, and what a copy refers to (a person, a team) is in the copies
//   taken after it;
// - every other file byte for byte (token keys, the audit key, the
//   bootstrap token), with its permissions;
// - then each copy is checked (SQLite's integrity check; its schema
//   version, feed head and epoch and cursors against the snapshot's) and
//   its SHA-256 recorded in backup.json, written last.
//
// On any failure nothing is left in `out_dir` and the error says which file
// and why.
absl::StatusOr<Manifest> BackUp(const std::string& data_dir,
                                const std::string& out_dir, absl::Time now);

// The order BackUp pins the snapshots of the databases at `paths` (relative
// to the data directory) in, as indexes: a database before every database
// whose feed it follows (a cursor's epoch is the feed's), so each
// consumer's cursor is at most its producer's head in the copies; among the
// rest by path, with directory.db (which every service refers to) last.
std::vector<size_t> SnapshotOrder(const std::vector<std::string>& paths,
                                  const std::vector<DatabaseFacts>& facts);

}  // namespace carebridge::backup

#endif  // CAREBRIDGE_TOOLS_BACKUP_BACKUP_H_

#ifndef CAREBRIDGE_TOOLS_BACKUP_RESTORE_H_
#define CAREBRIDGE_TOOLS_BACKUP_RESTORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tools/backup/manifest.h"

namespace carebridge::backup {

// Checks the backup in `from` without changing anything: backup.json is
// readable, and every file it lists is there with its size and SHA-256,
// each database passing SQLite's integrity check. The manifest when so;
// else DATA_LOSS (or FAILED_PRECONDITION) naming the file.
absl::StatusOr<Manifest> VerifyBackup(const std::string& from);

// A feed restored: its head is the backup's, its epoch new.
struct RestoredFeed {
  std::string path;  // the database, e.g. referral.db
  int64_t head_sequence = 0;
  std::string old_epoch;
  std::string new_epoch;
};

// A consumer cursor in a restored database on a feed restored with it.
struct RestoredCursor {
  std::string path;  // the consumer's database
  std::string feed;
  int64_t sequence = 0;
  // The producer restored with it.
  std::string producer_path;
  int64_t producer_head = 0;
  std::string new_epoch;
  // True: the cursor is within the restored feed (at or below its head), so
  // it was moved to the new epoch and the consumer goes on. False: it is
  // past the restored head (its producer's copy is older than its own); it
  // stays on the old epoch, so the consumer stops until an administrator
  // resets it.
  bool reanchored = false;
};

struct RestoreReport {
  Manifest manifest;
  std::vector<RestoredFeed> feeds;
  std::vector<RestoredCursor> cursors;
};

// Restores the backup in `from` into `data_dir`, which must be absent or an
// empty directory. Verifies the backup first (VerifyBackup) and writes
// nothing when it fails. The files are put together in a folder beside
// `data_dir` and renamed into place, so a server never sees half a restore.
//
// Every restored feed gets a NEW epoch: its head is the backup's, below
// sequences the old database may have handed out after the backup, and new
// events will reuse those numbers. A consumer that followed the old
// database sees the epoch change and stops (PRODUCER_RESET in `carectl
// admin feeds`) instead of skipping the reused numbers. A consumer restored
// from the same backup whose cursor is within the restored feed is moved
// to the new epoch here (what it applied is exactly what the restored feed
// holds up to its cursor); one past the restored head is left to stop.
absl::StatusOr<RestoreReport> Restore(const std::string& from,
                                      const std::string& data_dir);

// For a data directory put back by other means (a volume snapshot, a copy
// of the files), with no server running on it: checks each database's
// integrity, gives every feed in it a new epoch and moves the cursors of
// its consumers there that are within their feed's head, as Restore does.
// A server still running would go on serving the old epoch until restarted.
absl::StatusOr<RestoreReport> RenewEpochs(const std::string& data_dir);

}  // namespace carebridge::backup

#endif  // CAREBRIDGE_TOOLS_BACKUP_RESTORE_H_

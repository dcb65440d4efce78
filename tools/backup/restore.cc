#include "tools/backup/restore.h"

#include <filesystem>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "services/common/file_util.h"
#include "services/common/macros.h"
#include "tools/backup/files.h"
#include "tools/backup/sqlite_file.h"

namespace carebridge::backup {
namespace fs = std::filesystem;
namespace {

// Gives the feed in `db` a new random epoch (as kOutboxEpochSchemaSql makes
// one) and returns it; empty for a schema from before epochs, which the
// server's migration gives a new one anyway.
absl::StatusOr<std::string> NewEpoch(SqliteFile& db) {
  ASSIGN_OR_RETURN(bool has_meta, db.HasTable("feed_meta"));
  if (!has_meta) return std::string();
  RETURN_IF_ERROR(db.Exec(
      "UPDATE feed_meta SET value = lower(hex(randomblob(16))) WHERE key = "
      "'epoch'"));
  ASSIGN_OR_RETURN(
      std::vector<std::string> epoch,
      db.Column("SELECT value FROM feed_meta WHERE key = 'epoch'"));
  if (epoch.empty()) {
    return absl::DataLossError(
        absl::StrCat(db.path(), ": the feed has no epoch"));
  }
  return epoch[0];
}

// Moves the cursor on `feed` (and the events it parked) from `old_epoch` to
// `new_epoch`, in one transaction.
absl::Status Reanchor(SqliteFile& db, const std::string& feed,
                      const std::string& old_epoch,
                      const std::string& new_epoch) {
  RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  absl::Status moved = [&]() -> absl::Status {
    RETURN_IF_ERROR(db.Column("UPDATE consumer_cursors SET epoch = ? WHERE "
                              "feed = ? AND epoch = ?",
                              {new_epoch, feed, old_epoch})
                        .status());
    ASSIGN_OR_RETURN(bool has_parked, db.HasColumn("parked_events", "epoch"));
    if (has_parked) {
      RETURN_IF_ERROR(db.Column("UPDATE parked_events SET epoch = ? WHERE "
                                "feed = ? AND epoch = ?",
                                {new_epoch, feed, old_epoch})
                          .status());
    }
    return absl::OkStatus();
  }();
  if (!moved.ok()) {
    db.Exec("ROLLBACK").IgnoreError();
    return moved;
  }
  return db.Exec("COMMIT");
}

// Gives every feed among the databases `files` (relative to `dir`, with the
// facts they had) a new epoch, and moves the cursors on those feeds that
// are within their head to the new epochs.
absl::Status RenewFeedEpochs(const std::string& dir,
                             const std::vector<BackupFile>& files,
                             RestoreReport* report) {
  // Every feed: a new epoch.
  struct Producer {
    std::string path;
    int64_t head = 0;
    std::string new_epoch;
  };
  absl::flat_hash_map<std::string, Producer> by_old_epoch;
  for (const BackupFile& file : files) {
    if (!file.sqlite || !file.facts.feed.has_value()) continue;
    ASSIGN_OR_RETURN(SqliteFile db,
                     SqliteFile::Open(absl::StrCat(dir, "/", file.path),
                                      /*read_only=*/false));
    ASSIGN_OR_RETURN(std::string epoch, NewEpoch(db));
    const FeedFacts& feed = *file.facts.feed;
    report->feeds.push_back({file.path, feed.head_sequence, feed.epoch, epoch});
    if (!feed.epoch.empty()) {
      by_old_epoch[feed.epoch] = {file.path, feed.head_sequence, epoch};
    }
  }
  // Consumers put back with their producers.
  for (const BackupFile& file : files) {
    if (!file.sqlite) continue;
    std::optional<SqliteFile> db;
    for (const CursorFacts& cursor : file.facts.cursors) {
      auto producer = by_old_epoch.find(cursor.epoch);
      if (cursor.epoch.empty() || producer == by_old_epoch.end()) continue;
      RestoredCursor restored{file.path,
                              cursor.feed,
                              cursor.sequence,
                              producer->second.path,
                              producer->second.head,
                              producer->second.new_epoch,
                              /*reanchored=*/false};
      if (cursor.sequence <= producer->second.head &&
          !producer->second.new_epoch.empty()) {
        if (!db.has_value()) {
          ASSIGN_OR_RETURN(db,
                           SqliteFile::Open(absl::StrCat(dir, "/", file.path),
                                            /*read_only=*/false));
        }
        RETURN_IF_ERROR(Reanchor(*db, cursor.feed, cursor.epoch,
                                 producer->second.new_epoch));
        restored.reanchored = true;
      }
      report->cursors.push_back(std::move(restored));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<RestoreReport> RestoreInto(const Manifest& manifest,
                                          const std::string& from,
                                          const std::string& staging) {
  RestoreReport report;
  report.manifest = manifest;
  for (const BackupFile& file : manifest.files) {
    const std::string to = absl::StrCat(staging, "/", file.path);
    std::error_code error;
    fs::create_directories(fs::path(to).parent_path(), error);
    // Folders as private as the data directory.
    if (!error) {
      fs::permissions(fs::path(to).parent_path(), fs::perms::owner_all, error);
    }
    if (error) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot create the folder of ", to, ": ", error.message()));
    }
    RETURN_IF_ERROR(
        CopyFile(absl::StrCat(from, "/", file.path), to, file.mode));
  }
  RETURN_IF_ERROR(RenewFeedEpochs(staging, manifest.files, &report));
  for (const auto& entry : fs::recursive_directory_iterator(staging)) {
    if (entry.is_directory()) RETURN_IF_ERROR(SyncPath(entry.path().string()));
  }
  RETURN_IF_ERROR(SyncPath(staging));
  return report;
}

}  // namespace

absl::StatusOr<Manifest> VerifyBackup(const std::string& from) {
  if (from.empty()) return absl::InvalidArgumentError("--from: must be set");
  const std::string manifest_path = absl::StrCat(from, "/", kManifestName);
  std::error_code error;
  if (!fs::exists(manifest_path, error)) {
    return absl::FailedPreconditionError(
        absl::StrCat("--from: ", from, " has no ", kManifestName,
                     ": not a complete backup (a backup writes it last)"));
  }
  ASSIGN_OR_RETURN(std::string json, ReadFileToString(manifest_path));
  absl::StatusOr<Manifest> manifest = ManifestFromJson(json);
  if (!manifest.ok()) {
    return absl::DataLossError(
        absl::StrCat(from, "/", manifest.status().message()));
  }
  for (const BackupFile& file : manifest->files) {
    if (!IsSafeRelativePath(file.path)) {
      return absl::DataLossError(
          absl::StrCat(manifest_path, ": lists ", file.path,
                       ", which is not a path inside the backup"));
    }
    const std::string path = absl::StrCat(from, "/", file.path);
    absl::StatusOr<Digest> digest = DigestFile(path);
    if (!digest.ok()) {
      return absl::DataLossError(absl::StrCat(
          path, ": missing or unreadable: ", digest.status().message()));
    }
    if (digest->bytes != file.bytes || digest->sha256 != file.sha256) {
      return absl::DataLossError(absl::StrCat(
          path, ": differs from the copy the backup made (", digest->bytes,
          " bytes, SHA-256 ", digest->sha256, "; the backup recorded ",
          file.bytes, " bytes, ", file.sha256, "): the backup is damaged"));
    }
    if (file.sqlite) {
      ASSIGN_OR_RETURN(SqliteFile db,
                       SqliteFile::Open(path, /*read_only=*/true));
      RETURN_IF_ERROR(db.CheckIntegrity());
      ASSIGN_OR_RETURN(DatabaseFacts facts, ReadFacts(db));
      if (!(facts == file.facts)) {
        return absl::DataLossError(absl::StrCat(
            path, ": its schema version, feed or cursors are not what ",
            kManifestName, " says"));
      }
    }
  }
  return manifest;
}

absl::StatusOr<RestoreReport> RenewEpochs(const std::string& data_dir) {
  if (data_dir.empty()) {
    return absl::InvalidArgumentError("--data_dir: must be set");
  }
  ASSIGN_OR_RETURN(std::vector<DataFile> listed, ListDataFiles(data_dir));
  std::vector<BackupFile> databases;
  for (const DataFile& file : listed) {
    if (!file.sqlite) continue;
    ASSIGN_OR_RETURN(SqliteFile db,
                     SqliteFile::Open(absl::StrCat(data_dir, "/", file.path),
                                      /*read_only=*/true));
    RETURN_IF_ERROR(db.CheckIntegrity());
    BackupFile entry;
    entry.path = file.path;
    entry.sqlite = true;
    ASSIGN_OR_RETURN(entry.facts, ReadFacts(db));
    databases.push_back(std::move(entry));
  }
  RestoreReport report;
  report.manifest.data_dir = data_dir;
  report.manifest.files = databases;
  RETURN_IF_ERROR(RenewFeedEpochs(data_dir, databases, &report));
  return report;
}

absl::StatusOr<RestoreReport> Restore(const std::string& from,
                                      const std::string& data_dir) {
  if (data_dir.empty()) {
    return absl::InvalidArgumentError("--data_dir: must be set");
  }
  ASSIGN_OR_RETURN(bool empty, IsAbsentOrEmptyDir(data_dir));
  if (!empty) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--data_dir: ", data_dir,
        " is not empty; a restore goes into a new data directory (move the "
        "old one aside first)"));
  }
  ASSIGN_OR_RETURN(Manifest manifest, VerifyBackup(from));
  std::error_code error;
  const fs::path target = fs::absolute(data_dir).lexically_normal();
  const fs::path parent = target.parent_path();
  fs::create_directories(parent, error);
  const std::string staging =
      (parent / absl::StrCat(".", target.filename().string(), ".restoring"))
          .string();
  fs::remove_all(staging, error);
  fs::create_directory(staging, error);
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create ", staging, ": ", error.message()));
  }
  fs::permissions(staging, fs::perms::owner_all, error);
  absl::StatusOr<RestoreReport> report = RestoreInto(manifest, from, staging);
  if (report.ok()) {
    fs::remove(target, error);  // empty, or absent
    fs::rename(staging, target, error);
    if (error) {
      report = absl::FailedPreconditionError(
          absl::StrCat("cannot move ", staging, " to ", target.string(), ": ",
                       error.message()));
    } else {
      SyncParentDirectory(target.string());
    }
  }
  if (!report.ok()) fs::remove_all(staging, error);
  return report;
}

}  // namespace carebridge::backup

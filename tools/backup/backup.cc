#include "tools/backup/backup.h"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/file_util.h"
#include "services/common/macros.h"
#include "services/common/version.h"
#include "tools/backup/files.h"
#include "tools/backup/sqlite_file.h"

namespace carebridge::backup {
namespace fs = std::filesystem;
namespace {

struct Database {
  DataFile file;
  // Open on the live file, inside the read transaction whose snapshot is
  // copied.
  std::optional<SqliteFile> source;
  DatabaseFacts facts;
};

// Copies the snapshot `source` is reading into `to`, one file in rollback
// journal mode (no -wal beside it).
absl::Status CopyDatabase(SqliteFile& source, const std::string& to) {
  ASSIGN_OR_RETURN(SqliteFile dest,
                   SqliteFile::Open(to, /*read_only=*/false, /*create=*/true));
  sqlite3_backup* backup =
      sqlite3_backup_init(dest.raw(), "main", source.raw(), "main");
  if (backup == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        to, ": cannot start the copy: ", sqlite3_errmsg(dest.raw())));
  }
  // One step copies every page from the one read snapshot.
  const int stepped = sqlite3_backup_step(backup, -1);
  const int finished = sqlite3_backup_finish(backup);
  if (stepped != SQLITE_DONE || finished != SQLITE_OK) {
    return absl::FailedPreconditionError(absl::StrCat(
        source.path(), ": the copy failed: ",
        sqlite3_errstr(stepped != SQLITE_DONE ? stepped : finished)));
  }
  RETURN_IF_ERROR(dest.Exec("PRAGMA journal_mode=DELETE"));
  return absl::OkStatus();
}

// Checks the copy at `path` against the snapshot it came from.
absl::Status VerifyCopy(const std::string& path,
                        const DatabaseFacts& expected) {
  ASSIGN_OR_RETURN(SqliteFile copy, SqliteFile::Open(path, /*read_only=*/true));
  RETURN_IF_ERROR(copy.CheckIntegrity());
  ASSIGN_OR_RETURN(DatabaseFacts facts, ReadFacts(copy));
  if (!(facts == expected)) {
    return absl::DataLossError(absl::StrCat(
        path,
        ": the copy's schema version, feed or cursors differ from the "
        "snapshot it was copied from"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Manifest> BackUpInto(const std::string& data_dir,
                                    const std::string& out_dir,
                                    absl::Time now) {
  ASSIGN_OR_RETURN(std::vector<DataFile> listed, ListDataFiles(data_dir));
  std::vector<Database> databases;
  std::vector<DataFile> plain;
  for (DataFile& file : listed) {
    if (file.sqlite) {
      databases.push_back({std::move(file), std::nullopt, {}});
    } else {
      plain.push_back(std::move(file));
    }
  }
  // First look: what follows what, for the order of the snapshots.
  for (Database& db : databases) {
    ASSIGN_OR_RETURN(SqliteFile look,
                     SqliteFile::Open(absl::StrCat(data_dir, "/", db.file.path),
                                      /*read_only=*/true));
    ASSIGN_OR_RETURN(db.facts, ReadFacts(look));
  }
  std::vector<std::string> paths;
  std::vector<DatabaseFacts> facts;
  for (const Database& db : databases) {
    paths.push_back(db.file.path);
    facts.push_back(db.facts);
  }
  const std::vector<size_t> order = SnapshotOrder(paths, facts);
  // Pin every snapshot (each read transaction's first read fixes it) before
  // copying any, so they are close together in time and in that order.
  for (size_t i : order) {
    Database& db = databases[i];
    ASSIGN_OR_RETURN(SqliteFile source,
                     SqliteFile::Open(absl::StrCat(data_dir, "/", db.file.path),
                                      /*read_only=*/true));
    RETURN_IF_ERROR(source.Exec("BEGIN"));
    ASSIGN_OR_RETURN(db.facts, ReadFacts(source));
    db.source = std::move(source);
  }

  Manifest manifest;
  manifest.created =
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", now, absl::UTCTimeZone());
  manifest.version = kCarebridgeVersion;
  manifest.data_dir = fs::absolute(data_dir).lexically_normal().string();
  auto make_parent = [&](const std::string& path) -> absl::Status {
    std::error_code error;
    fs::create_directories(fs::path(path).parent_path(), error);
    // Folders as private as the data directory's.
    if (!error) {
      fs::permissions(fs::path(path).parent_path(), fs::perms::owner_all,
                      error);
    }
    if (error) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot create the folder of ", path, ": ", error.message()));
    }
    return absl::OkStatus();
  };
  for (size_t i : order) {
    Database& db = databases[i];
    const std::string to = absl::StrCat(out_dir, "/", db.file.path);
    RETURN_IF_ERROR(make_parent(to));
    RETURN_IF_ERROR(CopyDatabase(*db.source, to));
    db.source.reset();  // ends the read transaction
  }
  for (const Database& db : databases) {
    const std::string to = absl::StrCat(out_dir, "/", db.file.path);
    RETURN_IF_ERROR(VerifyCopy(to, db.facts));
    ASSIGN_OR_RETURN(Digest digest, DigestFile(to));
    manifest.files.push_back({db.file.path, /*sqlite=*/true, digest.bytes,
                              digest.sha256, db.file.mode, db.facts});
  }
  for (const DataFile& file : plain) {
    const std::string to = absl::StrCat(out_dir, "/", file.path);
    RETURN_IF_ERROR(make_parent(to));
    RETURN_IF_ERROR(
        CopyFile(absl::StrCat(data_dir, "/", file.path), to, file.mode));
    ASSIGN_OR_RETURN(Digest digest, DigestFile(to));
    manifest.files.push_back({file.path,
                              /*sqlite=*/false,
                              digest.bytes,
                              digest.sha256,
                              file.mode,
                              {}});
  }
  std::sort(
      manifest.files.begin(), manifest.files.end(),
      [](const BackupFile& a, const BackupFile& b) { return a.path < b.path; });
  for (const auto& entry : fs::recursive_directory_iterator(out_dir)) {
    if (entry.is_directory()) RETURN_IF_ERROR(SyncPath(entry.path().string()));
  }
  RETURN_IF_ERROR(WriteFileAtomically(absl::StrCat(out_dir, "/", kManifestName),
                                      ManifestToJson(manifest), 0600));
  return manifest;
}

}  // namespace

std::vector<size_t> SnapshotOrder(const std::vector<std::string>& paths,
                                  const std::vector<DatabaseFacts>& facts) {
  // Every other service refers to the directory's persons and teams.
  constexpr char kReferencedByAll[] = "directory.db";
  const size_t n = paths.size();
  std::vector<std::vector<size_t>> consumers_of(n);
  for (size_t producer = 0; producer < n; ++producer) {
    const std::optional<FeedFacts>& feed = facts[producer].feed;
    if (!feed.has_value() || feed->epoch.empty()) continue;
    for (size_t consumer = 0; consumer < n; ++consumer) {
      if (consumer == producer) continue;
      for (const CursorFacts& cursor : facts[consumer].cursors) {
        if (cursor.epoch == feed->epoch) {
          consumers_of[producer].push_back(consumer);
        }
      }
    }
  }
  auto before = [&](size_t a, size_t b) {
    const bool a_last = paths[a] == kReferencedByAll;
    const bool b_last = paths[b] == kReferencedByAll;
    if (a_last != b_last) return b_last;
    return paths[a] < paths[b];
  };
  std::vector<bool> taken(n, false);
  std::vector<size_t> order;
  while (order.size() < n) {
    std::optional<size_t> ready, any;
    for (size_t i = 0; i < n; ++i) {
      if (taken[i]) continue;
      if (!any.has_value() || before(i, *any)) any = i;
      bool consumers_taken = true;
      for (size_t consumer : consumers_of[i]) {
        consumers_taken = consumers_taken && taken[consumer];
      }
      if (consumers_taken && (!ready.has_value() || before(i, *ready))) {
        ready = i;
      }
    }
    // A cycle (none today) is broken by path.
    const size_t next = ready.has_value() ? *ready : *any;
    taken[next] = true;
    order.push_back(next);
  }
  return order;
}

absl::StatusOr<Manifest> BackUp(const std::string& data_dir,
                                const std::string& out_dir, absl::Time now) {
  if (data_dir.empty())
    return absl::InvalidArgumentError("--data_dir: must be set");
  if (out_dir.empty()) return absl::InvalidArgumentError("--out: must be set");
  std::error_code error;
  const fs::path data = fs::weakly_canonical(data_dir, error);
  const fs::path out = fs::weakly_canonical(out_dir, error);
  const fs::path relative = out.lexically_relative(data);
  if (!relative.empty() && *relative.begin() != "..") {
    return absl::InvalidArgumentError(
        absl::StrCat("--out: ", out_dir, " is inside --data_dir ", data_dir,
                     "; a backup goes elsewhere (ideally another disk)"));
  }
  ASSIGN_OR_RETURN(bool empty, IsAbsentOrEmptyDir(out_dir));
  if (!empty) {
    return absl::FailedPreconditionError(
        absl::StrCat("--out: ", out_dir,
                     " is not empty; give a new folder for each backup"));
  }
  const bool existed = fs::exists(out_dir, error);
  fs::create_directories(out_dir, error);
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("--out: cannot create ", out_dir, ": ", error.message()));
  }
  fs::permissions(out_dir, fs::perms::owner_all, error);
  absl::StatusOr<Manifest> manifest = BackUpInto(data_dir, out_dir, now);
  if (!manifest.ok()) {
    // Nothing half-made is left to be mistaken for a backup.
    for (const auto& entry : fs::directory_iterator(out_dir, error)) {
      fs::remove_all(entry.path(), error);
    }
    if (!existed) fs::remove(out_dir, error);
  }
  return manifest;
}

}  // namespace carebridge::backup

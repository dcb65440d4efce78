#ifndef CAREBRIDGE_TOOLS_BACKUP_SQLITE_FILE_H_
#define CAREBRIDGE_TOOLS_BACKUP_SQLITE_FILE_H_

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace carebridge::backup {

// One SQLite connection of the backup tool's own, on the C API: the tool
// reads a live server's files beside it and edits copies before any server
// opens them, so it needs none of SqliteDb's write batching, migrations or
// audit. Not thread-safe.
class SqliteFile {
 public:
  // Opens an existing database (never creates one unless `create`).
  static absl::StatusOr<SqliteFile> Open(const std::string& path,
                                         bool read_only, bool create = false);
  SqliteFile(SqliteFile&& other) noexcept;
  SqliteFile& operator=(SqliteFile&& other) noexcept;
  SqliteFile(const SqliteFile&) = delete;
  SqliteFile& operator=(const SqliteFile&) = delete;
  ~SqliteFile();

  // Runs statements that return no rows (or whose rows are ignored).
  absl::Status Exec(absl::string_view sql);
  // The first column of each row of `sql`, with `text_args` bound in order.
  absl::StatusOr<std::vector<std::string>> Column(
      absl::string_view sql, const std::vector<std::string>& text_args = {});
  // The first column of the first row as an integer; nullopt when no row.
  absl::StatusOr<std::optional<int64_t>> Int(absl::string_view sql);
  absl::StatusOr<bool> HasTable(absl::string_view table);
  absl::StatusOr<bool> HasColumn(absl::string_view table,
                                 absl::string_view column);
  // PRAGMA integrity_check: OK, or DATA_LOSS with what SQLite found.
  absl::Status CheckIntegrity();

  sqlite3* raw() const { return db_; }
  const std::string& path() const { return path_; }

 private:
  SqliteFile(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  absl::Status Error(int rc, absl::string_view what) const;

  sqlite3* db_ = nullptr;
  std::string path_;
};

// Whether the file at `path` starts with SQLite's header.
bool LooksLikeSqlite(const std::string& path);

// A service's outbox feed, as a database holds it.
struct FeedFacts {
  // The newest event's sequence; 0 when there is none.
  int64_t head_sequence = 0;
  // feed_meta's epoch; empty for a schema from before epochs.
  std::string epoch;
};

// A consumer's cursor on another service's feed (consumer_cursors).
struct CursorFacts {
  std::string feed;
  int64_t sequence = 0;
  // The producer epoch the cursor belongs to; empty before first sight.
  std::string epoch;
};

// What a backup records of each database and checks its copy against.
struct DatabaseFacts {
  int64_t user_version = 0;
  std::optional<FeedFacts> feed;
  std::vector<CursorFacts> cursors;
};

bool operator==(const FeedFacts& a, const FeedFacts& b);
bool operator==(const CursorFacts& a, const CursorFacts& b);
bool operator==(const DatabaseFacts& a, const DatabaseFacts& b);

// Reads the facts in the connection's current transaction (or a snapshot
// of their own when none is open).
absl::StatusOr<DatabaseFacts> ReadFacts(SqliteFile& db);

}  // namespace carebridge::backup

#endif  // CAREBRIDGE_TOOLS_BACKUP_SQLITE_FILE_H_

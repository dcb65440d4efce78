#include "tools/backup/sqlite_file.h"

#include <fstream>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/macros.h"

namespace carebridge::backup {
namespace {

// Finalizes a statement however the caller leaves.
struct StatementCloser {
  sqlite3_stmt* stmt = nullptr;
  ~StatementCloser() { sqlite3_finalize(stmt); }
};

}  // namespace

absl::StatusOr<SqliteFile> SqliteFile::Open(const std::string& path,
                                            bool read_only, bool create) {
  sqlite3* db = nullptr;
  int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (create && !read_only) flags |= SQLITE_OPEN_CREATE;
  const int rc =
      sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  SqliteFile file(db, path);
  if (rc != SQLITE_OK) return file.Error(rc, "cannot open it");
  // A live server may hold a write lock for a moment.
  sqlite3_busy_timeout(db, 10000);
  return file;
}

SqliteFile::SqliteFile(SqliteFile&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)) {}

SqliteFile& SqliteFile::operator=(SqliteFile&& other) noexcept {
  if (this != &other) {
    sqlite3_close(db_);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
  }
  return *this;
}

SqliteFile::~SqliteFile() { sqlite3_close(db_); }

absl::Status SqliteFile::Error(int rc, absl::string_view what) const {
  return absl::FailedPreconditionError(
      absl::StrCat(path_, ": ", what, ": ",
                   db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc)));
}

absl::Status SqliteFile::Exec(absl::string_view sql) {
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Error(rc, text);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> SqliteFile::Column(
    absl::string_view sql, const std::vector<std::string>& text_args) {
  StatementCloser stmt;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()),
                              &stmt.stmt, nullptr);
  if (rc != SQLITE_OK) return Error(rc, sql);
  for (size_t i = 0; i < text_args.size(); ++i) {
    sqlite3_bind_text(stmt.stmt, static_cast<int>(i + 1), text_args[i].data(),
                      static_cast<int>(text_args[i].size()), SQLITE_TRANSIENT);
  }
  std::vector<std::string> values;
  while ((rc = sqlite3_step(stmt.stmt)) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(stmt.stmt, 0);
    values.emplace_back(text == nullptr ? ""
                                        : reinterpret_cast<const char*>(text));
  }
  if (rc != SQLITE_DONE) return Error(rc, sql);
  return values;
}

absl::StatusOr<std::optional<int64_t>> SqliteFile::Int(absl::string_view sql) {
  StatementCloser stmt;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()),
                              &stmt.stmt, nullptr);
  if (rc != SQLITE_OK) return Error(rc, sql);
  rc = sqlite3_step(stmt.stmt);
  if (rc == SQLITE_DONE) return std::optional<int64_t>();
  if (rc != SQLITE_ROW) return Error(rc, sql);
  return std::optional<int64_t>(sqlite3_column_int64(stmt.stmt, 0));
}

absl::StatusOr<bool> SqliteFile::HasTable(absl::string_view table) {
  ASSIGN_OR_RETURN(
      std::vector<std::string> found,
      Column("SELECT name FROM sqlite_schema WHERE type = 'table' AND name = ?",
             {std::string(table)}));
  return !found.empty();
}

absl::StatusOr<bool> SqliteFile::HasColumn(absl::string_view table,
                                           absl::string_view column) {
  ASSIGN_OR_RETURN(
      std::vector<std::string> found,
      Column("SELECT name FROM pragma_table_info(?) WHERE name = ?",
             {std::string(table), std::string(column)}));
  return !found.empty();
}

absl::Status SqliteFile::CheckIntegrity() {
  ASSIGN_OR_RETURN(std::vector<std::string> problems,
                   Column("PRAGMA integrity_check"));
  if (problems.size() == 1 && problems[0] == "ok") return absl::OkStatus();
  return absl::DataLossError(absl::StrCat(
      path_,
      ": fails SQLite's integrity check: ", absl::StrJoin(problems, "; ")));
}

bool LooksLikeSqlite(const std::string& path) {
  static constexpr char kHeader[] = "SQLite format 3";  // and its NUL
  char header[sizeof(kHeader)] = {};
  std::ifstream in(path, std::ios::binary);
  if (!in.read(header, sizeof(header))) return false;
  return std::string(header, sizeof(header)) ==
         std::string(kHeader, sizeof(kHeader));
}

bool operator==(const FeedFacts& a, const FeedFacts& b) {
  return a.head_sequence == b.head_sequence && a.epoch == b.epoch;
}

bool operator==(const CursorFacts& a, const CursorFacts& b) {
  return a.feed == b.feed && a.sequence == b.sequence && a.epoch == b.epoch;
}

bool operator==(const DatabaseFacts& a, const DatabaseFacts& b) {
  return a.user_version == b.user_version && a.feed == b.feed &&
         a.cursors == b.cursors;
}

absl::StatusOr<DatabaseFacts> ReadFacts(SqliteFile& db) {
  DatabaseFacts facts;
  ASSIGN_OR_RETURN(std::optional<int64_t> version,
                   db.Int("PRAGMA user_version"));
  facts.user_version = version.value_or(0);
  ASSIGN_OR_RETURN(bool has_outbox, db.HasTable("outbox_events"));
  if (has_outbox) {
    FeedFacts feed;
    ASSIGN_OR_RETURN(std::optional<int64_t> head,
                     db.Int("SELECT IFNULL(MAX(sequence), 0) FROM "
                            "outbox_events"));
    feed.head_sequence = head.value_or(0);
    ASSIGN_OR_RETURN(bool has_meta, db.HasTable("feed_meta"));
    if (has_meta) {
      ASSIGN_OR_RETURN(
          std::vector<std::string> epoch,
          db.Column("SELECT value FROM feed_meta WHERE key = 'epoch'"));
      if (!epoch.empty()) feed.epoch = epoch[0];
    }
    facts.feed = feed;
  }
  ASSIGN_OR_RETURN(bool has_cursors, db.HasTable("consumer_cursors"));
  if (has_cursors) {
    ASSIGN_OR_RETURN(bool has_epoch, db.HasColumn("consumer_cursors", "epoch"));
    // One row per cursor, as text: feed, sequence, epoch.
    const std::string select = absl::StrCat(
        "SELECT feed || char(31) || sequence || char(31) || ",
        has_epoch ? "epoch" : "''", " FROM consumer_cursors ORDER BY feed");
    ASSIGN_OR_RETURN(std::vector<std::string> rows, db.Column(select));
    for (const std::string& row : rows) {
      const size_t first = row.find('\x1f');
      const size_t second = row.find('\x1f', first + 1);
      if (first == std::string::npos || second == std::string::npos) {
        return absl::DataLossError(
            absl::StrCat(db.path(), ": an unreadable consumer cursor"));
      }
      CursorFacts cursor;
      cursor.feed = row.substr(0, first);
      if (!absl::SimpleAtoi(row.substr(first + 1, second - first - 1),
                            &cursor.sequence)) {
        return absl::DataLossError(
            absl::StrCat(db.path(), ": an unreadable consumer cursor"));
      }
      cursor.epoch = row.substr(second + 1);
      facts.cursors.push_back(std::move(cursor));
    }
  }
  return facts;
}

}  // namespace carebridge::backup

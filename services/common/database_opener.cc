#include "services/common/database_opener.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/macros.h"
#include "services/common/pg_db.h"
#include "services/common/sqlite_db.h"

namespace carebridge {

std::string DatabaseLocation::Describe() const {
  if (!postgresql()) return sqlite_path;
  // Host, port and database: what follows the user information, up to the
  // parameters.
  absl::string_view rest = postgresql_url;
  rest.remove_prefix(rest.find("://") + 3);
  if (size_t at = rest.find('@'); at != absl::string_view::npos) {
    rest.remove_prefix(at + 1);
  }
  rest = rest.substr(0, rest.find('?'));
  return absl::StrCat("postgresql://", rest, " schema ", schema);
}

absl::Status ValidateDatabaseUrl(absl::string_view flag,
                                 absl::string_view url) {
  if (url.empty() || absl::StartsWith(url, "postgresql://") ||
      absl::StartsWith(url, "postgres://")) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat(flag,
                   ": expected empty (SQLite files in the data directory) or a "
                   "postgresql:// URL"));
}

absl::StatusOr<std::unique_ptr<Database>> OpenDatabase(
    const DatabaseLocation& location, const SchemaMigrations& migrations,
    const DatabaseOptions& options) {
  if (location.postgresql()) {
    RETURN_IF_ERROR(ValidateDatabaseUrl("--database", location.postgresql_url));
    if (migrations.postgresql == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("--database: the ", location.schema,
                       " service keeps its data only in SQLite files"));
    }
    PgDb::Options pg;
    pg.schema = location.schema;
    pg.audit_key = options.audit_key;
    pg.durable_commits = options.durable_commits;
    ASSIGN_OR_RETURN(std::unique_ptr<PgDb> db,
                     PgDb::Open(location.postgresql_url, *migrations.postgresql,
                                std::move(pg)));
    return std::unique_ptr<Database>(std::move(db));
  }
  SqliteDb::Options sqlite;
  sqlite.audit_key = options.audit_key;
  sqlite.durable_commits = options.durable_commits;
  sqlite.page_size = options.sqlite_page_size;
  static const std::vector<Migration>* const kNone =
      new std::vector<Migration>();
  ASSIGN_OR_RETURN(
      std::unique_ptr<SqliteDb> db,
      SqliteDb::Open(location.sqlite_path,
                     migrations.sqlite != nullptr ? *migrations.sqlite : *kNone,
                     sqlite));
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace carebridge

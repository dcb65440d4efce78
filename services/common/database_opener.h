#ifndef CAREBRIDGE_SERVICES_COMMON_DATABASE_OPENER_H_
#define CAREBRIDGE_SERVICES_COMMON_DATABASE_OPENER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/common/database.h"

namespace carebridge {

class HmacSha256;

// Where one service keeps its data: an SQLite file (the default) or a
// schema of its own in a PostgreSQL database (`--database`).
struct DatabaseLocation {
  // The SQLite file, used when `postgresql_url` is empty.
  std::string sqlite_path;
  // postgresql://user:password@host:port/dbname?... ; empty for SQLite.
  std::string postgresql_url;
  // The service's short name (`referral`): its schema on PostgreSQL.
  std::string schema;

  bool postgresql() const { return !postgresql_url.empty(); }
  // For messages: the file, or host:port/dbname and schema (never a
  // password).
  std::string Describe() const;
};

// A store's schema on each engine, oldest step first.
struct SchemaMigrations {
  const std::vector<Migration>* sqlite = nullptr;
  const std::vector<Migration>* postgresql = nullptr;
};

struct DatabaseOptions {
  // The audit log's key; null: no audit log.
  const HmacSha256* audit_key = nullptr;
  // False for a database rebuilt from elsewhere: commits need not wait for
  // the disk (SqliteDb::Options::durable_commits, PgDb::Options's: there
  // only writes that carry no audit record).
  bool durable_commits = true;
  // SQLite: the page size of a database this creates
  // (SqliteDb::Options::page_size; 0: SQLite's).
  int sqlite_page_size = 0;
};

// Opens (creating when needed) the database at `location` and applies the
// engine's migrations. FAILED_PRECONDITION when it was written by a newer
// schema; UNAVAILABLE (naming the server) when PostgreSQL cannot be reached;
// INVALID_ARGUMENT for a URL that is not postgresql:// or postgres://.
absl::StatusOr<std::unique_ptr<Database>> OpenDatabase(
    const DatabaseLocation& location, const SchemaMigrations& migrations,
    const DatabaseOptions& options);

// Checks a `--database` value: empty (SQLite) or a postgresql:// URL.
// INVALID_ARGUMENT naming `flag` otherwise.
absl::Status ValidateDatabaseUrl(absl::string_view flag, absl::string_view url);

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_DATABASE_OPENER_H_

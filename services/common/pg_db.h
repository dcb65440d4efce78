#ifndef CAREBRIDGE_SERVICES_COMMON_PG_DB_H_
#define CAREBRIDGE_SERVICES_COMMON_PG_DB_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/database.h"

namespace carebridge {

class HmacSha256;
class PgConnection;

// `?` and `?N` placeholders in `sql` as PostgreSQL's `$N` (an anonymous `?`
// numbered one past the largest so far, as SQLite does), leaving string
// literals, quoted identifiers and comments alone.
std::string TranslatePlaceholders(absl::string_view sql);

// A PostgreSQL database (libpq) shared by any number of processes: a
// service's replicas each open one against the same database.
//
// Write runs `fn` in one SERIALIZABLE transaction, so a store's
// read-check-then-write is as safe as on SqliteDb's single writer; when it
// loses a conflict with another writer (serialization_failure,
// deadlock_detected) the whole transaction is run again, `fn` included, up
// to Options::max_write_attempts times (Database::Write's contract says `fn`
// is re-runnable). Read runs `fn` in a REPEATABLE READ READ ONLY
// transaction (one snapshot). Connections come from a small pool; one that
// is lost (server restart, pg_terminate_backend) fails its call UNAVAILABLE
// and is replaced on the next call. A write whose COMMIT was cut off is
// UNAVAILABLE and may or may not have committed (as with any network
// database); stores make writes idempotent with request ids.
//
// Errors: connection failures and admin shutdown are UNAVAILABLE, conflicts
// that outlast the retries UNAVAILABLE, constraint violations INTERNAL (as
// SqliteDb's), others INTERNAL; messages carry the SQLSTATE and never the
// password.
//
// This class is thread-safe.
class PgDb : public Database {
 public:
  struct Options {
    // Most connections open at once; calls beyond wait.
    int max_connections = 4;
    // Attempts of one Write that keeps losing conflicts (with waits
    // growing to 100 ms between them).
    int max_write_attempts = 40;
    // Gives up connecting after this long (libpq connect_timeout, unless
    // the URL sets it).
    absl::Duration connect_timeout = absl::Seconds(10);
    // The schema holding the database's tables (created when missing; every
    // connection's search_path): one database serves several services, each
    // in a schema of its own, since their tables share names
    // (schema_migrations, outbox_events, ...). Empty: the URL's default.
    std::string schema;
    // When set, the database keeps an audit log (AuditChain under this key,
    // which outlives the database), as SqliteDb::Options::audit_key.
    const HmacSha256* audit_key = nullptr;
  };

  // Connects to `url` (postgresql://user:password@host:port/dbname?...)
  // and applies `migrations` not yet applied, recorded in the table
  // schema_migrations and serialised between processes by an advisory
  // lock. FAILED_PRECONDITION if the database was migrated by a newer
  // schema than `migrations` knows; UNAVAILABLE naming the host and port
  // when it cannot connect.
  static absl::StatusOr<std::unique_ptr<PgDb>> Open(
      const std::string& url, const std::vector<Migration>& migrations,
      Options options);
  static absl::StatusOr<std::unique_ptr<PgDb>> Open(
      const std::string& url, const std::vector<Migration>& migrations) {
    return Open(url, migrations, Options());
  }
  ~PgDb() override;

  absl::Status Write(absl::FunctionRef<absl::Status(Connection&)> fn) override
      ABSL_LOCKS_EXCLUDED(pool_mu_);
  absl::Status Read(absl::FunctionRef<absl::Status(Connection&)> fn) override
      ABSL_LOCKS_EXCLUDED(pool_mu_);
  absl::string_view engine() const override { return "postgresql"; }
  int schema_version() const override { return schema_version_; }

  // "host:port/dbname" (no user or password), for messages.
  const std::string& target() const { return target_; }

 private:
  PgDb(std::string url, std::string target, Options options);

  // An idle connection, or a new one when fewer than max_connections are
  // open; waits otherwise.
  absl::StatusOr<std::unique_ptr<PgConnection>> Acquire()
      ABSL_LOCKS_EXCLUDED(pool_mu_);
  // Back to the pool, or closed when it was lost.
  void Release(std::unique_ptr<PgConnection> conn)
      ABSL_LOCKS_EXCLUDED(pool_mu_);
  absl::StatusOr<std::unique_ptr<PgConnection>> Connect();
  absl::Status Migrate(const std::vector<Migration>& migrations);
  // A connection with the transaction `begin` started on it.
  absl::StatusOr<std::unique_ptr<PgConnection>> Begin(absl::string_view begin);
  // One run of `fn` between `begin` and COMMIT (ROLLBACK when it fails);
  // `conflicted`: it lost a conflict and may be run again.
  absl::Status RunTransaction(absl::string_view begin,
                              absl::FunctionRef<absl::Status(Connection&)> fn,
                              bool& conflicted);

  const std::string url_;
  const std::string target_;
  const Options options_;
  int schema_version_ = 0;

  absl::Mutex pool_mu_;
  std::vector<std::unique_ptr<PgConnection>> idle_ ABSL_GUARDED_BY(pool_mu_);
  // Connections open, idle or lent.
  int open_ ABSL_GUARDED_BY(pool_mu_) = 0;
};

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_PG_DB_H_

#ifndef CAREBRIDGE_SERVICES_COMMON_PG_DB_H_
#define CAREBRIDGE_SERVICES_COMMON_PG_DB_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/audit_record.h"
#include "services/common/database.h"

namespace carebridge {

class AuditBatcher;
class AuditChain;
class HmacSha256;
class PgConnection;
struct CallAudit;

// `?` and `?N` placeholders in `sql` as PostgreSQL's `$N` (an anonymous `?`
// numbered one past the largest so far, as SQLite does), leaving string
// literals, quoted identifiers and comments alone.
std::string TranslatePlaceholders(absl::string_view sql);

// A PostgreSQL database (libpq) shared by any number of processes: a
// service's replicas each open one against the same database.
//
// Write runs `fn` in a SERIALIZABLE transaction, so a store's
// read-check-then-write is as safe as on SqliteDb's single writer. Writes
// made at once are committed together (group commit, as SqliteDb's): they
// queue, and one of their callers runs up to Options::max_batch of them in
// one transaction, each in a SAVEPOINT, so a `fn` that fails rolls back only
// its own changes and only its caller gets the error. When the transaction
// loses a conflict with another writer (serialization_failure,
// deadlock_detected, at any statement or at COMMIT) the whole batch runs
// again, every `fn` included, up to Options::max_write_attempts times
// (Database::Write's contract says `fn` is re-runnable). A connection lost
// during a batch fails every write of it UNAVAILABLE, nothing of it
// committed. Read runs `fn` in a REPEATABLE READ READ ONLY transaction (one
// snapshot). Connections come from a small pool; one that is lost (server
// restart, pg_terminate_backend) fails its call UNAVAILABLE and is replaced
// on the next call. A write whose COMMIT was cut off is UNAVAILABLE and may
// or may not have committed (as with any network database); stores make
// writes idempotent with request ids.
//
// Round trips: a transaction's BEGIN (and a batch's LOCK TABLE and first
// SAVEPOINT) go with its first statement, the RELEASE SAVEPOINT of one
// write with the next one's SAVEPOINT and first statement, and the last
// RELEASE, the announcements and COMMIT together: a read or a write of n
// statements takes n + 1 round trips, a batch one per statement and one to
// commit, a call that runs no statement none (round_trips()).
//
// A batch that lost a conflict while appending to the feed (a write in it
// announced "feed", as SqliteEventLog::Append does before taking the
// sequence from feed_head) takes `LOCK TABLE feed_head IN EXCLUSIVE MODE`
// before anything else when it runs again, and for two seconds after such
// a conflict every batch takes it from its first attempt, so busy
// appenders queue on the lock instead of conflicting again and again. An
// audited database's batches that will append to the audit log take
// `audit_head` the same way (always first, before feed_head: one lock
// order), so replicas appending to one chain queue rather than retry.
//
// Coordination between replicas: Connection::Announce sends a NOTIFY (on a
// channel named after the schema and the channel, so services sharing a
// database do not hear each other) at the commit of the transaction, which
// watches of every other PgDb hear (not this one's: its stores wake their
// own listeners);
// TryLock takes a session advisory lock on a connection of its own, which
// the lock keeps (held() asks the server, at most every 250 ms, whether
// that session is still alive); Watch listens on one connection of its
// own, shared by every watch of this database, on a thread that calls the
// watchers, reconnects (with backoff) when that connection is lost and then
// calls every watcher once. Locks and watches may outlive the database (a
// watch is no longer called once the database is destroyed).
//
// Connections use TCP keepalives (a server that vanished is noticed in
// about 30 s, unless the URL sets its own keepalive settings). Text binds
// cannot hold NUL on PostgreSQL: such a bind fails the statement
// INVALID_ARGUMENT (bind bytes as blobs). A NULL bound where nothing else
// gives its type (`? IS NULL`) is sent as text.
//
// Errors: connection failures and admin shutdown are UNAVAILABLE, conflicts
// that outlast the retries UNAVAILABLE, all connections busy for longer
// than Options::acquire_timeout UNAVAILABLE, constraint violations INTERNAL
// (as SqliteDb's), others INTERNAL; messages carry the SQLSTATE and never
// the password.
//
// This class is thread-safe.
class PgDb : public Database {
 public:
  // The most statements one connection prepares (server-side, so a
  // statement run again skips PostgreSQL's parse and plan). The stores'
  // statements are a fixed set, a few hundred at most across a process's
  // services; any beyond run unnamed.
  static constexpr size_t kMaxPreparedStatements = 512;

  struct Options {
    // Most connections open at once; calls beyond wait.
    int max_connections = 4;
    // Attempts of one batch of writes that keeps losing conflicts (with
    // waits growing to 100 ms between them).
    int max_write_attempts = 40;
    // Most writes committed in one transaction.
    int max_batch = 32;
    // Gives up connecting after this long (libpq connect_timeout, unless
    // the URL sets it).
    absl::Duration connect_timeout = absl::Seconds(10);
    // A call waits at most this long for a connection when all
    // max_connections are lent (then UNAVAILABLE).
    absl::Duration acquire_timeout = absl::Seconds(30);
    // A write that lost a conflict on feed_head takes the table's lock when
    // it runs again (see above). Off only to measure what it saves.
    bool queue_busy_feed_appenders = true;
    // False for a database rebuilt from elsewhere (the record, from the
    // feeds): a transaction that appends neither audit records nor events
    // commits without waiting for the disk (synchronous_commit off). A
    // crash may lose its last such commits, never a later durable one
    // (PostgreSQL's log is in commit order), so a consumer's cursor never
    // runs ahead of what it applied. Events wait: others may have read them.
    bool durable_commits = true;
    // The schema holding the database's tables (created when missing; every
    // connection's search_path): one database serves several services, each
    // in a schema of its own, since their tables share names
    // (schema_migrations, outbox_events, ...). Empty: the URL's default.
    // Lower-case letters, digits and `_`, not starting with a digit.
    std::string schema;
    // When set, the database keeps an audit log (AuditChain under this key,
    // which outlives the database), as SqliteDb::Options::audit_key.
    const HmacSha256* audit_key = nullptr;
  };

  // Connects to `url` (postgresql://user:password@host:port/dbname?...)
  // and applies `migrations` not yet applied, recorded in the table
  // schema_migrations and serialised between processes by an advisory
  // lock (one per schema). FAILED_PRECONDITION if the database was migrated
  // by a newer schema than `migrations` knows; UNAVAILABLE naming the host
  // and port when it cannot connect; INVALID_ARGUMENT for a bad schema name.
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
  absl::StatusOr<std::unique_ptr<DatabaseLock>> TryLock(
      absl::string_view name) override;
  absl::StatusOr<std::unique_ptr<DatabaseWatch>> Watch(
      absl::string_view channel, std::function<void()> on_notice) override
      ABSL_LOCKS_EXCLUDED(listener_mu_);
  absl::string_view engine() const override { return "postgresql"; }
  int schema_version() const override { return schema_version_; }
  void SetMetrics(MetricsRecorder* metrics, std::string name) override {
    metrics_ = metrics;
    metrics_name_ = std::move(name);
  }

  // The audit log (Options::audit_key): as SqliteDb's, in tables of this
  // database (schema), with a SQL index on (person, seq) for
  // ListAuditForPerson. Appends from every replica join one chain.
  bool audited() const override { return audit_ != nullptr; }
  absl::Status AppendAudit(const std::vector<AuditRecord>& records) override;
  // Records queue; the caller that finds nobody committing commits what is
  // queued in one transaction and tells each `done` (AuditBatcher).
  void AppendAuditAsync(std::vector<AuditRecord> records,
                        absl::AnyInvocable<void(absl::Status)> done) override;
  absl::StatusOr<std::vector<AuditRecord>> ListAuditForPerson(
      absl::string_view person, int64_t before_seq, int limit) override;
  absl::StatusOr<AuditVerification> VerifyAudit() override;

  // "host:port/dbname" (no user or password), for messages.
  const std::string& target() const { return target_; }
  // Write attempts run again after losing a conflict, since open (for
  // tests and metrics): each write of a batch that ran again counts.
  int64_t write_retries() const {
    return write_retries_.load(std::memory_order_relaxed);
  }
  // Write transactions committed since open (a batch of writes is one).
  int64_t commits() const { return commits_.load(std::memory_order_relaxed); }
  // Of those, the ones that did not wait for the disk (durable_commits
  // false, no audit records, no events).
  int64_t unsynced_commits() const {
    return unsynced_commits_.load(std::memory_order_relaxed);
  }
  // Round trips to the server (each wait for its answer) made by this
  // database's reads, writes and migrations since open, counted when their
  // connection goes back to the pool; not connecting, locks or watches.
  int64_t round_trips() const {
    return round_trips_.load(std::memory_order_relaxed);
  }
  // Writes waiting for the batch being committed to finish (for tests).
  int queued_writes() ABSL_LOCKS_EXCLUDED(queue_mu_) {
    absl::MutexLock lock(&queue_mu_);
    return static_cast<int>(queue_.size());
  }

 private:
  struct PendingWrite;
  class Listener;  // pg_db_coordination.cc

  PgDb(std::string url, std::string target, Options options);
  // Write's body: `audit` is the call whose records the transaction
  // carries (null: none); `appends_audit`: `fn` appends to the audit log.
  absl::Status WriteAudited(absl::FunctionRef<absl::Status(Connection&)> fn,
                            CallAudit* audit, bool appends_audit)
      ABSL_LOCKS_EXCLUDED(pool_mu_, queue_mu_);
  // Commits `batch` in one transaction, again while it loses conflicts;
  // sets each write's result.
  void RunBatch(const std::vector<PendingWrite*>& batch)
      ABSL_LOCKS_EXCLUDED(pool_mu_, queue_mu_);
  // One attempt of RunBatch, `locks` run first (LOCK TABLE ..., before any
  // snapshot); true when it lost a conflict (nothing committed), with
  // `feed_conflict` when the batch was appending to the feed.
  bool RunBatchOnce(const std::vector<PendingWrite*>& batch,
                    const std::vector<std::string>& locks, bool& feed_conflict)
      ABSL_LOCKS_EXCLUDED(pool_mu_);
  // Creates the audit log's tables when missing (under the migration lock).
  absl::Status CreateAuditLog(Connection& conn);
  // AppendAudit's append, not observed (AppendAuditAsync's batches, whose
  // callers are, each).
  absl::Status AppendAuditRecords(const std::vector<AuditRecord>& records);
  absl::Status NotAudited() const;

  // An idle connection, or a new one when fewer than max_connections are
  // open; waits otherwise.
  absl::StatusOr<std::unique_ptr<PgConnection>> Acquire()
      ABSL_LOCKS_EXCLUDED(pool_mu_);
  // Back to the pool, or closed when it was lost.
  void Release(std::unique_ptr<PgConnection> conn)
      ABSL_LOCKS_EXCLUDED(pool_mu_);
  absl::StatusOr<std::unique_ptr<PgConnection>> Connect();
  absl::Status Migrate(const std::vector<Migration>& migrations);
  // A connection with the transaction `begin` started on it (deferred: it
  // goes with the first statement); `writing`: it may announce.
  absl::StatusOr<std::unique_ptr<PgConnection>> Begin(absl::string_view begin,
                                                      bool writing);

  const std::string url_;
  const std::string target_;
  const Options options_;
  // The payload of this database's notices (random): Watch passes over
  // the commits of this database, whose stores wake their own listeners.
  const std::string origin_;
  int schema_version_ = 0;
  std::unique_ptr<AuditChain> audit_;
  MetricsRecorder* metrics_ = nullptr;
  std::string metrics_name_;
  std::atomic<int64_t> write_retries_{0};
  std::atomic<int64_t> commits_{0};
  std::atomic<int64_t> unsynced_commits_{0};
  std::atomic<int64_t> round_trips_{0};
  // Until when (Unix µs) writes take feed_head's lock from their first
  // attempt (see WriteAudited).
  std::atomic<int64_t> feed_busy_until_us_{0};

  // AppendAuditAsync's queue (audited databases).
  std::unique_ptr<AuditBatcher> audit_batcher_;

  // Writes waiting for a batch; one caller at a time (the leader) commits.
  absl::Mutex queue_mu_;
  std::deque<PendingWrite*> queue_ ABSL_GUARDED_BY(queue_mu_);
  bool leader_active_ ABSL_GUARDED_BY(queue_mu_) = false;

  // Watch's connection and thread, from the first Watch.
  absl::Mutex listener_mu_;
  std::shared_ptr<Listener> listener_ ABSL_GUARDED_BY(listener_mu_);

  absl::Mutex pool_mu_;
  std::vector<std::unique_ptr<PgConnection>> idle_ ABSL_GUARDED_BY(pool_mu_);
  // Connections open, idle or lent.
  int open_ ABSL_GUARDED_BY(pool_mu_) = 0;
};

// `url` with what PgDb adds unless the URL sets it: connect_timeout (from
// `options`) and TCP keepalives (keepalives, keepalives_idle=10,
// keepalives_interval=5, keepalives_count=3, tcp_user_timeout=30000 ms).
// `target`, when not null, gets "host:port/dbname".
absl::StatusOr<std::string> PgConnectUrl(const std::string& url,
                                         const PgDb::Options& options,
                                         std::string* target = nullptr);

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_PG_DB_H_

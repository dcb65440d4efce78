#ifndef CAREBRIDGE_SERVICES_COMMON_DATABASE_H_
#define CAREBRIDGE_SERVICES_COMMON_DATABASE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "services/common/audit_record.h"

// The SQL access every store is written against, whatever the engine
// (SqliteDb, PgDb). Stores write `?` (or `?N`) placeholders; binds are
// 1-based and columns 0-based on every engine.

namespace carebridge {

class MetricsRecorder;

// One versioned schema step. Versions start at 1 and increase by one; each
// runs once, in its own transaction. The SQL is the engine's own: a store
// keeps one list per engine.
struct Migration {
  int version;
  std::string sql;
};

// What an engine implements behind a Statement.
class StatementImpl {
 public:
  virtual ~StatementImpl() = default;

  virtual void BindInt64(int index, int64_t value) = 0;
  virtual void BindText(int index, absl::string_view text) = 0;
  virtual void BindBlob(int index, absl::string_view bytes) = 0;
  virtual void BindNull(int index) = 0;
  virtual absl::StatusOr<bool> Step() = 0;
  virtual int64_t ColumnInt64(int index) const = 0;
  virtual std::string ColumnText(int index) const = 0;
  virtual std::string ColumnBlob(int index) const = 0;
  virtual bool ColumnIsNull(int index) const = 0;
  // The handle is done with the statement: the engine resets a cached one
  // or frees it.
  virtual void Release() = 0;
};

// A prepared statement, valid while its connection is (inside the Read or
// Write that lent the connection). Move-only.
class Statement {
 public:
  explicit Statement(StatementImpl* impl) : impl_(impl) {}
  Statement(Statement&& other) noexcept
      : impl_(std::exchange(other.impl_, nullptr)) {}
  Statement& operator=(Statement&& other) noexcept {
    if (this != &other) {
      if (impl_ != nullptr) impl_->Release();
      impl_ = std::exchange(other.impl_, nullptr);
    }
    return *this;
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() {
    if (impl_ != nullptr) impl_->Release();
  }

  Statement& Bind(int index, int64_t value) {
    impl_->BindInt64(index, value);
    return *this;
  }
  Statement& Bind(int index, absl::string_view text) {
    impl_->BindText(index, text);
    return *this;
  }
  Statement& BindBlob(int index, absl::string_view bytes) {
    impl_->BindBlob(index, bytes);
    return *this;
  }
  Statement& BindNull(int index) {
    impl_->BindNull(index);
    return *this;
  }

  // Advances to the next row: true when a row is available, false when done.
  absl::StatusOr<bool> Step() { return impl_->Step(); }
  // Steps to completion, for statements that return no rows.
  absl::Status Run() {
    while (true) {
      absl::StatusOr<bool> row = impl_->Step();
      if (!row.ok()) return row.status();
      if (!*row) return absl::OkStatus();
    }
  }

  int64_t ColumnInt64(int index) const { return impl_->ColumnInt64(index); }
  // "" for NULL.
  std::string ColumnText(int index) const { return impl_->ColumnText(index); }
  // "" for NULL.
  std::string ColumnBlob(int index) const { return impl_->ColumnBlob(index); }
  bool ColumnIsNull(int index) const { return impl_->ColumnIsNull(index); }
  // The engine's statement (Connection::Fetch).
  StatementImpl* impl() const { return impl_; }

 private:
  StatementImpl* impl_;
};

// One connection, lent to one caller at a time by its Database. Not
// thread-safe.
class Connection {
 public:
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  virtual ~Connection() = default;

  // Prepares (or reuses) `sql`. Binds from a previous use are cleared.
  virtual absl::StatusOr<Statement> Prepare(absl::string_view sql) = 0;
  // Runs one or more statements that return no rows.
  virtual absl::Status Exec(absl::string_view sql) = 0;
  // Runs one statement that returns no rows through the statement cache:
  // for the transaction control run on every call (BEGIN, SAVEPOINT, ...).
  virtual absl::Status Run(absl::string_view sql) {
    absl::StatusOr<Statement> statement = Prepare(sql);
    if (!statement.ok()) return statement.status();
    return statement->Run();
  }
  // Runs `statements` (prepared and bound on this connection, none stepped
  // yet) now, together where the engine can: PostgreSQL sends them in one
  // round trip (with what RunLater queued) instead of one each at its first
  // Step. Each then steps through its rows as usual. Fails with the first
  // that fails (those after it are not run). SQLite, in the process, runs
  // each at its first Step, as without this; and there one SQL text
  // prepared twice is one cached statement, so the statements must differ.
  // For reads: Changes() after it is engine-dependent.
  virtual absl::Status Fetch(absl::Span<Statement* const> statements) {
    (void)statements;
    return absl::OkStatus();
  }
  // Runs `statement` (prepared and bound on this connection; its rows and
  // Changes() are not wanted) with this connection's next round trip:
  // PostgreSQL sends it in the pipeline of the next statement or Fetch,
  // ahead of it, instead of in a round trip of its own. What a Write's
  // function left queued when it returns goes in a round trip of its own
  // then (before the commit), so a failure is that write's alone. A
  // failure is reported by the call that carried it, as a "queued
  // statement", and fails the write. SQLite runs it now.
  virtual absl::Status RunLater(Statement statement) { return statement.Run(); }
  // Rows changed by the last INSERT/UPDATE/DELETE.
  virtual int64_t Changes() const = 0;
  // "sqlite" or "postgresql", for the few statements whose dialects differ.
  virtual absl::string_view engine() const = 0;
  // Inside a Write: once this transaction commits, every process watching
  // `channel` on this database (Database::Watch) is told. Nothing happens
  // if it rolls back. A no-op where one process owns the database (SQLite:
  // its stores wake their own listeners).
  virtual absl::Status Announce(absl::string_view channel) {
    (void)channel;
    return absl::OkStatus();
  }
};

// A lock named across every process using one database (Database::TryLock).
// Released when destroyed.
class DatabaseLock {
 public:
  DatabaseLock() = default;
  DatabaseLock(const DatabaseLock&) = delete;
  DatabaseLock& operator=(const DatabaseLock&) = delete;
  virtual ~DatabaseLock() = default;
  // Still held. False once the session that held it was lost (another
  // process may hold it now): the holder stops what the lock guards and
  // tries TryLock again.
  virtual bool held() = 0;
};

// Calls from Database::Watch; they stop when this is destroyed (and none is
// running once the destructor returns).
class DatabaseWatch {
 public:
  DatabaseWatch() = default;
  DatabaseWatch(const DatabaseWatch&) = delete;
  DatabaseWatch& operator=(const DatabaseWatch&) = delete;
  virtual ~DatabaseWatch() = default;
};

// A store's database. Errors: UNAVAILABLE is retryable (busy, connection
// lost); a constraint violation is INTERNAL on every engine (stores check
// before they insert, inside the write).
//
// Implementations are thread-safe.
class Database {
 public:
  virtual ~Database() = default;

  // Runs `fn` in a write transaction; its changes commit durably if and only
  // if it returns OK (and the commit succeeds). `fn` must not call Write or
  // Read itself, may run on another caller's thread, and must be
  // re-runnable: an engine may run it again, from the start, in a fresh
  // transaction when the first attempt lost a conflict with another writer
  // (PostgreSQL), so its only effects are through the connection and
  // outputs it overwrites.
  virtual absl::Status Write(
      absl::FunctionRef<absl::Status(Connection&)> fn) = 0;
  // Runs `fn` on a read-only snapshot.
  virtual absl::Status Read(
      absl::FunctionRef<absl::Status(Connection&)> fn) = 0;
  // "sqlite" or "postgresql".
  virtual absl::string_view engine() const = 0;
  // The last migration applied.
  virtual int schema_version() const = 0;
  // Each write transaction's time, begin to durable commit, goes to
  // `metrics` as database `name` (none when null). Before the first Write.
  virtual void SetMetrics(MetricsRecorder* metrics, std::string name) {
    (void)metrics;
    (void)name;
  }

  // Coordination between processes sharing this database (replicas of one
  // service on PostgreSQL).
  //
  // Takes the lock `name` when no session holds it: the lock, or null when
  // another holder has it (in this process or another). UNAVAILABLE when
  // the database cannot be reached. Where one process owns the database
  // (SQLite) the lock is only this process's.
  virtual absl::StatusOr<std::unique_ptr<DatabaseLock>> TryLock(
      absl::string_view name);
  // Calls `on_notice`, on a thread of the database's own, after another
  // process commits a transaction that announced `channel`
  // (Connection::Announce), and whenever notices may have been missed
  // (e.g. the listening session was lost and is back): the watcher then
  // looks for itself. Null where one process owns the database (SQLite:
  // nothing to watch). `on_notice` must be quick and must not block.
  virtual absl::StatusOr<std::unique_ptr<DatabaseWatch>> Watch(
      absl::string_view channel, std::function<void()> on_notice);

  // An audited database keeps an audit log (AuditChain) beside its data:
  // each write transaction that changes data while a call is being served
  // (CurrentCallAudit) carries the call's record in that transaction
  // (RecordsCarriedByWrite), and a call that changed nothing (it only read,
  // its write failed and rolled back, or found nothing to change: a retry
  // answered, a request refused on what it read) has its record, with how
  // the call ended, appended before it answers (FinishCallAudit). The rest of
  // this section fails FAILED_PRECONDITION on a database that is not audited.
  virtual bool audited() const { return false; }
  // Appends `records` durably, in one transaction of their own.
  virtual absl::Status AppendAudit(const std::vector<AuditRecord>& records);
  // The same without holding the caller while the records reach the disk
  // where the engine can: `done` gets the outcome, perhaps on another
  // caller's thread, perhaps before this returns.
  virtual void AppendAuditAsync(std::vector<AuditRecord> records,
                                absl::AnyInvocable<void(absl::Status)> done);
  // The records about `person` (`persons/{id}`), newest first, with seq
  // below `before_seq` (from the newest when 0), at most `limit`.
  virtual absl::StatusOr<std::vector<AuditRecord>> ListAuditForPerson(
      absl::string_view person, int64_t before_seq, int limit);
  // Walks the whole log, recomputing its chain (AuditChain::Verify).
  virtual absl::StatusOr<AuditVerification> VerifyAudit();
};

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_DATABASE_H_

#ifndef CAREBRIDGE_SERVICES_COMMON_SQLITE_DB_H_
#define CAREBRIDGE_SERVICES_COMMON_SQLITE_DB_H_

#include <sqlite3.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "services/common/audit_record.h"
#include "services/common/database.h"
#include "services/common/metrics.h"
#include "services/common/sqlite_checkpointer.h"

namespace carebridge {

class AuditChain;
class HmacSha256;
struct AuditVerification;
struct CallAudit;

// A prepared SQLite statement, cached by its connection and lent out as a
// Statement (reset and unbound when the Statement is done with it).
class SqliteStatement : public StatementImpl {
 public:
  SqliteStatement(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  ~SqliteStatement() override;

  void BindInt64(int index, int64_t value) override;
  void BindText(int index, absl::string_view text) override;
  void BindBlob(int index, absl::string_view bytes) override;
  void BindNull(int index) override;
  absl::StatusOr<bool> Step() override;
  int64_t ColumnInt64(int index) const override;
  std::string ColumnText(int index) const override;
  std::string ColumnBlob(int index) const override;
  bool ColumnIsNull(int index) const override;
  void Release() override;

 private:
  sqlite3_stmt* const stmt_;
  sqlite3* const db_;
};

// One SQLite connection with a statement cache. Not thread-safe; SqliteDb
// hands a connection to one caller at a time.
class SqliteConnection : public Connection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  ~SqliteConnection() override;

  absl::StatusOr<Statement> Prepare(absl::string_view sql) override;
  absl::Status Exec(absl::string_view sql) override;
  int64_t Changes() const override;
  absl::string_view engine() const override { return "sqlite"; }

  sqlite3* raw() { return db_; }

 private:
  sqlite3* db_;
  absl::flat_hash_map<std::string, std::unique_ptr<SqliteStatement>> cache_;
};

// Converts a SQLite result code into a status: BUSY/LOCKED are UNAVAILABLE
// (retryable), anything else INTERNAL.
absl::Status SqliteError(sqlite3* db, int rc, absl::string_view what);

// An SQLite database file in WAL mode with synchronous=FULL: a write that
// returned OK is on disk. Writes are serialised through one connection and
// group-committed: concurrent Write() calls are run one after another inside
// a single transaction, each in its own savepoint (so one failing changes
// nothing of the others), and share one fsync. Reads run on a small pool of
// connections, each in its own snapshot, concurrently with writes.
//
// This class is thread-safe.
class SqliteDb : public Database {
 public:
  struct Options {
    // Read connections. Reads beyond this many wait.
    int read_connections = 4;
    // How long a connection waits on a lock held by another process.
    int busy_timeout_ms = 5000;
    // Most writes committed together.
    int max_batch = 128;
    // Each commit is on disk before Write returns (synchronous=FULL). False
    // (synchronous=NORMAL) only for a database that can be rebuilt from
    // elsewhere: a commit then survives the process being killed but not
    // the machine losing power, and the database stays consistent either
    // way (the record service's projections, rebuilt from the feeds).
    bool durable_commits = true;
    // Without durable commits, the write-ahead log is checkpointed beside
    // the commits, within these limits (SqliteCheckpointer).
    SqliteCheckpointer::Limits checkpoints;
    // The page size of a database this creates, in bytes (a power of two
    // from 512 to 65,536); 0: SQLite's (4,096). An existing database keeps
    // its own. Smaller pages write fewer bytes per commit where each commit
    // touches many small rows in many indexes (the record's projections).
    int page_size = 0;
    // When set, the database keeps an audit log (AuditChain under this
    // key, which outlives the database): each write transaction made while
    // a call is being served (CurrentCallAudit) carries the call's record.
    const HmacSha256* audit_key = nullptr;
  };

  // Opens (creating if needed) the database at `path` and applies
  // `migrations` not yet applied. Fails with FAILED_PRECONDITION if the file
  // was written by a newer schema than `migrations` knows.
  static absl::StatusOr<std::unique_ptr<SqliteDb>> Open(
      const std::string& path, const std::vector<Migration>& migrations,
      Options options);
  static absl::StatusOr<std::unique_ptr<SqliteDb>> Open(
      const std::string& path, const std::vector<Migration>& migrations) {
    return Open(path, migrations, Options());
  }
  ~SqliteDb();

  // Runs `fn` in a write transaction; its changes commit durably if and only
  // if it returns OK (and the commit succeeds). `fn` must not call Write or
  // Read itself. It may run on another caller's thread (the batch leader),
  // so it must not take locks its own caller holds.
  // SqliteDb runs each `fn` once (Database::Write allows more).
  absl::Status Write(absl::FunctionRef<absl::Status(Connection&)> fn) override
      ABSL_LOCKS_EXCLUDED(queue_mu_);
  // Runs `fn` on a read-only snapshot.
  absl::Status Read(absl::FunctionRef<absl::Status(Connection&)> fn) override
      ABSL_LOCKS_EXCLUDED(pool_mu_);
  absl::string_view engine() const override { return "sqlite"; }

  // Audited databases: appends `record` in a transaction of its own,
  // durably (a call that wrote nothing). FAILED_PRECONDITION when not
  // audited.
  absl::Status AppendAudit(const AuditRecord& record)
      ABSL_LOCKS_EXCLUDED(queue_mu_);
  // The same for several records (one call about several persons), in one
  // transaction.
  absl::Status AppendAudit(const std::vector<AuditRecord>& records) override
      ABSL_LOCKS_EXCLUDED(queue_mu_);
  // Audited databases: appends `record` durably without holding most
  // callers. Records queue; the caller that finds nobody committing
  // commits everything queued in one transaction (sharing its fsync with
  // other writes) and then calls each queued `done` with the outcome, on
  // its own thread; every other caller returns at once. While one caller
  // tells its batch, the next may commit what queued meanwhile. So a call
  // that only read holds no thread while its record reaches the disk, and
  // there is no extra thread to hand over to. `done` may run before this
  // returns. FAILED_PRECONDITION at once when not audited.
  void AppendAuditAsync(AuditRecord record,
                        absl::AnyInvocable<void(absl::Status)> done)
      ABSL_LOCKS_EXCLUDED(audit_mu_);
  // The same for several records, committed together.
  void AppendAuditAsync(std::vector<AuditRecord> records,
                        absl::AnyInvocable<void(absl::Status)> done) override
      ABSL_LOCKS_EXCLUDED(audit_mu_);
  // Lists every record not yet in the audit log's per-person index there
  // (AuditChain::IndexPersons), in transactions of a bounded size. Open does
  // it; after that each caller that finds enough records unindexed does it
  // for them, off the commit that made any call's record durable. The index
  // is a file of its own (AuditIndexPath) with a connection of its own, so
  // this never holds the database's writer; it is not synced (it can be
  // rebuilt from the log: Open rebuilds one that is unreadable or lists
  // records the log lacks).
  absl::Status CatchUpAuditIndex() ABSL_LOCKS_EXCLUDED(index_mu_);
  // Where an audited database at `path` keeps its audit log's per-person
  // index.
  static std::string AuditIndexPath(const std::string& path) {
    return path + ".audit-index";
  }
  // Verifies the audit log (AuditChain::Verify).
  absl::StatusOr<AuditVerification> VerifyAudit() override
      ABSL_LOCKS_EXCLUDED(pool_mu_);
  // The per-person index, then the records not yet in it
  // (AuditChain::ListForPerson), on one read snapshot.
  absl::StatusOr<std::vector<AuditRecord>> ListAuditForPerson(
      absl::string_view person, int64_t before_seq, int limit) override
      ABSL_LOCKS_EXCLUDED(pool_mu_);
  bool audited() const override { return audit_ != nullptr; }

  // Each write transaction's time, begin to durable commit, goes to
  // `metrics` as database `name` (none when null). Before the first Write.
  // So do its checkpoints' times, without durable commits, and each audit
  // append's outcome and time (ObserveAuditAppend).
  void SetMetrics(MetricsRecorder* metrics, std::string name) override {
    metrics_ = metrics;
    metrics_name_ = std::move(name);
    if (checkpointer_ != nullptr) {
      checkpointer_->SetMetrics(metrics, metrics_name_);
    }
  }

  // Checkpoints of the write-ahead log run beside the commits, and in them
  // (none: SQLite checkpoints in the commits, durable databases).
  std::optional<SqliteCheckpointer::Counts> checkpoint_counts() const {
    if (checkpointer_ == nullptr) return std::nullopt;
    return checkpointer_->counts();
  }

  // The last migration applied.
  int schema_version() const override { return schema_version_; }
  const std::string& path() const { return path_; }

 private:
  struct PendingWrite;

  SqliteDb(std::string path, Options options);
  // `audit`: the call whose record the write carries (null: none);
  // `appends_audit`: `fn` appends audit records itself.
  absl::Status WriteAudited(absl::FunctionRef<absl::Status(Connection&)> fn,
                            CallAudit* audit, bool appends_audit = false)
      ABSL_LOCKS_EXCLUDED(queue_mu_);
  void RunBatch(const std::vector<PendingWrite*>& batch);
  // Counts `records` appended to the audit log and, past
  // kAuditIndexEvery unindexed and nobody else indexing, indexes them now
  // on this thread.
  void NoteAuditAppended(int64_t records) ABSL_LOCKS_EXCLUDED(index_mu_);
  // Opens (creating, or rebuilding when unusable) the per-person index
  // beside the database, with the log attached as `log`.
  absl::Status OpenAuditIndex() ABSL_LOCKS_EXCLUDED(index_mu_);
  // Opens a read connection (with the audit index attached when audited).
  absl::StatusOr<std::unique_ptr<SqliteConnection>> OpenReader();
  void RunBatchInTransaction(const std::vector<PendingWrite*>& batch);

  const std::string path_;
  const Options options_;
  MetricsRecorder* metrics_ = nullptr;
  std::string metrics_name_;
  int schema_version_ = 0;
  std::unique_ptr<AuditChain> audit_;

  // Only the current batch leader touches writer_.
  std::unique_ptr<SqliteConnection> writer_;

  absl::Mutex queue_mu_;
  std::vector<PendingWrite*> queue_ ABSL_GUARDED_BY(queue_mu_);
  bool leader_active_ ABSL_GUARDED_BY(queue_mu_) = false;

  absl::Mutex pool_mu_;
  std::vector<std::unique_ptr<SqliteConnection>> idle_readers_
      ABSL_GUARDED_BY(pool_mu_);

  struct QueuedAudit {
    std::vector<AuditRecord> records;
    absl::AnyInvocable<void(absl::Status)> done;
  };
  absl::Mutex audit_mu_;
  std::vector<QueuedAudit> audit_queue_ ABSL_GUARDED_BY(audit_mu_);
  // A caller of AppendAuditAsync is committing the queue.
  bool audit_flushing_ ABSL_GUARDED_BY(audit_mu_) = false;
  // Callers of AppendAuditAsync committing or telling what they committed.
  int audit_flushers_ ABSL_GUARDED_BY(audit_mu_) = 0;
  // Audit records appended since the per-person index was last written.
  std::atomic<int64_t> audit_unindexed_{0};
  // A caller is writing the per-person index.
  std::atomic<bool> audit_indexing_{false};
  absl::Mutex index_mu_;
  // The per-person index's own file, the log attached (audited only).
  std::unique_ptr<SqliteConnection> audit_index_ ABSL_GUARDED_BY(index_mu_);
  // Without durable commits; destroyed before the connections.
  std::unique_ptr<SqliteCheckpointer> checkpointer_;
};

// Default options with an audit log under `audit_key` (none when null).
inline SqliteDb::Options AuditedOptions(const HmacSha256* audit_key) {
  SqliteDb::Options options;
  options.audit_key = audit_key;
  return options;
}

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_SQLITE_DB_H_

#ifndef CAREBRIDGE_SERVICES_COMMON_PG_CONNECTION_H_
#define CAREBRIDGE_SERVICES_COMMON_PG_CONNECTION_H_

// PgDb's internals (libpq): one connection and what PgDb's files share.
// Included only by pg_*.cc, so libpq's include path reaches nothing else.

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "services/common/database.h"

namespace carebridge {

// serialization_failure or deadlock_detected: the transaction may run again.
bool IsPgConflict(absl::string_view sqlstate);
// The connection is gone or going: class 08 (connection exception), admin
// or crash shutdown, cannot connect now.
bool IsPgConnectionLoss(absl::string_view sqlstate);
// libpq's message without its trailing newline ("" for null).
std::string TrimmedPgMessage(const char* message);
// A schema name ValidateSchemaName accepted, as an SQL identifier.
std::string QuotedSchema(absl::string_view schema);
// FNV-1a of `text`: stable across processes and builds.
uint64_t StableHash(absl::string_view text);
// The NOTIFY channel for `channel` of the database in `schema`: one
// PostgreSQL database serves several services, each announcing in its own
// names (at most 63 bytes, PostgreSQL's identifier length).
std::string PgChannelName(absl::string_view schema, absl::string_view channel);

// Frees a PGresult.
struct PgResultFree {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgResult = std::unique_ptr<PGresult, PgResultFree>;

// One libpq connection. Remembers whether it was lost (the pool drops it),
// whether the current transaction lost a conflict (Write runs again) and
// what it announced, whatever `fn` did with the status.
//
// A transaction's control commands (BEGIN, LOCK TABLE, SAVEPOINT, RELEASE
// SAVEPOINT, ...) wait (Defer) and go with its next statement, Exec or
// Commit in one pipeline (libpq's pipeline mode): one round trip for all
// rather than one each, since for the stores' short transactions most of
// PostgreSQL's time is per round trip, not execution (pg_pipeline.cc).
class PgConnection : public Connection {
 public:
  // `origin`: the payload of this database's notices, so its own
  // listener passes them over (see PgDb::Watch).
  PgConnection(PGconn* conn, std::string target, std::string schema,
               std::string origin)
      : conn_(conn),
        target_(std::move(target)),
        schema_(std::move(schema)),
        origin_(std::move(origin)) {}
  ~PgConnection() override { PQfinish(conn_); }

  absl::StatusOr<Statement> Prepare(absl::string_view sql) override;
  // The deferred commands first (a round trip of their own: a string of
  // several statements cannot go in a pipeline), then `sql`.
  absl::Status Exec(absl::string_view sql) override;
  // Sends the deferred commands, this transaction's announcements
  // (pg_notify, delivered by PostgreSQL at commit) and COMMIT in one
  // pipeline, failing at the first that fails, and when PostgreSQL rolled
  // back instead of committing (a statement in the transaction had failed
  // and was not rolled back to a savepoint). Sends nothing when nothing
  // reached the server (the BEGIN still deferred) and nothing is announced.
  absl::Status Commit();
  // Ends the transaction without committing; sends nothing when the server
  // never saw it begin.
  absl::Status Rollback();

  // Queues `command` (one statement, no parameters, no rows) to go with
  // the next statement, Exec or Commit. A command that fails fails that
  // statement with the command's status, and every statement after it
  // (control_status()): what follows a BEGIN or SAVEPOINT that did not
  // happen must not run.
  void Defer(std::string command) { pending_.push_back(std::move(command)); }
  // Takes back the command deferred last if it is `command` (nothing was
  // sent since): true when it did. A SAVEPOINT with nothing after it needs
  // neither sending nor rolling back to.
  bool TakeBackDeferred(absl::string_view command);
  // The status of the deferred command that failed; OK while none has.
  const absl::Status& control_status() const { return control_status_; }
  // The server's transaction is aborted: a statement failed and was not
  // rolled back to a savepoint. As of the last round trip (the deferred
  // commands are not sent yet).
  bool in_failed_transaction() const {
    return PQtransactionStatus(conn_) == PQTRANS_INERROR;
  }
  // The statements in one pipeline, with the deferred commands.
  absl::Status Fetch(absl::Span<Statement* const> statements) override;
  // Queued (bind errors returned at once) to go after the deferred
  // commands in the next pipeline.
  absl::Status RunLater(Statement statement) override;
  // Sends what RunLater queued and the deferred commands now (a failed
  // deferred command fails what follows, control_status()).
  absl::Status FlushLater();
  bool has_later() const { return !later_.empty(); }
  // Forgets what RunLater queued (the write that queued it failed).
  void DropLater() {
    later_runs_.clear();
    later_.clear();
  }
  int64_t Changes() const override { return changes_; }
  // Grows with each statement run on this connection that may have changed
  // data: an INSERT, UPDATE or DELETE that changed rows, and anything but a
  // plain SELECT (a WITH may hide a change, Exec runs several). Unchanged
  // across a span of work: it changed nothing.
  int64_t possible_changes() const { return possible_changes_; }
  absl::string_view engine() const override { return "postgresql"; }
  // Remembered until the write's savepoint is released (KeepAnnounced);
  // "feed" also marks the transaction as an appender to the feed (its
  // conflicts are on feed_head, see PgDb).
  absl::Status Announce(absl::string_view channel) override;

  // One statement to run with its parameters (ExecuteAll), and its result
  // once run (owned by the caller).
  struct Invocation {
    const std::string* sql = nullptr;
    const std::vector<Oid>* types = nullptr;
    const std::vector<std::string>* values = nullptr;
    const std::vector<bool>* nulls = nullptr;
    const std::vector<int>* formats = nullptr;
    PGresult* result = nullptr;
  };
  // Runs `runs` in order, in one round trip with the deferred commands (and
  // the prepare of each new on this connection), setting each's result.
  // On a failure, returned, no result is set.
  // What RunLater queued goes first (after the deferred commands); a
  // failure of one of those is returned as the call's.
  absl::Status ExecuteAll(std::vector<Invocation>& runs);
  // ExecuteAll of one statement; the caller owns the result.
  absl::StatusOr<PGresult*> Execute(const std::string& sql,
                                    const std::vector<Oid>& types,
                                    const std::vector<std::string>& values,
                                    const std::vector<bool>& nulls,
                                    const std::vector<int>& formats);

  bool lost() const { return lost_ || PQstatus(conn_) != CONNECTION_OK; }
  bool conflicted() const { return conflicted_; }
  // The transaction's conflict may be on feed_head: it appends to the feed.
  bool feed_conflict() const { return conflicted_ && appends_to_feed_; }
  // The transaction announced "feed" (appends events others may read).
  bool appends_to_feed() const { return appends_to_feed_; }
  // A new transaction: `writing` when it may announce.
  void StartTransaction(bool writing) {
    pending_.clear();
    DropLater();
    control_status_ = absl::OkStatus();
    conflicted_ = false;
    appends_to_feed_ = false;
    writing_ = writing;
    announced_.clear();
    write_announced_.clear();
  }
  // One write of a batch is over: what it announced is the transaction's
  // (`keep`, its savepoint released) or forgotten (rolled back).
  void KeepAnnounced(bool keep) {
    if (keep)
      announced_.insert(write_announced_.begin(), write_announced_.end());
    write_announced_.clear();
  }
  // Outside any transaction, ready for the next caller: forgets deferred
  // commands and rolls back what a caller left open; false when the
  // connection is unusable (mid-command, in a pipeline, broken, or its
  // prepared statements stale), so the pool drops it.
  bool Reset();
  // Reads what the server sent while the connection was idle, without
  // waiting: a session the server ended (restart, pg_terminate_backend)
  // is lost() now, before a call's BEGIN (sent with its first statement)
  // would fail on it. True when lost.
  bool LostWhileIdle();
  // Round trips to the server since the last call (each wait for the
  // server's answer to what was sent), for PgDb::round_trips().
  int64_t TakeRoundTrips() { return std::exchange(round_trips_, 0); }
  // For tests of the pool: the connection's server process.
  int backend_pid() const { return PQbackendPID(conn_); }
  PGconn* raw() const { return conn_; }

 private:
  // One command of a pipeline (RunPipeline).
  struct PipelineCommand {
    enum Kind { kQuery, kPrepare, kPrepared };
    Kind kind = kQuery;
    // What a failure is called in its status: "exec" (a deferred command),
    // "statement", "notify" or "commit".
    absl::string_view what;
    // kQuery, kPrepare.
    std::string sql;
    // kPrepare, kPrepared: the server-side statement's name.
    std::string name;
    // Parameters: types for kQuery and kPrepare (null: the server infers
    // them), values for kQuery and kPrepared.
    int count = 0;
    const Oid* types = nullptr;
    const char* const* values = nullptr;
    const int* lengths = nullptr;
    const int* formats = nullptr;
  };

  // The deferred commands, as the start of a pipeline; none deferred after.
  std::vector<PipelineCommand> TakeDeferred();
  // Sends `commands` in one pipeline (one round trip) and reads their
  // results back in order into `results` (null for one that failed or that
  // the server skipped after a failure). The status of the first that
  // failed, its index in `failed`.
  absl::Status RunPipeline(const std::vector<PipelineCommand>& commands,
                           std::vector<PgResult>& results, size_t& failed);
  bool Send(const PipelineCommand& command);
  // PQexec, whatever is deferred or failed.
  absl::Status ExecNow(const std::string& sql);
  // As SQLite's changes(): rows of the last INSERT, UPDATE or DELETE (a
  // SELECT's count is not a change).
  void NoteChanges(const PGresult* result);
  // Counts `sql`'s run (its `result`) in possible_changes() when it may
  // have changed data.
  void NotePossibleChange(absl::string_view sql, const PGresult* result);
  // The status of a result that is not a success (or of no result).
  absl::Status ErrorOf(const PGresult* result, absl::string_view what);
  // The key of `sql` with these parameter types in prepared_.
  static std::string PreparedKey(const std::string& sql,
                                 const std::vector<Oid>& types);

  PGconn* const conn_;
  const std::string target_;
  const std::string schema_;
  const std::string origin_;
  int64_t changes_ = 0;
  int64_t possible_changes_ = 0;
  int64_t round_trips_ = 0;
  bool lost_ = false;
  // A prepared statement's plan no longer fits its table (ErrorOf): Reset
  // drops the connection.
  bool stale_prepared_ = false;
  bool conflicted_ = false;
  bool appends_to_feed_ = false;
  bool writing_ = false;
  // Channels (PgChannelName) announced by the writes committed so far in
  // this transaction, and by the write running now.
  std::set<std::string> announced_;
  std::set<std::string> write_announced_;
  // Commands waiting for the next round trip (Defer).
  std::vector<std::string> pending_;
  // Statements waiting for the next round trip, after pending_ (RunLater),
  // and how each runs (pointing into its PgStatement, which later_ keeps).
  std::vector<Statement> later_;
  std::vector<Invocation> later_runs_;
  absl::Status control_status_;
  // Statements prepared on this connection (PreparedKey: name), in the
  // pipeline of their first run; once PgDb::kMaxPreparedStatements are,
  // others run unnamed. A statement run again skips PostgreSQL's parse and,
  // once its generic plan is chosen, its planning: most of the server's
  // work for the one-row reads and writes the stores make. Prepared
  // statements outlive transactions and rollbacks; they end with the
  // connection.
  absl::flat_hash_map<std::string, std::string> prepared_;
};

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_PG_CONNECTION_H_

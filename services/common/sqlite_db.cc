#include "services/common/sqlite_db.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/common/audit_chain.h"
#include "services/common/call_audit.h"
#include "services/common/log.h"
#include "services/common/macros.h"
#include "services/common/metrics.h"

namespace carebridge {

absl::Status SqliteError(sqlite3* db, int rc, absl::string_view what) {
  std::string message = absl::StrCat(what, ": ", sqlite3_errstr(rc));
  if (db != nullptr) absl::StrAppend(&message, " (", sqlite3_errmsg(db), ")");
  int primary = rc & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    return absl::UnavailableError(message);
  }
  return absl::InternalError(message);
}

// --- SqliteStatement ---

SqliteStatement::~SqliteStatement() { sqlite3_finalize(stmt_); }

void SqliteStatement::Release() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

void SqliteStatement::BindInt64(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
}

void SqliteStatement::BindText(int index, absl::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()),
                    SQLITE_TRANSIENT);
}

void SqliteStatement::BindBlob(int index, absl::string_view bytes) {
  sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()),
                    SQLITE_TRANSIENT);
}

void SqliteStatement::BindNull(int index) { sqlite3_bind_null(stmt_, index); }

absl::StatusOr<bool> SqliteStatement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(db_, rc, "sqlite step");
}

int64_t SqliteStatement::ColumnInt64(int index) const {
  return sqlite3_column_int64(stmt_, index);
}

std::string SqliteStatement::ColumnText(int index) const {
  const unsigned char* text = sqlite3_column_text(stmt_, index);
  if (text == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(text),
                     sqlite3_column_bytes(stmt_, index));
}

std::string SqliteStatement::ColumnBlob(int index) const {
  const void* blob = sqlite3_column_blob(stmt_, index);
  if (blob == nullptr) return "";
  return std::string(static_cast<const char*>(blob),
                     sqlite3_column_bytes(stmt_, index));
}

bool SqliteStatement::ColumnIsNull(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

// --- SqliteConnection ---

SqliteConnection::~SqliteConnection() {
  cache_.clear();
  sqlite3_close_v2(db_);
}

absl::StatusOr<Statement> SqliteConnection::Prepare(absl::string_view sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return Statement(it->second.get());
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, "sqlite prepare");
  auto cached = std::make_unique<SqliteStatement>(stmt, db_);
  Statement statement(cached.get());
  cache_.emplace(std::string(sql), std::move(cached));
  return statement;
}

absl::Status SqliteConnection::Exec(absl::string_view sql) {
  std::string owned(sql);
  char* error = nullptr;
  int rc = sqlite3_exec(db_, owned.c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = error != nullptr ? error : "";
    sqlite3_free(error);
    absl::Status status = SqliteError(db_, rc, "sqlite exec");
    return absl::Status(status.code(),
                        absl::StrCat(status.message(), ": ", message));
  }
  return absl::OkStatus();
}

int64_t SqliteConnection::Changes() const { return sqlite3_changes64(db_); }

// --- SqliteDb ---

struct SqliteDb::PendingWrite {
  explicit PendingWrite(absl::FunctionRef<absl::Status(Connection&)> f)
      : fn(f) {}
  absl::FunctionRef<absl::Status(Connection&)> fn;
  // The call whose record the transaction carries (audited databases).
  CallAudit* audit = nullptr;
  // The call's records were appended (`fn` had succeeded and changed
  // data).
  bool audit_tried = false;
  bool audited = false;
  // Carries audit records: committed durably even where commits need not
  // be (Options::durable_commits false).
  bool carries_audit = false;
  absl::Status result;
  bool done = false;
  // Signalled when this write is done, or when it should lead the next
  // batch. One per write, so finishing a batch wakes only its own writers
  // and the next leader, not every writer waiting.
  absl::CondVar wake;
};

namespace {

absl::StatusOr<std::unique_ptr<SqliteConnection>> OpenConnection(
    const std::string& path, int busy_timeout_ms, bool read_only,
    bool durable_commits, int page_size = 0) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_NOMUTEX |
              (read_only ? SQLITE_OPEN_READONLY
                         : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status status =
        SqliteError(db, rc, absl::StrCat("opening database ", path));
    sqlite3_close_v2(db);
    return status;
  }
  auto conn = std::make_unique<SqliteConnection>(db);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  RETURN_IF_ERROR(conn->Exec("PRAGMA foreign_keys=ON"));
  if (!read_only && page_size != 0) {
    // Before the log: a new database takes it; an existing one keeps its
    // own.
    RETURN_IF_ERROR(conn->Exec(absl::StrCat("PRAGMA page_size=", page_size)));
  }
  if (!read_only) {
    RETURN_IF_ERROR(conn->Exec("PRAGMA journal_mode=WAL"));
  }
  RETURN_IF_ERROR(conn->Exec(durable_commits ? "PRAGMA synchronous=FULL"
                                             : "PRAGMA synchronous=NORMAL"));
  return conn;
}

absl::StatusOr<int> UserVersion(Connection& conn) {
  ASSIGN_OR_RETURN(Statement stmt, conn.Prepare("PRAGMA user_version"));
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return absl::InternalError("PRAGMA user_version returned no row");
  return static_cast<int>(stmt.ColumnInt64(0));
}

absl::Status Migrate(Connection& conn, const std::vector<Migration>& migrations,
                     int& version) {
  ASSIGN_OR_RETURN(version, UserVersion(conn));
  int known = migrations.empty() ? 0 : migrations.back().version;
  if (version > known) {
    return absl::FailedPreconditionError(
        absl::StrCat("database schema version ", version,
                     " is newer than this binary knows (", known,
                     "); run a newer carebridge-server"));
  }
  for (const Migration& migration : migrations) {
    if (migration.version <= version) continue;
    if (migration.version != version + 1) {
      return absl::InternalError(
          absl::StrCat("migration versions must be consecutive; found ",
                       migration.version, " after ", version));
    }
    RETURN_IF_ERROR(conn.Exec("BEGIN IMMEDIATE"));
    absl::Status status = conn.Exec(migration.sql);
    if (status.ok()) {
      status =
          conn.Exec(absl::StrCat("PRAGMA user_version=", migration.version));
    }
    if (status.ok()) status = conn.Exec("COMMIT");
    if (!status.ok()) {
      conn.Exec("ROLLBACK").IgnoreError();
      return absl::Status(status.code(),
                          absl::StrCat("migration ", migration.version,
                                       " failed: ", status.message()));
    }
    version = migration.version;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteDb>> SqliteDb::Open(
    const std::string& path, const std::vector<Migration>& migrations,
    Options options) {
  std::unique_ptr<SqliteDb> db(new SqliteDb(path, options));
  ASSIGN_OR_RETURN(db->writer_,
                   OpenConnection(path, options.busy_timeout_ms,
                                  /*read_only=*/false, options.durable_commits,
                                  options.page_size));
  RETURN_IF_ERROR(Migrate(*db->writer_, migrations, db->schema_version_));
  if (options.audit_key != nullptr) {
    RETURN_IF_ERROR(db->writer_->Exec(kAuditLogSchemaSql));
    db->audit_ = std::make_unique<AuditChain>(options.audit_key);
    RETURN_IF_ERROR(db->OpenAuditIndex());
  }
  {
    absl::MutexLock lock(&db->pool_mu_);
    for (int i = 0; i < options.read_connections; ++i) {
      ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> reader,
                       db->OpenReader());
      db->idle_readers_.push_back(std::move(reader));
    }
  }
  if (!options.durable_commits) {
    // Commits that need not wait for the disk should not wait for a
    // checkpoint's syncs either.
    ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> checkpoints,
                     OpenConnection(path, options.busy_timeout_ms,
                                    /*read_only=*/false,
                                    /*durable_commits=*/false));
    db->checkpointer_ = std::make_unique<SqliteCheckpointer>(
        std::move(checkpoints), options.checkpoints);
    db->checkpointer_->Attach(db->writer_->raw());
  }
  // What the last run appended and did not index (or a log from before the
  // index was kept apart).
  if (db->audit_ != nullptr) RETURN_IF_ERROR(db->CatchUpAuditIndex());
  return db;
}

SqliteDb::SqliteDb(std::string path, Options options)
    : path_(std::move(path)), options_(options) {}

absl::StatusOr<std::unique_ptr<SqliteConnection>> SqliteDb::OpenReader() {
  ASSIGN_OR_RETURN(
      std::unique_ptr<SqliteConnection> reader,
      OpenConnection(path_, options_.busy_timeout_ms,
                     /*read_only=*/true, options_.durable_commits));
  if (audit_ != nullptr) {
    // Read-only too, as the connection is.
    ASSIGN_OR_RETURN(Statement attach,
                     reader->Prepare("ATTACH DATABASE ? AS audit_index"));
    attach.Bind(1, AuditIndexPath(path_));
    RETURN_IF_ERROR(attach.Run());
  }
  return reader;
}

absl::Status SqliteDb::OpenAuditIndex() {
  const std::string index_path = AuditIndexPath(path_);
  absl::MutexLock lock(&index_mu_);
  auto open = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(audit_index_,
                     OpenConnection(index_path, options_.busy_timeout_ms,
                                    /*read_only=*/false,
                                    /*durable_commits=*/false));
    RETURN_IF_ERROR(audit_index_->Exec(kAuditIndexSchemaSql));
    {
      ASSIGN_OR_RETURN(Statement attach,
                       audit_index_->Prepare("ATTACH DATABASE ? AS log"));
      attach.Bind(1, path_);
      RETURN_IF_ERROR(attach.Run());
    }
    // An index past the log's end (the database put back from an older
    // copy, the index not) starts again.
    ASSIGN_OR_RETURN(Statement ahead,
                     audit_index_->Prepare(
                         "SELECT (SELECT seq FROM audit_indexed) > (SELECT "
                         "IFNULL(MAX(seq), 0) FROM log.audit_log)"));
    ASSIGN_OR_RETURN(bool row, ahead.Step());
    if (row && ahead.ColumnInt64(0) == 1) {
      LogLine(absl::StrCat(index_path,
                           ": lists records past the audit log's end; "
                           "rebuilding it from the log"));
      RETURN_IF_ERROR(
          audit_index_->Exec("DELETE FROM audit_persons; DELETE FROM "
                             "audit_indexed"));
    }
    return absl::OkStatus();
  };
  absl::Status opened = open();
  if (opened.ok()) return opened;
  // Unreadable (damaged, or not a database): the log has all it held.
  LogLine(absl::StrCat(index_path, ": unusable (", opened.ToString(),
                       "); rebuilding it from the audit log"));
  audit_index_.reset();
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::remove(absl::StrCat(index_path, suffix).c_str());
  }
  return open();
}

SqliteDb::~SqliteDb() {
  {
    // A caller still flushing queued records finishes first.
    absl::MutexLock lock(&audit_mu_);
    audit_mu_.Await(absl::Condition(
        +[](int* flushers) { return *flushers == 0; }, &audit_flushers_));
  }
  absl::MutexLock lock(&pool_mu_);
  idle_readers_.clear();
}

absl::Status SqliteDb::Write(absl::FunctionRef<absl::Status(Connection&)> fn) {
  CallAudit* audit = nullptr;
  if (audit_ != nullptr) {
    audit = CurrentCallAudit();
    if (audit != nullptr && audit->sink == nullptr) audit->sink = this;
  }
  return WriteAudited(fn, audit);
}

absl::Status SqliteDb::WriteAudited(
    absl::FunctionRef<absl::Status(Connection&)> fn, CallAudit* audit,
    bool appends_audit) {
  const absl::Time asked = metrics_ != nullptr ? absl::Now() : absl::Time();
  PendingWrite write(fn);
  write.audit = audit;
  write.carries_audit = audit != nullptr || appends_audit;
  {
    absl::MutexLock lock(&queue_mu_);
    queue_.push_back(&write);
    while (!write.done) {
      if (leader_active_) {
        write.wake.Wait(&queue_mu_);
        continue;
      }
      // Become the leader: take what is queued and commit it as one batch.
      leader_active_ = true;
      std::vector<PendingWrite*> batch;
      size_t take =
          std::min(queue_.size(), static_cast<size_t>(options_.max_batch));
      // Our own write is always in the queue; make sure it is taken.
      auto own = std::find(queue_.begin(), queue_.end(), &write);
      if (static_cast<size_t>(own - queue_.begin()) >= take) {
        std::iter_swap(queue_.begin(), own);
      }
      batch.assign(queue_.begin(), queue_.begin() + take);
      queue_.erase(queue_.begin(), queue_.begin() + take);
      queue_mu_.Unlock();
      RunBatch(batch);
      queue_mu_.Lock();
      // Still under queue_mu_: a woken writer cannot return (and destroy its
      // PendingWrite) before this loop is over.
      for (PendingWrite* pending : batch) {
        pending->done = true;
        if (pending != &write) pending->wake.Signal();
      }
      leader_active_ = false;
      if (!queue_.empty()) queue_.front()->wake.Signal();
    }
  }
  // The leader is done with `write` (it let go of queue_mu_ after the
  // batch).
  if (write.audit_tried) {
    ObserveAuditAppendSince(metrics_, metrics_name_, asked, write.result);
  }
  if (write.result.ok() && write.audited) {
    write.audit->written = true;
    NoteAuditAppended(1 + static_cast<int64_t>(audit->more_persons.size()));
  }
  return write.result;
}

void SqliteDb::RunBatch(const std::vector<PendingWrite*>& batch) {
  Connection& conn = *writer_;
  // An audit record reaches the disk before its call returns, even in a
  // database whose other commits need not (the record's projections): this
  // commit syncs the WAL (and with it every commit before it).
  const bool sync_this_commit =
      !options_.durable_commits &&
      std::any_of(batch.begin(), batch.end(),
                  [](const PendingWrite* p) { return p->carries_audit; });
  if (sync_this_commit) {
    absl::Status full = conn.Exec("PRAGMA synchronous=FULL");
    if (!full.ok()) {
      for (PendingWrite* pending : batch) pending->result = full;
      return;
    }
  }
  const absl::Time start = absl::Now();
  RunBatchInTransaction(batch);
  // Timed only when something committed (a batch that failed or rolled
  // back is not a commit).
  if (metrics_ != nullptr &&
      std::any_of(batch.begin(), batch.end(),
                  [](const PendingWrite* p) { return p->result.ok(); })) {
    metrics_->ObserveCommit(metrics_name_, absl::Now() - start);
  }
  if (sync_this_commit) {
    conn.Exec("PRAGMA synchronous=NORMAL").IgnoreError();
  }
}

void SqliteDb::RunBatchInTransaction(const std::vector<PendingWrite*>& batch) {
  SqliteConnection& conn = *writer_;
  absl::Status begin = conn.Run("BEGIN IMMEDIATE");
  if (!begin.ok()) {
    for (PendingWrite* pending : batch) pending->result = begin;
    return;
  }
  bool any_ok = false;
  for (PendingWrite* pending : batch) {
    absl::Status status = conn.Run("SAVEPOINT cb_write");
    // Rows changed by every INSERT, UPDATE and DELETE so far, triggers'
    // too: whether `fn` changed anything.
    const int64_t changes_before = sqlite3_total_changes64(conn.raw());
    if (status.ok()) status = pending->fn(conn);
    if (status.ok() && pending->audit != nullptr) {
      // The call's records, in the transaction of the change they describe
      // (none when it changed nothing: the call's end writes them).
      std::vector<AuditRecord> records = RecordsCarriedByWrite(
          *pending->audit,
          /*changed=*/sqlite3_total_changes64(conn.raw()) != changes_before);
      if (!records.empty()) {
        pending->audit_tried = true;
        status = audit_->Append(conn, records).status();
        pending->audited = status.ok();
      }
    }
    if (status.ok()) {
      status = conn.Run("RELEASE cb_write");
    } else {
      conn.Run("ROLLBACK TO cb_write").IgnoreError();
      conn.Run("RELEASE cb_write").IgnoreError();
    }
    pending->result = status;
    any_ok = any_ok || status.ok();
    if (sqlite3_get_autocommit(conn.raw()) != 0) {
      // The failure rolled back the whole transaction (an OR ROLLBACK
      // conflict, a full disk): nothing in this batch is committed, and
      // writes after it must not run outside a transaction.
      absl::Status lost = absl::UnavailableError(
          "the write transaction was rolled back by another write in the "
          "same batch; retry");
      for (PendingWrite* other : batch) {
        if (other->result.ok()) other->result = lost;
      }
      return;
    }
  }
  absl::Status commit = any_ok ? conn.Run("COMMIT") : conn.Run("ROLLBACK");
  if (!commit.ok()) {
    conn.Run("ROLLBACK").IgnoreError();
    for (PendingWrite* pending : batch) {
      if (pending->result.ok()) pending->result = commit;
    }
  }
}

absl::Status SqliteDb::Read(absl::FunctionRef<absl::Status(Connection&)> fn) {
  std::unique_ptr<SqliteConnection> conn;
  {
    absl::MutexLock lock(&pool_mu_);
    pool_mu_.Await(absl::Condition(
        +[](std::vector<std::unique_ptr<SqliteConnection>>* idle) {
          return !idle->empty();
        },
        &idle_readers_));
    conn = std::move(idle_readers_.back());
    idle_readers_.pop_back();
  }
  if (audit_ != nullptr) {
    CallAudit* audit = CurrentCallAudit();
    if (audit != nullptr && audit->sink == nullptr) audit->sink = this;
  }
  absl::Status status = conn->Run("BEGIN");
  if (status.ok()) {
    status = fn(*conn);
    absl::Status end = conn->Run("COMMIT");
    if (status.ok()) status = end;
  }
  absl::MutexLock lock(&pool_mu_);
  idle_readers_.push_back(std::move(conn));
  return status;
}

}  // namespace carebridge

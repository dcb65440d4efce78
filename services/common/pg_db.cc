#include "services/common/pg_db.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <random>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/macros.h"

namespace carebridge {

namespace {

// Type OIDs (pg_type.h is a server header).
constexpr Oid kInt8Oid = 20;
constexpr Oid kTextOid = 25;
constexpr Oid kByteaOid = 17;

// Serialises schema_migrations between processes ("carebri").
constexpr int64_t kMigrationLockKey = 0x63617265627269;

bool IsConflict(absl::string_view sqlstate) {
  return sqlstate == "40001" || sqlstate == "40P01";
}

// The connection is gone or going: class 08 (connection exception), admin
// or crash shutdown, cannot connect now.
bool IsConnectionLoss(absl::string_view sqlstate) {
  return absl::StartsWith(sqlstate, "08") || sqlstate == "57P01" ||
         sqlstate == "57P02" || sqlstate == "57P03";
}

std::string Trimmed(const char* message) {
  return std::string(
      absl::StripAsciiWhitespace(message != nullptr ? message : ""));
}

}  // namespace

std::string TranslatePlaceholders(absl::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 8);
  int largest = 0;
  size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {
      // A literal or quoted identifier; a doubled quote stays inside.
      size_t end = i + 1;
      while (end < sql.size()) {
        if (sql[end] == c) {
          if (end + 1 < sql.size() && sql[end + 1] == c) {
            end += 2;
            continue;
          }
          break;
        }
        ++end;
      }
      end = std::min(end + 1, sql.size());
      out.append(sql.data() + i, end - i);
      i = end;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      size_t end = sql.find('\n', i);
      end = end == absl::string_view::npos ? sql.size() : end;
      out.append(sql.data() + i, end - i);
      i = end;
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      size_t end = sql.find("*/", i + 2);
      end = end == absl::string_view::npos ? sql.size() : end + 2;
      out.append(sql.data() + i, end - i);
      i = end;
    } else if (c == '?') {
      size_t digits = i + 1;
      while (digits < sql.size() && absl::ascii_isdigit(sql[digits])) {
        ++digits;
      }
      int number = 0;
      if (digits > i + 1 &&
          absl::SimpleAtoi(sql.substr(i + 1, digits - i - 1), &number)) {
        largest = std::max(largest, number);
      } else {
        number = ++largest;
      }
      absl::StrAppend(&out, "$", number);
      i = digits;
    } else {
      out.push_back(c);
      ++i;
    }
  }
  return out;
}

// --- PgConnection ---

// One libpq connection. Remembers whether it was lost (the pool drops it)
// and whether the current transaction lost a conflict (Write runs again),
// whatever `fn` did with the status.
class PgConnection : public Connection {
 public:
  PgConnection(PGconn* conn, std::string target)
      : conn_(conn), target_(std::move(target)) {}
  ~PgConnection() override { PQfinish(conn_); }

  absl::StatusOr<Statement> Prepare(absl::string_view sql) override;
  absl::Status Exec(absl::string_view sql) override;
  // COMMIT, failing when PostgreSQL rolled back instead (a statement in the
  // transaction had failed: unlike SQLite's, a failed statement dooms its
  // whole transaction, even when `fn` carried on).
  absl::Status Commit();
  int64_t Changes() const override { return changes_; }
  absl::string_view engine() const override { return "postgresql"; }

  // Runs `sql` with these parameters; the caller owns the result (null on a
  // failure, which is returned).
  absl::StatusOr<PGresult*> Execute(const std::string& sql,
                                    const std::vector<Oid>& types,
                                    const std::vector<std::string>& values,
                                    const std::vector<bool>& nulls,
                                    const std::vector<int>& formats);

  bool lost() const { return lost_ || PQstatus(conn_) != CONNECTION_OK; }
  bool conflicted() const { return conflicted_; }
  void StartTransaction() { conflicted_ = false; }

 private:
  // As SQLite's changes(): rows of the last INSERT, UPDATE or DELETE (a
  // SELECT's count is not a change).
  void NoteChanges(const PGresult* result) {
    const absl::string_view command =
        PQcmdStatus(const_cast<PGresult*>(result));
    int64_t changes = 0;
    if ((absl::StartsWith(command, "INSERT") ||
         absl::StartsWith(command, "UPDATE") ||
         absl::StartsWith(command, "DELETE")) &&
        absl::SimpleAtoi(PQcmdTuples(const_cast<PGresult*>(result)),
                         &changes)) {
      changes_ = changes;
    }
  }
  // The status of a result that is not a success (or of no result).
  absl::Status ErrorOf(const PGresult* result, absl::string_view what);

  PGconn* const conn_;
  const std::string target_;
  int64_t changes_ = 0;
  bool lost_ = false;
  bool conflicted_ = false;
};

absl::Status PgConnection::ErrorOf(const PGresult* result,
                                   absl::string_view what) {
  const char* state = result != nullptr
                          ? PQresultErrorField(result, PG_DIAG_SQLSTATE)
                          : nullptr;
  const std::string sqlstate = state != nullptr ? state : "";
  std::string message =
      Trimmed(result != nullptr ? PQresultErrorMessage(result) : nullptr);
  if (message.empty()) message = Trimmed(PQerrorMessage(conn_));
  message = absl::StrCat("postgresql ", what, " (", target_, "): ", message,
                         sqlstate.empty() ? "" : " [SQLSTATE ", sqlstate,
                         sqlstate.empty() ? "" : "]");
  if (IsConflict(sqlstate)) {
    conflicted_ = true;
    return absl::AbortedError(message);
  }
  if (IsConnectionLoss(sqlstate) || PQstatus(conn_) != CONNECTION_OK) {
    lost_ = true;
    return absl::UnavailableError(message);
  }
  // Out of connections, memory or disk, a lock not available: retry later.
  if (absl::StartsWith(sqlstate, "53") || sqlstate == "55P03") {
    return absl::UnavailableError(message);
  }
  return absl::InternalError(message);
}

absl::StatusOr<PGresult*> PgConnection::Execute(
    const std::string& sql, const std::vector<Oid>& types,
    const std::vector<std::string>& values, const std::vector<bool>& nulls,
    const std::vector<int>& formats) {
  std::vector<const char*> pointers(values.size());
  std::vector<int> lengths(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    pointers[i] = nulls[i] ? nullptr : values[i].data();
    lengths[i] = static_cast<int>(values[i].size());
  }
  PGresult* result = PQexecParams(
      conn_, sql.c_str(), static_cast<int>(values.size()), types.data(),
      pointers.data(), lengths.data(), formats.data(), /*resultFormat=*/0);
  const ExecStatusType status =
      result != nullptr ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    absl::Status error = ErrorOf(result, "statement");
    PQclear(result);
    return error;
  }
  NoteChanges(result);
  return result;
}

absl::Status PgConnection::Exec(absl::string_view sql) {
  PGresult* result = PQexec(conn_, std::string(sql).c_str());
  const ExecStatusType status =
      result != nullptr ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  absl::Status outcome = absl::OkStatus();
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    outcome = ErrorOf(result, "exec");
  } else {
    NoteChanges(result);
  }
  PQclear(result);
  return outcome;
}

absl::Status PgConnection::Commit() {
  PGresult* result = PQexec(conn_, "COMMIT");
  absl::Status outcome = absl::OkStatus();
  if (PQresultStatus(result) != PGRES_COMMAND_OK) {
    outcome = ErrorOf(result, "commit");
  } else if (absl::string_view(PQcmdStatus(result)) != "COMMIT") {
    outcome = absl::InternalError(absl::StrCat(
        "postgresql commit (", target_,
        "): the transaction was rolled back, as a statement in it had "
        "failed"));
  }
  PQclear(result);
  return outcome;
}

// --- PgStatement ---

// A statement with its parameters, run at the first Step; the rows are
// buffered in the result. Freed when its handle is done.
class PgStatement : public StatementImpl {
 public:
  PgStatement(PgConnection* conn, std::string sql)
      : conn_(conn), sql_(std::move(sql)) {}
  ~PgStatement() override { PQclear(result_); }

  void BindInt64(int index, int64_t value) override {
    Set(index, kInt8Oid, absl::StrCat(value), /*binary=*/false);
  }
  void BindText(int index, absl::string_view text) override {
    Set(index, kTextOid, std::string(text), /*binary=*/false);
  }
  void BindBlob(int index, absl::string_view bytes) override {
    Set(index, kByteaOid, std::string(bytes), /*binary=*/true);
  }
  void BindNull(int index) override {
    // Unknown type: the server infers it from where the parameter stands.
    Set(index, 0, "", /*binary=*/false);
    nulls_[index - 1] = true;
  }

  absl::StatusOr<bool> Step() override {
    if (result_ == nullptr) {
      ASSIGN_OR_RETURN(result_,
                       conn_->Execute(sql_, types_, values_, nulls_, formats_));
      row_ = 0;
    } else {
      ++row_;
    }
    return row_ < PQntuples(result_);
  }

  int64_t ColumnInt64(int index) const override {
    const char* value = Value(index);
    if (value == nullptr) return 0;
    if (std::strcmp(value, "t") == 0) return 1;
    return std::strtoll(value, nullptr, 10);
  }
  std::string ColumnText(int index) const override { return Bytes(index); }
  std::string ColumnBlob(int index) const override { return Bytes(index); }
  bool ColumnIsNull(int index) const override {
    return PQgetisnull(result_, row_, index) != 0;
  }
  void Release() override { delete this; }

 private:
  void Set(int index, Oid type, std::string value, bool binary) {
    const size_t at = static_cast<size_t>(index - 1);
    if (values_.size() <= at) {
      types_.resize(at + 1, 0);
      values_.resize(at + 1);
      nulls_.resize(at + 1, true);
      formats_.resize(at + 1, 0);
    }
    types_[at] = type;
    values_[at] = std::move(value);
    nulls_[at] = false;
    formats_[at] = binary ? 1 : 0;
  }

  // Null for NULL (and past the row).
  const char* Value(int index) const {
    if (result_ == nullptr || row_ >= PQntuples(result_) ||
        PQgetisnull(result_, row_, index)) {
      return nullptr;
    }
    return PQgetvalue(result_, row_, index);
  }

  std::string Bytes(int index) const {
    const char* value = Value(index);
    if (value == nullptr) return "";
    if (PQftype(result_, index) != kByteaOid) {
      return std::string(value, PQgetlength(result_, row_, index));
    }
    size_t length = 0;
    unsigned char* bytes =
        PQunescapeBytea(reinterpret_cast<const unsigned char*>(value), &length);
    if (bytes == nullptr) return "";
    std::string out(reinterpret_cast<const char*>(bytes), length);
    PQfreemem(bytes);
    return out;
  }

  PgConnection* const conn_;
  const std::string sql_;
  std::vector<Oid> types_;
  std::vector<std::string> values_;
  std::vector<bool> nulls_;
  std::vector<int> formats_;
  PGresult* result_ = nullptr;
  int row_ = 0;
};

absl::StatusOr<Statement> PgConnection::Prepare(absl::string_view sql) {
  return Statement(new PgStatement(this, TranslatePlaceholders(sql)));
}

// --- PgDb ---

namespace {

// "host:port/dbname" from what libpq makes of `url`, or why it cannot.
absl::StatusOr<std::string> TargetOf(const std::string& url,
                                     bool& sets_timeout) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (options == nullptr) {
    // libpq's message names the fault, not the password.
    std::string message = Trimmed(error);
    PQfreemem(error);
    return absl::InvalidArgumentError(
        absl::StrCat("--database: not a PostgreSQL URL: ", message));
  }
  std::string host = "localhost";
  std::string port = "5432";
  std::string dbname;
  std::string user;
  sets_timeout = false;
  for (PQconninfoOption* option = options; option->keyword != nullptr;
       ++option) {
    if (option->val == nullptr || *option->val == '\0') continue;
    absl::string_view keyword = option->keyword;
    if (keyword == "host" || keyword == "hostaddr") host = option->val;
    if (keyword == "port") port = option->val;
    if (keyword == "dbname") dbname = option->val;
    if (keyword == "user") user = option->val;
    if (keyword == "connect_timeout") sets_timeout = true;
  }
  PQconninfoFree(options);
  if (dbname.empty()) dbname = user;
  return absl::StrCat(host, ":", port, "/", dbname);
}

}  // namespace

absl::StatusOr<std::unique_ptr<PgDb>> PgDb::Open(
    const std::string& url, const std::vector<Migration>& migrations,
    Options options) {
  if (!absl::StartsWith(url, "postgresql://") &&
      !absl::StartsWith(url, "postgres://")) {
    return absl::InvalidArgumentError(
        "--database: a PostgreSQL URL starts postgresql://");
  }
  bool sets_timeout = false;
  ASSIGN_OR_RETURN(std::string target, TargetOf(url, sets_timeout));
  std::string connect_url = url;
  if (!sets_timeout) {
    absl::StrAppend(
        &connect_url, absl::StrContains(url, "?") ? "&" : "?",
        "connect_timeout=",
        std::max<int64_t>(1, absl::ToInt64Seconds(options.connect_timeout)));
  }
  std::unique_ptr<PgDb> db(
      new PgDb(std::move(connect_url), std::move(target), options));
  RETURN_IF_ERROR(db->Migrate(migrations));
  return db;
}

PgDb::PgDb(std::string url, std::string target, Options options)
    : url_(std::move(url)), target_(std::move(target)), options_(options) {}

PgDb::~PgDb() {
  absl::MutexLock lock(&pool_mu_);
  idle_.clear();
}

absl::StatusOr<std::unique_ptr<PgConnection>> PgDb::Connect() {
  PGconn* conn = PQconnectdb(url_.c_str());
  if (conn == nullptr) {
    return absl::ResourceExhaustedError("postgresql: out of memory");
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    // libpq names the host and port it tried and why; never the password.
    std::string message = Trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    return absl::UnavailableError(absl::StrCat(
        "cannot connect to PostgreSQL at ", target_, ": ", message));
  }
  // Notices (CREATE ... IF NOT EXISTS skipping) are not errors; drop them.
  PQsetNoticeProcessor(
      conn, +[](void*, const char*) {}, nullptr);
  auto connection = std::make_unique<PgConnection>(conn, target_);
  RETURN_IF_ERROR(connection->Exec(
      "SET client_min_messages = warning; SET TIME ZONE 'UTC'"));
  return connection;
}

absl::StatusOr<std::unique_ptr<PgConnection>> PgDb::Acquire() {
  {
    absl::MutexLock lock(&pool_mu_);
    pool_mu_.Await(absl::Condition(
        +[](PgDb* db) ABSL_EXCLUSIVE_LOCKS_REQUIRED(db->pool_mu_) {
          return !db->idle_.empty() || db->open_ < db->options_.max_connections;
        },
        this));
    while (!idle_.empty()) {
      std::unique_ptr<PgConnection> conn = std::move(idle_.back());
      idle_.pop_back();
      if (!conn->lost()) return conn;
      --open_;  // Replaced below.
    }
    ++open_;
  }
  absl::StatusOr<std::unique_ptr<PgConnection>> conn = Connect();
  if (!conn.ok()) {
    absl::MutexLock lock(&pool_mu_);
    --open_;
  }
  return conn;
}

void PgDb::Release(std::unique_ptr<PgConnection> conn) {
  absl::MutexLock lock(&pool_mu_);
  if (conn->lost()) {
    conn.reset();
    --open_;
    return;
  }
  idle_.push_back(std::move(conn));
}

absl::StatusOr<std::unique_ptr<PgConnection>> PgDb::Begin(
    absl::string_view begin) {
  // A connection the server closed while it was idle says so only now; as
  // nothing has run on it, another one takes its place.
  for (int attempt = 0;; ++attempt) {
    ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, Acquire());
    conn->StartTransaction();
    absl::Status begun = conn->Exec(begin);
    if (begun.ok()) return conn;
    const bool lost = conn->lost();
    Release(std::move(conn));
    if (!lost || attempt >= options_.max_connections) return begun;
  }
}

absl::Status PgDb::RunTransaction(
    absl::string_view begin, absl::FunctionRef<absl::Status(Connection&)> fn,
    bool& conflicted) {
  conflicted = false;
  ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, Begin(begin));
  absl::Status status = fn(*conn);
  if (status.ok()) status = conn->Commit();
  if (!status.ok() && !conn->lost()) conn->Exec("ROLLBACK").IgnoreError();
  // A conflict seen anywhere in the transaction, even one `fn` turned into
  // another status, means the transaction is void.
  conflicted = conn->conflicted() && !conn->lost();
  Release(std::move(conn));
  return status;
}

absl::Status PgDb::Write(absl::FunctionRef<absl::Status(Connection&)> fn) {
  thread_local std::minstd_rand jitter(std::random_device{}());
  absl::Status status;
  for (int attempt = 1; attempt <= options_.max_write_attempts; ++attempt) {
    bool conflicted = false;
    status =
        RunTransaction("BEGIN ISOLATION LEVEL SERIALIZABLE", fn, conflicted);
    if (!conflicted) return status;
    // Apart, so the writers that collided do not collide again: a random
    // wait, its bound doubling from 1 ms to 100 ms.
    const int64_t bound_us = std::min<int64_t>(100000, 500LL << attempt);
    absl::SleepFor(absl::Microseconds(
        std::uniform_int_distribution<int64_t>(0, bound_us)(jitter)));
  }
  return absl::UnavailableError(absl::StrCat(
      "the write kept conflicting with other writers (",
      options_.max_write_attempts, " attempts); retry: ", status.message()));
}

absl::Status PgDb::Read(absl::FunctionRef<absl::Status(Connection&)> fn) {
  bool conflicted = false;
  return RunTransaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", fn,
                        conflicted);
}

absl::Status PgDb::Migrate(const std::vector<Migration>& migrations) {
  const int known = migrations.empty() ? 0 : migrations.back().version;
  int expected = 1;
  for (const Migration& migration : migrations) {
    if (migration.version != expected++) {
      return absl::InternalError(
          absl::StrCat("migration versions must be consecutive from 1; found ",
                       migration.version));
    }
  }
  ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, Acquire());
  // Each step in a transaction of its own, under a lock every process
  // migrating this database takes, so two replicas starting together apply
  // each step once.
  auto step = [&](const Migration* migration) -> absl::Status {
    RETURN_IF_ERROR(conn->Exec("BEGIN"));
    absl::Status status = [&]() -> absl::Status {
      RETURN_IF_ERROR(conn->Exec(
          absl::StrCat("SELECT pg_advisory_xact_lock(", kMigrationLockKey,
                       "); CREATE TABLE IF NOT EXISTS schema_migrations ("
                       "version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ "
                       "NOT NULL DEFAULT now())")));
      ASSIGN_OR_RETURN(Statement select,
                       conn->Prepare("SELECT COALESCE(MAX(version), 0) FROM "
                                     "schema_migrations"));
      ASSIGN_OR_RETURN(bool row, select.Step());
      schema_version_ = row ? static_cast<int>(select.ColumnInt64(0)) : 0;
      if (schema_version_ > known) {
        return absl::FailedPreconditionError(
            absl::StrCat("database ", target_, " has schema version ",
                         schema_version_, ", newer than this binary knows (",
                         known, "); run a newer carebridge-server"));
      }
      if (migration == nullptr || migration->version <= schema_version_) {
        return absl::OkStatus();
      }
      absl::Status applied = conn->Exec(migration->sql);
      if (!applied.ok()) {
        return absl::Status(applied.code(),
                            absl::StrCat("migration ", migration->version,
                                         " failed: ", applied.message()));
      }
      ASSIGN_OR_RETURN(
          Statement insert,
          conn->Prepare("INSERT INTO schema_migrations (version) VALUES (?)"));
      insert.Bind(1, static_cast<int64_t>(migration->version));
      RETURN_IF_ERROR(insert.Run());
      schema_version_ = migration->version;
      return absl::OkStatus();
    }();
    if (status.ok()) status = conn->Commit();
    if (!status.ok() && !conn->lost()) conn->Exec("ROLLBACK").IgnoreError();
    return status;
  };
  absl::Status status = step(nullptr);
  for (const Migration& migration : migrations) {
    if (!status.ok()) break;
    if (migration.version > schema_version_) status = step(&migration);
  }
  Release(std::move(conn));
  return status;
}

}  // namespace carebridge

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
#include "services/common/audit_chain.h"
#include "services/common/call_audit.h"
#include "services/common/macros.h"
#include "services/common/metrics.h"

namespace carebridge {

namespace {

// Type OIDs (pg_type.h is a server header).
constexpr Oid kInt8Oid = 20;
constexpr Oid kTextOid = 25;
constexpr Oid kByteaOid = 17;

// Serialises schema_migrations between processes ("carebri"), mixed with
// the schema's name so each schema migrates under a lock of its own.
constexpr int64_t kMigrationLockKey = 0x63617265627269;

int64_t MigrationLockKey(absl::string_view schema) {
  if (schema.empty()) return kMigrationLockKey;
  // FNV-1a: stable across processes and builds.
  uint64_t hash = 14695981039346656037ULL;
  for (char c : schema) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return static_cast<int64_t>(hash ^ static_cast<uint64_t>(kMigrationLockKey));
}

absl::Status ValidateSchemaName(absl::string_view schema) {
  bool valid =
      !schema.empty() && schema.size() <= 63 && !absl::ascii_isdigit(schema[0]);
  for (char c : schema) {
    valid =
        valid && (absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_');
  }
  if (valid) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "schema: \"", schema,
      "\" is not a schema name (lower-case letters, digits and _, not "
      "starting with a digit, at most 63)"));
}

// A schema name ValidateSchemaName accepted, as an SQL identifier.
std::string QuotedSchema(absl::string_view schema) {
  return absl::StrCat("\"", schema, "\"");
}

// Statements whose conflicts are on the feed's sequence row.
bool TouchesFeedHead(absl::string_view sql) {
  return absl::StrContains(sql, "feed_head");
}

// `$n` appears in `sql` only as `$n IS ...` (`IS NULL`, `IS NOT NULL`,
// `IS DISTINCT FROM`): nothing gives a NULL bound there a type.
bool OnlyTestedForNull(absl::string_view sql, int n) {
  const std::string name = absl::StrCat("$", n);
  bool found = false;
  for (size_t at = sql.find(name); at != absl::string_view::npos;
       at = sql.find(name, at + 1)) {
    size_t end = at + name.size();
    if (end < sql.size() && absl::ascii_isdigit(sql[end])) continue;
    while (end < sql.size() && absl::ascii_isspace(sql[end])) ++end;
    if (!absl::StartsWithIgnoreCase(sql.substr(end), "is") ||
        (end + 2 < sql.size() && !absl::ascii_isspace(sql[end + 2]))) {
      return false;
    }
    found = true;
  }
  return found;
}

// How long after a conflict on feed_head writes queue on its lock from
// their first attempt.
constexpr absl::Duration kFeedBusyFor = absl::Seconds(2);

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
  // The transaction's conflict may be on feed_head: a statement of it used
  // the table.
  bool feed_conflict() const { return conflicted_ && touched_feed_head_; }
  void StartTransaction() {
    conflicted_ = false;
    touched_feed_head_ = false;
  }
  // Outside any transaction, ready for the next caller: rolls back what a
  // caller left open; false when the connection is unusable (mid-command or
  // broken), so the pool drops it.
  bool Reset() {
    if (lost()) return false;
    PGTransactionStatusType status = PQtransactionStatus(conn_);
    if (status == PQTRANS_INTRANS || status == PQTRANS_INERROR) {
      Exec("ROLLBACK").IgnoreError();
      status = PQtransactionStatus(conn_);
    }
    return !lost() && status == PQTRANS_IDLE;
  }
  // For tests of the pool: the connection's server process.
  int backend_pid() const { return PQbackendPID(conn_); }

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
  bool touched_feed_head_ = false;
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
  if (TouchesFeedHead(sql)) touched_feed_head_ = true;
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
  if (TouchesFeedHead(sql)) touched_feed_head_ = true;
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
    if (text.find('\0') != absl::string_view::npos && bind_error_.ok()) {
      bind_error_ = absl::InvalidArgumentError(absl::StrCat(
          "bind ?", index,
          ": the text holds a NUL byte, which PostgreSQL text cannot "
          "store (bind bytes as a blob)"));
    }
    Set(index, kTextOid, std::string(text), /*binary=*/false);
  }
  void BindBlob(int index, absl::string_view bytes) override {
    Set(index, kByteaOid, std::string(bytes), /*binary=*/true);
  }
  void BindNull(int index) override {
    // Unknown type: the server infers it from where the parameter stands
    // (text where nothing says, see Step).
    Set(index, 0, "", /*binary=*/false);
    nulls_[index - 1] = true;
  }

  absl::StatusOr<bool> Step() override {
    if (result_ == nullptr) {
      RETURN_IF_ERROR(bind_error_);
      for (size_t i = 0; i < types_.size(); ++i) {
        // `? IS NULL` alone cannot type its parameter; text can be NULL.
        if (nulls_[i] && types_[i] == 0 &&
            OnlyTestedForNull(sql_, static_cast<int>(i) + 1)) {
          types_[i] = kTextOid;
        }
      }
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
  absl::Status bind_error_;
  PGresult* result_ = nullptr;
  int row_ = 0;
};

absl::StatusOr<Statement> PgConnection::Prepare(absl::string_view sql) {
  return Statement(new PgStatement(this, TranslatePlaceholders(sql)));
}

// --- PgDb ---

namespace {

// Connection settings PgDb adds unless the URL sets them: the connect
// timeout (from Options) and TCP keepalives, so a server or network that
// vanished mid-call fails the call in about 30 s instead of hanging it.
constexpr std::pair<const char*, const char*> kKeepalives[] = {
    {"keepalives", "1"},           {"keepalives_idle", "10"},
    {"keepalives_interval", "5"},  {"keepalives_count", "3"},
    {"tcp_user_timeout", "30000"},
};

// "host:port/dbname" from what libpq makes of `url`, or why it cannot;
// `set`: the keywords the URL sets.
absl::StatusOr<std::string> TargetOf(const std::string& url,
                                     std::vector<std::string>& set) {
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
  for (PQconninfoOption* option = options; option->keyword != nullptr;
       ++option) {
    if (option->val == nullptr || *option->val == '\0') continue;
    absl::string_view keyword = option->keyword;
    if (keyword == "host" || keyword == "hostaddr") host = option->val;
    if (keyword == "port") port = option->val;
    if (keyword == "dbname") dbname = option->val;
    if (keyword == "user") user = option->val;
    set.emplace_back(keyword);
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
  if (!options.schema.empty()) {
    RETURN_IF_ERROR(ValidateSchemaName(options.schema));
  }
  std::string target;
  ASSIGN_OR_RETURN(std::string connect_url,
                   PgConnectUrl(url, options, &target));
  std::unique_ptr<PgDb> db(
      new PgDb(std::move(connect_url), std::move(target), options));
  RETURN_IF_ERROR(db->Migrate(migrations));
  return db;
}

absl::StatusOr<std::string> PgConnectUrl(const std::string& url,
                                         const PgDb::Options& options,
                                         std::string* target) {
  std::vector<std::string> set;
  ASSIGN_OR_RETURN(std::string described, TargetOf(url, set));
  if (target != nullptr) *target = std::move(described);
  std::string connect_url = url;
  auto add = [&](absl::string_view keyword, absl::string_view value) {
    if (std::find(set.begin(), set.end(), keyword) != set.end()) return;
    absl::StrAppend(&connect_url,
                    absl::StrContains(connect_url, "?") ? "&" : "?", keyword,
                    "=", value);
  };
  add("connect_timeout",
      absl::StrCat(
          std::max<int64_t>(1, absl::ToInt64Seconds(options.connect_timeout))));
  for (const auto& [keyword, value] : kKeepalives) add(keyword, value);
  return connect_url;
}

PgDb::PgDb(std::string url, std::string target, Options options)
    : url_(std::move(url)), target_(std::move(target)), options_(options) {
  if (options_.audit_key != nullptr) {
    audit_ = std::make_unique<AuditChain>(options_.audit_key);
  }
}

PgDb::~PgDb() {
  {
    // A caller still flushing queued audit records finishes first.
    absl::MutexLock lock(&audit_mu_);
    audit_mu_.Await(absl::Condition(
        +[](int* flushers) { return *flushers == 0; }, &audit_flushers_));
  }
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
  if (!options_.schema.empty()) {
    // Only the service's schema: its tables never fall through to another.
    RETURN_IF_ERROR(connection->Exec(
        absl::StrCat("SET search_path TO ", QuotedSchema(options_.schema))));
  }
  return connection;
}

absl::StatusOr<std::unique_ptr<PgConnection>> PgDb::Acquire() {
  {
    absl::MutexLock lock(&pool_mu_);
    if (!pool_mu_.AwaitWithTimeout(
            absl::Condition(
                +[](PgDb* db) ABSL_EXCLUSIVE_LOCKS_REQUIRED(db->pool_mu_) {
                  return !db->idle_.empty() ||
                         db->open_ < db->options_.max_connections;
                },
                this),
            options_.acquire_timeout)) {
      return absl::UnavailableError(absl::StrCat(
          "postgresql (", target_, "): all ", options_.max_connections,
          " connections busy for ",
          absl::FormatDuration(options_.acquire_timeout), "; retry"));
    }
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
  // Outside the lock: it may talk to the server.
  const bool usable = conn->Reset();
  absl::MutexLock lock(&pool_mu_);
  if (!usable) {
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
    absl::string_view begin, absl::string_view locks,
    absl::FunctionRef<absl::Status(Connection&)> fn, bool& conflicted,
    bool& feed_conflict) {
  conflicted = false;
  feed_conflict = false;
  ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, Begin(begin));
  absl::Status status = locks.empty() ? absl::OkStatus() : conn->Exec(locks);
  if (status.ok()) status = fn(*conn);
  if (status.ok()) status = conn->Commit();
  if (!status.ok() && !conn->lost()) conn->Exec("ROLLBACK").IgnoreError();
  // A conflict seen anywhere in the transaction, even one `fn` turned into
  // another status, means the transaction is void.
  conflicted = conn->conflicted() && !conn->lost();
  feed_conflict = conflicted && conn->feed_conflict();
  Release(std::move(conn));
  return status;
}

absl::Status PgDb::Write(absl::FunctionRef<absl::Status(Connection&)> fn) {
  CallAudit* audit = nullptr;
  if (audit_ != nullptr) {
    audit = CurrentCallAudit();
    if (audit != nullptr && audit->sink == nullptr) audit->sink = this;
  }
  return WriteAudited(fn, audit, /*appends_audit=*/false);
}

absl::Status PgDb::WriteAudited(absl::FunctionRef<absl::Status(Connection&)> fn,
                                CallAudit* audit, bool appends_audit) {
  thread_local std::minstd_rand jitter(std::random_device{}());
  // The call's records, in the transaction of the change they describe.
  bool carried = false;
  auto run = [&](Connection& conn) -> absl::Status {
    carried = false;
    RETURN_IF_ERROR(fn(conn));
    if (audit == nullptr) return absl::OkStatus();
    std::vector<AuditRecord> records = AuditRecordsOf(*audit);
    for (AuditRecord& record : records) record.outcome = "OK";
    RETURN_IF_ERROR(audit_->Append(conn, records).status());
    carried = true;
    return absl::OkStatus();
  };
  // The audit log's head first, then the feed's: one order for every
  // writer, so two writers never wait on each other's lock.
  const bool appends = audit != nullptr || appends_audit;
  // While the feed is busy (a write lost a conflict on it lately), every
  // write queues on its lock from the first attempt: nearly every write of
  // a store appends an event, and one that does not waits a moment behind
  // the appenders rather than making them run again.
  bool lock_feed = options_.queue_busy_feed_appenders &&
                   absl::ToUnixMicros(absl::Now()) <
                       feed_busy_until_us_.load(std::memory_order_relaxed);
  absl::Status status;
  for (int attempt = 1; attempt <= options_.max_write_attempts; ++attempt) {
    std::string locks;
    if (appends) locks = "LOCK TABLE audit_head IN EXCLUSIVE MODE";
    if (lock_feed) {
      absl::StrAppend(&locks, locks.empty() ? "" : "; ",
                      "LOCK TABLE feed_head IN EXCLUSIVE MODE");
    }
    bool conflicted = false;
    bool feed_conflict = false;
    const absl::Time start = absl::Now();
    status = RunTransaction("BEGIN ISOLATION LEVEL SERIALIZABLE", locks, run,
                            conflicted, feed_conflict);
    if (!conflicted) {
      if (status.ok() && metrics_ != nullptr) {
        metrics_->ObserveCommit(metrics_name_, absl::Now() - start);
      }
      if (status.ok() && carried) audit->written = true;
      return status;
    }
    write_retries_.fetch_add(1, std::memory_order_relaxed);
    if (feed_conflict && options_.queue_busy_feed_appenders) {
      // The lock queues it behind the other appenders: no wait needed.
      lock_feed = true;
      feed_busy_until_us_.store(absl::ToUnixMicros(absl::Now() + kFeedBusyFor),
                                std::memory_order_relaxed);
      continue;
    }
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
  if (audit_ != nullptr) {
    // A call that only reads has its record appended here (FinishCallAudit).
    CallAudit* audit = CurrentCallAudit();
    if (audit != nullptr && audit->sink == nullptr) audit->sink = this;
  }
  bool conflicted = false;
  bool feed_conflict = false;
  return RunTransaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                        /*locks=*/"", fn, conflicted, feed_conflict);
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
          absl::StrCat("SELECT pg_advisory_xact_lock(",
                       MigrationLockKey(options_.schema), "); ",
                       options_.schema.empty()
                           ? ""
                           : absl::StrCat("CREATE SCHEMA IF NOT EXISTS ",
                                          QuotedSchema(options_.schema), "; "),
                       "CREATE TABLE IF NOT EXISTS schema_migrations ("
                       "version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ "
                       "NOT NULL DEFAULT now())")));
      // The audit log's tables, at every open, as SqliteDb's.
      if (migration == nullptr && audit_ != nullptr) {
        RETURN_IF_ERROR(CreateAuditLog(*conn));
      }
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

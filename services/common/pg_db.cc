#include "services/common/pg_db.h"

#include <libpq-fe.h>
#include <unistd.h>

#include <algorithm>
#include <random>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/audit_batcher.h"
#include "services/common/audit_chain.h"
#include "services/common/call_audit.h"
#include "services/common/macros.h"
#include "services/common/pg_connection.h"
#include "services/common/pg_listener.h"

namespace carebridge {

namespace {

// Serialises schema_migrations between processes ("carebri"), mixed with
// the schema's name so each schema migrates under a lock of its own.
constexpr int64_t kMigrationLockKey = 0x63617265627269;

int64_t MigrationLockKey(absl::string_view schema) {
  if (schema.empty()) return kMigrationLockKey;
  return static_cast<int64_t>(StableHash(schema) ^
                              static_cast<uint64_t>(kMigrationLockKey));
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
    std::string message = TrimmedPgMessage(error);
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
    : url_(std::move(url)),
      target_(std::move(target)),
      options_(options),
      origin_(absl::StrCat(absl::Hex(std::random_device{}(), absl::kZeroPad8),
                           absl::Hex(std::random_device{}(), absl::kZeroPad8),
                           "-", getpid())) {
  if (options_.audit_key != nullptr) {
    audit_ = std::make_unique<AuditChain>(options_.audit_key);
    audit_batcher_ = std::make_unique<AuditBatcher>(
        [this](std::vector<AuditRecord>& records) {
          return AppendAuditRecords(records);
        });
  }
}

PgDb::~PgDb() {
  {
    // No watcher is called once the listener stopped (the watches left
    // hold it).
    absl::MutexLock lock(&listener_mu_);
    if (listener_ != nullptr) listener_->Stop();
    listener_.reset();
  }
  // A caller still flushing queued audit records finishes first.
  audit_batcher_.reset();
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
    std::string message = TrimmedPgMessage(PQerrorMessage(conn));
    PQfinish(conn);
    return absl::UnavailableError(absl::StrCat(
        "cannot connect to PostgreSQL at ", target_, ": ", message));
  }
  // Notices (CREATE ... IF NOT EXISTS skipping) are not errors; drop them.
  PQsetNoticeProcessor(
      conn, +[](void*, const char*) {}, nullptr);
  auto connection =
      std::make_unique<PgConnection>(conn, target_, options_.schema, origin_);
  // The server, too, notices a client that vanished (a node lost power, a
  // partition) within about 30 s rather than the system's two hours: until
  // then it would keep that session's advisory locks (TryLock), so no other
  // replica could take over the roles they elect.
  RETURN_IF_ERROR(connection->Exec(
      "SET client_min_messages = warning; SET TIME ZONE 'UTC'; "
      "SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; "
      "SET tcp_keepalives_count = 3; SET tcp_user_timeout = 30000"));
  if (!options_.schema.empty()) {
    // Only the service's schema: its tables never fall through to another.
    RETURN_IF_ERROR(connection->Exec(
        absl::StrCat("SET search_path TO ", QuotedSchema(options_.schema))));
  }
  // Setting up is not a call's work (round_trips()).
  connection->TakeRoundTrips();
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
  round_trips_.fetch_add(conn->TakeRoundTrips(), std::memory_order_relaxed);
  absl::MutexLock lock(&pool_mu_);
  if (!usable) {
    conn.reset();
    --open_;
    return;
  }
  idle_.push_back(std::move(conn));
}

absl::StatusOr<std::unique_ptr<PgConnection>> PgDb::Begin(
    absl::string_view begin, bool writing) {
  // A connection the server closed while it was idle says so only now
  // (without a round trip); as nothing has run on it, another one takes
  // its place.
  for (int attempt = 0;; ++attempt) {
    ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, Acquire());
    if (!conn->LostWhileIdle() || attempt >= options_.max_connections) {
      conn->StartTransaction(writing);
      // Sent with the first statement (or not at all when there is none).
      conn->Defer(std::string(begin));
      return conn;
    }
    Release(std::move(conn));
  }
}

absl::Status PgDb::Read(absl::FunctionRef<absl::Status(Connection&)> fn) {
  if (audit_ != nullptr) {
    // A call that only reads has its record appended here (FinishCallAudit).
    CallAudit* audit = CurrentCallAudit();
    if (audit != nullptr && audit->sink == nullptr) audit->sink = this;
  }
  ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn,
                   Begin("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                         /*writing=*/false));
  absl::Status status = fn(*conn);
  // A BEGIN that failed is the call's failure, as when it went alone before
  // `fn` ran, whatever `fn` made of its statements failing with it.
  if (!conn->control_status().ok()) status = conn->control_status();
  if (status.ok()) status = conn->Commit();
  if (!status.ok() && !conn->lost()) conn->Rollback().IgnoreError();
  Release(std::move(conn));
  return status;
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
    if (!status.ok() && !conn->lost()) conn->Rollback().IgnoreError();
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

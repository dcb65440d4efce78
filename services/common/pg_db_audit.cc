// PgDb's audit log: the tables, appending records (at once or queued),
// listing a person's records and verifying the chain. The rest of PgDb
// (connections, transactions, migrations) is in pg_db.cc.

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/audit_batcher.h"
#include "services/common/audit_chain.h"
#include "services/common/macros.h"
#include "services/common/metrics.h"
#include "services/common/pg_db.h"

namespace carebridge {

namespace {

// kAuditLogSchemaSql for PostgreSQL: BIGINT and BYTEA, and the per-person
// index as an SQL index (person in byte order, "C", as on SQLite). Several
// replicas append to one chain, queued on audit_head's lock (PgDb's
// writes take it before anything else).
constexpr char kPgAuditLogSchemaSql[] = R"sql(
CREATE TABLE IF NOT EXISTS audit_log (
  seq BIGINT PRIMARY KEY,
  time_us BIGINT NOT NULL,
  actor TEXT NOT NULL,
  team TEXT NOT NULL,
  role TEXT NOT NULL,
  on_behalf_of TEXT NOT NULL,
  method TEXT NOT NULL,
  resource TEXT NOT NULL,
  person TEXT COLLATE "C" NOT NULL,
  sections TEXT NOT NULL,
  reason TEXT NOT NULL,
  outcome TEXT NOT NULL,
  prev BYTEA NOT NULL,
  hash BYTEA NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_by_person ON audit_log (person, seq);
CREATE TABLE IF NOT EXISTS audit_checkpoints (
  seq BIGINT PRIMARY KEY,
  time_us BIGINT NOT NULL,
  hash BYTEA NOT NULL,
  mac BYTEA NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq BIGINT NOT NULL,
  hash BYTEA NOT NULL,
  mac BYTEA NOT NULL
);
)sql";

}  // namespace

absl::Status PgDb::CreateAuditLog(Connection& conn) {
  return conn.Exec(kPgAuditLogSchemaSql);
}

absl::Status PgDb::NotAudited() const {
  return absl::FailedPreconditionError(absl::StrCat(
      "postgresql ", target_, options_.schema.empty() ? "" : " schema ",
      options_.schema, " keeps no audit log"));
}

absl::Status PgDb::AppendAuditRecords(const std::vector<AuditRecord>& records) {
  return WriteAudited(
      [&](Connection& conn) { return audit_->Append(conn, records).status(); },
      /*audit=*/nullptr, /*appends_audit=*/true);
}

absl::Status PgDb::AppendAudit(const std::vector<AuditRecord>& records) {
  if (audit_ == nullptr) return NotAudited();
  const absl::Time asked = absl::Now();
  absl::Status written = AppendAuditRecords(records);
  ObserveAuditAppendSince(metrics_, metrics_name_, asked, written);
  return written;
}

void PgDb::AppendAuditAsync(std::vector<AuditRecord> records,
                            absl::AnyInvocable<void(absl::Status)> done) {
  if (audit_batcher_ == nullptr) {
    std::move(done)(NotAudited());
    return;
  }
  audit_batcher_->Append(
      std::move(records),
      TimedAuditAppend(metrics_, metrics_name_, std::move(done)));
}

absl::StatusOr<std::vector<AuditRecord>> PgDb::ListAuditForPerson(
    absl::string_view person, int64_t before_seq, int limit) {
  if (audit_ == nullptr) return NotAudited();
  std::vector<AuditRecord> records;
  RETURN_IF_ERROR(Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(
        records, AuditChain::ListForPerson(conn, person, before_seq, limit));
    return absl::OkStatus();
  }));
  return records;
}

absl::StatusOr<AuditVerification> PgDb::VerifyAudit() {
  if (audit_ == nullptr) return NotAudited();
  AuditVerification result;
  RETURN_IF_ERROR(Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(result, audit_->Verify(conn));
    return absl::OkStatus();
  }));
  return result;
}

}  // namespace carebridge

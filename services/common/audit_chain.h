#ifndef CAREBRIDGE_SERVICES_COMMON_AUDIT_CHAIN_H_
#define CAREBRIDGE_SERVICES_COMMON_AUDIT_CHAIN_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "services/common/audit_record.h"
#include "services/common/hmac.h"
#include "services/common/sqlite_db.h"

namespace carebridge {

// A service's audit log in its database: the records, the checkpoints and
// the head. Idempotent (SqliteDb runs it at every open of an audited
// database, outside the store's migrations). It drops what earlier versions
// kept here: a SQL index on person (every commit of a record wrote a page of
// it at a random place) and then the per-person index, now in a file of its
// own (kAuditIndexSchemaSql).
inline constexpr char kAuditLogSchemaSql[] = R"sql(
CREATE TABLE IF NOT EXISTS audit_log (
  seq INTEGER PRIMARY KEY,
  time_us INTEGER NOT NULL,
  actor TEXT NOT NULL,
  team TEXT NOT NULL,
  role TEXT NOT NULL,
  on_behalf_of TEXT NOT NULL,
  method TEXT NOT NULL,
  resource TEXT NOT NULL,
  person TEXT NOT NULL,
  sections TEXT NOT NULL,
  reason TEXT NOT NULL,
  outcome TEXT NOT NULL,
  prev BLOB NOT NULL,
  hash BLOB NOT NULL
);
DROP INDEX IF EXISTS audit_by_person;
DROP TABLE IF EXISTS audit_persons;
DROP TABLE IF EXISTS audit_indexed;
CREATE TABLE IF NOT EXISTS audit_checkpoints (
  seq INTEGER PRIMARY KEY,
  time_us INTEGER NOT NULL,
  hash BLOB NOT NULL,
  mac BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq INTEGER NOT NULL,
  hash BLOB NOT NULL,
  mac BLOB NOT NULL
);
)sql";

// The log's per-person index (`audit_persons`), written behind the log up
// to `audit_indexed`. SqliteDb keeps it in a file of its own beside the
// database (SqliteDb::AuditIndexPath), written on a connection of its own,
// so writing it never holds the database's writer; the log's readers
// attach it. It can be rebuilt from the log at any time.
inline constexpr char kAuditIndexSchemaSql[] = R"sql(
CREATE TABLE IF NOT EXISTS audit_persons (
  person TEXT NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (person, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit_indexed (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq INTEGER NOT NULL
);
)sql";

// An append-only log of AuditRecords in a service's own database,
// hash-chained: each record's hash is an HMAC-SHA256, under a key kept
// outside the database, over the previous record's hash and the record's
// own fields. Editing, deleting, inserting or reordering records, or
// cutting the log short, breaks the chain or disagrees with the keyed head
// and checkpoints; without the key nobody can write a chain that verifies.
// This class is thread-safe; Append runs inside the caller's write
// transaction (SqliteDb serialises writers; PgDb's writers hold
// audit_head's lock).
class AuditChain {
 public:
  static constexpr int kMaxProblems = 20;

  // A checkpoint (seq, hash, keyed) every `checkpoint_every` records. The
  // key outlives this.
  explicit AuditChain(const HmacSha256* key, int checkpoint_every = 1000);

  // Appends `record` (its seq is the next) in `conn`'s open transaction:
  // it commits or rolls back with what it describes. Returns the seq.
  // DATA_LOSS (errors::AuditLogAltered; the transaction must roll back)
  // when the log already holds a record or checkpoint numbered past its
  // head: only a change made outside carebridge leaves one, and no retry
  // gets past it.
  absl::StatusOr<int64_t> Append(Connection& conn,
                                 const AuditRecord& record) const;
  // Appends `records` in order (one head update); returns the last seq.
  // Reads the head, writes the records, then the head; on PostgreSQL, when
  // the head is still what this chain last wrote (no other replica
  // appended since), the first record and the head go in one statement
  // that checks it, and nothing is read.
  absl::StatusOr<int64_t> Append(Connection& conn,
                                 absl::Span<const AuditRecord> records) const;
  // The records about `person` (`persons/{id}`) in `conn`'s log, newest
  // first, with seq below `before_seq` (from the newest when 0), at most
  // `limit`: the records not yet indexed (IndexPersons), then the
  // per-person index. `conn` sees the log and the index (one file, or the
  // index attached); the index is read first, so in a read transaction it
  // is never newer than the log.
  static absl::StatusOr<std::vector<AuditRecord>> ListForPerson(
      Connection& conn, absl::string_view person, int64_t before_seq,
      int limit);
  // Lists up to `limit` records after the per-person index's end under
  // their persons, in `conn`'s open write transaction; how many it indexed
  // (0: the index is complete). The index is written behind the log, in
  // batches, so an audited call's own commit writes only at the log's end.
  // `conn` may have the index as its own file and the log attached.
  static absl::StatusOr<int> IndexPersons(Connection& conn, int limit);
  // Walks the whole log in `conn` (a read transaction), recomputing every
  // hash, and checks the head, the checkpoints and that the per-person
  // index lists each record up to its end under its person and nothing
  // else (so nobody can hide an access from "who accessed" by editing it).
  // Memory stays constant.
  absl::StatusOr<AuditVerification> Verify(Connection& conn) const;

 private:
  // The chain's end: the last record's seq and hash.
  struct Head {
    int64_t seq = 0;
    std::string hash;
  };
  // The head this chain's last append wrote (committed or not).
  std::optional<Head> LastAppended() const ABSL_LOCKS_EXCLUDED(last_mu_);
  // Appends `records` (not empty) after `after`. With `head_known` the head
  // is moved only if it is still `after` (PostgreSQL: in the statement
  // that inserts the first record), false when it is not (nothing
  // written, and `current` set to the head as it is, unless the log is
  // empty); else the head is written after the records.
  absl::StatusOr<bool> AppendAfter(Connection& conn,
                                   absl::Span<const AuditRecord> records,
                                   const Head& after, bool head_known,
                                   std::optional<Head>* current) const
      ABSL_LOCKS_EXCLUDED(last_mu_);
  std::string RecordHash(const std::string& prev,
                         const AuditRecord& record) const;
  std::string HeadMac(int64_t seq, const std::string& hash) const;
  std::string CheckpointMac(int64_t seq, int64_t time_us,
                            const std::string& hash) const;

  const HmacSha256* const key_;
  const int checkpoint_every_;
  mutable absl::Mutex last_mu_;
  mutable std::optional<Head> last_appended_ ABSL_GUARDED_BY(last_mu_);
};

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_AUDIT_CHAIN_H_

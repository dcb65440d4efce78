#ifndef CAREBRIDGE_SERVICES_HANDOVER_SQLITE_HANDOVER_STORE_H_
#define CAREBRIDGE_SERVICES_HANDOVER_SQLITE_HANDOVER_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/database.h"
#include "services/common/database_opener.h"
#include "services/common/sqlite_event_log.h"
#include "services/handover/handover_store.h"

namespace carebridge::handover {

// HandoverStore on a Database, either engine (the name predates
// PostgreSQL): each handover is a serialized proto (BLOB, BYTEA) beside the
// columns listings filter and sort by, and the outbox table of the
// `handover` feed in the same database. An OK write is durable, with its
// event. This class is thread-safe.
class SqliteHandoverStore : public HandoverStore {
 public:
  // The schema steps on each engine, oldest first.
  static const std::vector<Migration>& Migrations();
  static const std::vector<Migration>& PostgresqlMigrations();

  // Opens (creating and migrating if needed) the database at `location`.
  // `audit_key`: the audit log's key (DatabaseOptions::audit_key).
  static absl::StatusOr<std::unique_ptr<SqliteHandoverStore>> Open(
      const DatabaseLocation& location, const HmacSha256* audit_key = nullptr);
  // The same for the SQLite file at `path`.
  static absl::StatusOr<std::unique_ptr<SqliteHandoverStore>> Open(
      const std::string& path, const HmacSha256* audit_key = nullptr);

  absl::StatusOr<StoredHandover> Create(
      const v1::Handover& handover, const HandoverRequestKey& key,
      const events::v1::Event& event) override;
  absl::StatusOr<std::optional<StoredHandover>> FindByRequestId(
      absl::string_view sending_team, absl::string_view request_id) override;
  absl::StatusOr<StoredHandover> Get(absl::string_view name) override;
  absl::StatusOr<int64_t> Update(const v1::Handover& handover,
                                 int64_t expected_version,
                                 const events::v1::Event& event) override;
  absl::StatusOr<HandoverPage> List(const HandoverQuery& query) override;
  absl::StatusOr<std::vector<StoredHandover>> ListUnescalatedOverdue(
      absl::Time now, int limit) override;
  absl::StatusOr<std::optional<StoredHandover>> LatestAcceptedTransferFrom(
      absl::string_view person, absl::string_view sending_team) override;
  EventLog* event_log() override { return event_log_.get(); }
  Database* db() { return db_.get(); }

 private:
  explicit SqliteHandoverStore(std::unique_ptr<Database> db);

  std::unique_ptr<Database> db_;
  std::unique_ptr<SqliteEventLog> event_log_;
};

}  // namespace carebridge::handover

#endif  // CAREBRIDGE_SERVICES_HANDOVER_SQLITE_HANDOVER_STORE_H_

#ifndef CAREBRIDGE_SERVICES_HANDOVER_SQLITE_HANDOVER_STORE_H_
#define CAREBRIDGE_SERVICES_HANDOVER_SQLITE_HANDOVER_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "services/common/sqlite_db.h"
#include "services/common/sqlite_event_log.h"
#include "services/handover/handover_store.h"

namespace carebridge::handover {

// HandoverStore on an SQLite file: each handover is a serialized proto BLOB
// beside the columns listings filter and sort by, and the outbox table of
// the `handover` feed in the same file. Writes go through SqliteDb's group
// commit, so an OK return is on disk (with its event). This class is
// thread-safe.
class SqliteHandoverStore : public HandoverStore {
 public:
  // Opens (creating and migrating if needed) the database at `path`.
  // `audit_key`: the audit log's key (SqliteDb::Options::audit_key).
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
  SqliteDb* db() { return db_.get(); }

 private:
  explicit SqliteHandoverStore(std::unique_ptr<SqliteDb> db);

  std::unique_ptr<SqliteDb> db_;
  std::unique_ptr<SqliteEventLog> event_log_;
};

}  // namespace carebridge::handover

#endif  // CAREBRIDGE_SERVICES_HANDOVER_SQLITE_HANDOVER_STORE_H_

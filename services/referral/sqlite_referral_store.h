#ifndef CAREBRIDGE_SERVICES_REFERRAL_SQLITE_REFERRAL_STORE_H_
#define CAREBRIDGE_SERVICES_REFERRAL_SQLITE_REFERRAL_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "services/common/database.h"
#include "services/common/database_opener.h"
#include "services/common/sqlite_event_log.h"
#include "services/referral/referral_store.h"

namespace carebridge::referral {

// ReferralStore on a Database of either engine (the name is older than
// PostgreSQL support): an SQLite file, or schema `referral` of a
// PostgreSQL database shared with other replicas. Each referral is a
// serialized proto (BLOB/BYTEA) beside the columns listings filter and sort
// by, and the outbox (feed `referral`) in the same database and
// transactions. An OK write is durable, event included. This class is
// thread-safe.
class SqliteReferralStore : public ReferralStore {
 public:
  // Opens (creating and migrating if needed) the database at `location`.
  // `audit_key`: the audit log's key (DatabaseOptions::audit_key).
  static absl::StatusOr<std::unique_ptr<SqliteReferralStore>> Open(
      const DatabaseLocation& location, const HmacSha256* audit_key = nullptr);
  // The SQLite file at `path`.
  static absl::StatusOr<std::unique_ptr<SqliteReferralStore>> Open(
      const std::string& path, const HmacSha256* audit_key = nullptr);

  absl::StatusOr<StoredReferral> Create(
      const v1::Referral& referral, absl::string_view request_id,
      const events::v1::Event& event) override;
  absl::StatusOr<std::optional<StoredReferral>> FindByRequestId(
      absl::string_view sending_team, absl::string_view request_id) override;
  absl::StatusOr<StoredReferral> Get(absl::string_view name) override;
  absl::StatusOr<int64_t> Update(const v1::Referral& referral,
                                 int64_t expected_version,
                                 const events::v1::Event& event) override;
  absl::StatusOr<std::pair<StoredReferral, StoredReferral>> Redirect(
      const v1::Referral& redirected, int64_t expected_version,
      const events::v1::Event& redirected_event, const v1::Referral& created,
      const events::v1::Event& created_event) override;
  absl::StatusOr<ReferralPage> List(const ReferralQuery& query) override;
  absl::StatusOr<std::vector<StoredReferral>> ListUnescalatedOverdue(
      absl::Time now, int limit) override;
  EventLog* event_log() override { return &event_log_; }
  Database* db() { return db_.get(); }

 private:
  explicit SqliteReferralStore(std::unique_ptr<Database> db)
      : db_(std::move(db)), event_log_("referral", db_.get()) {}

  std::unique_ptr<Database> db_;
  SqliteEventLog event_log_;
};

}  // namespace carebridge::referral

#endif  // CAREBRIDGE_SERVICES_REFERRAL_SQLITE_REFERRAL_STORE_H_

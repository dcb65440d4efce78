#ifndef CAREBRIDGE_SERVICES_CAREPLAN_SQLITE_CAREPLAN_STORE_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_SQLITE_CAREPLAN_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "carebridge/events/v1/events.pb.h"
#include "services/careplan/careplan_store.h"
#include "services/common/consumer_ledger.h"
#include "services/common/database.h"
#include "services/common/database_opener.h"
#include "services/common/event_log.h"
#include "services/common/sqlite_event_log.h"

namespace carebridge::careplan {

// CarePlanStore on a Database, an SQLite file or a PostgreSQL schema (the
// name is historical): each version is a serialized proto BLOB (BYTEA)
// keyed by (person_id, version), so the current plan is one index seek.
// Request keys sit in their own table, written in the same transaction as
// the version they made. An OK write is durable (SqliteDb's group commit,
// PostgreSQL's commit); two writers of the same version, in one process or
// in replicas sharing a PostgreSQL database, have exactly one winner (the
// other ABORTED). Append refuses a plan whose care team breaks the lead
// invariant (INTERNAL), so no stored version ever does. A PlanRequestKey
// with an empty request_id records nothing. The outbox (the `careplan` feed,
// event_log()) and the consumer cursors live in the same database, so a
// version, its event and the cursor of the event that made it commit
// together. This class is thread-safe.
class SqliteCarePlanStore : public CarePlanStore {
 public:
  // Opens (creating and migrating if needed) the database at `location`
  // (CarePlanMigrations()). `audit_key`: the audit log's key
  // (DatabaseOptions::audit_key).
  static absl::StatusOr<std::unique_ptr<SqliteCarePlanStore>> Open(
      const DatabaseLocation& location, const HmacSha256* audit_key = nullptr);
  // The same for the SQLite file at `path`.
  static absl::StatusOr<std::unique_ptr<SqliteCarePlanStore>> Open(
      const std::string& path, const HmacSha256* audit_key = nullptr);

  absl::StatusOr<v1::CarePlan> GetCurrent(absl::string_view person_id) override;
  absl::Status Append(absl::string_view person_id, const v1::CarePlan& plan,
                      const PlanRequestKey* request) override;
  absl::Status AppendApplied(absl::string_view person_id,
                             const v1::CarePlan& plan,
                             const FeedPosition& applied) override;
  absl::Status RecordApplied(const FeedPosition& applied) override;
  absl::StatusOr<bool> IsPending(const FeedPosition& position) override;
  absl::StatusOr<int64_t> AppliedThrough(absl::string_view feed) override;
  absl::StatusOr<std::optional<PlanRequestRecord>> FindRequest(
      absl::string_view person_id, absl::string_view team,
      absl::string_view request_id) override;
  absl::StatusOr<v1::CarePlan> GetVersion(absl::string_view person_id,
                                          int64_t version) override;
  absl::StatusOr<std::vector<v1::CarePlan>> ListVersions(
      absl::string_view person_id, int64_t before_version, int limit) override;

  // The database (its audit log receives the records of calls this store
  // serves, also from a cache in front of it).
  Database* db() { return db_.get(); }
  // The `careplan` feed: the events appended with the versions.
  EventLog* event_log() { return &event_log_; }
  // The consumers' ledger (cursors, epochs, parked events) in this
  // database.
  ConsumerLedger* consumer_ledger() { return &ledger_; }

 private:
  explicit SqliteCarePlanStore(std::unique_ptr<Database> db)
      : db_(std::move(db)),
        event_log_("careplan", db_.get()),
        ledger_(db_.get()) {}

  // Append and AppendApplied: checks, then the write, then wakes the feed.
  absl::Status AppendVersion(absl::string_view person_id,
                             const v1::CarePlan& plan,
                             const PlanRequestKey* request,
                             const FeedPosition* applied);

  // The whole of an append inside a write transaction already open on
  // `conn`: the applied check, the compare-and-swap on `version`, the
  // request key, the version row (`body`, the serialized plan), its `event`
  // in the outbox and the cursor moved to `applied`. A failure rolls all of
  // it back.
  static absl::Status AppendInTransaction(
      Connection& conn, absl::string_view person_id, int64_t version,
      absl::string_view body, const PlanRequestKey* request,
      const events::v1::Event& event, const FeedPosition* applied);

  std::unique_ptr<Database> db_;
  SqliteEventLog event_log_;
  SqliteConsumerLedger ledger_;
};

}  // namespace carebridge::careplan

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_SQLITE_CAREPLAN_STORE_H_

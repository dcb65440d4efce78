#ifndef CAREBRIDGE_SERVICES_CAREPLAN_SQLITE_SHARING_STORE_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_SQLITE_SHARING_STORE_H_

#include "services/careplan/sharing_store.h"
#include "services/common/database.h"
#include "services/common/event_log.h"

namespace carebridge::careplan {

// The table SqliteSharingStore keeps, a migration of the care plan
// database: one row per version, never updated or deleted.
inline constexpr char kSharingSchemaSql[] = R"sql(
CREATE TABLE sharing_choice_versions (
  person_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  body BLOB NOT NULL,
  PRIMARY KEY (person_id, version)
) WITHOUT ROWID;
)sql";
// kSharingSchemaSql for PostgreSQL.
inline constexpr char kPgSharingSchemaSql[] = R"sql(
CREATE TABLE sharing_choice_versions (
  person_id TEXT COLLATE "C" NOT NULL,
  version BIGINT NOT NULL,
  body BYTEA NOT NULL,
  PRIMARY KEY (person_id, version)
);
)sql";

// SharingStore in the care plan service's database, SQLite or PostgreSQL
// (the Database of SqliteCarePlanStore; the name is historical), so a change
// commits with its audit record and is read on every read of the plan by a team
// that is not its lead (one index seek; nothing cached, so a withdrawn choice
// holds from its commit). This class is thread-safe.
class SqliteSharingStore : public SharingStore {
 public:
  // `db` outlives this and has run kSharingSchemaSql (kPgSharingSchemaSql).
  // With `events` (the careplan feed in the same database, which outlives
  // this) each version
  // commits with its careplan.sharing_changed event.
  explicit SqliteSharingStore(Database* db, EventLog* events = nullptr)
      : db_(db), events_(events) {}

  absl::StatusOr<std::optional<v1::SharingChoices>> GetCurrent(
      absl::string_view person_id) override;
  absl::Status Append(absl::string_view person_id,
                      const v1::SharingChoices& choices,
                      const std::vector<std::string>& teams) override;
  absl::StatusOr<std::vector<v1::SharingChoices>> ListVersions(
      absl::string_view person_id, int64_t before_version, int limit) override;

 private:
  Database* const db_;
  EventLog* const events_;
};

}  // namespace carebridge::careplan

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_SQLITE_SHARING_STORE_H_

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
#include "services/careplan/careplan_store.h"
#include "services/common/sqlite_db.h"

namespace carebridge::careplan {

// CarePlanStore on an SQLite file: each version is a serialized proto BLOB
// keyed by (person_id, version), so the current plan is one index seek.
// Request keys sit in their own table, written in the same transaction as
// the version they made. Writes go through SqliteDb's group commit, so an OK
// return is on disk. Append refuses a plan whose care team breaks the lead
// invariant (INTERNAL), so no stored version ever does. A PlanRequestKey
// with an empty request_id records nothing. This class is thread-safe.
class SqliteCarePlanStore : public CarePlanStore {
 public:
  // Opens (creating and migrating if needed) the database at `path`.
  static absl::StatusOr<std::unique_ptr<SqliteCarePlanStore>> Open(
      const std::string& path);

  absl::StatusOr<v1::CarePlan> GetCurrent(absl::string_view person_id) override;
  absl::Status Append(absl::string_view person_id, const v1::CarePlan& plan,
                      const PlanRequestKey* request) override;
  absl::StatusOr<std::optional<PlanRequestRecord>> FindRequest(
      absl::string_view person_id, absl::string_view team,
      absl::string_view request_id) override;
  absl::StatusOr<v1::CarePlan> GetVersion(absl::string_view person_id,
                                          int64_t version) override;
  absl::StatusOr<std::vector<v1::CarePlan>> ListVersions(
      absl::string_view person_id, int64_t before_version, int limit) override;

 private:
  explicit SqliteCarePlanStore(std::unique_ptr<SqliteDb> db)
      : db_(std::move(db)) {}

  // The whole of Append inside a write transaction already open on `conn`:
  // the compare-and-swap on `version`, the version row (`body`, the
  // serialized plan) and the request key. Whatever else must commit with a
  // version (an outbox event) is written beside it in the same
  // SqliteDb::Write.
  static absl::Status AppendInTransaction(Connection& conn,
                                          absl::string_view person_id,
                                          int64_t version,
                                          absl::string_view body,
                                          const PlanRequestKey* request);

  std::unique_ptr<SqliteDb> db_;
};

}  // namespace carebridge::careplan

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_SQLITE_CAREPLAN_STORE_H_

#ifndef CAREBRIDGE_SERVICES_CAREPLAN_SQLITE_BREAK_GLASS_STORE_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_SQLITE_BREAK_GLASS_STORE_H_

#include <utility>
#include <vector>

#include "services/careplan/break_glass_store.h"
#include "services/common/event_log.h"
#include "services/common/sqlite_db.h"

namespace carebridge::careplan {

// The table SqliteBreakGlassStore keeps, a migration of careplan.db.
inline constexpr char kBreakGlassSchemaSql[] = R"sql(
CREATE TABLE break_glass_accesses (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  person_id TEXT NOT NULL,
  member TEXT NOT NULL,
  body BLOB NOT NULL
);
CREATE INDEX break_glass_by_person ON break_glass_accesses (person_id, seq);
CREATE INDEX break_glass_by_member
  ON break_glass_accesses (person_id, member, seq);
)sql";

// BreakGlassStore in the care plan service's SQLite file, so an access
// commits with its audit record (reason included). This class is
// thread-safe.
class SqliteBreakGlassStore : public BreakGlassStore {
 public:
  // `db` outlives this and has run kBreakGlassSchemaSql. With `events`
  // (the careplan feed in the same file, which outlives this) each access
  // commits with its careplan.break_glass event.
  explicit SqliteBreakGlassStore(SqliteDb* db, EventLog* events = nullptr)
      : db_(db), events_(events) {}

  absl::StatusOr<int64_t> Insert(absl::string_view person_id,
                                 const v1::BreakGlassAccess& access) override;
  absl::StatusOr<std::optional<v1::BreakGlassAccess>> Latest(
      absl::string_view person_id, absl::string_view member) override;
  absl::StatusOr<std::vector<std::pair<int64_t, v1::BreakGlassAccess>>> List(
      absl::string_view person_id, int64_t before, int limit) override;

 private:
  SqliteDb* const db_;
  EventLog* const events_;
};

}  // namespace carebridge::careplan

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_SQLITE_BREAK_GLASS_STORE_H_

#ifndef CAREBRIDGE_SERVICES_CAREPLAN_SQLITE_BREAK_GLASS_STORE_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_SQLITE_BREAK_GLASS_STORE_H_

#include <string>
#include <utility>
#include <vector>

#include "services/careplan/break_glass_store.h"
#include "services/common/database.h"
#include "services/common/event_log.h"

namespace carebridge::careplan {

// The table SqliteBreakGlassStore keeps, a migration of the care plan
// database.
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
// kBreakGlassSchemaSql for PostgreSQL. Its identity numbers could skip (a
// write run again after a conflict) and, between concurrent inserts, need
// not follow commit order; kPgBreakGlassHeadSchemaSql replaces them.
inline constexpr char kPgBreakGlassSchemaSql[] = R"sql(
CREATE TABLE break_glass_accesses (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  person_id TEXT COLLATE "C" NOT NULL,
  member TEXT COLLATE "C" NOT NULL,
  body BYTEA NOT NULL
);
CREATE INDEX break_glass_by_person ON break_glass_accesses (person_id, seq);
CREATE INDEX break_glass_by_member
  ON break_glass_accesses (person_id, member, seq);
)sql";

// break_glass_head's one row holds the last number handed out: each access
// takes the next in its own transaction (Insert), so numbers run 1, 2, 3...
// without a gap and in commit order on both engines, as referral_head does
// for referrals. Existing accesses keep their numbers; the next follows the
// largest.
inline constexpr char kBreakGlassHeadSchemaSql[] = R"sql(
CREATE TABLE break_glass_head (
  only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
  seq INTEGER NOT NULL
);
INSERT INTO break_glass_head (only_row, seq)
  SELECT 1, COALESCE(MAX(seq), 0) FROM break_glass_accesses;
)sql";
// kBreakGlassHeadSchemaSql for PostgreSQL; `seq` loses its identity, so
// nothing but break_glass_head numbers an access.
inline constexpr char kPgBreakGlassHeadSchemaSql[] = R"sql(
ALTER TABLE break_glass_accesses ALTER COLUMN seq DROP IDENTITY;
CREATE TABLE break_glass_head (
  only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
  seq BIGINT NOT NULL
);
INSERT INTO break_glass_head (seq)
  SELECT COALESCE(MAX(seq), 0) FROM break_glass_accesses;
)sql";

// Each access's review, at most one (its primary key), beside the access,
// which stays as it was made.
inline constexpr char kBreakGlassReviewSchemaSql[] = R"sql(
CREATE TABLE break_glass_reviews (
  seq INTEGER PRIMARY KEY REFERENCES break_glass_accesses (seq),
  body BLOB NOT NULL
);
)sql";
inline constexpr char kPgBreakGlassReviewSchemaSql[] = R"sql(
CREATE TABLE break_glass_reviews (
  seq BIGINT PRIMARY KEY REFERENCES break_glass_accesses (seq),
  body BYTEA NOT NULL
);
)sql";

// The accesses awaiting review, each by its number and person, from its
// Insert until its Review deletes it, in the same transactions: the review
// queue (List's unreviewed_only) walks these alone, not every access with
// the reviewed ones skipped (which read every reviewed access newer than
// the oldest unreviewed, and all of them to end the queue). The accesses
// themselves stay as they were made. Those of an older database are the
// accesses it holds with no review.
inline constexpr char kBreakGlassUnreviewedSchemaSql[] = R"sql(
CREATE TABLE break_glass_unreviewed (
  seq INTEGER PRIMARY KEY REFERENCES break_glass_accesses (seq),
  person_id TEXT NOT NULL
);
CREATE INDEX break_glass_unreviewed_by_person
  ON break_glass_unreviewed (person_id, seq);
INSERT INTO break_glass_unreviewed (seq, person_id)
  SELECT a.seq, a.person_id FROM break_glass_accesses a
  WHERE NOT EXISTS (SELECT 1 FROM break_glass_reviews r WHERE r.seq = a.seq);
)sql";
inline constexpr char kPgBreakGlassUnreviewedSchemaSql[] = R"sql(
CREATE TABLE break_glass_unreviewed (
  seq BIGINT PRIMARY KEY REFERENCES break_glass_accesses (seq),
  person_id TEXT COLLATE "C" NOT NULL
);
CREATE INDEX break_glass_unreviewed_by_person
  ON break_glass_unreviewed (person_id, seq);
INSERT INTO break_glass_unreviewed (seq, person_id)
  SELECT a.seq, a.person_id FROM break_glass_accesses a
  WHERE NOT EXISTS (SELECT 1 FROM break_glass_reviews r WHERE r.seq = a.seq);
)sql";

// The statement SqliteBreakGlassStore::List runs (binds: ?1 the number
// listed below, ?2 the limit, ?3 the person's id unless `every_person`),
// for tests to see how the engine plans it.
std::string BreakGlassListSql(bool every_person, bool unreviewed_only);

// BreakGlassStore in the care plan service's database, SQLite or
// PostgreSQL (the name is historical), so an access
// commits with its audit record (reason included). This class is
// thread-safe.
class SqliteBreakGlassStore : public BreakGlassStore {
 public:
  // `db` outlives this and has run kBreakGlassSchemaSql,
  // kBreakGlassHeadSchemaSql, kBreakGlassReviewSchemaSql and
  // kBreakGlassUnreviewedSchemaSql (their kPg... forms on PostgreSQL). With
  // `events` (the careplan feed in the same database, which outlives this) each
  // access commits with its careplan.break_glass event, each review with its
  // careplan.break_glass_reviewed for the lead team at the review, read from
  // the care plan's versions (care_plan_versions, CarePlanMigrations) in the
  // review's transaction.
  explicit SqliteBreakGlassStore(Database* db, EventLog* events = nullptr)
      : db_(db), events_(events) {}

  absl::StatusOr<int64_t> Insert(absl::string_view person_id,
                                 const v1::BreakGlassAccess& access) override;
  absl::StatusOr<std::optional<v1::BreakGlassAccess>> Latest(
      absl::string_view person_id, absl::string_view member) override;
  absl::StatusOr<v1::BreakGlassAccess> Get(absl::string_view person_id,
                                           int64_t seq) override;
  absl::StatusOr<v1::BreakGlassAccess> Review(
      absl::string_view person_id, int64_t seq,
      const v1::BreakGlassReview& review) override;
  absl::StatusOr<std::vector<std::pair<int64_t, v1::BreakGlassAccess>>> List(
      absl::string_view person_id, int64_t before, int limit,
      bool unreviewed_only) override;

 private:
  Database* const db_;
  EventLog* const events_;
};

}  // namespace carebridge::careplan

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_SQLITE_BREAK_GLASS_STORE_H_

#include "services/record/sqlite_record_schema.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/consumer_ledger.h"
#include "services/common/sqlite_event_log.h"
#include "services/record/record_store.h"

namespace carebridge::record {
namespace {

// The answers to referrals (acceptances, declines, redirects) of a person,
// which BOUNCED and ONWARD_ROUTE_NOT_TAKEN are judged on: found without
// walking the person's every step. The kind is REFERRAL (1) as a literal,
// so that a query naming it can use the index on either engine.
constexpr char kAnswersIndexSql[] = R"sql(
CREATE INDEX timeline_referral_answers
  ON timeline (person_id, time_us, feed_rank, sequence)
  WHERE kind = 1 AND type IN ('referral.accepted', 'referral.declined',
                              'referral.redirected');
)sql";

// A person's break-glass steps (accesses opened and reviewed), which
// BREAK_GLASS_NOT_REVIEWED is judged on: found without walking the
// person's every step (a person with years of history and an access nobody
// reviewed was walked at each plan change). The kind is BREAK_GLASS (7) as
// a literal, as above.
constexpr char kBreakGlassIndexSql[] = R"sql(
CREATE INDEX timeline_break_glass
  ON timeline (person_id, time_us, feed_rank, sequence) WHERE kind = 7;
)sql";

// A person's gaps not yet announced, by open time: judging a change
// announces those whose threshold passed without walking the person's
// other gaps (each open referral has one, not open before its deadline).
constexpr char kDueGapsIndexSql[] = R"sql(
CREATE INDEX gaps_due_by_person ON gaps (person_id, open_us)
  WHERE announced = 0 AND close_us IS NULL;
)sql";

// The team that led until nobody did (plans.no_lead_since_us), on whose
// list the NO_LEAD gap is: the lead's involvement ends last, so without it
// the gap was on no team's list.
constexpr char kFormerLeadSql[] =
    "ALTER TABLE plans ADD COLUMN former_lead TEXT";

// Timeline entries get positions (AppliedRow::position), each feed's
// counted in timeline_positions. The entries there already are numbered in
// each feed's (sequence, time, person) order, so a stream cursor of source
// sequences issued before resumes among them without a gap
// (RecordStore::PositionsOfSequences: up to numbered_at_upgrade); each
// feed's count goes on from there.
std::string TimelinePositionsSql(bool postgresql) {
  std::string sql = absl::StrCat(
      "ALTER TABLE timeline ADD COLUMN applied BIGINT NOT NULL DEFAULT 0;\n"
      "UPDATE timeline SET applied = numbered.position FROM (SELECT "
      "person_id, time_us, feed_rank, sequence, ROW_NUMBER() OVER (PARTITION "
      "BY feed_rank ORDER BY sequence, time_us, person_id) AS position FROM "
      "timeline) AS numbered WHERE timeline.person_id = numbered.person_id "
      "AND timeline.time_us = numbered.time_us AND timeline.feed_rank = "
      "numbered.feed_rank AND timeline.sequence = numbered.sequence;\n"
      "CREATE TABLE timeline_positions (\n"
      "  feed_rank INTEGER PRIMARY KEY,\n"
      "  last_applied BIGINT NOT NULL,\n"
      "  numbered_at_upgrade BIGINT NOT NULL\n"
      ")",
      postgresql ? "" : " WITHOUT ROWID", ";\n");
  for (int rank = 0; rank < kTimelineFeeds; ++rank) {
    absl::StrAppend(&sql,
                    "INSERT INTO timeline_positions (feed_rank, last_applied, "
                    "numbered_at_upgrade) SELECT ",
                    rank,
                    ", COALESCE(MAX(applied), 0), COALESCE(MAX(applied), "
                    "0) FROM timeline WHERE feed_rank = ",
                    rank, ";\n");
  }
  absl::StrAppend(&sql,
                  "CREATE INDEX timeline_by_position ON timeline (person_id, "
                  "feed_rank, applied);\n");
  return sql;
}

const std::vector<Migration>& SqliteMigrations() {
  static const auto* const migrations = new std::vector<Migration>{
      {1, kConsumerCursorSchemaSql},
      {2, kConsumerLedgerSchemaSql},
      {3, kParkedEventIdSchemaSql},
      {4, R"sql(
CREATE TABLE persons (person_id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE timeline (
  person_id TEXT NOT NULL,
  time_us INTEGER NOT NULL,
  feed_rank INTEGER NOT NULL,
  feed TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  type TEXT NOT NULL,
  resource TEXT NOT NULL,
  actor TEXT NOT NULL,
  actor_team TEXT NOT NULL,
  summary TEXT NOT NULL,
  reason TEXT NOT NULL,
  teams TEXT NOT NULL,
  ended_teams TEXT NOT NULL,
  PRIMARY KEY (person_id, time_us, feed_rank, sequence)
) WITHOUT ROWID;
CREATE TABLE plans (
  person_id TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  summary BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE open_loops (
  resource TEXT PRIMARY KEY,
  person_id TEXT NOT NULL,
  since_us INTEGER NOT NULL,
  loop BLOB NOT NULL
) WITHOUT ROWID;
CREATE INDEX open_loops_by_person ON open_loops (person_id, since_us, resource);
)sql"},
      // Care gaps, and what they are judged on beyond the timeline.
      {5, R"sql(
ALTER TABLE plans ADD COLUMN unagreed_since_us INTEGER;
ALTER TABLE plans ADD COLUMN no_lead_since_us INTEGER;
CREATE TABLE teams (team TEXT PRIMARY KEY, sector INTEGER NOT NULL)
  WITHOUT ROWID;
CREATE TABLE gaps (
  person_id TEXT NOT NULL,
  key TEXT NOT NULL,
  kind INTEGER NOT NULL,
  subject TEXT NOT NULL,
  detail TEXT NOT NULL,
  open_us INTEGER NOT NULL,
  close_us INTEGER,
  close_reason TEXT NOT NULL DEFAULT '',
  teams TEXT NOT NULL,
  PRIMARY KEY (person_id, key)
) WITHOUT ROWID;
CREATE INDEX gaps_current ON gaps (person_id, kind, subject)
  WHERE close_us IS NULL;
CREATE INDEX gaps_by_open ON gaps (open_us, person_id, key);
CREATE TABLE gap_teams (
  team TEXT NOT NULL,
  open_us INTEGER NOT NULL,
  person_id TEXT NOT NULL,
  key TEXT NOT NULL,
  PRIMARY KEY (team, open_us, person_id, key)
) WITHOUT ROWID;
)sql"},
      // The record's own feed (team inbox items), and whether a gap's
      // opening has been put in the inboxes.
      {6, kOutboxSchemaSql},
      {7, kOutboxEpochSchemaSql},
      {8, "ALTER TABLE gaps ADD COLUMN announced INTEGER NOT NULL DEFAULT 0"},
      // What team reports count: each referral and handover, as it stands.
      {9, R"sql(
CREATE TABLE handoffs (
  resource TEXT PRIMARY KEY,
  handover INTEGER NOT NULL,
  person_id TEXT NOT NULL,
  sending_team TEXT NOT NULL,
  receiving_team TEXT NOT NULL,
  urgency INTEGER NOT NULL,
  create_us INTEGER NOT NULL,
  due_us INTEGER,
  answer_us INTEGER,
  outcome TEXT NOT NULL,
  reason TEXT NOT NULL,
  onward TEXT NOT NULL,
  escalated INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX handoffs_received ON handoffs (receiving_team, create_us);
)sql"},
      // Dropping or re-keeping a gap finds its team links by gap, not by a
      // scan of every link (the scale benchmark found the scan).
      {10, "CREATE INDEX gap_teams_by_gap ON gap_teams (person_id, key)"},
      // The gap sweep's work: open gaps not yet announced, by open time.
      {11,
       "CREATE INDEX gaps_to_announce ON gaps (open_us) WHERE announced = 0 "
       "AND close_us IS NULL"},
      // The sections each care plan step touched (NULL: not known), so a
      // team the choices show part of the plan reads why it changed when
      // the change touched nothing withheld from it.
      {12, "ALTER TABLE timeline ADD COLUMN sections TEXT"},
      // Persons registered twice (person.merged): where each duplicate's
      // history went, so events about it that come later follow it.
      {13, R"sql(
CREATE TABLE merged_persons (
  person_id TEXT PRIMARY KEY,
  into_id TEXT NOT NULL,
  merge_us INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX merged_persons_into ON merged_persons (into_id);
)sql"},
      {14, kAnswersIndexSql},
      {15, kDueGapsIndexSql},
      // The team that led before nobody did: NO_LEAD's list.
      {16, kFormerLeadSql},
      // Timeline entries' positions, for the timeline streams.
      {17, TimelinePositionsSql(/*postgresql=*/false)},
      // Break-glass steps by person: BREAK_GLASS_NOT_REVIEWED's inputs.
      {18, kBreakGlassIndexSql},
  };
  return *migrations;
}

// Text keys and the columns lists page by are COLLATE "C", so their order
// is byte order as on SQLite (page tokens carry them). Enum columns (kind)
// stay INTEGER: ListTimelineEntries and ListCareGaps filter on
// `1 << kind`, which PostgreSQL shifts by an INTEGER only.
constexpr char kPgRecordSchemaSql[] = R"sql(
CREATE TABLE persons (person_id TEXT COLLATE "C" PRIMARY KEY);
CREATE TABLE timeline (
  person_id TEXT COLLATE "C" NOT NULL,
  time_us BIGINT NOT NULL,
  feed_rank INTEGER NOT NULL,
  feed TEXT NOT NULL,
  sequence BIGINT NOT NULL,
  kind INTEGER NOT NULL,
  type TEXT NOT NULL,
  resource TEXT NOT NULL,
  actor TEXT NOT NULL,
  actor_team TEXT NOT NULL,
  summary TEXT NOT NULL,
  reason TEXT NOT NULL,
  teams TEXT NOT NULL,
  ended_teams TEXT NOT NULL,
  sections TEXT,
  PRIMARY KEY (person_id, time_us, feed_rank, sequence)
);
CREATE TABLE plans (
  person_id TEXT COLLATE "C" PRIMARY KEY,
  version BIGINT NOT NULL,
  summary BYTEA NOT NULL,
  unagreed_since_us BIGINT,
  no_lead_since_us BIGINT
);
CREATE TABLE open_loops (
  resource TEXT COLLATE "C" PRIMARY KEY,
  person_id TEXT COLLATE "C" NOT NULL,
  since_us BIGINT NOT NULL,
  loop BYTEA NOT NULL
);
CREATE INDEX open_loops_by_person ON open_loops (person_id, since_us, resource);
CREATE TABLE teams (team TEXT COLLATE "C" PRIMARY KEY, sector INTEGER NOT NULL);
CREATE TABLE gaps (
  person_id TEXT COLLATE "C" NOT NULL,
  key TEXT COLLATE "C" NOT NULL,
  kind INTEGER NOT NULL,
  subject TEXT COLLATE "C" NOT NULL,
  detail TEXT NOT NULL,
  open_us BIGINT NOT NULL,
  close_us BIGINT,
  close_reason TEXT NOT NULL DEFAULT '',
  teams TEXT NOT NULL,
  announced INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (person_id, key)
);
CREATE INDEX gaps_current ON gaps (person_id, kind, subject)
  WHERE close_us IS NULL;
CREATE INDEX gaps_by_open ON gaps (open_us, person_id, key);
CREATE INDEX gaps_to_announce ON gaps (open_us)
  WHERE announced = 0 AND close_us IS NULL;
CREATE TABLE gap_teams (
  team TEXT COLLATE "C" NOT NULL,
  open_us BIGINT NOT NULL,
  person_id TEXT COLLATE "C" NOT NULL,
  key TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (team, open_us, person_id, key)
);
CREATE INDEX gap_teams_by_gap ON gap_teams (person_id, key);
CREATE TABLE handoffs (
  resource TEXT COLLATE "C" PRIMARY KEY,
  handover INTEGER NOT NULL,
  person_id TEXT COLLATE "C" NOT NULL,
  sending_team TEXT NOT NULL,
  receiving_team TEXT COLLATE "C" NOT NULL,
  urgency INTEGER NOT NULL,
  create_us BIGINT NOT NULL,
  due_us BIGINT,
  answer_us BIGINT,
  outcome TEXT NOT NULL,
  reason TEXT NOT NULL,
  onward TEXT NOT NULL,
  escalated INTEGER NOT NULL
);
CREATE INDEX handoffs_received ON handoffs (receiving_team, create_us);
CREATE TABLE merged_persons (
  person_id TEXT COLLATE "C" PRIMARY KEY,
  into_id TEXT COLLATE "C" NOT NULL,
  merge_us BIGINT NOT NULL
);
CREATE INDEX merged_persons_into ON merged_persons (into_id);
)sql";

const std::vector<Migration>& PgMigrations() {
  static const auto* const migrations = new std::vector<Migration>{
      {1, kPgConsumerCursorSchemaSql},
      {2, kPgConsumerLedgerSchemaSql},
      {3, kPgOutboxSchemaSql},
      {4, kPgRecordSchemaSql},
      {5, kAnswersIndexSql},
      {6, kDueGapsIndexSql},
      {7, kFormerLeadSql},
      {8, TimelinePositionsSql(/*postgresql=*/true)},
      {9, kBreakGlassIndexSql},
  };
  return *migrations;
}

}  // namespace

SchemaMigrations RecordMigrations() {
  return SchemaMigrations{&SqliteMigrations(), &PgMigrations()};
}

}  // namespace carebridge::record

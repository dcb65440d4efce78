#include "services/careplan/careplan_migrations.h"

#include <vector>

#include "services/careplan/sqlite_break_glass_store.h"
#include "services/careplan/sqlite_sharing_store.h"
#include "services/common/consumer_ledger.h"
#include "services/common/sqlite_event_log.h"

namespace carebridge::careplan {
namespace {

// A version's row is never updated or deleted. The unique index makes
// "newest version of a person" one backwards seek, and backs up the
// compare-and-swap in Append should two writers ever get past it. Version 2
// adds the outbox (the `careplan` feed), version 3 the cursors of the feeds
// this service applies.
const std::vector<Migration>& SqliteMigrations() {
  static const auto* migrations = new std::vector<Migration>{
      {1, R"sql(
CREATE TABLE care_plan_versions (
  person_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  body BLOB NOT NULL
);
CREATE UNIQUE INDEX care_plan_versions_by_person
  ON care_plan_versions (person_id, version);
CREATE TABLE care_plan_requests (
  person_id TEXT NOT NULL,
  team TEXT NOT NULL,
  request_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  fingerprint BLOB NOT NULL,
  PRIMARY KEY (person_id, team, request_id)
) WITHOUT ROWID;
)sql"},
      {2, kOutboxSchemaSql},
      {3, kConsumerCursorSchemaSql},
      // The feed's epoch and event times; the consumers' ledger (epochs
      // followed, parked events).
      {4, kOutboxEpochSchemaSql},
      {5, kConsumerLedgerSchemaSql},
      // Parked events get ids and keep their producer's epoch.
      {6, kParkedEventIdSchemaSql},
      // The persons' sharing choices (SqliteSharingStore).
      {7, kSharingSchemaSql},
      // Break-glass accesses (SqliteBreakGlassStore).
      {8, kBreakGlassSchemaSql},
      // Break-glass numbers from a head row, as on PostgreSQL.
      {9, kBreakGlassHeadSchemaSql},
      // Break-glass reviews (SqliteBreakGlassStore::Review).
      {10, kBreakGlassReviewSchemaSql},
      // The accesses awaiting review, so the review queue reads no
      // reviewed access.
      {11, kBreakGlassUnreviewedSchemaSql},
  };
  return *migrations;
}

// Today's whole schema as version 1 (SQLite's history is not replayed).
// The primary key (person_id, version) is the newest-version seek and the
// compare-and-swap's backstop, as the unique index is on SQLite; text keys
// sort bytewise (COLLATE "C"), as SQLite's do.
const std::vector<Migration>& PostgresqlMigrations() {
  static const auto* migrations = new std::vector<Migration>{
      {1, R"sql(
CREATE TABLE care_plan_versions (
  person_id TEXT COLLATE "C" NOT NULL,
  version BIGINT NOT NULL,
  body BYTEA NOT NULL,
  PRIMARY KEY (person_id, version)
);
CREATE TABLE care_plan_requests (
  person_id TEXT COLLATE "C" NOT NULL,
  team TEXT COLLATE "C" NOT NULL,
  request_id TEXT COLLATE "C" NOT NULL,
  version BIGINT NOT NULL,
  fingerprint BYTEA NOT NULL,
  PRIMARY KEY (person_id, team, request_id)
);
)sql"},
      {2, kPgOutboxSchemaSql},
      {3, kPgConsumerCursorSchemaSql},
      {4, kPgSharingSchemaSql},
      {5, kPgBreakGlassSchemaSql},
      // The consumers' ledger (epochs followed, parked events).
      {6, kPgConsumerLedgerSchemaSql},
      // Break-glass numbers gap-free and in commit order (the identity
      // could skip and need not follow commits).
      {7, kPgBreakGlassHeadSchemaSql},
      {8, kPgBreakGlassReviewSchemaSql},
      {9, kPgBreakGlassUnreviewedSchemaSql},
  };
  return *migrations;
}

}  // namespace

SchemaMigrations CarePlanMigrations() {
  return SchemaMigrations{&SqliteMigrations(), &PostgresqlMigrations()};
}

}  // namespace carebridge::careplan

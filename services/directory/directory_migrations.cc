// The directory's schema on each engine (SqliteDirectoryStore::Migrations
// and PostgresqlMigrations): teams, members, persons, request ids and the
// `directory` feed's outbox.

#include <vector>

#include "services/common/database.h"
#include "services/common/sqlite_event_log.h"
#include "services/directory/sqlite_directory_store.h"

namespace carebridge::directory {
namespace {

// Names are full resource names (`teams/{id}`), so ordering by name within
// one table is ordering by id. Sort keys compare as bytes (BINARY), which a
// PostgreSQL implementation matches with COLLATE "C".
constexpr char kSchemaV1[] = R"sql(
CREATE TABLE teams (
  name TEXT PRIMARY KEY,
  sort_key TEXT NOT NULL,
  sector INTEGER NOT NULL,
  accepting_referrals INTEGER NOT NULL,
  etag TEXT NOT NULL,
  resource BLOB NOT NULL
) WITHOUT ROWID;
CREATE INDEX teams_by_sort_key ON teams (sort_key, name);

CREATE TABLE members (
  name TEXT PRIMARY KEY,
  team TEXT NOT NULL,
  sort_key TEXT NOT NULL,
  resource BLOB NOT NULL
) WITHOUT ROWID;
CREATE INDEX members_by_team ON members (team, sort_key, name);

CREATE TABLE persons (
  name TEXT PRIMARY KEY,
  nhs_number TEXT,
  family_name_key TEXT NOT NULL,
  birth_date TEXT NOT NULL,
  resource BLOB NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX persons_by_nhs_number ON persons (nhs_number);
CREATE INDEX persons_by_family_name ON persons (family_name_key, birth_date);

CREATE TABLE request_ids (
  subject TEXT NOT NULL,
  method TEXT NOT NULL,
  request_id TEXT NOT NULL,
  resource_name TEXT NOT NULL,
  create_time_micros INTEGER NOT NULL,
  PRIMARY KEY (subject, method, request_id)
) WITHOUT ROWID;
)sql";

// Version 2 stores what each request asked for beside its request id, so a
// reused id with a different body is refused rather than answered with the
// first resource. Rows recorded before have no fingerprint (NULL) and keep
// the old answer: the first resource, whatever the body.
constexpr char kSchemaV2[] = R"sql(
ALTER TABLE request_ids ADD COLUMN request_fingerprint TEXT;
)sql";

// Version 5 marks persons merged into another (MergePersons): they stay,
// but are no longer found or compared with new registrations.
constexpr char kSchemaV5[] = R"sql(
ALTER TABLE persons ADD COLUMN merged_into TEXT;
)sql";

// Person lookups counted per member (LookupLimiter), shared by the
// directory's replicas and kept across restarts; a member's lookups older
// than the window are forgotten at their next lookup.
constexpr char kLookupsSql[] = R"sql(
CREATE TABLE person_lookups (
  subject TEXT NOT NULL,
  time_us BIGINT NOT NULL
);
CREATE INDEX person_lookups_by_subject ON person_lookups (subject, time_us);
)sql";

// Today's whole schema on PostgreSQL (version 2 adds the outbox): BYTEA for
// BLOB, BIGINT for 64-bit times, and COLLATE "C" on the columns listings
// sort by, so pages come in SQLite's byte order (page tokens carry the sort
// key and name). Request ids keep their fingerprint column from the start.
constexpr char kPgSchemaV1[] = R"sql(
CREATE TABLE teams (
  name TEXT COLLATE "C" PRIMARY KEY,
  sort_key TEXT COLLATE "C" NOT NULL,
  sector INTEGER NOT NULL,
  accepting_referrals INTEGER NOT NULL,
  etag TEXT NOT NULL,
  resource BYTEA NOT NULL
);
CREATE INDEX teams_by_sort_key ON teams (sort_key, name);

CREATE TABLE members (
  name TEXT COLLATE "C" PRIMARY KEY,
  team TEXT COLLATE "C" NOT NULL,
  sort_key TEXT COLLATE "C" NOT NULL,
  resource BYTEA NOT NULL
);
CREATE INDEX members_by_team ON members (team, sort_key, name);

CREATE TABLE persons (
  name TEXT COLLATE "C" PRIMARY KEY,
  nhs_number TEXT,
  family_name_key TEXT COLLATE "C" NOT NULL,
  birth_date TEXT COLLATE "C" NOT NULL,
  merged_into TEXT,
  resource BYTEA NOT NULL
);
CREATE UNIQUE INDEX persons_by_nhs_number ON persons (nhs_number);
CREATE INDEX persons_by_family_name ON persons (family_name_key, birth_date);

CREATE TABLE request_ids (
  subject TEXT NOT NULL,
  method TEXT NOT NULL,
  request_id TEXT NOT NULL,
  resource_name TEXT NOT NULL,
  create_time_micros BIGINT NOT NULL,
  request_fingerprint TEXT,
  PRIMARY KEY (subject, method, request_id)
);
)sql";

}  // namespace

const std::vector<Migration>& SqliteDirectoryStore::Migrations() {
  static const auto* migrations =
      new std::vector<Migration>{{/*version=*/1, kSchemaV1},
                                 {/*version=*/2, kSchemaV2},
                                 // The outbox: the `directory` feed's events,
                                 // committed with the changes they describe.
                                 {/*version=*/3, kOutboxSchemaSql},
                                 // The feed's epoch and event times.
                                 {/*version=*/4, kOutboxEpochSchemaSql},
                                 {/*version=*/5, kSchemaV5},
                                 {/*version=*/6, kLookupsSql}};
  return *migrations;
}

const std::vector<Migration>& SqliteDirectoryStore::PostgresqlMigrations() {
  static const auto* migrations =
      new std::vector<Migration>{{/*version=*/1, kPgSchemaV1},
                                 // The `directory` feed's outbox and epoch.
                                 {/*version=*/2, kPgOutboxSchemaSql},
                                 {/*version=*/3, kLookupsSql}};
  return *migrations;
}

}  // namespace carebridge::directory

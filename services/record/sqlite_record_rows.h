#ifndef CAREBRIDGE_SERVICES_RECORD_SQLITE_RECORD_ROWS_H_
#define CAREBRIDGE_SERVICES_RECORD_SQLITE_RECORD_ROWS_H_

// Row helpers shared by SqliteRecordStore's files (the projections and the
// gaps): how team lists and timeline rows are stored, and how inbox items
// are appended. Internal to the record store.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/common/database.h"
#include "services/record/record_store.h"

namespace carebridge::record {

// Team lists are stored one per line (team names have no line breaks).
std::string JoinTeams(const std::vector<std::string>& teams);
std::vector<std::string> SplitTeams(const std::string& joined);

// The timeline's columns, in the order RowFrom reads them.
inline constexpr char kTimelineColumns[] =
    "person_id, time_us, feed, sequence, kind, type, resource, actor, "
    "actor_team, summary, reason, teams, ended_teams, feed_rank, sections";

// `INSERT INTO {table} ({columns}) VALUES (?, ...)` that, when a row with
// the same `key` (some of `columns`, comma-separated) exists, overwrites
// its other columns instead: SQLite's INSERT OR REPLACE in the
// form both engines accept (each table here has no unique key but its
// primary key, so the two agree).
std::string UpsertSql(absl::string_view table, absl::string_view columns,
                      absl::string_view key);

// The timeline row `select` (of kTimelineColumns) is on.
TimelineRow RowFrom(const Statement& select);

// Puts the items in the record's feed (the team inboxes), as of `time`.
absl::Status AppendInbox(Connection& conn, const std::vector<InboxNote>& inbox,
                         absl::Time time);

// The key for a new gap of `person_id` named `base`: `base` itself, unless
// a gap of the person has it (a closed one keeps its history), then
// `{base}-2`, `-3`...
absl::StatusOr<std::string> FreshGapKey(Connection& conn,
                                        const std::string& person_id,
                                        const std::string& base);

// The person `person_id`'s events now apply to: the one it was merged into,
// or itself.
absl::StatusOr<std::string> ResolvePerson(Connection& conn,
                                          const std::string& person_id);

// What the gaps `scope` covers of `person_id` are judged on: GapInputs
// with the open loops `scope` names (sqlite_record_gap_inputs.cc). `also`
// (prepared and bound) is run with its reads, in one round trip on PostgreSQL.
absl::StatusOr<GapInputs> ReadGapInputs(Connection& conn,
                                        const std::string& person_id,
                                        const GapScope& scope, Statement& also);

// The columns a gap is read by (`gaps g`).
inline constexpr char kGapColumns[] =
    "g.person_id, g.key, g.kind, g.subject, g.detail, g.open_us, g.close_us, "
    "g.close_reason, g.teams, g.announced";

// The person's open gaps (kGapColumns) judging `scope` compares with: those
// it covers, and any not yet announced whose threshold passed at `now`
// (announced with the event, as judging everything would); a gap that is
// both comes twice.
absl::StatusOr<Statement> PrepareOpenGaps(Connection& conn,
                                          const std::string& person_id,
                                          const GapScope& scope,
                                          absl::Time now);

// The gaps judged again after `change` (GapScope): none unless it is about
// a person and brings a referral step, a plan, an open loop, a break-glass
// step or a merge; then every kind, overdue answers only of the loop it
// touched (of every loop for a merge), unreviewed break-glass accesses at a
// break-glass step or a merge, and at a plan only while one is open. Gaps
// whose threshold passes between events are announced by AnnounceDueGaps.
GapScope GapScopeOf(const RecordChange& change);

}  // namespace carebridge::record

#endif  // CAREBRIDGE_SERVICES_RECORD_SQLITE_RECORD_ROWS_H_

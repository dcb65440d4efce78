#include "services/record/sqlite_record_store.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "carebridge/directory/v1/directory.pb.h"
#include "services/common/macros.h"
#include "services/common/sqlite_event_log.h"
#include "services/common/time_util.h"

namespace carebridge::record {
namespace {

// Team lists are stored one per line (team names have no line breaks).
std::string JoinTeams(const std::vector<std::string>& teams) {
  return absl::StrJoin(teams, "\n");
}

std::vector<std::string> SplitTeams(const std::string& joined) {
  if (joined.empty()) return {};
  return absl::StrSplit(joined, '\n');
}

const std::vector<Migration>& Migrations() {
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
  };
  return *migrations;
}

constexpr char kTimelineColumns[] =
    "person_id, time_us, feed, sequence, kind, type, resource, actor, "
    "actor_team, summary, reason, teams, ended_teams, feed_rank";

absl::Status InsertEntry(Connection& conn, const TimelineRow& row) {
  ASSIGN_OR_RETURN(Statement insert,
                   conn.Prepare(absl::StrCat(
                       "INSERT OR REPLACE INTO timeline (", kTimelineColumns,
                       ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                       "?, ?)")));
  insert.Bind(1, row.person_id)
      .Bind(2, absl::ToUnixMicros(row.time))
      .Bind(3, row.feed)
      .Bind(4, row.sequence)
      .Bind(5, static_cast<int64_t>(row.kind))
      .Bind(6, row.type)
      .Bind(7, row.resource)
      .Bind(8, row.actor)
      .Bind(9, row.actor_team)
      .Bind(10, row.summary)
      .Bind(11, row.reason)
      .Bind(12, JoinTeams(row.teams))
      .Bind(13, JoinTeams(row.ended_teams))
      .Bind(14, static_cast<int64_t>(FeedRank(row.feed)));
  return insert.Run();
}

TimelineRow RowFrom(const Statement& select) {
  TimelineRow row;
  row.person_id = select.ColumnText(0);
  row.time = absl::FromUnixMicros(select.ColumnInt64(1));
  row.feed = select.ColumnText(2);
  row.sequence = select.ColumnInt64(3);
  row.kind = static_cast<v1::EntryKind>(select.ColumnInt64(4));
  row.type = select.ColumnText(5);
  row.resource = select.ColumnText(6);
  row.actor = select.ColumnText(7);
  row.actor_team = select.ColumnText(8);
  row.summary = select.ColumnText(9);
  row.reason = select.ColumnText(10);
  row.teams = SplitTeams(select.ColumnText(11));
  row.ended_teams = SplitTeams(select.ColumnText(12));
  return row;
}

absl::Status ApplyPlan(Connection& conn, const PlanState& state) {
  ASSIGN_OR_RETURN(Statement select,
                   conn.Prepare("SELECT version, summary, unagreed_since_us, "
                                "no_lead_since_us FROM plans WHERE "
                                "person_id = ?"));
  select.Bind(1, state.person_id);
  ASSIGN_OR_RETURN(bool exists, select.Step());
  v1::CareSummary plan = state.plan;
  const int64_t now_us = absl::ToUnixMicros(state.time);
  // -1: unset (NULL). Plain integers: GCC takes std::optional here for
  // maybe-uninitialized.
  int64_t unagreed_since = -1;
  int64_t no_lead_since = -1;
  v1::CareSummary before;
  if (exists) {
    if (select.ColumnInt64(0) >= plan.care_plan_version()) {
      return absl::OkStatus();
    }
    if (!before.ParseFromString(select.ColumnBlob(1))) {
      return absl::DataLossError("record: a stored care plan is corrupt");
    }
    if (before.lead_team() == plan.lead_team()) {
      *plan.mutable_lead_since() = before.lead_since();
    }
    if (!select.ColumnIsNull(2)) unagreed_since = select.ColumnInt64(2);
    if (!select.ColumnIsNull(3)) no_lead_since = select.ColumnInt64(3);
  }
  if (!plan.has_lead_since() && !plan.lead_team().empty()) {
    *plan.mutable_lead_since() = ToProtoTimestamp(state.time);
  }
  if (plan.lead_team().empty()) plan.clear_lead_since();
  // Not agreed since the first version that was not (kept while it stays
  // so); the lead gone since the version that left nobody leading.
  if (plan.agreed()) {
    unagreed_since = -1;
  } else if (!exists || before.agreed() || unagreed_since < 0) {
    unagreed_since = now_us;
  }
  if (!plan.lead_team().empty()) {
    no_lead_since = -1;
  } else if (exists && !before.lead_team().empty()) {
    no_lead_since = now_us;
  }
  ASSIGN_OR_RETURN(
      Statement upsert,
      conn.Prepare("INSERT OR REPLACE INTO plans (person_id, version, "
                   "summary, unagreed_since_us, no_lead_since_us) VALUES (?, "
                   "?, ?, ?, ?)"));
  upsert.Bind(1, state.person_id)
      .Bind(2, plan.care_plan_version())
      .BindBlob(3, plan.SerializeAsString());
  if (unagreed_since >= 0) upsert.Bind(4, unagreed_since);
  if (no_lead_since >= 0) upsert.Bind(5, no_lead_since);
  return upsert.Run();
}

absl::Status ApplyFacts(Connection& conn, const HandOffFacts& facts) {
  ASSIGN_OR_RETURN(
      Statement upsert,
      conn.Prepare("INSERT OR REPLACE INTO handoffs (resource, handover, "
                   "person_id, sending_team, receiving_team, urgency, "
                   "create_us, due_us, answer_us, outcome, reason, onward, "
                   "escalated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                   "?)"));
  upsert.Bind(1, facts.resource)
      .Bind(2, static_cast<int64_t>(facts.handover))
      .Bind(3, facts.person_id)
      .Bind(4, facts.sending_team)
      .Bind(5, facts.receiving_team)
      .Bind(6, static_cast<int64_t>(facts.urgency))
      .Bind(7, absl::ToUnixMicros(facts.create_time))
      .Bind(10, facts.outcome)
      .Bind(11, facts.reason)
      .Bind(12, facts.onward)
      .Bind(13, static_cast<int64_t>(facts.escalated));
  if (facts.due_time != absl::InfinitePast()) {
    upsert.Bind(8, absl::ToUnixMicros(facts.due_time));
  }
  if (facts.answer_time != absl::InfinitePast()) {
    upsert.Bind(9, absl::ToUnixMicros(facts.answer_time));
  }
  return upsert.Run();
}

absl::Status ApplyTeam(Connection& conn, const TeamSector& team) {
  ASSIGN_OR_RETURN(Statement upsert,
                   conn.Prepare("INSERT OR REPLACE INTO teams (team, sector) "
                                "VALUES (?, ?)"));
  upsert.Bind(1, team.team).Bind(2, static_cast<int64_t>(team.sector));
  return upsert.Run();
}

absl::Status ApplyLoop(Connection& conn, const LoopChange& loop) {
  if (!loop.open) {
    ASSIGN_OR_RETURN(Statement remove,
                     conn.Prepare("DELETE FROM open_loops WHERE resource = ?"));
    remove.Bind(1, loop.resource);
    return remove.Run();
  }
  ASSIGN_OR_RETURN(
      Statement upsert,
      conn.Prepare("INSERT OR REPLACE INTO open_loops (resource, person_id, "
                   "since_us, loop) VALUES (?, ?, ?, ?)"));
  upsert.Bind(1, loop.resource)
      .Bind(2, loop.person_id)
      .Bind(3, absl::ToUnixMicros(FromProtoTimestamp(loop.loop.since())))
      .BindBlob(4, loop.loop.SerializeAsString());
  return upsert.Run();
}

// A gap's key within its person: kind, open time and the subject, so the
// record built incrementally and one rebuilt from the feeds name it alike.
std::string GapKey(const WantedGap& gap) {
  uint32_t hash = 2166136261u;  // FNV-1a
  for (unsigned char c : gap.subject) {
    hash = (hash ^ c) * 16777619u;
  }
  std::string kind = v1::GapKind_Name(gap.kind);
  absl::AsciiStrToLower(&kind);
  return absl::StrCat(kind, "-", absl::ToUnixMicros(gap.open_time), "-",
                      absl::Hex(hash, absl::kZeroPad8));
}

std::string CloseReason(v1::GapKind kind) {
  switch (kind) {
    case v1::BOUNCED:
      return "a referral was accepted";
    case v1::ONWARD_ROUTE_NOT_TAKEN:
      return "a new referral was made";
    case v1::ANSWER_OVERDUE:
      return "answered";
    case v1::PLAN_NOT_AGREED:
      return "the person agreed the plan";
    case v1::REVIEW_OVERDUE:
      return "the review date changed";
    case v1::NO_CRISIS_PLAN:
      return "a crisis plan was written, or no crisis team is involved";
    case v1::NO_LEAD:
      return "a team leads the care again";
    case v1::JOIN_NOT_REVIEWED:
      return "the join was reviewed, or the team left the care team";
    default:
      return "its cause went";
  }
}

absl::StatusOr<GapInputs> ReadGapInputs(Connection& conn,
                                        const std::string& person_id) {
  GapInputs in;
  in.person_id = person_id;
  {
    ASSIGN_OR_RETURN(
        Statement select,
        conn.Prepare(absl::StrCat(
            "SELECT ", kTimelineColumns,
            " FROM timeline WHERE person_id = ? AND kind = ? ORDER BY "
            "time_us, feed_rank, sequence")));
    select.Bind(1, person_id).Bind(2, static_cast<int64_t>(v1::REFERRAL));
    while (true) {
      ASSIGN_OR_RETURN(bool row, select.Step());
      if (!row) break;
      in.referral_steps.push_back(RowFrom(select));
    }
  }
  {
    ASSIGN_OR_RETURN(Statement select,
                     conn.Prepare("SELECT loop FROM open_loops WHERE "
                                  "person_id = ? ORDER BY since_us, resource"));
    select.Bind(1, person_id);
    while (true) {
      ASSIGN_OR_RETURN(bool row, select.Step());
      if (!row) break;
      if (!in.open_loops.emplace_back().ParseFromString(select.ColumnBlob(0))) {
        return absl::DataLossError("record: a stored open loop is corrupt");
      }
    }
  }
  {
    ASSIGN_OR_RETURN(Statement select,
                     conn.Prepare("SELECT summary, unagreed_since_us, "
                                  "no_lead_since_us FROM plans WHERE "
                                  "person_id = ?"));
    select.Bind(1, person_id);
    ASSIGN_OR_RETURN(bool row, select.Step());
    if (row) {
      in.plan.emplace();
      if (!in.plan->ParseFromString(select.ColumnBlob(0))) {
        return absl::DataLossError("record: a stored care plan is corrupt");
      }
      if (!select.ColumnIsNull(1)) {
        in.unagreed_since = absl::FromUnixMicros(select.ColumnInt64(1));
      }
      if (!select.ColumnIsNull(2)) {
        in.no_lead_since = absl::FromUnixMicros(select.ColumnInt64(2));
      }
    }
  }
  if (in.plan.has_value()) {
    for (const v1::CareTeamMember& member : in.plan->care_team()) {
      ASSIGN_OR_RETURN(Statement select,
                       conn.Prepare("SELECT sector FROM teams WHERE team = ?"));
      select.Bind(1, member.team());
      ASSIGN_OR_RETURN(bool row, select.Step());
      if (row && select.ColumnInt64(0) == directory::v1::CRISIS) {
        in.crisis_teams.insert(member.team());
      }
    }
  }
  return in;
}

// Whether stored `key` is the gap `base` (GapKey) names: itself, or, when
// the same cause came back after a gap closed, `{base}-{n}`.
bool IsGap(absl::string_view key, absl::string_view base) {
  return key == base ||
         (key.size() > base.size() + 1 && absl::StartsWith(key, base) &&
          key[base.size()] == '-');
}

// The key for a new gap named `base`: `base` itself, unless a closed gap
// of the same cause has it (its history stays), then `{base}-2`, `-3`...
absl::StatusOr<std::string> FreshKey(Connection& conn,
                                     const std::string& person_id,
                                     const std::string& base) {
  std::string key = base;
  for (int n = 2;; ++n) {
    ASSIGN_OR_RETURN(Statement taken,
                     conn.Prepare("SELECT 1 FROM gaps WHERE person_id = ? AND "
                                  "key = ?"));
    taken.Bind(1, person_id).Bind(2, key);
    ASSIGN_OR_RETURN(bool row, taken.Step());
    if (!row) return key;
    key = absl::StrCat(base, "-", n);
  }
}

absl::Status InsertGap(Connection& conn, const std::string& person_id,
                       const std::string& key, const WantedGap& gap,
                       bool announced) {
  const int64_t open_us = absl::ToUnixMicros(gap.open_time);
  ASSIGN_OR_RETURN(
      Statement insert,
      conn.Prepare("INSERT OR REPLACE INTO gaps (person_id, key, kind, "
                   "subject, detail, open_us, close_us, close_reason, teams, "
                   "announced) VALUES (?, ?, ?, ?, ?, ?, NULL, '', ?, ?)"));
  insert.Bind(1, person_id)
      .Bind(2, key)
      .Bind(3, static_cast<int64_t>(gap.kind))
      .Bind(4, gap.subject)
      .Bind(5, gap.detail)
      .Bind(6, open_us)
      .Bind(7, JoinTeams(gap.teams))
      .Bind(8, static_cast<int64_t>(announced));
  RETURN_IF_ERROR(insert.Run());
  for (const std::string& team : gap.teams) {
    ASSIGN_OR_RETURN(Statement link,
                     conn.Prepare("INSERT OR IGNORE INTO gap_teams (team, "
                                  "open_us, person_id, key) VALUES (?, ?, ?, "
                                  "?)"));
    link.Bind(1, team).Bind(2, open_us).Bind(3, person_id).Bind(4, key);
    RETURN_IF_ERROR(link.Run());
  }
  return absl::OkStatus();
}

absl::Status MarkAnnounced(Connection& conn, const std::string& person_id,
                           const std::string& key) {
  ASSIGN_OR_RETURN(Statement update,
                   conn.Prepare("UPDATE gaps SET announced = 1 WHERE "
                                "person_id = ? AND key = ?"));
  update.Bind(1, person_id).Bind(2, key);
  return update.Run();
}

absl::Status DropGap(Connection& conn, const std::string& person_id,
                     const std::string& key) {
  ASSIGN_OR_RETURN(Statement remove,
                   conn.Prepare("DELETE FROM gaps WHERE person_id = ? AND "
                                "key = ?"));
  remove.Bind(1, person_id).Bind(2, key);
  RETURN_IF_ERROR(remove.Run());
  ASSIGN_OR_RETURN(Statement unlink,
                   conn.Prepare("DELETE FROM gap_teams WHERE person_id = ? "
                                "AND key = ?"));
  unlink.Bind(1, person_id).Bind(2, key);
  return unlink.Run();
}

v1::CareGap GapFrom(const Statement& select) {
  // person_id, key, kind, subject, detail, open_us, close_us, close_reason,
  // teams
  v1::CareGap gap;
  const std::string person_id = select.ColumnText(0);
  gap.set_name(
      absl::StrCat("persons/", person_id, "/careGaps/", select.ColumnText(1)));
  gap.set_person(absl::StrCat("persons/", person_id));
  gap.set_kind(static_cast<v1::GapKind>(select.ColumnInt64(2)));
  gap.set_subject(select.ColumnText(3));
  gap.set_detail(select.ColumnText(4));
  *gap.mutable_open_time() =
      ToProtoTimestamp(absl::FromUnixMicros(select.ColumnInt64(5)));
  if (!select.ColumnIsNull(6)) {
    *gap.mutable_close_time() =
        ToProtoTimestamp(absl::FromUnixMicros(select.ColumnInt64(6)));
  }
  gap.set_close_reason(select.ColumnText(7));
  for (const std::string& team : SplitTeams(select.ColumnText(8))) {
    gap.add_teams(team);
  }
  return gap;
}

v1::CareGap GapOf(const std::string& person_id, const std::string& key,
                  const WantedGap& wanted) {
  v1::CareGap gap;
  gap.set_name(absl::StrCat("persons/", person_id, "/careGaps/", key));
  gap.set_person(absl::StrCat("persons/", person_id));
  gap.set_kind(wanted.kind);
  gap.set_subject(wanted.subject);
  gap.set_detail(wanted.detail);
  *gap.mutable_open_time() = ToProtoTimestamp(wanted.open_time);
  for (const std::string& team : wanted.teams) gap.add_teams(team);
  return gap;
}

// Whether `change` touches what gaps are judged on (GapInputs): a referral
// step, the plan or an open loop. Gaps whose threshold passes between
// events are announced by AnnounceDueGaps.
bool MayChangeGaps(const RecordChange& change) {
  if (change.person_id.empty()) return false;
  return change.plan.has_value() || change.loop.has_value() ||
         (change.entry.has_value() && change.entry->kind == v1::REFERRAL);
}

constexpr char kGapColumns[] =
    "g.person_id, g.key, g.kind, g.subject, g.detail, g.open_us, g.close_us, "
    "g.close_reason, g.teams, g.announced";

// Puts a gap's opening or closing in each of its teams' inboxes.
void NotifyGap(std::vector<InboxNote>& inbox, const std::string& type,
               const v1::CareGap& gap, absl::Time time) {
  for (const std::string& team : gap.teams()) {
    InboxNote note;
    note.type = type;
    note.item.set_team(team);
    note.item.set_person(gap.person());
    note.item.set_resource(gap.name());
    note.item.set_summary(gap.detail());
    *note.item.mutable_time() = ToProtoTimestamp(time);
    inbox.push_back(std::move(note));
  }
}

// Puts the items in the record's feed (the team inboxes), as of `time`.
absl::Status AppendInbox(Connection& conn, const std::vector<InboxNote>& inbox,
                         absl::Time time) {
  for (const InboxNote& note : inbox) {
    RETURN_IF_ERROR(SqliteEventLog::Append(
                        conn, MakeEvent(note.type, note.item.resource(),
                                        note.item.person(), {note.item.team()},
                                        "services/record", time, note.item))
                        .status());
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteRecordStore>> SqliteRecordStore::Open(
    const std::string& path, GapSettings settings,
    const HmacSha256* audit_key) {
  // The record is rebuilt from the feeds, and its cursors commit with its
  // projections: a commit lost with the machine's power is applied again
  // from the feeds, so commits need not wait for the disk (which every
  // service's durable writes share).
  SqliteDb::Options options;
  options.durable_commits = false;
  options.audit_key = audit_key;
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db,
                   SqliteDb::Open(path, Migrations(), options));
  return std::unique_ptr<SqliteRecordStore>(
      new SqliteRecordStore(std::move(db), settings));
}

absl::Status SqliteRecordStore::Apply(
    absl::Span<const PositionedChange> changes) {
  bool appended = false;
  absl::Status written = db_->Write([&](Connection& conn) -> absl::Status {
    appended = false;
    for (const PositionedChange& one : changes) {
      RETURN_IF_ERROR(ApplyOne(conn, one.change, one.position, &appended));
    }
    return absl::OkStatus();
  });
  // Wakes the inbox streams once the items are durable.
  if (written.ok() && appended) event_log_.NotifyCommitted();
  return written;
}

absl::Status SqliteRecordStore::ApplyOne(Connection& conn,
                                         const RecordChange& change,
                                         const FeedPosition& position,
                                         bool* appended) {
  ASSIGN_OR_RETURN(bool pending, IsPending(conn, position));
  if (!pending) return absl::OkStatus();
  std::vector<InboxNote> inbox = change.inbox;
  if (!change.person_id.empty()) {
    ASSIGN_OR_RETURN(Statement person,
                     conn.Prepare("INSERT OR IGNORE INTO persons "
                                  "(person_id) VALUES (?)"));
    person.Bind(1, change.person_id);
    RETURN_IF_ERROR(person.Run());
  }
  if (change.entry.has_value()) {
    RETURN_IF_ERROR(InsertEntry(conn, *change.entry));
  }
  if (change.plan.has_value()) RETURN_IF_ERROR(ApplyPlan(conn, *change.plan));
  if (change.loop.has_value()) RETURN_IF_ERROR(ApplyLoop(conn, *change.loop));
  if (change.team.has_value()) RETURN_IF_ERROR(ApplyTeam(conn, *change.team));
  if (change.facts.has_value()) {
    RETURN_IF_ERROR(ApplyFacts(conn, *change.facts));
  }
  if (MayChangeGaps(change)) {
    RETURN_IF_ERROR(ReconcileGaps(conn, change.person_id, change.time, inbox));
  }
  RETURN_IF_ERROR(AppendInbox(conn, inbox, change.time));
  *appended = *appended || !inbox.empty();
  return MarkApplied(conn, position);
}

absl::StatusOr<int> SqliteRecordStore::AnnounceDueGaps(absl::Time now) {
  // In transactions of a bounded size, so the consumers' writes go on
  // between them.
  constexpr int kPerTransaction = 200;
  int total = 0;
  while (true) {
    int announced = 0;
    RETURN_IF_ERROR(db_->Write([&](Connection& conn) -> absl::Status {
      announced = 0;
      ASSIGN_OR_RETURN(
          Statement select,
          conn.Prepare(absl::StrCat(
              "SELECT ", kGapColumns,
              " FROM gaps g WHERE g.announced = 0 AND g.close_us IS NULL AND "
              "g.open_us <= ? ORDER BY g.open_us LIMIT ?")));
      select.Bind(1, absl::ToUnixMicros(now))
          .Bind(2, static_cast<int64_t>(kPerTransaction));
      struct Due {
        std::string person_id;
        std::string key;
        v1::CareGap gap;
      };
      std::vector<Due> due;
      while (true) {
        ASSIGN_OR_RETURN(bool row, select.Step());
        if (!row) break;
        due.push_back(
            {select.ColumnText(0), select.ColumnText(1), GapFrom(select)});
      }
      std::vector<InboxNote> inbox;
      for (const Due& one : due) {
        RETURN_IF_ERROR(MarkAnnounced(conn, one.person_id, one.key));
        NotifyGap(inbox, "inbox.gap_opened", one.gap, now);
      }
      RETURN_IF_ERROR(AppendInbox(conn, inbox, now));
      announced = static_cast<int>(due.size());
      return absl::OkStatus();
    }));
    if (announced > 0) event_log_.NotifyCommitted();
    total += announced;
    if (announced < kPerTransaction) return total;
  }
}

absl::StatusOr<bool> SqliteRecordStore::PersonKnown(
    absl::string_view person_id) {
  bool known = false;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Statement select,
                     conn.Prepare("SELECT 1 FROM persons WHERE person_id = ?"));
    select.Bind(1, person_id);
    ASSIGN_OR_RETURN(known, select.Step());
    return absl::OkStatus();
  }));
  return known;
}

absl::StatusOr<std::vector<TimelineRow>> SqliteRecordStore::ReadTimeline(
    const TimelineQuery& query) {
  int64_t kinds = 0;
  for (v1::EntryKind kind : query.kinds) kinds |= int64_t{1} << kind;
  const char* order = query.newest_first ? "DESC" : "ASC";
  const char* after = query.newest_first ? "<" : ">";
  std::vector<TimelineRow> rows;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(
        Statement select,
        conn.Prepare(absl::StrCat(
            "SELECT ", kTimelineColumns,
            " FROM timeline WHERE person_id = ?1 AND time_us >= ?2 AND "
            "time_us < ?3 AND (?4 = 0 OR (time_us, feed_rank, sequence) ",
            after,
            " (?5, ?6, ?7)) AND (?8 = 0 OR ((1 << kind) & ?8) != 0) ORDER BY "
            "time_us ",
            order, ", feed_rank ", order, ", sequence ", order, " LIMIT ?9")));
    select.Bind(1, query.person_id)
        .Bind(2, absl::ToUnixMicros(query.start))
        .Bind(3, absl::ToUnixMicros(query.end))
        .Bind(4, static_cast<int64_t>(query.after.has_value()))
        .Bind(5, query.after.has_value() ? query.after->time_us : 0)
        .Bind(6, static_cast<int64_t>(
                     query.after.has_value() ? FeedRank(query.after->feed) : 0))
        .Bind(7, query.after.has_value() ? query.after->sequence : 0)
        .Bind(8, kinds)
        .Bind(9, static_cast<int64_t>(query.limit));
    while (true) {
      ASSIGN_OR_RETURN(bool row, select.Step());
      if (!row) return absl::OkStatus();
      rows.push_back(RowFrom(select));
    }
  }));
  return rows;
}

absl::StatusOr<std::optional<v1::CareSummary>> SqliteRecordStore::ReadPlan(
    absl::string_view person_id) {
  std::optional<v1::CareSummary> plan;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(
        Statement select,
        conn.Prepare("SELECT summary FROM plans WHERE person_id = ?"));
    select.Bind(1, person_id);
    ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) return absl::OkStatus();
    plan.emplace();
    if (!plan->ParseFromString(select.ColumnBlob(0))) {
      return absl::DataLossError("record: a stored care plan is corrupt");
    }
    return absl::OkStatus();
  }));
  return plan;
}

absl::StatusOr<std::vector<v1::OpenLoop>> SqliteRecordStore::ReadOpenLoops(
    absl::string_view person_id) {
  std::vector<v1::OpenLoop> loops;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Statement select,
                     conn.Prepare("SELECT loop FROM open_loops WHERE "
                                  "person_id = ? ORDER BY since_us, resource"));
    select.Bind(1, person_id);
    while (true) {
      ASSIGN_OR_RETURN(bool row, select.Step());
      if (!row) return absl::OkStatus();
      v1::OpenLoop& loop = loops.emplace_back();
      if (!loop.ParseFromString(select.ColumnBlob(0))) {
        return absl::DataLossError("record: a stored open loop is corrupt");
      }
    }
  }));
  return loops;
}

absl::Status SqliteRecordStore::ReconcileGaps(Connection& conn,
                                              const std::string& person_id,
                                              absl::Time time,
                                              std::vector<InboxNote>& inbox) {
  ASSIGN_OR_RETURN(GapInputs inputs, ReadGapInputs(conn, person_id));
  std::vector<WantedGap> wanted = WantedGaps(inputs, settings_);
  std::vector<bool> present(wanted.size(), false);
  ASSIGN_OR_RETURN(
      Statement select,
      conn.Prepare(absl::StrCat("SELECT ", kGapColumns,
                                " FROM gaps g WHERE g.person_id = ? AND "
                                "g.close_us IS NULL")));
  select.Bind(1, person_id);
  struct Current {
    v1::CareGap gap;
    std::string key;
    int64_t open_us;
    bool announced;
  };
  std::vector<Current> current;
  while (true) {
    ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    current.push_back({GapFrom(select), select.ColumnText(1),
                       select.ColumnInt64(5), select.ColumnInt64(9) != 0});
  }
  const int64_t now_us = absl::ToUnixMicros(time);
  for (const Current& gap : current) {
    bool still = false;
    for (size_t i = 0; i < wanted.size(); ++i) {
      if (present[i] || !IsGap(gap.key, GapKey(wanted[i]))) continue;
      present[i] = true;
      still = true;
      // The same gap: keep its detail and teams current (rewritten only
      // when they changed); announce it once its threshold has passed.
      const bool open_now = gap.open_us <= now_us;
      const bool same =
          gap.gap.detail() == wanted[i].detail &&
          std::equal(gap.gap.teams().begin(), gap.gap.teams().end(),
                     wanted[i].teams.begin(), wanted[i].teams.end());
      if (!same) {
        RETURN_IF_ERROR(DropGap(conn, person_id, gap.key));
        RETURN_IF_ERROR(InsertGap(conn, person_id, gap.key, wanted[i],
                                  gap.announced || open_now));
      } else if (!gap.announced && open_now) {
        RETURN_IF_ERROR(MarkAnnounced(conn, person_id, gap.key));
      }
      if (!gap.announced && open_now) {
        NotifyGap(inbox, "inbox.gap_opened",
                  GapOf(person_id, gap.key, wanted[i]), time);
      }
    }
    if (still) continue;
    if (gap.open_us > now_us && !gap.announced) {
      // It never opened: nothing to keep. (One already announced, judged
      // open when another feed was further on, is closed like any other,
      // so every gap_opened item has its gap_closed.)
      RETURN_IF_ERROR(DropGap(conn, person_id, gap.key));
      continue;
    }
    ASSIGN_OR_RETURN(Statement close,
                     conn.Prepare("UPDATE gaps SET close_us = ?, "
                                  "close_reason = ?, announced = 1 WHERE "
                                  "person_id = ? AND key = ?"));
    close.Bind(1, std::max(now_us, gap.open_us))
        .Bind(2, CloseReason(gap.gap.kind()))
        .Bind(3, person_id)
        .Bind(4, gap.key);
    RETURN_IF_ERROR(close.Run());
    v1::CareGap closed = gap.gap;
    closed.set_detail(absl::StrCat("Closed (", CloseReason(gap.gap.kind()),
                                   "): ", gap.gap.detail()));
    NotifyGap(inbox, "inbox.gap_closed", closed, time);
  }
  for (size_t i = 0; i < wanted.size(); ++i) {
    if (present[i]) continue;
    const bool open_now = absl::ToUnixMicros(wanted[i].open_time) <= now_us;
    ASSIGN_OR_RETURN(std::string key,
                     FreshKey(conn, person_id, GapKey(wanted[i])));
    RETURN_IF_ERROR(InsertGap(conn, person_id, key, wanted[i], open_now));
    if (open_now) {
      NotifyGap(inbox, "inbox.gap_opened", GapOf(person_id, key, wanted[i]),
                time);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::CareGap>> SqliteRecordStore::ListGaps(
    const GapQuery& query) {
  int64_t kinds = 0;
  for (v1::GapKind kind : query.kinds) kinds |= int64_t{1} << kind;
  const bool by_team = !query.team.empty();
  std::vector<v1::CareGap> gaps;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    // Each list walks its own index in its own order: a team's links
    // (team, open_us, person_id, key), one person's gaps (person_id, ...),
    // or every gap (open_us, person_id, key); never a scan and a sort.
    const char* order = by_team ? "t" : "g";
    std::string from;
    if (by_team) {
      from =
          "gap_teams t JOIN gaps g ON g.person_id = t.person_id AND g.key = "
          "t.key WHERE t.team = ?1 AND t.open_us <= ?2 AND (?4 = '' OR "
          "t.person_id = ?4) AND ";
    } else if (!query.person_id.empty()) {
      from =
          "gaps g WHERE ?1 = '' AND g.person_id = ?4 AND g.open_us <= ?2 AND ";
    } else {
      from = "gaps g WHERE ?1 = '' AND ?4 = '' AND g.open_us <= ?2 AND ";
    }
    ASSIGN_OR_RETURN(
        Statement select,
        conn.Prepare(absl::StrCat(
            "SELECT ", kGapColumns, " FROM ", from,
            "(?3 OR g.close_us IS NULL) AND (?5 = 0 OR ((1 << g.kind) & ?5) "
            "!= 0) AND (?6 = 0 OR (",
            order, ".open_us, ", order, ".person_id, ", order,
            ".key) > (?7, ?8, ?9)) ORDER BY ", order, ".open_us, ", order,
            ".person_id, ", order, ".key LIMIT ?10")));
    select.Bind(1, query.team)
        .Bind(2, absl::ToUnixMicros(query.now))
        .Bind(3, static_cast<int64_t>(query.include_closed))
        .Bind(4, query.person_id)
        .Bind(5, kinds)
        .Bind(6, static_cast<int64_t>(query.after.has_value()))
        .Bind(7, query.after.has_value() ? query.after->open_us : 0)
        .Bind(8,
              query.after.has_value() ? query.after->person_id : std::string())
        .Bind(9, query.after.has_value() ? query.after->key : std::string())
        .Bind(10, static_cast<int64_t>(query.limit));
    while (true) {
      ASSIGN_OR_RETURN(bool row, select.Step());
      if (!row) return absl::OkStatus();
      gaps.push_back(GapFrom(select));
    }
  }));
  return gaps;
}

absl::StatusOr<std::vector<HandOffFacts>> SqliteRecordStore::ReadReceived(
    absl::string_view team, absl::Time start, absl::Time end) {
  std::vector<HandOffFacts> received;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(
        Statement select,
        conn.Prepare("SELECT resource, handover, person_id, sending_team, "
                     "receiving_team, urgency, create_us, due_us, answer_us, "
                     "outcome, reason, onward, escalated FROM handoffs WHERE "
                     "receiving_team = ? AND create_us >= ? AND create_us < ? "
                     "ORDER BY create_us"));
    select.Bind(1, team)
        .Bind(2, absl::ToUnixMicros(start))
        .Bind(3, absl::ToUnixMicros(end));
    while (true) {
      ASSIGN_OR_RETURN(bool row, select.Step());
      if (!row) return absl::OkStatus();
      HandOffFacts& facts = received.emplace_back();
      facts.resource = select.ColumnText(0);
      facts.handover = select.ColumnInt64(1) != 0;
      facts.person_id = select.ColumnText(2);
      facts.sending_team = select.ColumnText(3);
      facts.receiving_team = select.ColumnText(4);
      facts.urgency = static_cast<int>(select.ColumnInt64(5));
      facts.create_time = absl::FromUnixMicros(select.ColumnInt64(6));
      if (!select.ColumnIsNull(7)) {
        facts.due_time = absl::FromUnixMicros(select.ColumnInt64(7));
      }
      if (!select.ColumnIsNull(8)) {
        facts.answer_time = absl::FromUnixMicros(select.ColumnInt64(8));
      }
      facts.outcome = select.ColumnText(9);
      facts.reason = select.ColumnText(10);
      facts.onward = select.ColumnText(11);
      facts.escalated = select.ColumnInt64(12) != 0;
    }
  }));
  return received;
}

absl::StatusOr<int> SqliteRecordStore::CountBounced(
    const std::vector<std::string>& person_ids, absl::Time start,
    absl::Time end) {
  int count = 0;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    for (const std::string& person_id : person_ids) {
      ASSIGN_OR_RETURN(
          Statement select,
          conn.Prepare("SELECT 1 FROM gaps WHERE person_id = ? AND kind = ? "
                       "AND open_us < ? AND (close_us IS NULL OR close_us >= "
                       "?) LIMIT 1"));
      select.Bind(1, person_id)
          .Bind(2, static_cast<int64_t>(v1::BOUNCED))
          .Bind(3, absl::ToUnixMicros(end))
          .Bind(4, absl::ToUnixMicros(start));
      ASSIGN_OR_RETURN(bool row, select.Step());
      if (row) ++count;
    }
    return absl::OkStatus();
  }));
  return count;
}

}  // namespace carebridge::record

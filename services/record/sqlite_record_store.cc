#include "services/record/sqlite_record_store.h"

#include <limits>
#include <utility>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
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
                   conn.Prepare("SELECT version, summary FROM plans WHERE "
                                "person_id = ?"));
  select.Bind(1, state.person_id);
  ASSIGN_OR_RETURN(bool exists, select.Step());
  v1::CareSummary plan = state.plan;
  if (exists) {
    if (select.ColumnInt64(0) >= plan.care_plan_version()) {
      return absl::OkStatus();
    }
    v1::CareSummary before;
    if (!before.ParseFromString(select.ColumnBlob(1))) {
      return absl::DataLossError("record: a stored care plan is corrupt");
    }
    if (before.lead_team() == plan.lead_team()) {
      *plan.mutable_lead_since() = before.lead_since();
    }
  }
  if (!plan.has_lead_since() && !plan.lead_team().empty()) {
    *plan.mutable_lead_since() = ToProtoTimestamp(state.time);
  }
  if (plan.lead_team().empty()) plan.clear_lead_since();
  ASSIGN_OR_RETURN(Statement upsert,
                   conn.Prepare("INSERT OR REPLACE INTO plans (person_id, "
                                "version, summary) VALUES (?, ?, ?)"));
  upsert.Bind(1, state.person_id)
      .Bind(2, plan.care_plan_version())
      .BindBlob(3, plan.SerializeAsString());
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

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteRecordStore>> SqliteRecordStore::Open(
    const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db,
                   SqliteDb::Open(path, Migrations()));
  return std::unique_ptr<SqliteRecordStore>(
      new SqliteRecordStore(std::move(db)));
}

absl::Status SqliteRecordStore::Apply(const RecordChange& change,
                                      const FeedPosition& position) {
  return db_->Write([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(bool pending, IsPending(conn, position));
    if (!pending) return absl::OkStatus();
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
    return MarkApplied(conn, position);
  });
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

}  // namespace carebridge::record

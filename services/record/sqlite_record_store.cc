#include "services/record/sqlite_record_store.h"

#include <map>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/macros.h"
#include "services/common/sqlite_event_log.h"
#include "services/common/time_util.h"
#include "services/record/sqlite_record_rows.h"
#include "services/record/sqlite_record_schema.h"
#include "services/record/timeline_positions.h"

namespace carebridge::record {
namespace {

// Why a gap the merged record no longer calls for closed.
constexpr char kMergedCloseReason[] =
    "the person's two registrations were merged";

// The timeline's key: one event's step about one person.
constexpr char kTimelineKey[] = "person_id, time_us, feed_rank, sequence";

// UpsertSql's statement for a timeline row, with its position (the 16th
// value) kept when the row is there already: the same event applied again
// (a consumer re-anchored backwards) was sent to the streams once already.
const std::string& InsertEntrySql() {
  static const std::string* const sql = [] {
    const std::string upsert =
        UpsertSql("timeline", kTimelineColumns, kTimelineKey);
    std::string marks;
    for (int i = 0; i < 16; ++i) absl::StrAppend(&marks, i > 0 ? ", ?" : "?");
    return new std::string(absl::StrCat(
        "INSERT INTO timeline (", kTimelineColumns, ", applied) VALUES (",
        marks, ")", upsert.substr(upsert.find(" ON CONFLICT"))));
  }();
  return *sql;
}

absl::Status InsertEntry(Connection& conn, const TimelineRow& row,
                         int64_t position) {
  ASSIGN_OR_RETURN(Statement insert, conn.Prepare(InsertEntrySql()));
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
      .Bind(14, static_cast<int64_t>(FeedRank(row.feed)))
      .Bind(16, position);
  if (row.sections.has_value()) {
    insert.Bind(15, absl::StrJoin(*row.sections, ","));
  } else {
    insert.BindNull(15);
  }
  return conn.RunLater(std::move(insert));
}

absl::Status ApplyPlan(Connection& conn, const PlanState& state) {
  ASSIGN_OR_RETURN(Statement select,
                   conn.Prepare("SELECT version, summary, unagreed_since_us, "
                                "no_lead_since_us, former_lead FROM plans "
                                "WHERE person_id = ?"));
  select.Bind(1, state.person_id);
  ASSIGN_OR_RETURN(bool exists, select.Step());
  v1::CareSummary plan = state.plan;
  const int64_t now_us = absl::ToUnixMicros(state.time);
  // -1: unset (NULL). Plain integers: GCC takes std::optional here for
  // maybe-uninitialized.
  int64_t unagreed_since = -1;
  int64_t no_lead_since = -1;
  // The team that led before nobody did (empty: none, or not known).
  std::string former_lead;
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
    if (!select.ColumnIsNull(4)) former_lead = select.ColumnText(4);
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
    former_lead.clear();
  } else if (exists && !before.lead_team().empty()) {
    no_lead_since = now_us;
    former_lead = before.lead_team();
  }
  ASSIGN_OR_RETURN(Statement upsert, conn.Prepare(UpsertSql(
                                         "plans",
                                         "person_id, version, summary, "
                                         "unagreed_since_us, no_lead_since_us, "
                                         "former_lead",
                                         "person_id")));
  upsert.Bind(1, state.person_id)
      .Bind(2, plan.care_plan_version())
      .BindBlob(3, plan.SerializeAsString());
  if (unagreed_since >= 0) {
    upsert.Bind(4, unagreed_since);
  } else {
    upsert.BindNull(4);
  }
  if (no_lead_since >= 0) {
    upsert.Bind(5, no_lead_since);
  } else {
    upsert.BindNull(5);
  }
  if (!former_lead.empty()) {
    upsert.Bind(6, former_lead);
  } else {
    upsert.BindNull(6);
  }
  return conn.RunLater(std::move(upsert));
}

absl::Status ApplyFacts(Connection& conn, const HandOffFacts& facts) {
  ASSIGN_OR_RETURN(
      Statement upsert,
      conn.Prepare(UpsertSql("handoffs",
                             "resource, handover, person_id, sending_team, "
                             "receiving_team, urgency, create_us, due_us, "
                             "answer_us, outcome, reason, onward, escalated",
                             "resource")));
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
  } else {
    upsert.BindNull(8);
  }
  if (facts.answer_time != absl::InfinitePast()) {
    upsert.Bind(9, absl::ToUnixMicros(facts.answer_time));
  } else {
    upsert.BindNull(9);
  }
  return conn.RunLater(std::move(upsert));
}

absl::Status ApplyTeam(Connection& conn, const TeamSector& team) {
  ASSIGN_OR_RETURN(Statement upsert,
                   conn.Prepare(UpsertSql("teams", "team, sector", "team")));
  upsert.Bind(1, team.team).Bind(2, static_cast<int64_t>(team.sector));
  return conn.RunLater(std::move(upsert));
}

absl::Status ApplyLoop(Connection& conn, const LoopChange& loop) {
  if (!loop.open) {
    ASSIGN_OR_RETURN(Statement remove,
                     conn.Prepare("DELETE FROM open_loops WHERE resource = ?"));
    remove.Bind(1, loop.resource);
    return conn.RunLater(std::move(remove));
  }
  ASSIGN_OR_RETURN(
      Statement upsert,
      conn.Prepare(UpsertSql(
          "open_loops", "resource, person_id, since_us, loop", "resource")));
  upsert.Bind(1, loop.resource)
      .Bind(2, loop.person_id)
      .Bind(3, absl::ToUnixMicros(FromProtoTimestamp(loop.loop.since())))
      .BindBlob(4, loop.loop.SerializeAsString());
  return conn.RunLater(std::move(upsert));
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteRecordStore>> SqliteRecordStore::Open(
    const DatabaseLocation& location, GapSettings settings,
    const HmacSha256* audit_key) {
  // The record is rebuilt from the feeds, and its cursors commit with its
  // projections: a commit lost with the machine's power is applied again
  // from the feeds, so commits need not wait for the disk (which every
  // service's durable writes share).
  DatabaseOptions options;
  options.durable_commits = false;
  options.audit_key = audit_key;
  // Each event touches a few small rows in many indexes (timeline, loops,
  // gaps, inbox): with 1 KB pages a commit writes a quarter of the bytes.
  // In the closed-loop benchmark the record kept up with 15-20% more loops
  // a second, and showed each answer sooner (README, the record during the
  // closed loop).
  options.sqlite_page_size = 1024;
  ASSIGN_OR_RETURN(std::unique_ptr<Database> db,
                   OpenDatabase(location, RecordMigrations(), options));
  return std::unique_ptr<SqliteRecordStore>(
      new SqliteRecordStore(std::move(db), settings));
}

absl::StatusOr<std::unique_ptr<SqliteRecordStore>> SqliteRecordStore::Open(
    const std::string& sqlite_path, GapSettings settings,
    const HmacSha256* audit_key) {
  DatabaseLocation location;
  location.sqlite_path = sqlite_path;
  location.schema = "record";
  return Open(location, settings, audit_key);
}

// Writes whose results are not read (the timeline entry, the plan, hand-off
// facts, open loops, teams, the person's row) go by RunLater: on
// PostgreSQL they ride with the next statement's round trip.
//
// On PostgreSQL every statement is a round trip, and the record's writes
// run one at a time, so under a steady flow of events its writer is what
// the record waits for. Asked per event, the cursor (three reads and a
// write) and the person (two statements) were six of the sixteen or so
// statements an event took; a batch asks each once and moves each feed's
// cursor once, at the end (about twelve per event in the closed loop).
struct SqliteRecordStore::Batch {
  // Each feed's cursor as this transaction has moved it (read once).
  std::map<std::string, int64_t> cursors;
  // The feeds whose events were applied, and the last of each.
  std::map<std::string, int64_t> applied_through;
  // Persons resolved (ResolvePerson) in this transaction: forgotten after
  // a merge, which changes where they lead.
  std::map<std::string, std::string> resolved;
  // Persons known to be in `persons` in this transaction.
  std::set<std::string> known;
  // Persons whose timeline grew (or moved, a merge): their streams wake.
  std::set<std::string> grown;
  // The positions given to the entries written (AppliedRow::position).
  TimelinePositions positions;
};

absl::Status SqliteRecordStore::Apply(
    absl::Span<const PositionedChange> changes) {
  bool appended = false;
  std::vector<std::string> grown;
  absl::Status written = db_->Write([&](Connection& conn) -> absl::Status {
    appended = false;
    Batch batch;
    for (const PositionedChange& one : changes) {
      RETURN_IF_ERROR(
          ApplyOne(conn, one.change, one.position, batch, &appended));
    }
    // One cursor move per feed: the same as one per event, since all of it
    // commits together (MarkApplied still refuses an event not pending).
    for (const auto& [feed, sequence] : batch.applied_through) {
      RETURN_IF_ERROR(MarkApplied(conn, FeedPosition(feed, sequence)));
    }
    RETURN_IF_ERROR(batch.positions.Store(conn));
    // Timeline streams served by other processes (replicas) wake too.
    RETURN_IF_ERROR(TimelineChanges::Announce(conn, batch.grown));
    grown.assign(batch.grown.begin(), batch.grown.end());
    return absl::OkStatus();
  });
  // Wakes the inbox and timeline streams once the changes are durable.
  if (written.ok() && appended) event_log_.NotifyCommitted();
  if (written.ok() && !grown.empty()) timeline_changes_.Changed(grown);
  return written;
}

absl::Status SqliteRecordStore::ApplyOne(Connection& conn,
                                         const RecordChange& projected,
                                         const FeedPosition& position,
                                         Batch& batch, bool* appended) {
  bool pending = false;
  if (position.is_retry()) {
    ASSIGN_OR_RETURN(pending, IsPending(conn, position));
  } else {
    auto cursor = batch.cursors.find(position.feed);
    if (cursor == batch.cursors.end()) {
      ASSIGN_OR_RETURN(int64_t stored, ReadConsumerCursor(conn, position.feed));
      cursor = batch.cursors.emplace(position.feed, stored).first;
    }
    pending = position.sequence > cursor->second;
  }
  if (!pending) return absl::OkStatus();
  // An event about a person merged into another (its feed behind the
  // directory's) applies to the person kept.
  std::optional<RecordChange> readdressed;
  if (!projected.person_id.empty()) {
    auto resolved = batch.resolved.find(projected.person_id);
    if (resolved == batch.resolved.end()) {
      ASSIGN_OR_RETURN(std::string person_id,
                       ResolvePerson(conn, projected.person_id));
      resolved =
          batch.resolved.emplace(projected.person_id, std::move(person_id))
              .first;
    }
    if (resolved->second != projected.person_id) {
      readdressed = projected;
      Readdress(*readdressed, resolved->second);
    }
  }
  const RecordChange& change =
      readdressed.has_value() ? *readdressed : projected;
  std::vector<InboxNote> inbox = change.inbox;
  if (!change.person_id.empty() &&
      batch.known.insert(change.person_id).second) {
    ASSIGN_OR_RETURN(Statement person,
                     conn.Prepare("INSERT INTO persons (person_id) VALUES "
                                  "(?) ON CONFLICT (person_id) DO NOTHING"));
    person.Bind(1, change.person_id);
    RETURN_IF_ERROR(conn.RunLater(std::move(person)));
  }
  if (change.entry.has_value()) {
    ASSIGN_OR_RETURN(const int64_t position,
                     batch.positions.Next(conn, FeedRank(change.entry->feed)));
    RETURN_IF_ERROR(InsertEntry(conn, *change.entry, position));
    batch.grown.insert(change.entry->person_id);
  }
  if (change.plan.has_value()) RETURN_IF_ERROR(ApplyPlan(conn, *change.plan));
  if (change.loop.has_value()) RETURN_IF_ERROR(ApplyLoop(conn, *change.loop));
  if (change.team.has_value()) RETURN_IF_ERROR(ApplyTeam(conn, *change.team));
  if (change.facts.has_value()) {
    RETURN_IF_ERROR(ApplyFacts(conn, *change.facts));
  }
  if (change.merge.has_value()) {
    RETURN_IF_ERROR(
        ApplyMerge(conn, *change.merge, change.time, batch.positions));
    batch.resolved.clear();
    // The duplicate's streams learn it was merged.
    batch.grown.insert(change.merge->duplicate_id);
    batch.grown.insert(change.merge->into_id);
  }
  const GapScope scope = GapScopeOf(change);
  if (scope.judged) {
    RETURN_IF_ERROR(
        ReconcileGaps(conn, change.person_id, scope, change.time, inbox,
                      change.merge.has_value() ? kMergedCloseReason : ""));
  }
  RETURN_IF_ERROR(AppendInbox(conn, inbox, change.time));
  *appended = *appended || !inbox.empty();
  if (position.is_retry()) return MarkApplied(conn, position);
  batch.cursors[position.feed] = position.sequence;
  batch.applied_through[position.feed] = position.sequence;
  return absl::OkStatus();
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
            " (?5, ?6, ?7)) AND (?8 = 0 OR ((CAST(1 AS BIGINT) << kind) & ?8) "
            "!= 0) ORDER BY "
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

absl::StatusOr<std::vector<std::pair<v1::GapKind, int64_t>>>
SqliteRecordStore::CountOpenGaps(absl::Time now) {
  std::vector<std::pair<v1::GapKind, int64_t>> counts;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Statement select,
                     conn.Prepare("SELECT kind, count(*) FROM gaps WHERE "
                                  "close_us IS NULL AND open_us <= ? GROUP BY "
                                  "kind ORDER BY kind"));
    select.Bind(1, absl::ToUnixMicros(now));
    while (true) {
      ASSIGN_OR_RETURN(bool row, select.Step());
      if (!row) break;
      counts.emplace_back(static_cast<v1::GapKind>(select.ColumnInt64(0)),
                          select.ColumnInt64(1));
    }
    return absl::OkStatus();
  }));
  return counts;
}

}  // namespace carebridge::record

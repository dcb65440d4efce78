#include "services/record/sqlite_record_rows.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "services/common/macros.h"
#include "services/common/sqlite_event_log.h"

namespace carebridge::record {

std::string JoinTeams(const std::vector<std::string>& teams) {
  return absl::StrJoin(teams, "\n");
}

std::vector<std::string> SplitTeams(const std::string& joined) {
  if (joined.empty()) return {};
  return absl::StrSplit(joined, '\n');
}

std::string UpsertSql(absl::string_view table, absl::string_view columns,
                      absl::string_view key) {
  const std::vector<std::string> keys =
      absl::StrSplit(key, ',', absl::SkipWhitespace());
  std::vector<std::string> marks;
  std::vector<std::string> updates;
  for (absl::string_view name :
       absl::StrSplit(columns, ',', absl::SkipWhitespace())) {
    name = absl::StripAsciiWhitespace(name);
    marks.push_back("?");
    bool is_key = false;
    for (const std::string& one : keys) {
      is_key = is_key || absl::StripAsciiWhitespace(one) == name;
    }
    if (!is_key) updates.push_back(absl::StrCat(name, " = excluded.", name));
  }
  return absl::StrCat("INSERT INTO ", table, " (", columns, ") VALUES (",
                      absl::StrJoin(marks, ", "), ") ON CONFLICT (", key,
                      ") DO UPDATE SET ", absl::StrJoin(updates, ", "));
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
  if (!select.ColumnIsNull(14)) {
    row.sections.emplace();
    for (absl::string_view section :
         absl::StrSplit(select.ColumnText(14), ',', absl::SkipEmpty())) {
      int value = 0;
      if (absl::SimpleAtoi(section, &value)) row.sections->push_back(value);
    }
  }
  return row;
}

absl::Status AppendInbox(Connection& conn, const std::vector<InboxNote>& inbox,
                         absl::Time time) {
  for (const InboxNote& note : inbox) {
    RETURN_IF_ERROR(SqliteEventLog::AppendLater(
        conn,
        MakeEvent(note.type, note.item.resource(), note.item.person(),
                  {note.item.team()}, "services/record", time, note.item)));
  }
  return absl::OkStatus();
}

GapScope GapScopeOf(const RecordChange& change) {
  GapScope scope;
  if (change.person_id.empty()) return scope;
  const bool break_glass =
      change.entry.has_value() && change.entry->kind == v1::BREAK_GLASS;
  scope.judged =
      change.plan.has_value() || change.loop.has_value() ||
      change.merge.has_value() || break_glass ||
      (change.entry.has_value() && change.entry->kind == v1::REFERRAL);
  scope.all_loops = change.merge.has_value();
  if (change.loop.has_value()) scope.loops.push_back(change.loop->resource);
  if (break_glass || change.merge.has_value()) {
    scope.break_glass = GapScope::BreakGlass::kYes;
  } else if (change.plan.has_value()) {
    scope.break_glass = GapScope::BreakGlass::kWhileUnreviewed;
  }
  return scope;
}

}  // namespace carebridge::record

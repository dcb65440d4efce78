// SqliteRecordStore: a person registered twice. The duplicate's history
// moves to the person kept, in the transaction of the `person.merged`
// event, and the alias stays so later events about the duplicate (feeds
// arrive in any order) land on the person kept.

#include <initializer_list>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "services/common/macros.h"
#include "services/record/record_gaps.h"
#include "services/record/sqlite_record_rows.h"
#include "services/record/sqlite_record_store.h"

namespace carebridge::record {
namespace {

// Runs `sql` with ?1, ?2... bound to `values`.
absl::Status Run(Connection& conn, const char* sql,
                 std::initializer_list<std::string> values) {
  ASSIGN_OR_RETURN(Statement statement, conn.Prepare(sql));
  int index = 0;
  for (const std::string& value : values) statement.Bind(++index, value);
  return statement.Run();
}

// Moves the duplicate's gaps. A gap about the duplicate itself (its
// subject `persons/{duplicate}`...) becomes one about the person kept, keyed
// as the gaps judged on the merged record are (GapKey), so it stays open if
// they still call for it; others keep their key unless the person kept has
// a gap of that key (then `{key}-2`...).
absl::Status MoveGaps(Connection& conn, const std::string& from,
                      const std::string& into) {
  struct Moving {
    std::string key;
    WantedGap gap;
  };
  std::vector<Moving> moving;
  {
    ASSIGN_OR_RETURN(Statement select,
                     conn.Prepare("SELECT key, kind, subject, open_us FROM "
                                  "gaps WHERE person_id = ?"));
    select.Bind(1, from);
    while (true) {
      ASSIGN_OR_RETURN(bool row, select.Step());
      if (!row) break;
      Moving& one = moving.emplace_back();
      one.key = select.ColumnText(0);
      one.gap.kind = static_cast<v1::GapKind>(select.ColumnInt64(1));
      one.gap.subject = select.ColumnText(2);
      one.gap.open_time = absl::FromUnixMicros(select.ColumnInt64(3));
    }
  }
  const std::string person = absl::StrCat("persons/", from);
  for (Moving& one : moving) {
    std::string base = one.key;
    absl::string_view rest = one.gap.subject;
    if (absl::ConsumePrefix(&rest, person) &&
        (rest.empty() || rest.front() == '/')) {
      one.gap.subject = absl::StrCat("persons/", into, rest);
      base = GapKey(one.gap);
    }
    ASSIGN_OR_RETURN(std::string moved, FreshGapKey(conn, into, base));
    {
      ASSIGN_OR_RETURN(Statement update,
                       conn.Prepare("UPDATE gaps SET person_id = ?, key = ?, "
                                    "subject = ? WHERE person_id = ? AND "
                                    "key = ?"));
      update.Bind(1, into)
          .Bind(2, moved)
          .Bind(3, one.gap.subject)
          .Bind(4, from)
          .Bind(5, one.key);
      RETURN_IF_ERROR(update.Run());
    }
    RETURN_IF_ERROR(Run(conn,
                        "UPDATE gap_teams SET person_id = ?1, key = ?2 WHERE "
                        "person_id = ?3 AND key = ?4",
                        {into, moved, from, one.key}));
  }
  return absl::OkStatus();
}

// Moves the duplicate's timeline to the person kept. The entries moved are
// new on the kept person's timeline, so they get new positions, in time
// order within each feed: the kept person's streams, which have passed
// their old places, send them next (and a stream resumed from a cursor of
// before the merge too). An entry of the same event as one the person kept
// has (a row's key is its event's time, feed and sequence) stays behind
// and goes: it would be the same event recorded twice. Each moves by its
// key (PostgreSQL runs them with one round trip): one statement numbering
// them all was planned as a scan per row.
absl::Status MoveTimeline(Connection& conn, const std::string& from,
                          const std::string& into,
                          TimelinePositions& positions) {
  struct Moving {
    int rank;
    int64_t time_us;
    int64_t sequence;
  };
  std::vector<Moving> moving;
  std::map<int, int64_t> counts;
  {
    ASSIGN_OR_RETURN(
        Statement select,
        conn.Prepare(
            "SELECT moving.feed_rank, moving.time_us, moving.sequence FROM "
            "timeline moving WHERE moving.person_id = ?2 AND NOT EXISTS "
            "(SELECT 1 FROM timeline kept WHERE kept.person_id = ?1 AND "
            "kept.time_us = moving.time_us AND kept.feed_rank = "
            "moving.feed_rank AND kept.sequence = moving.sequence) ORDER BY "
            "moving.feed_rank, moving.time_us, moving.sequence"));
    select.Bind(1, into).Bind(2, from);
    while (true) {
      ASSIGN_OR_RETURN(bool row, select.Step());
      if (!row) break;
      moving.push_back({static_cast<int>(select.ColumnInt64(0)),
                        select.ColumnInt64(1), select.ColumnInt64(2)});
      ++counts[moving.back().rank];
    }
  }
  std::map<int, int64_t> next;
  for (const auto& [rank, count] : counts) {
    ASSIGN_OR_RETURN(next[rank], positions.Reserve(conn, rank, count));
  }
  for (const Moving& row : moving) {
    ASSIGN_OR_RETURN(Statement update,
                     conn.Prepare("UPDATE timeline SET person_id = ?, applied "
                                  "= ? WHERE person_id = ? AND time_us = ? "
                                  "AND feed_rank = ? AND sequence = ?"));
    int64_t& position = next[row.rank];
    update.Bind(1, into)
        .Bind(2, position)
        .Bind(3, from)
        .Bind(4, row.time_us)
        .Bind(5, static_cast<int64_t>(row.rank))
        .Bind(6, row.sequence);
    ++position;
    RETURN_IF_ERROR(conn.RunLater(std::move(update)));
  }
  return Run(conn, "DELETE FROM timeline WHERE person_id = ?1", {from});
}

}  // namespace

absl::StatusOr<std::string> ResolvePerson(Connection& conn,
                                          const std::string& person_id) {
  ASSIGN_OR_RETURN(Statement select,
                   conn.Prepare("SELECT into_id FROM merged_persons WHERE "
                                "person_id = ?"));
  select.Bind(1, person_id);
  ASSIGN_OR_RETURN(bool row, select.Step());
  return row ? select.ColumnText(0) : person_id;
}

absl::Status SqliteRecordStore::ApplyMerge(Connection& conn,
                                           const PersonMerge& merge,
                                           absl::Time time,
                                           TimelinePositions& positions) {
  const std::string& from = merge.duplicate_id;
  const std::string& into = merge.into_id;
  // Merged already (the first merge stands), or into itself through
  // earlier merges: nothing to move.
  ASSIGN_OR_RETURN(std::string before, ResolvePerson(conn, from));
  if (before != from || from == into) return absl::OkStatus();
  {
    ASSIGN_OR_RETURN(Statement alias,
                     conn.Prepare("INSERT INTO merged_persons (person_id, "
                                  "into_id, merge_us) VALUES (?, ?, ?)"));
    alias.Bind(1, from).Bind(2, into).Bind(3, absl::ToUnixMicros(time));
    RETURN_IF_ERROR(alias.Run());
  }
  // Persons merged into the duplicate before now lead to the person kept
  // (one step, however long the chain).
  RETURN_IF_ERROR(
      Run(conn, "UPDATE merged_persons SET into_id = ?1 WHERE into_id = ?2",
          {into, from}));
  RETURN_IF_ERROR(MoveTimeline(conn, from, into, positions));
  RETURN_IF_ERROR(Run(conn,
                      "UPDATE handoffs SET person_id = ?1 WHERE person_id = ?2",
                      {into, from}));
  // The directory merges no one with a care plan or anything awaiting an
  // answer; should the record hold either, the kept person's plan stands.
  RETURN_IF_ERROR(
      Run(conn, "UPDATE open_loops SET person_id = ?1 WHERE person_id = ?2",
          {into, from}));
  RETURN_IF_ERROR(Run(conn,
                      "UPDATE plans SET person_id = ?1 WHERE person_id = ?2 "
                      "AND NOT EXISTS (SELECT 1 FROM plans kept WHERE "
                      "kept.person_id = ?1)",
                      {into, from}));
  RETURN_IF_ERROR(Run(conn, "DELETE FROM plans WHERE person_id = ?1", {from}));
  return MoveGaps(conn, from, into);
}

absl::StatusOr<std::optional<std::string>> SqliteRecordStore::MergedInto(
    absl::string_view person_id) {
  std::optional<std::string> into;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(std::string resolved,
                     ResolvePerson(conn, std::string(person_id)));
    if (resolved != person_id) into = std::move(resolved);
    return absl::OkStatus();
  }));
  return into;
}

}  // namespace carebridge::record

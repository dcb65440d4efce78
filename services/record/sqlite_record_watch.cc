// SqliteRecordStore's reads for the timeline streams (WatchTimeline): a
// person's entries after a position in each source feed, and where a
// cursor of source sequences (issued before entries had positions) stands.

#include <string>

#include "absl/strings/str_cat.h"
#include "services/common/macros.h"
#include "services/record/sqlite_record_rows.h"
#include "services/record/sqlite_record_store.h"

namespace carebridge::record {
namespace {

// One arm per feed, in one statement (one snapshot, one round trip on
// PostgreSQL): ?1 the person, ?2 the kinds wanted (a bit per kind, 0: all),
// ?3 the rows per feed, then each feed's position. Found by the index on
// (person, feed, position).
std::string SinceSql() {
  std::string sql;
  for (int rank = 0; rank < kTimelineFeeds; ++rank) {
    if (rank > 0) absl::StrAppend(&sql, " UNION ALL ");
    absl::StrAppend(
        &sql, "SELECT * FROM (SELECT ", kTimelineColumns,
        ", applied FROM timeline WHERE person_id = ?1 AND feed_rank = ", rank,
        " AND applied > ?", rank + 4,
        " AND (?2 = 0 OR ((CAST(1 AS BIGINT) << kind) & ?2) != 0) ORDER BY "
        "applied LIMIT ?3) AS feed",
        rank);
  }
  return sql;
}

// One arm per feed: ?1 the person, then each feed's sequence. Among the
// entries the upgrade numbered (at most numbered_at_upgrade), in each
// feed's sequence order.
std::string PositionsOfSequencesSql() {
  std::string sql;
  for (int rank = 0; rank < kTimelineFeeds; ++rank) {
    if (rank > 0) absl::StrAppend(&sql, " UNION ALL ");
    absl::StrAppend(
        &sql, "SELECT ", rank,
        ", COALESCE(MAX(t.applied), 0) FROM timeline t, timeline_positions p "
        "WHERE t.person_id = ?1 AND t.feed_rank = ",
        rank, " AND p.feed_rank = ", rank,
        " AND t.applied <= p.numbered_at_upgrade AND t.sequence <= ?",
        rank + 2);
  }
  return sql;
}

}  // namespace

absl::StatusOr<std::array<std::vector<AppliedRow>, kTimelineFeeds>>
SqliteRecordStore::ReadTimelineSince(const TimelineSinceQuery& query) {
  int64_t kinds = 0;
  for (v1::EntryKind kind : query.kinds) kinds |= int64_t{1} << kind;
  std::array<std::vector<AppliedRow>, kTimelineFeeds> rows;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    for (std::vector<AppliedRow>& feed : rows) feed.clear();
    static const std::string* const sql = new std::string(SinceSql());
    ASSIGN_OR_RETURN(Statement select, conn.Prepare(*sql));
    select.Bind(1, query.person_id)
        .Bind(2, kinds)
        .Bind(3, static_cast<int64_t>(query.limit_per_feed + 1));
    for (int rank = 0; rank < kTimelineFeeds; ++rank) {
      select.Bind(rank + 4, query.after[rank]);
    }
    while (true) {
      ASSIGN_OR_RETURN(bool found, select.Step());
      if (!found) return absl::OkStatus();
      AppliedRow row{RowFrom(select), select.ColumnInt64(15)};
      const int rank = FeedRank(row.row.feed);
      if (rank < 0 || rank >= kTimelineFeeds) continue;
      rows[rank].push_back(std::move(row));
    }
  }));
  return rows;
}

absl::StatusOr<std::array<int64_t, kTimelineFeeds>>
SqliteRecordStore::PositionsOfSequences(
    absl::string_view person_id,
    const std::array<int64_t, kTimelineFeeds>& sequences) {
  std::array<int64_t, kTimelineFeeds> positions = {};
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    positions = {};
    static const std::string* const sql =
        new std::string(PositionsOfSequencesSql());
    ASSIGN_OR_RETURN(Statement select, conn.Prepare(*sql));
    select.Bind(1, person_id);
    for (int rank = 0; rank < kTimelineFeeds; ++rank) {
      select.Bind(rank + 2, sequences[rank]);
    }
    while (true) {
      ASSIGN_OR_RETURN(bool found, select.Step());
      if (!found) return absl::OkStatus();
      const int64_t rank = select.ColumnInt64(0);
      if (rank >= 0 && rank < kTimelineFeeds) {
        positions[rank] = select.ColumnInt64(1);
      }
    }
  }));
  return positions;
}

}  // namespace carebridge::record

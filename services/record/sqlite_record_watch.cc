// SqliteRecordStore's read for the timeline streams (WatchTimeline): a
// person's entries after a position in each source feed.

#include <string>

#include "absl/strings/str_cat.h"
#include "services/common/macros.h"
#include "services/record/sqlite_record_rows.h"
#include "services/record/sqlite_record_store.h"

namespace carebridge::record {
namespace {

// One arm per feed, in one statement (one snapshot, one round trip on
// PostgreSQL): ?1 the person, ?2 the kinds wanted (a bit per kind, 0: all),
// ?3 the rows per feed, then each feed's position. A person's rows are
// found by the primary key's first column; a person has thousands of
// entries at most, and a stream reads only when its person's timeline
// grew.
std::string SinceSql() {
  std::string sql;
  for (int rank = 0; rank < kTimelineFeeds; ++rank) {
    if (rank > 0) absl::StrAppend(&sql, " UNION ALL ");
    absl::StrAppend(
        &sql, "SELECT * FROM (SELECT ", kTimelineColumns,
        " FROM timeline WHERE person_id = ?1 AND feed_rank = ", rank,
        " AND sequence > ?", rank + 4,
        " AND (?2 = 0 OR ((CAST(1 AS BIGINT) << kind) & ?2) != 0) ORDER BY "
        "sequence LIMIT ?3) AS feed",
        rank);
  }
  return sql;
}

}  // namespace

absl::StatusOr<std::array<std::vector<TimelineRow>, kTimelineFeeds>>
SqliteRecordStore::ReadTimelineSince(const TimelineSinceQuery& query) {
  int64_t kinds = 0;
  for (v1::EntryKind kind : query.kinds) kinds |= int64_t{1} << kind;
  std::array<std::vector<TimelineRow>, kTimelineFeeds> rows;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    for (std::vector<TimelineRow>& feed : rows) feed.clear();
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
      TimelineRow row = RowFrom(select);
      const int rank = FeedRank(row.feed);
      if (rank < 0 || rank >= kTimelineFeeds) continue;
      rows[rank].push_back(std::move(row));
    }
  }));
  return rows;
}

}  // namespace carebridge::record

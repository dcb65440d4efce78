#include "services/record/timeline_positions.h"

#include "absl/strings/str_cat.h"
#include "services/common/macros.h"
#include "services/record/record_store.h"

namespace carebridge::record {

absl::StatusOr<int64_t> TimelinePositions::Next(Connection& conn, int rank) {
  return Reserve(conn, rank, 1);
}

absl::StatusOr<int64_t> TimelinePositions::Reserve(Connection& conn, int rank,
                                                   int64_t count) {
  if (rank < 0 || rank >= kTimelineFeeds) return 0;
  auto last = last_.find(rank);
  if (last == last_.end()) {
    ASSIGN_OR_RETURN(Statement select,
                     conn.Prepare("SELECT last_applied FROM "
                                  "timeline_positions WHERE feed_rank = ?"));
    select.Bind(1, static_cast<int64_t>(rank));
    ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) {
      return absl::InternalError(absl::StrCat(
          "record: the timeline has no positions of feed rank ", rank));
    }
    last = last_.emplace(rank, select.ColumnInt64(0)).first;
  }
  const int64_t first = last->second + 1;
  last->second += count;
  moved_.insert(rank);
  return first;
}

absl::Status TimelinePositions::Store(Connection& conn) {
  for (int rank : moved_) {
    ASSIGN_OR_RETURN(Statement update,
                     conn.Prepare("UPDATE timeline_positions SET "
                                  "last_applied = ? WHERE feed_rank = ?"));
    update.Bind(1, last_[rank]).Bind(2, static_cast<int64_t>(rank));
    RETURN_IF_ERROR(conn.RunLater(std::move(update)));
  }
  return absl::OkStatus();
}

}  // namespace carebridge::record

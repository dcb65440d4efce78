#ifndef CAREBRIDGE_SERVICES_RECORD_TIMELINE_POSITIONS_H_
#define CAREBRIDGE_SERVICES_RECORD_TIMELINE_POSITIONS_H_

#include <cstdint>
#include <map>
#include <set>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/common/database.h"

namespace carebridge::record {

// The positions one write transaction of the record store gives the
// timeline entries it writes (AppliedRow::position), per source feed: a
// feed's last position is read once (timeline_positions), handed on in
// order, and written back by Store before the commit.
//
// Every transaction that gives positions of a feed writes that feed's row:
// its consumer's, an administrator's retry of a parked event (in whichever
// replica), a merge moving entries of every feed. On PostgreSQL two such
// transactions conflict (serializable: the later writer of the row runs
// again, after the other committed), so a feed's positions commit in the
// order they are given; on SQLite writes take turns. A counter shared by
// every feed would make the four feeds' consumers, each in its replica,
// conflict at every commit; a sequence would give numbers that commit out
// of order.
//
// Not thread-safe: one transaction's.
class TimelinePositions {
 public:
  // The next position of feed `rank` (FeedRank); 0 for a rank that is not
  // one of the timeline's feeds (no stream reads those).
  absl::StatusOr<int64_t> Next(Connection& conn, int rank);
  // `count` (> 0) positions of feed `rank` in a row: the first of them.
  absl::StatusOr<int64_t> Reserve(Connection& conn, int rank, int64_t count);
  // Writes the last position given of each feed that gave any.
  absl::Status Store(Connection& conn);

 private:
  // By rank, the last position given (or read).
  std::map<int, int64_t> last_;
  std::set<int> moved_;
};

}  // namespace carebridge::record

#endif  // CAREBRIDGE_SERVICES_RECORD_TIMELINE_POSITIONS_H_

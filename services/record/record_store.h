#ifndef CAREBRIDGE_SERVICES_RECORD_RECORD_STORE_H_
#define CAREBRIDGE_SERVICES_RECORD_RECORD_STORE_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "carebridge/record/v1/record.pb.h"
#include "services/common/consumer_ledger.h"
#include "services/record/record_gaps.h"
#include "services/record/record_projection.h"
#include "services/record/timeline_changes.h"

namespace carebridge::record {

// Where a timeline read starts: after (before, newest first) this entry.
struct TimelineCursor {
  int64_t time_us = 0;
  std::string feed;
  int64_t sequence = 0;
};

// Which gaps to list: open ones at `now` (and closed ones when asked), in
// (open time, person, key) order after `after`.
struct GapQuery {
  // A team's work list; every team's when empty.
  std::string team;
  // One person's; everyone's when empty.
  std::string person_id;
  std::vector<v1::GapKind> kinds;
  bool include_closed = false;
  absl::Time now;
  struct Cursor {
    int64_t open_us = 0;
    std::string person_id;
    std::string key;
  };
  std::optional<Cursor> after;
  int limit = 100;
};

struct TimelineQuery {
  std::string person_id;
  // Kinds wanted; every kind when empty.
  std::vector<v1::EntryKind> kinds;
  // [start, end): either may be infinite.
  absl::Time start = absl::InfinitePast();
  absl::Time end = absl::InfiniteFuture();
  bool newest_first = false;
  std::optional<TimelineCursor> after;
  int limit = 100;
};

// The source feeds timeline entries come from, by FeedRank: directory,
// referral, handover, careplan.
inline constexpr int kTimelineFeeds = 4;

// What a timeline stream reads next: a person's entries after where it
// stands in each source feed's positions (AppliedRow::position).
struct TimelineSinceQuery {
  std::string person_id;
  // Kinds wanted; every kind when empty.
  std::vector<v1::EntryKind> kinds;
  // The last position read of each feed, by FeedRank.
  std::array<int64_t, kTimelineFeeds> after = {};
  // Entries read per feed at most (one more is read to tell there are
  // more).
  int limit_per_feed = 100;
};

// A timeline entry with its position: the record's own count of the
// entries it put on timelines from the entry's source feed. The one
// transaction that puts an entry on a person's timeline gives it the next
// position of its feed: a step applied (in feed order, or late: a parked
// event retried, a step of a re-anchored feed) and every step a merge
// moves to the person kept. Positions of one feed commit in order, so a
// reader that has seen position N of a feed never sees a lower one of that
// feed appear later: "after position N of each feed" misses nothing the
// record applies later, whatever its time or source sequence.
struct AppliedRow {
  TimelineRow row;
  int64_t position = 0;
};

// What one event changes, and its place in its feed.
struct PositionedChange {
  RecordChange change;
  FeedPosition position;
};

// The record's projections, kept in its own database with the cursors of
// the feeds it follows. Implementations are thread-safe.
class RecordStore {
 public:
  virtual ~RecordStore() = default;

  // Applies what events change, in feed order and in ONE transaction, each
  // with its position (MarkApplied); an event no longer pending
  // (IsPending) changes nothing. All of it commits or none of it does. A
  // change about a person merged into another applies to that other.
  virtual absl::Status Apply(absl::Span<const PositionedChange> changes) = 0;
  // Announces (inbox.gap_opened in each of its teams' inboxes, as of `now`)
  // every gap not yet announced whose open time is at or before `now`: its
  // threshold passed with no change to the person since. How many.
  virtual absl::StatusOr<int> AnnounceDueGaps(absl::Time now) = 0;
  // True once any event about the person was applied.
  virtual absl::StatusOr<bool> PersonKnown(absl::string_view person_id) = 0;
  // The person `person_id` was merged into (`person.merged`; the last of a
  // chain of merges), whose record holds its history; nullopt when it was
  // not merged.
  virtual absl::StatusOr<std::optional<std::string>> MergedInto(
      absl::string_view person_id) = 0;
  // Entries in (time, FeedRank(feed), sequence) order (reversed newest
  // first).
  virtual absl::StatusOr<std::vector<TimelineRow>> ReadTimeline(
      const TimelineQuery& query) = 0;
  // Per feed (by FeedRank), the entries after the query's position, in
  // position order, at most limit_per_feed + 1 each; all read from one
  // snapshot.
  virtual absl::StatusOr<std::array<std::vector<AppliedRow>, kTimelineFeeds>>
  ReadTimelineSince(const TimelineSinceQuery& query) = 0;
  // Where a timeline stream cursor issued before the record gave entries
  // positions stands; such a cursor counted source sequences. The upgrade
  // numbered the entries it found in each feed's sequence order, so the
  // person's entries at or below `sequences` are exactly those up to the
  // returned position (0: none) of each feed; entries applied since have
  // higher positions.
  virtual absl::StatusOr<std::array<int64_t, kTimelineFeeds>>
  PositionsOfSequences(
      absl::string_view person_id,
      const std::array<int64_t, kTimelineFeeds>& sequences) = 0;
  // The database positions belong to: an id fixed when it was created, so
  // a record rebuilt from the feeds (whose positions differ) has another.
  virtual absl::StatusOr<std::string> TimelineEpoch() = 0;
  // Wakes the timeline streams after each commit that adds to a person's
  // timeline.
  virtual TimelineChanges* timeline_changes() = 0;
  // The care plan part of the summary (with lead_since); nullopt when the
  // person has no plan.
  virtual absl::StatusOr<std::optional<v1::CareSummary>> ReadPlan(
      absl::string_view person_id) = 0;
  // Referrals and handovers about the person awaiting an answer, oldest
  // first.
  virtual absl::StatusOr<std::vector<v1::OpenLoop>> ReadOpenLoops(
      absl::string_view person_id) = 0;
  // The referrals (and handovers) `team` received in [start, end).
  virtual absl::StatusOr<std::vector<HandOffFacts>> ReadReceived(
      absl::string_view team, absl::Time start, absl::Time end) = 0;
  // How many of `person_ids` had a BOUNCED gap open at some time in
  // [start, end).
  virtual absl::StatusOr<int> CountBounced(
      const std::vector<std::string>& person_ids, absl::Time start,
      absl::Time end) = 0;
  // How many gaps are open at `now`, by kind (kinds with none left out).
  virtual absl::StatusOr<std::vector<std::pair<v1::GapKind, int64_t>>>
  CountOpenGaps(absl::Time now) = 0;
  // Care gaps (see GapQuery); each with its cursor key (`name` ends in it).
  virtual absl::StatusOr<std::vector<v1::CareGap>> ListGaps(
      const GapQuery& query) = 0;
  virtual ConsumerLedger* ledger() = 0;
};

}  // namespace carebridge::record

#endif  // CAREBRIDGE_SERVICES_RECORD_RECORD_STORE_H_

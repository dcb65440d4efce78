#ifndef CAREBRIDGE_SERVICES_RECORD_SQLITE_RECORD_STORE_H_
#define CAREBRIDGE_SERVICES_RECORD_SQLITE_RECORD_STORE_H_

#include <memory>
#include <string>

#include "services/common/consumer_ledger.h"
#include "services/common/database.h"
#include "services/common/database_opener.h"
#include "services/common/sqlite_event_log.h"
#include "services/record/record_store.h"
#include "services/record/timeline_positions.h"

namespace carebridge::record {

// RecordStore on a Database, SQLite (`record.db`) or PostgreSQL (schema
// `record`); the name is from when SQLite was the only engine. The
// timeline, the care plan part of each summary and the open loops, with
// the cursors and parked events of the feeds the record follows, in one
// database, so an event's projection and its cursor commit together.
// This class is thread-safe.
class SqliteRecordStore : public RecordStore {
 public:
  // Opens (creating and migrating if needed) the database at `location`.
  static absl::StatusOr<std::unique_ptr<SqliteRecordStore>> Open(
      const DatabaseLocation& location, GapSettings settings = GapSettings(),
      const HmacSha256* audit_key = nullptr);
  // The same for the SQLite file at `sqlite_path`.
  static absl::StatusOr<std::unique_ptr<SqliteRecordStore>> Open(
      const std::string& sqlite_path, GapSettings settings = GapSettings(),
      const HmacSha256* audit_key = nullptr);

  absl::Status Apply(absl::Span<const PositionedChange> changes) override;
  absl::StatusOr<int> AnnounceDueGaps(absl::Time now) override;
  absl::StatusOr<bool> PersonKnown(absl::string_view person_id) override;
  absl::StatusOr<std::optional<std::string>> MergedInto(
      absl::string_view person_id) override;
  absl::StatusOr<std::vector<TimelineRow>> ReadTimeline(
      const TimelineQuery& query) override;
  absl::StatusOr<std::array<std::vector<AppliedRow>, kTimelineFeeds>>
  ReadTimelineSince(const TimelineSinceQuery& query) override;
  absl::StatusOr<std::array<int64_t, kTimelineFeeds>> PositionsOfSequences(
      absl::string_view person_id,
      const std::array<int64_t, kTimelineFeeds>& sequences) override;
  absl::StatusOr<std::string> TimelineEpoch() override {
    return event_log_.Epoch();
  }
  TimelineChanges* timeline_changes() override { return &timeline_changes_; }
  absl::StatusOr<std::optional<v1::CareSummary>> ReadPlan(
      absl::string_view person_id) override;
  absl::StatusOr<std::vector<v1::OpenLoop>> ReadOpenLoops(
      absl::string_view person_id) override;
  absl::StatusOr<std::vector<v1::CareGap>> ListGaps(
      const GapQuery& query) override;
  absl::StatusOr<std::vector<HandOffFacts>> ReadReceived(
      absl::string_view team, absl::Time start, absl::Time end) override;
  absl::StatusOr<int> CountBounced(const std::vector<std::string>& person_ids,
                                   absl::Time start, absl::Time end) override;
  absl::StatusOr<std::vector<std::pair<v1::GapKind, int64_t>>> CountOpenGaps(
      absl::Time now) override;
  ConsumerLedger* ledger() override { return &ledger_; }
  // The record's own feed: the team inbox items (RecordService.Subscribe).
  EventLog* event_log() { return &event_log_; }
  Database* db() { return db_.get(); }

 private:
  SqliteRecordStore(std::unique_ptr<Database> db, GapSettings settings)
      : db_(std::move(db)),
        settings_(settings),
        ledger_(db_.get()),
        event_log_("record", db_.get()),
        timeline_changes_(db_.get()) {}

  // What one Apply transaction has learnt so far (sqlite_record_store.cc).
  struct Batch;
  // One event's change within Apply's transaction; `*appended` when it put
  // items in the inbox.
  absl::Status ApplyOne(Connection& conn, const RecordChange& projected,
                        const FeedPosition& position, Batch& batch,
                        bool* appended);
  // Moves everything the record holds about `merge.duplicate_id` to
  // `merge.into_id` and remembers where it went (sqlite_record_merges.cc);
  // the entries moved get new positions from `positions`.
  absl::Status ApplyMerge(Connection& conn, const PersonMerge& merge,
                          absl::Time time, TimelinePositions& positions);
  // Brings the person's gaps in line with what the record now says, as of
  // `time` (the event's): new ones opened, gone ones closed (or dropped,
  // if they had not opened yet). Those closed say why as their kind's
  // cause does, or `close_reason` when given.
  // Only the gaps `scope` covers are judged (the others cannot have
  // changed); any other not yet announced whose threshold passed is
  // announced.
  absl::Status ReconcileGaps(Connection& conn, const std::string& person_id,
                             const GapScope& scope, absl::Time time,
                             std::vector<InboxNote>& inbox,
                             absl::string_view close_reason = "");

  std::unique_ptr<Database> db_;
  const GapSettings settings_;
  SqliteConsumerLedger ledger_;
  SqliteEventLog event_log_;
  TimelineChanges timeline_changes_;
};

}  // namespace carebridge::record

#endif  // CAREBRIDGE_SERVICES_RECORD_SQLITE_RECORD_STORE_H_

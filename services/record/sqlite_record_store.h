#ifndef CAREBRIDGE_SERVICES_RECORD_SQLITE_RECORD_STORE_H_
#define CAREBRIDGE_SERVICES_RECORD_SQLITE_RECORD_STORE_H_

#include <memory>
#include <string>

#include "services/common/sqlite_db.h"
#include "services/record/record_store.h"

namespace carebridge::record {

// RecordStore on SQLite (`record.db`): the timeline, the care plan part of
// each summary and the open loops, with the cursors and parked events of
// the feeds the record follows, in one file, so an event's projection and
// its cursor commit together. This class is thread-safe.
class SqliteRecordStore : public RecordStore {
 public:
  // Opens (creating and migrating if needed) the database at `path`.
  static absl::StatusOr<std::unique_ptr<SqliteRecordStore>> Open(
      const std::string& path);

  absl::Status Apply(const RecordChange& change,
                     const FeedPosition& position) override;
  absl::StatusOr<bool> PersonKnown(absl::string_view person_id) override;
  absl::StatusOr<std::vector<TimelineRow>> ReadTimeline(
      const TimelineQuery& query) override;
  absl::StatusOr<std::optional<v1::CareSummary>> ReadPlan(
      absl::string_view person_id) override;
  absl::StatusOr<std::vector<v1::OpenLoop>> ReadOpenLoops(
      absl::string_view person_id) override;
  ConsumerLedger* ledger() override { return &ledger_; }

 private:
  explicit SqliteRecordStore(std::unique_ptr<SqliteDb> db)
      : db_(std::move(db)), ledger_(db_.get()) {}

  std::unique_ptr<SqliteDb> db_;
  SqliteConsumerLedger ledger_;
};

}  // namespace carebridge::record

#endif  // CAREBRIDGE_SERVICES_RECORD_SQLITE_RECORD_STORE_H_

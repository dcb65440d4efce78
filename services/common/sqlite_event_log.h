#ifndef CAREBRIDGE_SERVICES_COMMON_SQLITE_EVENT_LOG_H_
#define CAREBRIDGE_SERVICES_COMMON_SQLITE_EVENT_LOG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "carebridge/events/v1/events.pb.h"
#include "services/common/event_log.h"
#include "services/common/sqlite_db.h"

namespace carebridge {

// SQL for a migration step that creates the outbox table. A service adds
// it to its own migrations (as a new version).
extern const char kOutboxSchemaSql[];
// SQL for the migration step after kOutboxSchemaSql: the feed's epoch (a
// random id fixed when the database is created) and each event's time, so
// a feed can say when its head happened.
extern const char kOutboxEpochSchemaSql[];
// SQL for a migration step that creates the consumer cursor table, for a
// service that consumes other services' feeds. The ledger's own step
// (kConsumerLedgerSchemaSql in consumer_ledger.h) follows it.
extern const char kConsumerCursorSchemaSql[];

// A service's outbox in its own SQLite database. Sequences are SQLite's
// AUTOINCREMENT row ids: SQLite has one writer at a time, so sequence order
// is commit order and a reader never sees a sequence before a smaller one
// that is still to commit (a PostgreSQL outbox must serialise sequence
// assignment with its commit for the same guarantee).
//
// This class is thread-safe.
class SqliteEventLog : public EventLog {
 public:
  // `db` must have the outbox table (kOutboxSchemaSql) and outlive this.
  SqliteEventLog(std::string feed, SqliteDb* db)
      : EventLog(std::move(feed)), db_(db) {}

  // Inside a store's write transaction: appends `event` to the outbox and
  // returns its sequence. The event commits (or rolls back) with the change
  // it describes. The caller calls NotifyCommitted() once the write
  // returned OK. An event larger than kMaxEventBytes is INVALID_ARGUMENT
  // (the transaction must roll back): no feed could deliver it.
  static absl::StatusOr<int64_t> Append(Connection& conn,
                                        const events::v1::Event& event);

  absl::StatusOr<Slice> ReadSlice(int64_t after, int limit,
                                  size_t max_bytes) override;
  absl::StatusOr<FeedHead> ReadHead() override;
  absl::StatusOr<std::string> Epoch() override;

 private:
  SqliteDb* const db_;
  absl::Mutex epoch_mu_;
  std::string epoch_ ABSL_GUARDED_BY(epoch_mu_);
};

// A consumer's position in another service's feed, kept in the consumer's
// own database, read and written inside the consumer's transactions so the
// position moves with what was applied.
// The last sequence applied from `feed`; 0 when nothing was.
absl::StatusOr<int64_t> ReadConsumerCursor(Connection& conn,
                                           absl::string_view feed);
// Records `sequence` as applied from `feed`. A sequence at or below the one
// recorded is FAILED_PRECONDITION (the event was applied already: the
// caller's transaction must roll back, which makes redelivery harmless).
absl::Status AdvanceConsumerCursor(Connection& conn, absl::string_view feed,
                                   int64_t sequence);
// Sets the cursor of `feed` to `sequence`, forwards or backwards: for an
// administrator re-anchoring a consumer on a reset producer.
absl::Status SetConsumerCursor(Connection& conn, absl::string_view feed,
                               int64_t sequence);

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_SQLITE_EVENT_LOG_H_

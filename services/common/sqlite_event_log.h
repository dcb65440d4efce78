#ifndef CAREBRIDGE_SERVICES_COMMON_SQLITE_EVENT_LOG_H_
#define CAREBRIDGE_SERVICES_COMMON_SQLITE_EVENT_LOG_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "carebridge/events/v1/events.pb.h"
#include "services/common/database.h"
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
// kOutboxSchemaSql and kOutboxEpochSchemaSql for PostgreSQL, as one
// migration step: the outbox (sequences from the one-row table feed_head,
// see SqliteEventLog) and the feed's epoch.
extern const char kPgOutboxSchemaSql[];
// kConsumerCursorSchemaSql for PostgreSQL (a consumer with no outbox).
extern const char kPgConsumerCursorSchemaSql[];

// A service's outbox in its own database (SQLite or PostgreSQL). A reader
// never sees a sequence before a smaller one that is still to commit, and
// sequences have no gaps: on SQLite they are AUTOINCREMENT row ids and
// SQLite has one writer at a time, so sequence order is commit order; on
// PostgreSQL, where several writers (and replicas) commit concurrently, an
// append takes the next sequence by updating the one-row table feed_head
// in the writing transaction, which holds the row until that transaction
// ends, so appenders to the feed commit one after another, in sequence
// order (a BIGSERIAL would hand out 5 and 6 to two transactions and let 6
// commit first; a reader at 6 would then never see 5).
//
// Replicas of a service (several processes on one PostgreSQL) append to the
// same feed: each append announces channel kFeedChannel, and every log
// watches it (Database::Watch), so a feed served by one replica wakes for
// events another committed, as it does for its own process's commits.
//
// This class is thread-safe.
class SqliteEventLog : public EventLog {
 public:
  // The channel appends announce (Connection::Announce).
  static constexpr char kFeedChannel[] = "feed";

  // `db` must have the outbox tables (kOutboxSchemaSql and
  // kOutboxEpochSchemaSql, or kPgOutboxSchemaSql) and outlive this.
  // Starts watching other processes' appends where the database has them
  // (if it cannot now, the next read tries again).
  SqliteEventLog(std::string feed, Database* db);
  // Stops watching before the log goes.
  ~SqliteEventLog() override;

  // Inside a store's write transaction: appends `event` to the outbox and
  // returns its sequence. The event commits (or rolls back) with the change
  // it describes. The caller calls NotifyCommitted() once the write
  // returned OK; other processes' logs on the database are woken by the
  // commit itself. An event larger than kMaxEventBytes is INVALID_ARGUMENT
  // (the transaction must roll back): no feed could deliver it.
  static absl::StatusOr<int64_t> Append(Connection& conn,
                                        const events::v1::Event& event);
  // As Append, for a caller that does not want the sequence: on PostgreSQL
  // the event goes with the transaction's next round trip
  // (Connection::RunLater), not in one of its own.
  static absl::Status AppendLater(Connection& conn,
                                  const events::v1::Event& event);

  absl::StatusOr<Slice> ReadSlice(int64_t after, int limit,
                                  size_t max_bytes) override;
  absl::StatusOr<FeedHead> ReadHead() override;
  absl::StatusOr<std::string> Epoch() override;

  // Whether commits of other processes wake this log's listeners (false on
  // SQLite, where there are none, and while the watch could not start).
  bool watching_other_processes() ABSL_LOCKS_EXCLUDED(watch_mu_);

 private:
  // Append and AppendLater (0 for the sequence with `later`).
  static absl::StatusOr<int64_t> AppendEvent(Connection& conn,
                                             const events::v1::Event& event,
                                             bool later);
  // Starts the watch unless it runs, or the database has nothing to watch.
  void EnsureWatching() ABSL_LOCKS_EXCLUDED(watch_mu_);

  Database* const db_;
  absl::Mutex epoch_mu_;
  std::string epoch_ ABSL_GUARDED_BY(epoch_mu_);
  absl::Mutex watch_mu_;
  // Watch() said there is nothing to watch (one process owns the database).
  bool nothing_to_watch_ ABSL_GUARDED_BY(watch_mu_) = false;
  // A failure to start is logged once, not on every read.
  bool watch_failure_logged_ ABSL_GUARDED_BY(watch_mu_) = false;
  std::unique_ptr<DatabaseWatch> watch_ ABSL_GUARDED_BY(watch_mu_);
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

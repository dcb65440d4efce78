#ifndef CAREBRIDGE_SERVICES_COMMON_CONSUMER_LEDGER_H_
#define CAREBRIDGE_SERVICES_COMMON_CONSUMER_LEDGER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "carebridge/events/v1/events.pb.h"
#include "services/common/database.h"
#include "services/common/sqlite_db.h"

namespace carebridge {

// SQL for the migration step after kConsumerCursorSchemaSql: the epoch of
// the feed each cursor follows, and the parked events.
extern const char kConsumerLedgerSchemaSql[];
// The step after kConsumerLedgerSchemaSql: each parked event gets an id of
// its own and the producer epoch it came from, so an event of a reset
// producer's new database never overwrites one parked from the old.
extern const char kParkedEventIdSchemaSql[];
// kConsumerLedgerSchemaSql and kParkedEventIdSchemaSql for PostgreSQL, as
// one migration step after kPgConsumerCursorSchemaSql (or
// kPgOutboxSchemaSql's cursor table): the cursors' epochs and the parked
// events, feed names in byte order (COLLATE "C") as on SQLite.
extern const char kPgConsumerLedgerSchemaSql[];

// Which event an apply is for, and so what its transaction records: the
// consumer's cursor moves to `sequence`, or, for an administrator's retry of
// a parked event (`parked_id` and `retried_by` set), the parked event is
// marked applied.
// Either way an event already applied is refused in the same transaction,
// which makes redelivery and repeated retries harmless.
struct FeedPosition {
  FeedPosition() = default;
  FeedPosition(std::string feed, int64_t sequence)
      : feed(std::move(feed)), sequence(sequence) {}

  std::string feed;
  int64_t sequence = 0;
  // For an administrator's retry: the parked event (ParkedEvent::id), and
  // `members/{id}` of the administrator and when; 0 and empty for the
  // consumer's own delivery.
  int64_t parked_id = 0;
  std::string retried_by;
  absl::Time retry_time = absl::InfinitePast();

  bool is_retry() const { return parked_id != 0; }
};

// Inside a consumer's write transaction: true when the event at `position`
// still needs applying (above the cursor; or, for a retry, still parked).
absl::StatusOr<bool> IsPending(Connection& conn, const FeedPosition& position);
// Inside the same transaction as the effect: records that `position` was
// applied (moves the cursor, or marks the parked event applied). Refuses
// with ALREADY_EXISTS when it is not pending, so the caller's transaction
// rolls back.
absl::Status MarkApplied(Connection& conn, const FeedPosition& position);

// What became of a parked event.
enum class ParkedState {
  kParked = 1,
  // An administrator's retry applied it.
  kApplied = 2,
  // An administrator decided it needs no effect, with a reason.
  kDismissed = 3,
};

// An event a consumer could not apply after its retries, kept with why, so
// nothing is skipped silently and nothing holds up the events after it.
struct ParkedEvent {
  // The ledger's own number for it (events of two producer epochs may share
  // a sequence): `consumers/{c}/parkedEvents/{id}`.
  int64_t id = 0;
  // The producer epoch the event came from.
  std::string epoch;
  events::v1::Event event;
  std::string reason;
  int attempts = 0;
  absl::Time park_time;
  ParkedState state = ParkedState::kParked;
  // For applied and dismissed events: who, when, and (dismissed) why.
  std::string resolved_by;
  absl::Time resolve_time = absl::InfinitePast();
  std::string resolution;
};

// Where a consumer stands in one feed.
struct ConsumerPosition {
  // The last sequence applied or parked; 0 before any.
  int64_t sequence = 0;
  // The epoch of the producer's database the sequence belongs to; empty
  // until the consumer first learns it.
  std::string epoch;
};

// A consumer's durable bookkeeping of the feeds it follows, kept in the
// consumer's own database: cursors with the producer's epoch, and parked
// events. The effect of an event and its cursor are written by the
// consumer's store (MarkApplied); the ledger writes what needs no effect.
// Implementations are thread-safe.
class ConsumerLedger {
 public:
  virtual ~ConsumerLedger() = default;

  virtual absl::StatusOr<ConsumerPosition> Position(absl::string_view feed) = 0;
  // Remembers the epoch of the feed's producer (first sight of it).
  virtual absl::Status RecordEpoch(absl::string_view feed,
                                   absl::string_view epoch) = 0;
  // Parks `event` (of the cursor's epoch) with why, and moves the cursor
  // past it, in one transaction. An event at or below the cursor is left
  // alone (OK).
  virtual absl::Status Park(absl::string_view feed,
                            const events::v1::Event& event,
                            absl::string_view reason, int attempts,
                            absl::Time now) = 0;
  // A parked event of `feed`; NOT_FOUND when there is no parked event `id`.
  virtual absl::StatusOr<ParkedEvent> GetParked(absl::string_view feed,
                                                int64_t id) = 0;
  // Up to `limit` events of `feed` (every feed when empty) after
  // (`after_feed`, `after_id`), in (feed, id) order; only those still
  // parked unless `include_resolved`.
  virtual absl::StatusOr<std::vector<ParkedEvent>> ListParked(
      absl::string_view feed, bool include_resolved,
      absl::string_view after_feed, int64_t after_id, int limit) = 0;
  // Events of `feed` still parked.
  virtual absl::StatusOr<int64_t> CountParked(absl::string_view feed) = 0;
  // A retry that failed again: the new reason, one more attempt.
  virtual absl::Status RecordRetryFailure(absl::string_view feed, int64_t id,
                                          absl::string_view reason) = 0;
  // Marks a parked event dismissed by `actor` with `why`. FAILED_PRECONDITION
  // when it is not parked (any more).
  virtual absl::Status Dismiss(absl::string_view feed, int64_t id,
                               absl::string_view actor, absl::string_view why,
                               absl::Time now) = 0;
  // An administrator re-anchors the consumer: cursor `sequence` of the
  // producer database `epoch` (forwards or backwards; backwards, the events
  // after `sequence` are delivered and applied again).
  virtual absl::Status Reset(absl::string_view feed, int64_t sequence,
                             absl::string_view epoch) = 0;
};

// ConsumerLedger on the consumer's own database, SQLite or PostgreSQL,
// which must have the cursor and ledger tables (kConsumerCursorSchemaSql,
// then kConsumerLedgerSchemaSql, then kParkedEventIdSchemaSql; on
// PostgreSQL kPgConsumerCursorSchemaSql, then kPgConsumerLedgerSchemaSql).
// This class is thread-safe.
class SqliteConsumerLedger : public ConsumerLedger {
 public:
  // `db` outlives this.
  explicit SqliteConsumerLedger(Database* db) : db_(db) {}

  absl::StatusOr<ConsumerPosition> Position(absl::string_view feed) override;
  absl::Status RecordEpoch(absl::string_view feed,
                           absl::string_view epoch) override;
  absl::Status Park(absl::string_view feed, const events::v1::Event& event,
                    absl::string_view reason, int attempts,
                    absl::Time now) override;
  absl::StatusOr<ParkedEvent> GetParked(absl::string_view feed,
                                        int64_t id) override;
  absl::StatusOr<std::vector<ParkedEvent>> ListParked(
      absl::string_view feed, bool include_resolved,
      absl::string_view after_feed, int64_t after_id, int limit) override;
  absl::StatusOr<int64_t> CountParked(absl::string_view feed) override;
  absl::Status RecordRetryFailure(absl::string_view feed, int64_t id,
                                  absl::string_view reason) override;
  absl::Status Dismiss(absl::string_view feed, int64_t id,
                       absl::string_view actor, absl::string_view why,
                       absl::Time now) override;
  absl::Status Reset(absl::string_view feed, int64_t sequence,
                     absl::string_view epoch) override;

 private:
  Database* const db_;
};

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_CONSUMER_LEDGER_H_

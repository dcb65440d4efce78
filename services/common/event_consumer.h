#ifndef CAREBRIDGE_SERVICES_COMMON_EVENT_CONSUMER_H_
#define CAREBRIDGE_SERVICES_COMMON_EVENT_CONSUMER_H_

#include <grpcpp/client_context.h>
#include <grpcpp/support/sync_stream.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "carebridge/events/v1/events.pb.h"
#include "services/common/clock.h"
#include "services/common/consumer_ledger.h"
#include "services/common/database.h"
#include "services/common/exclusive_role.h"
#include "services/common/service_credentials.h"

namespace carebridge {

// Where a consumer is, for operators (FeedAdminService, `carectl admin
// feeds`).
struct ConsumerState {
  enum class Phase {
    // Not connected yet since start.
    kConnecting,
    // Subscribed and applying.
    kFollowing,
    // The producer cannot be reached (or dropped the stream), or an event
    // waits for something that is down; retrying.
    kRetrying,
    // The producer's database is not the one the cursor belongs to (another
    // epoch, or a head below the cursor): nothing is applied from it until
    // an administrator re-anchors the consumer (Reset).
    kProducerReset,
    kStopped,
    // Another replica of the consuming service follows the feed (it holds
    // the consumer's lock); this one watches the feed to tell how far
    // behind that one is, and takes over when that one goes.
    kStandingBy,
  };
  Phase phase = Phase::kConnecting;
  // The durable cursor: every event up to it applied or parked.
  int64_t cursor = 0;
  // The producer epoch the cursor belongs to, and the producer's epoch as
  // last seen (they differ when the producer was reset).
  std::string epoch;
  std::string producer_epoch;
  // The producer's head as last seen (0 before any response).
  int64_t head_sequence = 0;
  absl::Time head_time = absl::InfinitePast();
  // Events behind the head: past the cursor and not yet considered (events
  // the consumer's type filter leaves out count as considered).
  int64_t lag_events = 0;
  // How long ago the oldest event not yet applied happened; zero when
  // caught up.
  absl::Duration lag = absl::ZeroDuration();
  // Whether head_sequence, lag_events and lag are current: the subscription
  // is up (kFollowing), or, standing by, this replica's watch of the feed
  // (it applies nothing) has answered and not failed since, and covers the
  // shared cursor (a reset that took it back reopens the watch). Standing
  // by, the cursor is the one the replicas share, so lag_events and lag say
  // how far behind the replica that follows is; with the follower
  // Options::standby_max_noted events behind, the watch reads no further
  // and head_sequence and lag_events are a floor (lag is exact).
  bool live = false;
  std::string last_error;
  absl::Time last_error_time = absl::InfinitePast();
  int64_t parked_count = 0;
  absl::Time connected_since = absl::InfinitePast();
  absl::Time last_applied_time = absl::InfinitePast();
};

// Follows another service's event feed and applies each event, for ever:
// at-least-once delivery made effectively-once by the consumer's own store.
//
// The contract with `apply`: it is called with events in feed order and the
// FeedPosition to record. It must record the position (MarkApplied) in the
// SAME transaction as the effect (or alone, when the event needs nothing),
// and must treat a position that is no longer pending (IsPending) as
// applied already (return OK, change nothing). It returns OK when the event
// is applied or deliberately left without effect.
//
// Errors: a transient error (UNAVAILABLE, DEADLINE_EXCEEDED,
// RESOURCE_EXHAUSTED, CANCELLED: something the event needs is down) is
// retried with backoff for as long as it lasts: the event is never skipped.
// Any other error is retried `max_attempts` times (ABORTED, a lost race,
// four times as many), then the event is PARKED:
// written to the ledger with the reason, the cursor moved past it in the
// same transaction, and the consumer goes on with the next event. Nothing
// is skipped silently: parked events are listed for administrators, who
// retry them (RetryParked) or dismiss them with a reason.
//
// On start, and after every disconnect or error, the consumer reads its
// position from the ledger and resubscribes after it, so what is applied is
// decided only by the consumer's database.
//
// Replicas of the consuming service (several processes on one database)
// each run the consumer; one follows the feed at a time: the one holding
// the lock `consumer.{consumer}.{feed}` on Options::coordination, the
// ledger's database. The others stand by (kStandingBy) and try for the
// lock every Options::standby_retry; one that loses it (its session went)
// stops applying before its next event and stands by. A replica standing
// by subscribes too, from the shared cursor, and applies nothing: what it
// is sent tells it the head and which events the follower has still to
// apply, so its State() says how far behind the follower is, and a replica
// serving reads of what the consumer builds can say how fresh they are
// (it costs the producer a second stream of the same events). The cursor they
// share is the ledger's, so the replica taking over goes on from the last
// event applied, and an event a replica that just lost the lock was still
// applying is refused by the ledger (its position is no longer pending). It
// checks the producer's epoch (recorded on first sight) and head: a producer
// whose database changed or went back below the cursor is reported
// (kProducerReset), not followed.
//
// This class is thread-safe.
class EventConsumer {
 public:
  // Opens the producer's Subscribe stream: wraps the service's generated
  // stub, e.g. `stub->Subscribe(context, request)`.
  using StreamOpener = std::function<std::unique_ptr<
      grpc::ClientReaderInterface<events::v1::SubscribeResponse>>(
      grpc::ClientContext* context,
      const events::v1::SubscribeRequest& request)>;
  using Apply = std::function<absl::Status(const events::v1::Event& event,
                                           const FeedPosition& position)>;
  // Optional: applies several events, in feed order, in ONE transaction:
  // each still pending is applied and its position recorded as `apply`
  // would, and either all of it commits or nothing does. Under load a
  // feed's responses carry many events, and one commit for them all keeps
  // the consumer up with its producer. On any error the consumer applies
  // the same events one at a time through `apply`, with the retries and
  // parking described above, so one bad event never holds up the others.
  using ApplyBatch = std::function<absl::Status(
      absl::Span<const events::v1::Event* const> events,
      const std::string& feed)>;

  struct Options {
    // The consuming service (`careplan`) and the feed it follows
    // (`referral`): the consumer is named `{consumer}.{feed}`.
    std::string consumer;
    std::string feed;
    // Passed to the feed: only these event types are delivered.
    std::vector<std::string> type_prefixes;
    absl::Duration min_backoff = absl::Milliseconds(50);
    absl::Duration max_backoff = absl::Seconds(2);
    // Attempts at an event failing with a lasting error before it is
    // parked.
    int max_attempts = 5;
    // The most events given to one ApplyBatch call (one transaction): more
    // would hold the consumer's database longer than a commit should.
    int max_batch = 64;
    // The ledger's database, where replicas take the consumer's lock; null:
    // this process always follows (nothing shares the ledger).
    Database* coordination = nullptr;
    // How often a replica standing by tries for the lock (and checks that
    // the shared cursor has not gone back below what its watch noted); at
    // least 10 ms (less is taken as 10 ms).
    absl::Duration standby_retry = absl::Seconds(1);
    // The most events a replica standing by notes as still to be applied by
    // the follower (to tell the lag). When that many are noted it forgets
    // those the follower has applied since; if that leaves as many, it
    // reads no further until the follower has applied some (looking again
    // every standby_retry). 0 is taken as 1.
    size_t standby_max_noted = 4096;
  };

  // `apply_batch` may be empty: then every event goes through `apply`.
  EventConsumer(Options options, ServiceCredentials* credentials,
                const Clock* clock, ConsumerLedger* ledger, StreamOpener open,
                Apply apply, ApplyBatch apply_batch = nullptr);
  // Stops.
  ~EventConsumer();
  EventConsumer(const EventConsumer&) = delete;
  EventConsumer& operator=(const EventConsumer&) = delete;

  // `{consumer}.{feed}`, e.g. `careplan.referral`.
  const std::string& name() const { return name_; }
  const Options& options() const { return options_; }
  ConsumerLedger* ledger() const { return ledger_; }

  // Starts the thread that follows the feed. Once only.
  void Start();
  // Cancels the stream, waits for an apply in progress to finish, joins.
  // Idempotent.
  void Stop();

  // Where the consumer stands now (durable parts read from the ledger).
  absl::StatusOr<ConsumerState> State() ABSL_LOCKS_EXCLUDED(mu_);
  // An administrator (`actor`) retries parked event `parked_id` now:
  // applied, it is marked so (OK); failing again, it stays parked with the
  // new reason (FAILED_PRECONDITION saying why). NOT_FOUND when there is no
  // such parked event; FAILED_PRECONDITION when no longer parked.
  absl::Status RetryParked(int64_t parked_id, absl::string_view actor)
      ABSL_LOCKS_EXCLUDED(apply_mu_);
  // An administrator re-anchors the consumer at `sequence` of the producer
  // database `epoch` (empty: whatever the producer says next), e.g. after
  // restoring the producer from a backup. It waits for an apply in
  // progress; nothing delivered before the reset is applied after it, and
  // the stream restarts from the new position at once. Backwards, the
  // events after `sequence` are applied again. Among replicas only the one
  // holding the consumer's lock resets: FAILED_PRECONDITION on any other
  // (standing by, or connecting or retrying without the lock), since the
  // follower, elsewhere, would not notice and would move the cursor on.
  absl::Status Reset(int64_t sequence, absl::string_view epoch)
      ABSL_LOCKS_EXCLUDED(mu_, apply_mu_);

  // The highest sequence applied or parked since start (0 before any); for
  // tests and logs. Durable truth is the ledger.
  int64_t applied_through() const { return applied_through_.load(); }
  // Streams opened since start (1 after the first connect); reconnects
  // after failures raise it.
  int64_t connections() const { return connections_.load(); }

 private:
  void Run();
  // True when this process holds the consumer's lock (or took it now; a
  // replica that stood by then counts its lag from the shared cursor and
  // what its watch noted). Otherwise false once it has stood by, watching
  // the feed (WatchWhileStandingBy) until the watch ends, or, when the lock
  // cannot be asked for, noted the problem and waited standby_retry.
  bool ClaimFollowing(int64_t generation) ABSL_LOCKS_EXCLUDED(mu_);
  // While the consumer runs (with a coordination database): every
  // standby_retry, checks the lock is still held, and when it was lost ends
  // the subscription, so a follower waiting for events stands by at once
  // rather than at its next event. Standing by, it tries for the lock, and
  // when it took it ends the watch (Run then follows); otherwise, when the
  // shared cursor went back below what the watch noted (a reset by the
  // follower), it ends the watch too (Run watches again from the cursor).
  void WatchLock() ABSL_LOCKS_EXCLUDED(mu_);
  // Standing by: watches the feed after the shared cursor, applying
  // nothing, and notes the head and the events of the followed types it
  // delivers (for State), until stopped, WatchLock ended it, or the
  // watch fails (then after a pause of standby_retry).
  void WatchWhileStandingBy(int64_t generation) ABSL_LOCKS_EXCLUDED(mu_);
  // Standing by, Options::standby_max_noted events noted: forgets those the
  // follower has applied, and while as many are left reads no further,
  // looking again every standby_retry. False when the watch is to end
  // meanwhile (stopped, reset, or ended by WatchLock).
  bool WaitForFollower(int64_t generation, size_t max_noted)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Waits standby_retry; false at once when stopping, reset since
  // `generation`, or WatchLock ends the watch.
  bool PauseWatching(int64_t generation) ABSL_LOCKS_EXCLUDED(mu_);
  // Standing by, with the shared cursor at `cursor`: the last event the
  // follower has considered as far as the watch knows (the events of other
  // types after the cursor count), and in `*oldest_pending` the time of the
  // first it has still to apply (InfinitePast when none is noted).
  int64_t StandbyConsidered(int64_t cursor, absl::Time* oldest_pending) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Standing by, the watch failed: State() is not live, and says why.
  void NoteStandbyProblem(const absl::Status& status) ABSL_LOCKS_EXCLUDED(mu_);
  // One subscription, from the stored position until the stream ends, an
  // event keeps failing transiently, the producer looks reset, or the
  // consumer is reset (the generation moves on). OK when stopped or reset.
  // `*progressed` when it applied or parked anything.
  absl::Status FollowOnce(int64_t generation, bool* progressed);
  // Checks a response against the stored position; FAILED_PRECONDITION
  // when the producer was reset.
  absl::Status CheckProducer(const events::v1::SubscribeResponse& response,
                             ConsumerPosition& position);
  // Applies one event, retrying and at last parking it. CANCELLED when
  // stopped or reset meanwhile (then nothing more is written).
  absl::Status ApplyOne(const events::v1::Event& event, int64_t generation)
      ABSL_LOCKS_EXCLUDED(mu_, apply_mu_);
  // Applies `events` (more than one) in one ApplyBatch call; false when the
  // batch failed and nothing of it was applied (or the consumer was
  // stopped or reset meanwhile).
  bool TryBatch(absl::Span<const events::v1::Event* const> events,
                int64_t generation) ABSL_LOCKS_EXCLUDED(mu_, apply_mu_);
  // One attempt at `event`, or parking it (`park_reason` set), unless the
  // consumer was stopped or reset since `generation` (CANCELLED).
  absl::Status AttemptOrPark(const events::v1::Event& event, int64_t generation,
                             const std::string* park_reason, int attempts)
      ABSL_LOCKS_EXCLUDED(mu_, apply_mu_);
  // True while neither stopping nor reset since `generation`, and still
  // holding the consumer's lock.
  bool Current(int64_t generation) ABSL_LOCKS_EXCLUDED(mu_);
  // Waits `delay`; false at once when stopping or reset since `generation`.
  bool Pause(absl::Duration delay, int64_t generation) ABSL_LOCKS_EXCLUDED(mu_);
  // What this consumer asks of the feed: its event types after `sequence`
  // (the follower's subscription and a standby's watch alike).
  events::v1::SubscribeRequest SubscribeAfter(int64_t sequence) const;
  void NoteProblem(const absl::Status& status, ConsumerState::Phase phase)
      ABSL_LOCKS_EXCLUDED(mu_);
  void NoteApplied(const events::v1::Event& event, int64_t generation)
      ABSL_LOCKS_EXCLUDED(mu_);
  void Log(absl::string_view text) const;

  const Options options_;
  const std::string name_;
  ServiceCredentials* const credentials_;
  const Clock* const clock_;
  ConsumerLedger* const ledger_;
  const StreamOpener open_;
  const Apply apply_;
  const ApplyBatch apply_batch_;
  // Following the feed, among replicas sharing the ledger.
  ExclusiveRole role_;

  // Held across each apply and park, and by Reset and RetryParked: a reset
  // never lands in the middle of one, and an apply checks under it that no
  // reset came since its events were read. Taken before mu_.
  absl::Mutex apply_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Raised by each Reset: a subscription opened at an older generation
  // stops applying and is replaced.
  int64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  grpc::ClientContext* active_context_ ABSL_GUARDED_BY(mu_) = nullptr;
  // The watch of a replica standing by, while open.
  grpc::ClientContext* standby_context_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::thread thread_;
  std::thread lock_watch_thread_;
  // What operators see (the durable parts are read on demand).
  ConsumerState::Phase phase_ ABSL_GUARDED_BY(mu_) =
      ConsumerState::Phase::kConnecting;
  int64_t head_sequence_ ABSL_GUARDED_BY(mu_) = 0;
  std::string producer_epoch_ ABSL_GUARDED_BY(mu_);
  absl::Time head_time_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int64_t considered_through_ ABSL_GUARDED_BY(mu_) = 0;
  // The time of the oldest event received and not yet applied.
  absl::Time oldest_pending_time_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::string last_error_ ABSL_GUARDED_BY(mu_);
  absl::Time last_error_time_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time connected_since_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time last_applied_time_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // Standing by: the watch answered since this replica began standing by,
  // and has not failed since.
  bool standby_live_ ABSL_GUARDED_BY(mu_) = false;
  // Standing by: the events of the followed types the watch delivered
  // (sequence, time), in feed order. Those above the shared cursor are the
  // follower's still to apply; the oldest of them tells the lag.
  std::deque<std::pair<int64_t, absl::Time>> standby_pending_
      ABSL_GUARDED_BY(mu_);
  // Standing by: the events noted are every one of the followed types the
  // watch delivered after standby_from_ (where it began, or the cursor the
  // follower had passed when those at or below it were forgotten) up to
  // standby_through_. A cursor below standby_from_ (a reset) is not covered.
  int64_t standby_from_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t standby_through_ ABSL_GUARDED_BY(mu_) = 0;
  // Standing by: WatchLock ends the watch (it took the lock, or the cursor
  // went below standby_from_); reset as each watch opens.
  bool standby_ending_ ABSL_GUARDED_BY(mu_) = false;
  // Only the consumer thread touches these: a problem is logged once, not
  // once per retry.
  std::string last_logged_;
  bool standing_by_logged_ = false;

  std::atomic<int64_t> applied_through_{0};
  std::atomic<int64_t> connections_{0};
};

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_EVENT_CONSUMER_H_

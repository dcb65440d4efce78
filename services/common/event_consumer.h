#ifndef CAREBRIDGE_SERVICES_COMMON_EVENT_CONSUMER_H_
#define CAREBRIDGE_SERVICES_COMMON_EVENT_CONSUMER_H_

#include <grpcpp/client_context.h>
#include <grpcpp/support/sync_stream.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "carebridge/events/v1/events.pb.h"
#include "services/common/service_credentials.h"

namespace carebridge {

// Follows another service's event feed and applies each event, for ever:
// at-least-once delivery made effectively-once by the consumer's own store.
//
// The contract with `apply`: it is called with events in feed order. It
// must record `event.sequence()` as its cursor for the feed in the SAME
// transaction as the effect (or alone, when the event needs nothing), and
// must treat an event at or below its recorded cursor as applied already
// (return OK, change nothing). It returns OK when the event is applied or
// deliberately left without effect; any error is logged and the same event
// is retried after a backoff — the consumer never skips an event it could
// not apply, so `apply` must not return errors for events it can never
// apply (record them as skipped instead).
//
// On start, and after every disconnect or error, the consumer asks
// `load_cursor` where it stands and resubscribes after it, so what is
// applied is decided only by the consumer's database. When the producing
// service is down it retries with exponential backoff (min..max).
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
  using CursorLoader = std::function<absl::StatusOr<int64_t>()>;
  using Apply = std::function<absl::Status(const events::v1::Event& event)>;

  struct Options {
    // For logs: e.g. `careplan<-referral`.
    std::string name;
    // Passed to the feed: only these event types are delivered.
    std::vector<std::string> type_prefixes;
    absl::Duration min_backoff = absl::Milliseconds(50);
    absl::Duration max_backoff = absl::Seconds(2);
  };

  EventConsumer(Options options, ServiceCredentials* credentials,
                StreamOpener open, CursorLoader load_cursor, Apply apply);
  // Stops.
  ~EventConsumer();
  EventConsumer(const EventConsumer&) = delete;
  EventConsumer& operator=(const EventConsumer&) = delete;

  // Starts the thread that follows the feed. Once only.
  void Start();
  // Cancels the stream, waits for an apply in progress to finish, joins.
  // Idempotent.
  void Stop();

  // The highest sequence applied since start (0 before any); for tests and
  // logs. Durable truth is the consumer's store.
  int64_t applied_through() const { return applied_through_.load(); }
  // Streams opened since start (1 after the first connect); reconnects
  // after failures raise it.
  int64_t connections() const { return connections_.load(); }

 private:
  void Run();
  // One subscription, from the stored cursor until the stream ends or an
  // apply fails (then `*apply_failed`). OK when stopped.
  absl::Status FollowOnce(bool* apply_failed);
  // Logs a state change once: a connect, or a problem unlike the last one
  // logged (so a producer that stays down, or an event that keeps failing,
  // costs one line, not one per retry).
  void LogConnected(int64_t cursor);
  void LogProblem(const absl::Status& status, bool connected,
                  bool apply_failed);

  const Options options_;
  ServiceCredentials* const credentials_;
  const StreamOpener open_;
  const CursorLoader load_cursor_;
  const Apply apply_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* active_context_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::thread thread_;
  // Only the consumer thread touches these.
  bool connected_logged_ = false;
  std::string last_problem_;
  bool last_problem_was_apply_ = false;

  std::atomic<int64_t> applied_through_{0};
  std::atomic<int64_t> connections_{0};
};

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_EVENT_CONSUMER_H_

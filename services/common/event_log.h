#ifndef CAREBRIDGE_SERVICES_COMMON_EVENT_LOG_H_
#define CAREBRIDGE_SERVICES_COMMON_EVENT_LOG_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "carebridge/events/v1/events.pb.h"
#include "google/protobuf/message.h"

namespace carebridge {

// An event as a service's domain describes a change, before the store gives
// it a place in the feed (sequence, id and feed are filled in on append).
// `payload` is packed into the event's Any.
events::v1::Event MakeEvent(absl::string_view type, absl::string_view subject,
                            absl::string_view person,
                            std::vector<std::string> teams,
                            absl::string_view actor, absl::Time time,
                            const google::protobuf::Message& payload);

// The most an event may take on the wire (its serialized size), so every
// event fits in one feed response under the 4 MB a default gRPC client
// accepts. Stores refuse a bigger event with INVALID_ARGUMENT; services bound
// their resources well below it (e.g. a care plan version) so users meet a
// clear error naming their field first.
inline constexpr size_t kMaxEventBytes = 1 << 20;

// Where a feed stands: its newest committed event.
struct FeedHead {
  // 0 when the feed has no events.
  int64_t sequence = 0;
  // When the head event happened (its `time`); InfinitePast when there is
  // none or it is not known (an event stored before times were kept).
  absl::Time time = absl::InfinitePast();
};

// The read side of one service's outbox: the events it committed, in commit
// order, and a way to learn that more have committed. Stores append events
// in the same transaction as the change they describe (see
// sqlite_event_log.h) and call NotifyCommitted() once that transaction has
// committed; feeds (event_feed_grpc.h) read and wait here.
//
// This class is thread-safe.
class EventLog {
 public:
  using ListenerId = uint64_t;

  explicit EventLog(std::string feed) : feed_(std::move(feed)) {}
  virtual ~EventLog() = default;
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // `directory`, `referral`, `careplan` or `handover`.
  const std::string& feed() const { return feed_; }

  // What one read of the log found.
  struct Slice {
    // Oldest first, each with sequence, id and feed filled in.
    std::vector<events::v1::Event> events;
    // The log holds events after the last one returned (the read stopped
    // at its limit or its byte budget, not at the head).
    bool more = false;
  };

  // Up to `limit` events with sequence > `after`, together at most
  // `max_bytes` of serialized events — except that the first event is
  // always returned (events are at most kMaxEventBytes), so a reader always
  // moves on.
  virtual absl::StatusOr<Slice> ReadSlice(int64_t after, int limit,
                                          size_t max_bytes) = 0;
  absl::StatusOr<std::vector<events::v1::Event>> ReadAfter(int64_t after,
                                                           int limit) {
    absl::StatusOr<Slice> slice =
        ReadSlice(after, limit, std::numeric_limits<size_t>::max());
    if (!slice.ok()) return slice.status();
    return std::move(slice->events);
  }
  // The newest committed event's sequence and time.
  virtual absl::StatusOr<FeedHead> ReadHead() = 0;
  // The newest committed sequence; 0 when there is none.
  absl::StatusOr<int64_t> Head();
  // The feed's epoch: an id fixed when the producer's database was created.
  // A consumer that sees it change knows the sequences it remembers belong
  // to another database (a replaced or re-created one), not to this feed.
  virtual absl::StatusOr<std::string> Epoch() = 0;

  // Calls `on_commit` after every commit that appended events (and once on
  // Shutdown). Listeners run on the committing thread, with this log's lock
  // held: they must be quick, must not block and must not add or remove
  // listeners (hand work to an executor instead).
  ListenerId AddListener(std::function<void()> on_commit)
      ABSL_LOCKS_EXCLUDED(mu_);
  // After this returns the listener is not running and is never called
  // again.
  void RemoveListener(ListenerId id) ABSL_LOCKS_EXCLUDED(mu_);
  // For stores: events committed; wake the listeners.
  void NotifyCommitted() ABSL_LOCKS_EXCLUDED(mu_);

  // The server is stopping: feeds end their streams (UNAVAILABLE, resume
  // later) instead of waiting for more events. Wakes the listeners.
  void Shutdown() ABSL_LOCKS_EXCLUDED(mu_);
  bool shutting_down() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  const std::string feed_;
  mutable absl::Mutex mu_;
  ListenerId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<ListenerId, std::function<void()>> listeners_ ABSL_GUARDED_BY(mu_);
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_EVENT_LOG_H_

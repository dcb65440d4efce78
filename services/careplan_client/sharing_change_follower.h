#ifndef CAREBRIDGE_SERVICES_CAREPLAN_CLIENT_SHARING_CHANGE_FOLLOWER_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_CLIENT_SHARING_CHANGE_FOLLOWER_H_

#include <grpcpp/client_context.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/careplan_client/caching_careplan_lookup.h"
#include "services/common/event_consumer.h"
#include "services/common/service_credentials.h"

namespace carebridge::careplan_client {

// Follows the care plan service's feed for the changes that alter what a
// person shares with whom (their choices, their care team, who leads:
// careplan.sharing_changed, .care_team_changed, .lead_changed, and
// .content_updated, by which a team may join as lead) and passes each on to
// a CachingCarePlanLookup as it is delivered, telling it whether it is
// following.
//
// Nothing is stored: the cache holds nothing while the follower is not
// following, so there is nothing to catch up on. Each subscription starts
// at the feed's head (asked of the feed itself) and the cache is told it is
// followed once the feed says the subscription is there; any end of the
// stream (the care plan service down, a restart, a feed from another
// database) tells the cache it is not, and the follower subscribes again
// with backoff.
//
// This class is thread-safe.
class SharingChangeFollower {
 public:
  struct Options {
    absl::Duration min_backoff = absl::Milliseconds(50);
    absl::Duration max_backoff = absl::Seconds(2);
  };

  // The event types followed.
  static const char* const kTypePrefixes[4];

  // `credentials` and `cache` outlive this.
  SharingChangeFollower(EventConsumer::StreamOpener open,
                        ServiceCredentials* credentials,
                        CachingCarePlanLookup* cache, Options options);
  SharingChangeFollower(EventConsumer::StreamOpener open,
                        ServiceCredentials* credentials,
                        CachingCarePlanLookup* cache)
      : SharingChangeFollower(std::move(open), credentials, cache, Options()) {}
  // Stops.
  ~SharingChangeFollower();
  SharingChangeFollower(const SharingChangeFollower&) = delete;
  SharingChangeFollower& operator=(const SharingChangeFollower&) = delete;

  // Starts the thread that follows the feed. Once only.
  void Start() ABSL_LOCKS_EXCLUDED(mu_);
  // Cancels the stream and joins; the cache is left not followed.
  // Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  // Subscriptions opened since start (for tests and logs).
  int64_t subscriptions() const { return subscriptions_.load(); }
  // While following: every care plan event up to this sequence has been
  // passed on (0 when not following). Tests wait on it.
  int64_t delivered_through() const { return delivered_through_.load(); }

 private:
  void Run();
  // One subscription after `after` (0: to learn the head) of the feed
  // `*epoch` (empty: any), until the stream ends or it must start again at
  // the head: then `*after` is the head, else 0. True when it followed.
  bool FollowOnce(int64_t* after, std::string* epoch);
  // Waits `delay` or until stopped; false when stopped.
  bool Pause(absl::Duration delay) ABSL_LOCKS_EXCLUDED(mu_);
  void SetFollowing(bool following);

  const EventConsumer::StreamOpener open_;
  ServiceCredentials* const credentials_;
  CachingCarePlanLookup* const cache_;
  const Options options_;
  std::atomic<int64_t> subscriptions_{0};
  std::atomic<int64_t> delivered_through_{0};
  // Only the thread running Run reads or writes it.
  bool following_ = false;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* active_context_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::thread thread_ ABSL_GUARDED_BY(mu_);
};

}  // namespace carebridge::careplan_client

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_CLIENT_SHARING_CHANGE_FOLLOWER_H_

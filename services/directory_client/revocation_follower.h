#ifndef CAREBRIDGE_SERVICES_DIRECTORY_CLIENT_REVOCATION_FOLLOWER_H_
#define CAREBRIDGE_SERVICES_DIRECTORY_CLIENT_REVOCATION_FOLLOWER_H_

#include <grpcpp/client_context.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "carebridge/events/v1/events.pb.h"
#include "services/common/event_consumer.h"
#include "services/common/member_index.h"
#include "services/common/service_credentials.h"
#include "services/common/token_revocations.h"

namespace carebridge::directory_client {

// Follows the directory's feed for what ends tokens -- a member updated
// (new role or team), deactivated, reactivated or signed out everywhere
// (member.*), one token revoked (token.revoked), a person's own tokens
// ended, all or one (person_tokens.revoked) -- and tells a process's
// TokenRevocations, so every service refuses those tokens within moments
// of the change, in a split deployment too. The same member events keep
// the process's MemberIndex (who signs in with the identity provider as
// whom) up to date.
//
// Nothing is stored: each process reads the feed from its start when it
// starts (members and revocations are few), keeping its place across
// reconnects. Until it has caught up once, the revocations are marked not
// known (TokenRevocations::ExpectFeed: staff calls are UNAVAILABLE rather
// than let a revoked token by); after that a directory outage keeps what
// was learned, and the follower resubscribes with backoff. A feed from
// another database (restored or re-created) is read again from its start,
// on top of what is known: nothing is forgotten, so a revocation the older
// database lacks still holds.
//
// This class is thread-safe.
class RevocationFollower {
 public:
  struct Options {
    absl::Duration min_backoff = absl::Milliseconds(50);
    absl::Duration max_backoff = absl::Seconds(2);
  };

  // The event types followed.
  static const char* const kTypePrefixes[3];

  // `credentials`, `revocations` and `members` (may be null) outlive this.
  // Marks `revocations` not known until the feed is caught up.
  RevocationFollower(EventConsumer::StreamOpener open,
                     ServiceCredentials* credentials,
                     TokenRevocations* revocations, MemberIndex* members,
                     Options options);
  RevocationFollower(EventConsumer::StreamOpener open,
                     ServiceCredentials* credentials,
                     TokenRevocations* revocations,
                     MemberIndex* members = nullptr)
      : RevocationFollower(std::move(open), credentials, revocations, members,
                           Options()) {}
  // Stops.
  ~RevocationFollower();
  RevocationFollower(const RevocationFollower&) = delete;
  RevocationFollower& operator=(const RevocationFollower&) = delete;

  // Starts the thread that follows the feed. Once only.
  void Start() ABSL_LOCKS_EXCLUDED(mu_);
  // Cancels the stream and joins. Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);
  // Waits until the feed has been caught up once, at most `timeout`; true
  // when it has.
  bool AwaitCaughtUp(absl::Duration timeout) ABSL_LOCKS_EXCLUDED(mu_);

  // Every event of the feed up to this sequence has been applied (for
  // tests and logs).
  int64_t applied_through() const { return applied_through_.load(); }
  int64_t subscriptions() const { return subscriptions_.load(); }

  // What one event says, told to `revocations` and `members` (may be
  // null; also for tests).
  static void Apply(const events::v1::Event& event,
                    TokenRevocations* revocations,
                    MemberIndex* members = nullptr);

 private:
  void Run();
  // One subscription after `*after` of the feed `*epoch` (empty: any),
  // until the stream ends. True when it delivered anything.
  bool FollowOnce(int64_t* after, std::string* epoch);
  bool Pause(absl::Duration delay) ABSL_LOCKS_EXCLUDED(mu_);

  const EventConsumer::StreamOpener open_;
  ServiceCredentials* const credentials_;
  TokenRevocations* const revocations_;
  MemberIndex* const members_;
  const Options options_;
  std::atomic<int64_t> subscriptions_{0};
  std::atomic<int64_t> applied_through_{0};

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool caught_up_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* active_context_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::thread thread_ ABSL_GUARDED_BY(mu_);
};

}  // namespace carebridge::directory_client

#endif  // CAREBRIDGE_SERVICES_DIRECTORY_CLIENT_REVOCATION_FOLLOWER_H_

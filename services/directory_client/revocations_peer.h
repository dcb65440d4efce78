#ifndef CAREBRIDGE_SERVICES_DIRECTORY_CLIENT_REVOCATIONS_PEER_H_
#define CAREBRIDGE_SERVICES_DIRECTORY_CLIENT_REVOCATIONS_PEER_H_

#include "absl/time/time.h"
#include "services/common/authenticator.h"
#include "services/common/channel_provider.h"
#include "services/common/clock.h"
#include "services/common/service_credentials.h"
#include "services/common/token.h"
#include "services/common/token_revocations.h"
#include "services/directory_client/revocation_follower.h"

namespace carebridge::directory_client {

// What one process knows of ended tokens, built in one place for
// carebridge-server and for tests' hosted services: a TokenRevocations the
// process's Authenticator asks after every token verifies (so every
// service of the process, and their open streams, honour it), fed by a
// RevocationFollower of the directory's feed over `directory` (in-process
// when the process hosts the directory), which also keeps the members
// identity provider tokens sign in as. Until Start and the feed's first
// catch-up, staff calls are UNAVAILABLE (TokenRevocations::ExpectFeed).
class RevocationsPeer {
 public:
  // Sets itself on `authenticator`, which (with the rest) outlives this
  // and must not be serving calls yet.
  RevocationsPeer(ChannelProvider directory, Authenticator* authenticator,
                  const TokenSigner* signer, const Clock* clock);
  ~RevocationsPeer();

  // Once the listener (and so an in-process channel) is up.
  void Start() { follower_.Start(); }
  // Before the listener goes. Idempotent.
  void Stop() { follower_.Stop(); }
  // True once the directory's feed has been read through (at most
  // `timeout` waited).
  bool AwaitCaughtUp(absl::Duration timeout) {
    return follower_.AwaitCaughtUp(timeout);
  }

  const TokenRevocations& revocations() const { return revocations_; }
  // The directory's members as the feed tells them (for sign-in with the
  // identity provider).
  const MemberIndex& members() const { return members_; }
  const RevocationFollower& follower() const { return follower_; }

 private:
  Authenticator* const authenticator_;
  ServiceCredentials credentials_;
  TokenRevocations revocations_;
  MemberIndex members_;
  RevocationFollower follower_;
};

}  // namespace carebridge::directory_client

#endif  // CAREBRIDGE_SERVICES_DIRECTORY_CLIENT_REVOCATIONS_PEER_H_

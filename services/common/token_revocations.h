#ifndef CAREBRIDGE_SERVICES_COMMON_TOKEN_REVOCATIONS_H_
#define CAREBRIDGE_SERVICES_COMMON_TOKEN_REVOCATIONS_H_

#include <cstddef>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/common/principal.h"

namespace carebridge {

// What has been said, since tokens were issued, that makes some of them no
// longer stand although their signature and expiry are good: a token
// revoked by its id; every token of a member issued before a moment (their
// role or team changed, and the tokens carry the old ones; or all their
// tokens were revoked at once); a member deactivated. Each process keeps
// one, fed from the directory's feed (issue 12), and asks it after a
// token's signature verifies; a stream asks again when it changes, through
// a listener, and ends when its caller no longer stands.
//
// Tokens carry whole seconds. So that "issued before" is never ambiguous,
// a token issued in the second of a change carries the next second
// (IssueTimeFor): it stands, and every token issued before the change does
// not. This class is thread-safe.
class TokenRevocations {
 public:
  explicit TokenRevocations(const Clock* clock) : clock_(clock) {}
  TokenRevocations(const TokenRevocations&) = delete;
  TokenRevocations& operator=(const TokenRevocations&) = delete;

  // The token `token_id` stands no more. Remembered until `expire_time`
  // (the token's own expiry: after it the token does not verify anyway).
  // `revoke_time`: when it was revoked (as the feed says; now when not
  // given), which refusals name. `subject`, when given, is whose token it
  // is: a token of another subject with that id still stands (nobody ends
  // someone else's token by naming its id as their own).
  void RevokeToken(const std::string& token_id, absl::Time expire_time,
                   std::string reason,
                   absl::Time revoke_time = absl::InfinitePast(),
                   std::string subject = "") ABSL_LOCKS_EXCLUDED(mu_);
  // No token of `subject` issued before `when` stands. A later call with
  // an earlier moment changes nothing.
  void RevokeIssuedBefore(const std::string& subject, absl::Time when,
                          std::string reason) ABSL_LOCKS_EXCLUDED(mu_);
  // No token of `subject` stands, whenever issued, until Reactivate; after
  // it, only tokens issued since deactivation, at `when` (as the feed says;
  // now when not given: a replayed feed must not end tokens issued after a
  // later reactivation).
  void Deactivate(const std::string& subject, std::string reason,
                  absl::Time when = absl::InfinitePast())
      ABSL_LOCKS_EXCLUDED(mu_);
  void Reactivate(const std::string& subject) ABSL_LOCKS_EXCLUDED(mu_);

  // Until FeedCaughtUp, after ExpectFeed, what has been said is not yet
  // known (the process is still reading the directory's feed): Check
  // refuses staff with UNAVAILABLE rather than let a revoked token by.
  // Service identities are not directory members and always pass. A
  // revocations set that is fed nothing is known from the start.
  void ExpectFeed() ABSL_LOCKS_EXCLUDED(mu_);
  void FeedCaughtUp() ABSL_LOCKS_EXCLUDED(mu_);
  bool known() const ABSL_LOCKS_EXCLUDED(mu_);
  // OK once known; else the UNAVAILABLE Check gives staff meanwhile.
  absl::Status CheckKnown() const ABSL_LOCKS_EXCLUDED(mu_);

  // OK when nothing said stops `principal`'s token; else UNAUTHENTICATED
  // saying what and why, worded for the person holding the token
  // (UNAVAILABLE before the feed is known, see ExpectFeed).
  absl::Status Check(const Principal& principal) const ABSL_LOCKS_EXCLUDED(mu_);

  // `listener` is called after every change (on the changing thread, no
  // lock of this class's state held), e.g. so a stream checks its caller
  // again. Returns the id RemoveListener takes; a listener is never called
  // after RemoveListener returns, and must not itself add or remove one.
  // Listening changes nothing said, so a reader (const) may listen.
  int AddListener(absl::AnyInvocable<void()> listener) const
      ABSL_LOCKS_EXCLUDED(listeners_mu_);
  void RemoveListener(int id) const ABSL_LOCKS_EXCLUDED(listeners_mu_);

  // Token ids remembered (revoked and not yet expired).
  size_t revoked_tokens() const ABSL_LOCKS_EXCLUDED(mu_);

  // The issue time a token issued at `now` carries: whole seconds, and
  // after `revoked_before` (the subject's last RevokeIssuedBefore; infinite
  // past when none), so that it stands.
  static absl::Time IssueTimeFor(absl::Time now, absl::Time revoked_before);

 private:
  struct Said {
    absl::Time time;
    std::string reason;
    // A revoked token's subject; empty: whoever holds it.
    std::string subject = {};
  };
  // Forgets revoked tokens past their expiry.
  void ForgetExpired() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Changed() ABSL_LOCKS_EXCLUDED(listeners_mu_);

  const Clock* const clock_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Said> revoked_tokens_ ABSL_GUARDED_BY(mu_);
  // Revoked token ids by their expiry, to forget them.
  std::multimap<absl::Time, std::string> expiries_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Said> issued_before_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Said> deactivated_ ABSL_GUARDED_BY(mu_);
  bool known_ ABSL_GUARDED_BY(mu_) = true;

  // Held while listeners run, so RemoveListener waits for a running one.
  mutable absl::Mutex listeners_mu_;
  mutable int next_listener_ ABSL_GUARDED_BY(listeners_mu_) = 0;
  mutable std::map<int, absl::AnyInvocable<void()>> listeners_
      ABSL_GUARDED_BY(listeners_mu_);
};

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_TOKEN_REVOCATIONS_H_

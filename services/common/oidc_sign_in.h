#ifndef CAREBRIDGE_SERVICES_COMMON_OIDC_SIGN_IN_H_
#define CAREBRIDGE_SERVICES_COMMON_OIDC_SIGN_IN_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/member_index.h"
#include "services/common/oidc_token.h"
#include "services/common/principal.h"

namespace carebridge {

struct OidcSignInSettings {
  // Issuer, audience and leeway the tokens must meet.
  OidcSettings token;
  // The claim naming the member: its value is their email (or, for a claim
  // other than `email`, their resource name `members/{id}`). With `email`,
  // a token whose `email_verified` is present and not true is refused.
  std::string member_claim = "email";
  // The longest a signed-in session lasts, whatever the provider's token
  // says (carebridge-server --max_token_lifetime): from its `iat`.
  absl::Duration max_lifetime = absl::Hours(12);
};

// Staff signing in with the organisation's identity provider (OpenID
// Connect): an access token the provider signed (RS256 or ES256, its keys
// from a JWKS the admin provides and may replace) becomes the principal of
// the directory member its member claim names, with the team and role the
// directory gives them at the time of the call. The token must carry `iat`
// so that signing a member out everywhere (or changing their role or team)
// ends it as it ends carebridge's own tokens; its id is `jti`, or when it
// has none a digest of the token. Verified tokens are remembered (up to a
// bound) so a signed-in caller's next call costs a lookup; replacing the
// keys forgets them. This class is thread-safe.
class OidcSignIn {
 public:
  // `members` outlives this.
  OidcSignIn(OidcSignInSettings settings, std::shared_ptr<const IdpKeySet> keys,
             const MemberIndex* members);
  OidcSignIn(const OidcSignIn&) = delete;
  OidcSignIn& operator=(const OidcSignIn&) = delete;

  const OidcSignInSettings& settings() const { return settings_; }
  void SetKeys(std::shared_ptr<const IdpKeySet> keys) ABSL_LOCKS_EXCLUDED(mu_);
  std::shared_ptr<const IdpKeySet> keys() const ABSL_LOCKS_EXCLUDED(mu_);

  // Whether `token` says (unverified) it comes from the configured issuer:
  // what tells the provider's tokens from carebridge's own.
  bool FromIssuer(absl::string_view token) const;

  // The member `token` signs in, as of now; UNAUTHENTICATED saying why not
  // (see VerifyOidcToken; also no `iat`, no member claim, no member of
  // that email, several).
  absl::StatusOr<Principal> Authenticate(absl::string_view token,
                                         absl::Time now) const
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // What a verified token says that Authenticate needs.
  struct Verified {
    std::string member_id;
    absl::Time issue_time;
    absl::Time expire_time;
    std::string token_id;
  };
  absl::StatusOr<Verified> VerifyUncached(absl::string_view token,
                                          const IdpKeySet& keys,
                                          absl::Time now) const;

  const OidcSignInSettings settings_;
  const MemberIndex* const members_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const IdpKeySet> keys_ ABSL_GUARDED_BY(mu_);
  mutable absl::flat_hash_map<std::string, Verified> verified_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_OIDC_SIGN_IN_H_

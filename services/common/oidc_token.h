#ifndef CAREBRIDGE_SERVICES_COMMON_OIDC_TOKEN_H_
#define CAREBRIDGE_SERVICES_COMMON_OIDC_TOKEN_H_

#include <google/protobuf/struct.pb.h>

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace carebridge {

// One signing key of an organisation's identity provider (OpenID Connect),
// from its JSON Web Key Set: RSA (RS256, at least 2048 bits) or EC P-256
// (ES256). Immutable and thread-safe once made.
class IdpKey {
 public:
  // OpenSSL's key (defined where it is used).
  struct Pkey;
  IdpKey(std::string kid, std::string alg, std::unique_ptr<Pkey> pkey);
  ~IdpKey();
  IdpKey(const IdpKey&) = delete;
  IdpKey& operator=(const IdpKey&) = delete;

  const std::string& kid() const { return kid_; }
  // "RS256" or "ES256": the one algorithm this key verifies.
  const std::string& alg() const { return alg_; }
  // `signature` as the JWS carries it (ES256: the 64-byte r||s).
  bool Verify(absl::string_view data, absl::string_view signature) const;

 private:
  const std::string kid_;
  const std::string alg_;
  std::unique_ptr<Pkey> pkey_;
};

struct IdpKeySet {
  absl::flat_hash_map<std::string, std::shared_ptr<const IdpKey>> keys;
};

// Reads an identity provider's JSON Web Key Set. Keys for other uses
// (`use` other than sig) are skipped; anything else that is not an RSA key
// of 2048 bits or more or an EC P-256 public key is INVALID_ARGUMENT naming
// the key and the problem.
absl::StatusOr<std::shared_ptr<const IdpKeySet>> ParseIdpJwks(
    absl::string_view json);

// What a token must say to be accepted.
struct OidcSettings {
  std::string issuer;    // `iss`, exactly
  std::string audience;  // among `aud` (a string or a list)
  // Clock difference allowed for exp and nbf.
  absl::Duration leeway = absl::Seconds(60);
};

// A verified identity provider token.
struct OidcClaims {
  std::string subject;  // `sub`
  absl::Time expire_time = absl::InfinitePast();
  absl::Time issue_time = absl::InfinitePast();  // `iat`; not said: past
  std::string token_id;                          // `jti`; may be empty
  google::protobuf::Struct claims;               // all of them
};

// Verifies a compact JWS access token signed by the identity provider:
// RS256 or ES256 by the key its `kid` names (the key's own algorithm only),
// the issuer, the audience, expiry and not-before (with the leeway), a
// subject. Everything else (`alg: none`, HS256, an unknown kid, a bad
// signature, ...) is UNAUTHENTICATED saying which.
absl::StatusOr<OidcClaims> VerifyOidcToken(absl::string_view token,
                                           const IdpKeySet& keys,
                                           const OidcSettings& settings,
                                           absl::Time now);

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_OIDC_TOKEN_H_

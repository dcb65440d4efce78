#ifndef CAREBRIDGE_SERVICES_COMMON_TOKEN_H_
#define CAREBRIDGE_SERVICES_COMMON_TOKEN_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/principal.h"
#include "services/common/token_keys.h"

namespace carebridge {

// Signs and verifies bearer tokens: JSON Web Tokens (RFC 7519) signed with
// Ed25519 (JWS alg EdDSA, RFC 8037), the key named by the header's `kid`.
// The claims: iss `carebridge`, sub, team (staff), role (its name), iat,
// exp and jti (the token's id: random, made by Sign when the principal has
// none); nothing is stored server-side. Only a process holding a signing
// key's private half signs; any process holding the public keys verifies.
// Verified tokens are remembered (up to a bound) so a caller's next call
// costs a lookup, not a signature check; changing the keys forgets them.
// This class is thread-safe.
class TokenSigner {
 public:
  // Signs with the key made from `seed` (tests and tools: the same seed, the
  // same key).
  explicit TokenSigner(absl::string_view seed);
  explicit TokenSigner(std::shared_ptr<const TokenKeySet> keys);
  TokenSigner(const TokenSigner&) = delete;
  TokenSigner& operator=(const TokenSigner&) = delete;

  // Key rotation: the keys from now on.
  void SetKeys(std::shared_ptr<const TokenKeySet> keys)
      ABSL_LOCKS_EXCLUDED(mu_);
  std::shared_ptr<const TokenKeySet> keys() const ABSL_LOCKS_EXCLUDED(mu_);
  // False in a process given only public keys.
  bool can_sign() const ABSL_LOCKS_EXCLUDED(mu_);

  // Empty when this process cannot sign.
  std::string Sign(const Principal& principal) const ABSL_LOCKS_EXCLUDED(mu_);
  // Returns the principal, or UNAUTHENTICATED saying what is wrong
  // (malformed, an algorithm other than EdDSA, a key not trusted here, bad
  // signature, another issuer, expired at `now`).
  absl::StatusOr<Principal> Verify(absl::string_view token,
                                   absl::Time now) const
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  absl::StatusOr<Principal> VerifyUncached(absl::string_view token,
                                           const TokenKeySet& keys) const;

  mutable absl::Mutex mu_;
  std::shared_ptr<const TokenKeySet> keys_ ABSL_GUARDED_BY(mu_);
  // Tokens whose signature and claims were checked under keys_.
  mutable absl::flat_hash_map<std::string, Principal> verified_
      ABSL_GUARDED_BY(mu_);
};

// Reads the secret key at `path` (the audit logs' HMAC key), creating it
// (32 random bytes, mode 0600) if it does not exist.
absl::StatusOr<std::string> LoadOrCreateKey(const std::string& path);

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_TOKEN_H_

#ifndef CAREBRIDGE_SERVICES_COMMON_TOKEN_H_
#define CAREBRIDGE_SERVICES_COMMON_TOKEN_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/common/hmac.h"
#include "services/common/principal.h"

namespace carebridge {

// Signs and verifies bearer tokens: `cb2.<payload>.<mac>`, both parts
// URL-safe base64, the MAC an HMAC-SHA256 over the payload with a server
// key. The payload carries subject, team, role, expiry, issue time and the
// token's id (random, made by Sign when the principal has none); nothing is
// stored server-side. This class is thread-safe (immutable after construction).
class TokenSigner {
 public:
  // `key` must be at least 32 bytes.
  explicit TokenSigner(std::string key);

  std::string Sign(const Principal& principal) const;
  // Returns the principal, or UNAUTHENTICATED saying what is wrong (malformed,
  // bad signature, expired at `now`).
  absl::StatusOr<Principal> Verify(absl::string_view token,
                                   absl::Time now) const;

 private:
  std::string Mac(absl::string_view payload) const;
  const std::string key_;
  // Shared, so a TokenSigner copies cheaply.
  std::shared_ptr<const HmacSha256> hmac_;
};

// Reads the signing key at `path`, creating it (32 random bytes, mode 0600)
// if it does not exist.
absl::StatusOr<std::string> LoadOrCreateKey(const std::string& path);

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_TOKEN_H_

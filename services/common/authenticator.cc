#include "services/common/authenticator.h"

#include "absl/strings/match.h"
#include "services/common/errors.h"

namespace carebridge {

absl::StatusOr<Principal> Authenticator::Authenticate(
    const grpc::ServerContextBase& context) const {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(kAuthorizationHeader);
  if (it == metadata.end()) {
    return errors::Unauthenticated(
        "no credentials: send `authorization: Bearer <token>` metadata");
  }
  return AuthenticateHeader(
      absl::string_view(it->second.data(), it->second.size()));
}

absl::StatusOr<Principal> Authenticator::AuthenticateHeader(
    absl::string_view value) const {
  if (!absl::StartsWithIgnoreCase(value, kBearerPrefix)) {
    return errors::Unauthenticated(
        "authorization metadata must be `Bearer <token>`");
  }
  value.remove_prefix(sizeof(kBearerPrefix) - 1);
  absl::StatusOr<Principal> principal = signer_->Verify(value, clock_->Now());
  if (principal.ok() && revocations_ != nullptr) {
    absl::Status stands = revocations_->Check(*principal);
    if (!stands.ok()) return stands;
  }
  return principal;
}

}  // namespace carebridge

#include "services/common/service_credentials.h"

#include "absl/strings/str_cat.h"
#include "services/common/authenticator.h"
#include "services/common/principal.h"

namespace carebridge {
namespace {

// Tokens live an hour and are replaced well before they lapse, so a call
// never presents one that expires in flight.
constexpr absl::Duration kTokenLifetime = absl::Hours(1);
constexpr absl::Duration kRefreshMargin = absl::Minutes(5);

}  // namespace

std::string ServiceCredentials::AuthorizationHeader() {
  absl::Time now = clock_->Now();
  std::shared_ptr<const TokenKeySet> keys = signer_->keys();
  const std::string kid =
      keys->signing == nullptr ? std::string() : keys->signing->kid();
  absl::MutexLock lock(&mu_);
  // Signed again before it lapses, and when the signing key has changed
  // (a rotation, or a key withdrawn).
  if (header_.empty() || now + kRefreshMargin >= expire_time_ ||
      kid != signed_with_) {
    Principal self;
    self.subject = subject_;
    self.role = Role::kService;
    self.expire_time = now + kTokenLifetime;
    std::string token = signer_->Sign(self);
    header_ = token.empty() ? "" : absl::StrCat(kBearerPrefix, token);
    expire_time_ = self.expire_time;
    signed_with_ = kid;
  }
  return header_;
}

void ServiceCredentials::Apply(grpc::ClientContext& context) {
  std::string header = AuthorizationHeader();
  if (!header.empty()) context.AddMetadata(kAuthorizationHeader, header);
}

}  // namespace carebridge

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
  absl::MutexLock lock(&mu_);
  if (header_.empty() || now + kRefreshMargin >= expire_time_) {
    Principal self;
    self.subject = subject_;
    self.role = Role::kService;
    self.expire_time = now + kTokenLifetime;
    header_ = absl::StrCat(kBearerPrefix, signer_->Sign(self));
    expire_time_ = self.expire_time;
  }
  return header_;
}

void ServiceCredentials::Apply(grpc::ClientContext& context) {
  context.AddMetadata(kAuthorizationHeader, AuthorizationHeader());
}

}  // namespace carebridge

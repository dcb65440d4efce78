#ifndef CAREBRIDGE_SERVICES_COMMON_SERVICE_CREDENTIALS_H_
#define CAREBRIDGE_SERVICES_COMMON_SERVICE_CREDENTIALS_H_

#include <grpcpp/client_context.h>

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/common/token.h"

namespace carebridge {

// A service's own identity when it calls another service: `subject` (e.g.
// `services/careplan`) with role SERVICE, as a bearer token it signs itself
// and re-signs before it expires. This class is thread-safe.
class ServiceCredentials {
 public:
  ServiceCredentials(std::string subject, const TokenSigner* signer,
                     const Clock* clock)
      : subject_(std::move(subject)), signer_(signer), clock_(clock) {}

  const std::string& subject() const { return subject_; }
  // `Bearer <token>`; empty when this process cannot sign (its identity is
  // then its TLS client certificate).
  std::string AuthorizationHeader() ABSL_LOCKS_EXCLUDED(mu_);
  // Adds the authorization header to `context`.
  void Apply(grpc::ClientContext& context) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  const std::string subject_;
  const TokenSigner* const signer_;
  const Clock* const clock_;
  absl::Mutex mu_;
  std::string header_ ABSL_GUARDED_BY(mu_);
  absl::Time expire_time_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::string signed_with_ ABSL_GUARDED_BY(mu_);  // the key's kid
};

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_SERVICE_CREDENTIALS_H_

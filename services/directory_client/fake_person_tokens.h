#ifndef CAREBRIDGE_SERVICES_DIRECTORY_CLIENT_FAKE_PERSON_TOKENS_H_
#define CAREBRIDGE_SERVICES_DIRECTORY_CLIENT_FAKE_PERSON_TOKENS_H_

#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "services/common/errors.h"
#include "services/common/time_util.h"
#include "services/directory_client/person_tokens.h"

namespace carebridge::directory_client {

// The directory's part in persons' tokens for unit tests: remembers every
// revocation asked for (answering it as the directory would, at `clock`'s
// now) and the persons' tokens_valid_after it made. This class is
// thread-safe.
class FakePersonTokens : public PersonTokens {
 public:
  explicit FakePersonTokens(const Clock* clock) : clock_(clock) {}

  // Every call fails with `status` while it is not OK.
  void FailWith(absl::Status status) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    failure_ = std::move(status);
  }
  std::vector<directory::v1::RevokePersonTokensRequest> asked()
      ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return asked_;
  }

  absl::StatusOr<absl::Time> TokensValidAfter(absl::string_view person) override
      ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    if (!failure_.ok()) return failure_;
    auto it = valid_after_.find(person);
    return it == valid_after_.end() ? absl::InfinitePast() : it->second;
  }
  absl::StatusOr<directory::v1::PersonTokenRevocation> Revoke(
      const directory::v1::RevokePersonTokensRequest& request) override
      ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    if (!failure_.ok()) return failure_;
    asked_.push_back(request);
    const absl::Time now = clock_->Now();
    directory::v1::PersonTokenRevocation revocation;
    revocation.set_person(request.name());
    revocation.set_token_id(request.token_id());
    revocation.set_reason(request.reason());
    *revocation.mutable_revoke_time() = ToProtoTimestamp(now);
    if (request.token_id().empty()) {
      valid_after_[request.name()] = now;
      *revocation.mutable_tokens_valid_after() = ToProtoTimestamp(now);
    }
    return revocation;
  }

 private:
  const Clock* const clock_;
  absl::Mutex mu_;
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  std::vector<directory::v1::RevokePersonTokensRequest> asked_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, absl::Time> valid_after_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace carebridge::directory_client

#endif  // CAREBRIDGE_SERVICES_DIRECTORY_CLIENT_FAKE_PERSON_TOKENS_H_

#include "services/common/exclusive_role.h"

#include <utility>

namespace carebridge {

absl::StatusOr<bool> ExclusiveRole::Claim() {
  if (db_ == nullptr) return true;
  absl::MutexLock lock(&mu_);
  if (lock_ != nullptr && lock_->held()) return true;
  // Lost (or never taken): the old lock goes before the new attempt, so
  // this process never holds two.
  lock_.reset();
  absl::StatusOr<std::unique_ptr<DatabaseLock>> taken = db_->TryLock(name_);
  if (!taken.ok()) return taken.status();
  lock_ = *std::move(taken);
  return lock_ != nullptr;
}

bool ExclusiveRole::Held() {
  if (db_ == nullptr) return true;
  absl::MutexLock lock(&mu_);
  return lock_ != nullptr && lock_->held();
}

void ExclusiveRole::Release() {
  std::unique_ptr<DatabaseLock> released;
  {
    absl::MutexLock lock(&mu_);
    released = std::move(lock_);
  }
}

}  // namespace carebridge

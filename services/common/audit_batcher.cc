#include "services/common/audit_batcher.h"

#include <utility>

namespace carebridge {

AuditBatcher::~AuditBatcher() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](int* flushers) { return *flushers == 0; }, &flushers_));
}

void AuditBatcher::Append(std::vector<AuditRecord> records,
                          absl::AnyInvocable<void(absl::Status)> done) {
  {
    absl::MutexLock lock(&mu_);
    queue_.push_back(Queued{std::move(records), std::move(done)});
    // Someone is committing: what they did not take, they or the next
    // caller will.
    if (flushing_) return;
    flushing_ = true;
    ++flushers_;
  }
  for (;;) {
    std::vector<Queued> batch;
    {
      absl::MutexLock lock(&mu_);
      batch.swap(queue_);
    }
    std::vector<AuditRecord> all;
    for (Queued& queued : batch) {
      for (AuditRecord& record : queued.records) {
        all.push_back(std::move(record));
      }
    }
    const absl::Status status = all.empty() ? absl::OkStatus() : commit_(all);
    {
      // The next caller may commit while this one tells.
      absl::MutexLock lock(&mu_);
      flushing_ = false;
    }
    for (Queued& queued : batch) std::move(queued.done)(status);
    absl::MutexLock lock(&mu_);
    if (queue_.empty() || flushing_) {
      --flushers_;
      return;
    }
    flushing_ = true;
  }
}

}  // namespace carebridge

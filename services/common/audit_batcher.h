#ifndef CAREBRIDGE_SERVICES_COMMON_AUDIT_BATCHER_H_
#define CAREBRIDGE_SERVICES_COMMON_AUDIT_BATCHER_H_

#include <functional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "services/common/audit_record.h"

namespace carebridge {

// Audit records appended without waiting (Database::AppendAuditAsync),
// committed in batches: records queue, and the caller that finds nobody
// committing commits everything queued in one go (`commit`), then tells
// each of those callers; meanwhile the next caller may commit what queued
// since. Once done it commits again if records wait and nobody is.
//
// This class is thread-safe.
class AuditBatcher {
 public:
  // Commits `records` in one transaction (called on an appender's thread,
  // one call at a time).
  using CommitFn = std::function<absl::Status(std::vector<AuditRecord>&)>;

  explicit AuditBatcher(CommitFn commit) : commit_(std::move(commit)) {}
  AuditBatcher(const AuditBatcher&) = delete;
  AuditBatcher& operator=(const AuditBatcher&) = delete;
  // Waits for a caller still committing or telling.
  ~AuditBatcher() ABSL_LOCKS_EXCLUDED(mu_);

  // `done` is called once with the status of the commit that carried
  // `records`, on this caller's thread or another appender's.
  void Append(std::vector<AuditRecord> records,
              absl::AnyInvocable<void(absl::Status)> done)
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Queued {
    std::vector<AuditRecord> records;
    absl::AnyInvocable<void(absl::Status)> done;
  };

  const CommitFn commit_;
  absl::Mutex mu_;
  std::vector<Queued> queue_ ABSL_GUARDED_BY(mu_);
  // A caller is committing the queue.
  bool flushing_ ABSL_GUARDED_BY(mu_) = false;
  // Callers committing or telling what they committed.
  int flushers_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_AUDIT_BATCHER_H_

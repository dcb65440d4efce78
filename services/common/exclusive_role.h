#ifndef CAREBRIDGE_SERVICES_COMMON_EXCLUSIVE_ROLE_H_
#define CAREBRIDGE_SERVICES_COMMON_EXCLUSIVE_ROLE_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "services/common/database.h"

namespace carebridge {

// A job that at most one process sharing a database does at a time (the
// deadline scan, following a feed for a consumer), elected through the
// database's named lock (Database::TryLock): replicas of a service on one
// PostgreSQL each hold an ExclusiveRole of the same name, and the one whose
// Claim() says true does the job. The others claim again on their next
// turn, so when the holder stops or dies (its session goes, and the lock
// with it) another takes over. With a null database the role is always
// this process's (a consumer with nothing to share).
//
// This class is thread-safe.
class ExclusiveRole {
 public:
  // `db` (may be null) outlives this; `name` names the lock (e.g.
  // `referral.deadline_scan`).
  ExclusiveRole(Database* db, std::string name)
      : db_(db), name_(std::move(name)) {}
  ExclusiveRole(const ExclusiveRole&) = delete;
  ExclusiveRole& operator=(const ExclusiveRole&) = delete;

  const std::string& name() const { return name_; }

  // True when this process plays the role now: it held the lock and still
  // does, or took it just now. False when another holder has it.
  // UNAVAILABLE when the database cannot be reached (not playing then).
  absl::StatusOr<bool> Claim() ABSL_LOCKS_EXCLUDED(mu_);
  // Whether the role is still this process's, without trying to take it
  // (false once the lock was lost).
  bool Held() ABSL_LOCKS_EXCLUDED(mu_);
  // Gives the role up (a stopping process hands it over at once).
  void Release() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  Database* const db_;
  const std::string name_;
  absl::Mutex mu_;
  std::unique_ptr<DatabaseLock> lock_ ABSL_GUARDED_BY(mu_);
};

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_EXCLUSIVE_ROLE_H_

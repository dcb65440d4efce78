#include "services/common/database.h"

#include <memory>
#include <set>
#include <string>
#include <utility>

#include "absl/synchronization/mutex.h"

namespace carebridge {
namespace {

absl::Status NotAudited() {
  return absl::FailedPreconditionError("this database keeps no audit log");
}

// The locks held in this process, by database and name.
class ProcessLocks {
 public:
  static ProcessLocks& Get() {
    static ProcessLocks* const locks = new ProcessLocks;  // Never destroyed.
    return *locks;
  }
  bool TryTake(const Database* db, const std::string& name) {
    absl::MutexLock lock(&mu_);
    return held_.emplace(db, name).second;
  }
  void Give(const Database* db, const std::string& name) {
    absl::MutexLock lock(&mu_);
    held_.erase({db, name});
  }

 private:
  absl::Mutex mu_;
  std::set<std::pair<const Database*, std::string>> held_ ABSL_GUARDED_BY(mu_);
};

class ProcessLock : public DatabaseLock {
 public:
  ProcessLock(const Database* db, std::string name)
      : db_(db), name_(std::move(name)) {}
  ~ProcessLock() override { ProcessLocks::Get().Give(db_, name_); }
  bool held() override { return true; }

 private:
  const Database* const db_;
  const std::string name_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<DatabaseLock>> Database::TryLock(
    absl::string_view name) {
  std::string key(name);
  if (!ProcessLocks::Get().TryTake(this, key)) return nullptr;
  return std::make_unique<ProcessLock>(this, std::move(key));
}

absl::StatusOr<std::unique_ptr<DatabaseWatch>> Database::Watch(
    absl::string_view, std::function<void()>) {
  return nullptr;
}

absl::Status Database::AppendAudit(const std::vector<AuditRecord>&) {
  return NotAudited();
}

void Database::AppendAuditAsync(std::vector<AuditRecord>,
                                absl::AnyInvocable<void(absl::Status)> done) {
  done(NotAudited());
}

absl::StatusOr<std::vector<AuditRecord>> Database::ListAuditForPerson(
    absl::string_view, int64_t, int) {
  return NotAudited();
}

absl::StatusOr<AuditVerification> Database::VerifyAudit() {
  return NotAudited();
}

}  // namespace carebridge

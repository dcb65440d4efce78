#ifndef CAREBRIDGE_SERVICES_DIRECTORY_CLIENT_FAKE_DIRECTORY_LOOKUP_H_
#define CAREBRIDGE_SERVICES_DIRECTORY_CLIENT_FAKE_DIRECTORY_LOOKUP_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "services/common/errors.h"
#include "services/directory_client/directory_lookup.h"

namespace carebridge::directory_client {

// An in-memory directory for unit tests. This class is thread-safe.
class FakeDirectoryLookup : public DirectoryLookup {
 public:
  void AddTeam(TeamInfo team) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    std::string name = team.name;
    teams_[name] = std::move(team);
  }
  void SetAccepting(const std::string& team, bool accepting)
      ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    teams_[team].accepting_referrals = accepting;
  }
  void AddPerson(const std::string& person) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    persons_.insert(person);
  }
  // `person` was merged into `into`: CheckPersonExists refuses it, as the
  // directory lookup does.
  void MergePerson(const std::string& person, const std::string& into)
      ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    merged_[person] = into;
  }
  // Every call fails with `status` while it is not OK.
  void FailWith(absl::Status status) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    failure_ = std::move(status);
  }

  absl::StatusOr<TeamInfo> GetTeam(absl::string_view team_name) override
      ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    if (!failure_.ok()) return failure_;
    auto it = teams_.find(team_name);
    if (it == teams_.end()) return errors::NotFound(team_name);
    return it->second;
  }
  absl::Status CheckPersonExists(absl::string_view person_name) override
      ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    if (!failure_.ok()) return failure_;
    if (!persons_.contains(person_name)) return errors::NotFound(person_name);
    auto merged = merged_.find(person_name);
    if (merged != merged_.end()) {
      return PersonMergedError(person_name, merged->second);
    }
    return absl::OkStatus();
  }

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, TeamInfo> teams_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> persons_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::string> merged_ ABSL_GUARDED_BY(mu_);
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
};

}  // namespace carebridge::directory_client

#endif  // CAREBRIDGE_SERVICES_DIRECTORY_CLIENT_FAKE_DIRECTORY_LOOKUP_H_

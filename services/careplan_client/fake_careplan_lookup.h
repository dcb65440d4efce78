#ifndef CAREBRIDGE_SERVICES_CAREPLAN_CLIENT_FAKE_CAREPLAN_LOOKUP_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_CLIENT_FAKE_CAREPLAN_LOOKUP_H_

#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "services/careplan_client/careplan_lookup.h"
#include "services/common/errors.h"

namespace carebridge::careplan_client {

// In-memory care teams for unit tests. Persons are known once added (with
// or without a plan). This class is thread-safe.
class FakeCarePlanLookup : public CarePlanLookup {
 public:
  // A registered person without a care plan.
  void AddPerson(const std::string& person) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    persons_.insert(person);
  }
  // A person whose plan shows `view` (plan_exists is set).
  void SetCareTeam(const std::string& person, CareTeamView view)
      ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    persons_.insert(person);
    view.plan_exists = true;
    plans_[person] = std::move(view);
  }
  // The person's choices (the person is known).
  void SetSharing(const std::string& person, sharing::PersonSharing sharing)
      ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    persons_.insert(person);
    sharing_[person] = std::move(sharing);
  }
  // Every call fails with `status` while it is not OK.
  void FailWith(absl::Status status) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    failure_ = std::move(status);
  }
  int calls() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  int sharing_calls() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return sharing_calls_;
  }

  absl::StatusOr<CareTeamView> GetCareTeam(absl::string_view person) override
      ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    ++calls_;
    if (!failure_.ok()) return failure_;
    if (!persons_.contains(person)) return errors::NotFound(person);
    auto it = plans_.find(person);
    if (it == plans_.end()) return CareTeamView();
    return it->second;
  }

  absl::StatusOr<sharing::PersonSharing> GetSharing(
      absl::string_view person) override ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    ++sharing_calls_;
    if (!failure_.ok()) return failure_;
    if (!persons_.contains(person)) return errors::NotFound(person);
    auto it = sharing_.find(person);
    if (it != sharing_.end()) return it->second;
    // No choices made: the defaults, and whoever leads the care team.
    sharing::PersonSharing none;
    auto plan = plans_.find(person);
    if (plan != plans_.end()) none.lead_team = plan->second.lead_team;
    return none;
  }

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_set<std::string> persons_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, CareTeamView> plans_ ABSL_GUARDED_BY(mu_);
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, sharing::PersonSharing> sharing_
      ABSL_GUARDED_BY(mu_);
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  int sharing_calls_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace carebridge::careplan_client

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_CLIENT_FAKE_CAREPLAN_LOOKUP_H_

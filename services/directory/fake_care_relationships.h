#ifndef CAREBRIDGE_SERVICES_DIRECTORY_FAKE_CARE_RELATIONSHIPS_H_
#define CAREBRIDGE_SERVICES_DIRECTORY_FAKE_CARE_RELATIONSHIPS_H_

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "services/directory/care_relationships.h"

namespace carebridge::directory {

// CareRelationships for tests: the (person, team) pairs Relate() named and
// the care Lead(), GivePlan() and Await() gave, or
// `failure` for every question once Fail() is called. Counts the questions.
// This class is thread-safe.
class FakeCareRelationships : public CareRelationships {
 public:
  void Relate(const std::string& person, const std::string& team) {
    absl::MutexLock lock(&mu_);
    related_.emplace(person, team);
  }
  void Unrelate(const std::string& person, const std::string& team) {
    absl::MutexLock lock(&mu_);
    related_.erase({person, team});
  }
  // Makes `team` the lead of `person`'s care.
  void Lead(const std::string& person, const std::string& team) {
    absl::MutexLock lock(&mu_);
    care_[person].lead_team = team;
  }
  // Something has happened in `person`'s care (an answered referral),
  // with a step by each of `teams`.
  void GiveHistory(const std::string& person,
                   std::vector<std::string> teams = {}) {
    absl::MutexLock lock(&mu_);
    care_[person].has_history = true;
    care_[person].involved_teams = std::move(teams);
  }
  // Gives `person` a care plan.
  void GivePlan(const std::string& person) {
    absl::MutexLock lock(&mu_);
    care_[person].has_care_plan = true;
  }
  // A referral or handover about `person` now awaits an answer.
  void Await(const std::string& person, const std::string& resource) {
    absl::MutexLock lock(&mu_);
    care_[person].awaiting_answer.push_back(resource);
  }
  void Fail(absl::Status failure) {
    absl::MutexLock lock(&mu_);
    failure_ = std::move(failure);
  }
  int asked() {
    absl::MutexLock lock(&mu_);
    return asked_;
  }

  absl::StatusOr<bool> Related(absl::string_view person,
                               absl::string_view team) override {
    absl::MutexLock lock(&mu_);
    ++asked_;
    if (!failure_.ok()) return failure_;
    return related_.count({std::string(person), std::string(team)}) > 0;
  }

  absl::StatusOr<PersonCare> Care(absl::string_view person) override {
    absl::MutexLock lock(&mu_);
    ++asked_;
    if (!failure_.ok()) return failure_;
    auto it = care_.find(std::string(person));
    return it == care_.end() ? PersonCare{} : it->second;
  }

 private:
  absl::Mutex mu_;
  std::set<std::pair<std::string, std::string>> related_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, PersonCare> care_ ABSL_GUARDED_BY(mu_);
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  int asked_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace carebridge::directory

#endif  // CAREBRIDGE_SERVICES_DIRECTORY_FAKE_CARE_RELATIONSHIPS_H_

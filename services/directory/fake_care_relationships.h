#ifndef CAREBRIDGE_SERVICES_DIRECTORY_FAKE_CARE_RELATIONSHIPS_H_
#define CAREBRIDGE_SERVICES_DIRECTORY_FAKE_CARE_RELATIONSHIPS_H_

#include <set>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "services/directory/care_relationships.h"

namespace carebridge::directory {

// CareRelationships for tests: the (person, team) pairs Relate() named, or
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

 private:
  absl::Mutex mu_;
  std::set<std::pair<std::string, std::string>> related_ ABSL_GUARDED_BY(mu_);
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  int asked_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace carebridge::directory

#endif  // CAREBRIDGE_SERVICES_DIRECTORY_FAKE_CARE_RELATIONSHIPS_H_

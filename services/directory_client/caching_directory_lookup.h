#ifndef CAREBRIDGE_SERVICES_DIRECTORY_CLIENT_CACHING_DIRECTORY_LOOKUP_H_
#define CAREBRIDGE_SERVICES_DIRECTORY_CLIENT_CACHING_DIRECTORY_LOOKUP_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/directory_client/directory_lookup.h"

namespace carebridge::directory_client {

// Remembers directory answers so a referral does not cost a directory call
// per team and per person:
// - a team's settings (accepting referrals, deadlines) for `team_ttl`, so a
//   change in the directory reaches new referrals within that time;
// - that a person is registered, for the same `team_ttl`: persons are never
//   removed, but one may be merged into another (the directory's
//   MergePersons), and new work for it is then refused within that time.
// Failures (NOT_FOUND, UNAVAILABLE) are never remembered, so a team or
// person created a moment ago is found on the next call. Each cache holds
// at most `max_entries`; when full it is emptied and refilled (simple and
// bounded; the working set of teams is small).
//
// This class is thread-safe.
class CachingDirectoryLookup : public DirectoryLookup {
 public:
  static constexpr absl::Duration kDefaultTeamTtl = absl::Seconds(5);
  static constexpr size_t kDefaultMaxEntries = 100000;

  CachingDirectoryLookup(std::unique_ptr<DirectoryLookup> inner,
                         const Clock* clock,
                         absl::Duration team_ttl = kDefaultTeamTtl,
                         size_t max_entries = kDefaultMaxEntries)
      : inner_(std::move(inner)),
        clock_(clock),
        team_ttl_(team_ttl),
        max_entries_(max_entries) {}

  absl::StatusOr<TeamInfo> GetTeam(absl::string_view team_name) override
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status CheckPersonExists(absl::string_view person_name) override
      ABSL_LOCKS_EXCLUDED(mu_);
  std::optional<TeamInfo> RememberedTeam(absl::string_view team_name) override
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct CachedTeam {
    TeamInfo team;
    absl::Time fetched;
  };

  const std::unique_ptr<DirectoryLookup> inner_;
  const Clock* const clock_;
  const absl::Duration team_ttl_;
  const size_t max_entries_;

  absl::Mutex mu_;
  absl::flat_hash_map<std::string, CachedTeam> teams_ ABSL_GUARDED_BY(mu_);
  // When each person was found registered.
  absl::flat_hash_map<std::string, absl::Time> persons_ ABSL_GUARDED_BY(mu_);
};

}  // namespace carebridge::directory_client

#endif  // CAREBRIDGE_SERVICES_DIRECTORY_CLIENT_CACHING_DIRECTORY_LOOKUP_H_

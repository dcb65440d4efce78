#ifndef CAREBRIDGE_SERVICES_CAREPLAN_CLIENT_CAREPLAN_LOOKUP_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_CLIENT_CAREPLAN_LOOKUP_H_

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/sharing/shared_parts.h"

namespace carebridge::careplan_client {

// What another service needs to know about a person's care team, as the
// care plan service sees it now.
struct CareTeamView {
  // False when the person is registered but has no care plan yet (then
  // nobody is on their care team).
  bool plan_exists = false;
  // The plan's current version; 0 without a plan.
  int64_t current_version = 0;
  // `teams/{id}`; empty when nobody leads (nobody is involved).
  std::string lead_team;
  // The teams involved now (care team entries without an end time).
  std::vector<std::string> involved_teams;
  // When the care team (and so the lead) last changed, by the care plan
  // service's clock; InfinitePast when unknown.
  absl::Time care_team_change_time = absl::InfinitePast();

  bool IsInvolved(absl::string_view team) const {
    return std::find(involved_teams.begin(), involved_teams.end(), team) !=
           involved_teams.end();
  }
};

// Another service's view of the care plan service, which owns care teams:
// asked, never copied, so a handover (or the right to see who accessed a
// record) is checked against who is on the care team at that moment.
// Implementations must be thread-safe.
class CarePlanLookup {
 public:
  virtual ~CarePlanLookup() = default;

  // The care team of `persons/{id}`. NOT_FOUND naming the person when the
  // directory does not know them; UNAVAILABLE (or the care plan service's
  // own failure) when the care plan service cannot answer.
  virtual absl::StatusOr<CareTeamView> GetCareTeam(
      absl::string_view person) = 0;

  // The sharing choices of `persons/{id}` in full and who leads their care,
  // as the care plan service holds them now: no choices (the defaults hold)
  // when the person has made none or has no care plan yet. Errors as
  // GetCareTeam.
  virtual absl::StatusOr<sharing::PersonSharing> GetSharing(
      absl::string_view person) = 0;

  // The choices as GetSharing would answer now, when that is known without
  // asking the care plan service (CachingCarePlanLookup); nullopt when it
  // is not, and always for a lookup that remembers nothing. Never blocks on
  // the network: for reads run inline (RemoteCalls::kDeferred).
  virtual std::optional<sharing::PersonSharing> RememberedSharing(
      absl::string_view person) {
    (void)person;
    return std::nullopt;
  }
};

}  // namespace carebridge::careplan_client

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_CLIENT_CAREPLAN_LOOKUP_H_

#ifndef CAREBRIDGE_SERVICES_DIRECTORY_CLIENT_DIRECTORY_LOOKUP_H_
#define CAREBRIDGE_SERVICES_DIRECTORY_CLIENT_DIRECTORY_LOOKUP_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "carebridge/directory/v1/directory.pb.h"
#include "carebridge/referral/v1/referral.pb.h"

namespace carebridge::directory_client {

// What other services need to know about a team.
struct TeamInfo {
  // `teams/{team_id}`.
  std::string name;
  std::string display_name;
  bool accepting_referrals = false;
  // The sector it works in (what the persons' sharing choices speak of).
  directory::v1::Sector sector = directory::v1::SECTOR_UNSPECIFIED;
  // How long the team allows itself to answer, per urgency.
  absl::Duration routine_deadline = absl::Hours(14 * 24);
  absl::Duration urgent_deadline = absl::Hours(72);
  absl::Duration crisis_deadline = absl::Hours(4);

  // How long the team allows itself to answer a referral or handover of
  // `urgency` (unspecified counts as routine).
  absl::Duration DeadlineFor(referral::v1::Urgency urgency) const {
    switch (urgency) {
      case referral::v1::CRISIS:
        return crisis_deadline;
      case referral::v1::URGENT:
        return urgent_deadline;
      default:
        return routine_deadline;
    }
  }
};

// FAILED_PRECONDITION: `person` was merged into `into` (the directory's
// MergePersons), saying to use `into`.
inline absl::Status PersonMergedError(absl::string_view person,
                                      absl::string_view into) {
  return absl::FailedPreconditionError(absl::StrCat(
      person, " was merged into ", into, " (registered twice): use ", into));
}

// A service's view of the directory. Services other than the directory own
// no team or person data: they ask the directory, which may be in this
// process or another. Implementations must be thread-safe.
class DirectoryLookup {
 public:
  virtual ~DirectoryLookup() = default;

  // The team `teams/{id}`; NOT_FOUND (naming the team) when there is none.
  virtual absl::StatusOr<TeamInfo> GetTeam(absl::string_view team_name) = 0;
  // OK when `persons/{id}` is registered; NOT_FOUND naming it otherwise;
  // FAILED_PRECONDITION (PersonMergedError) when it was merged into another
  // person, who is to be used instead: no new work is addressed to it.
  virtual absl::Status CheckPersonExists(absl::string_view person_name) = 0;

  // The team as GetTeam would answer now, when that is known without
  // asking the directory (a cache's fresh answer); nullopt when it is not,
  // and always for a lookup that remembers nothing. Never blocks on the
  // network: for reads run inline (RemoteCalls::kDeferred).
  virtual std::optional<TeamInfo> RememberedTeam(absl::string_view team_name) {
    (void)team_name;
    return std::nullopt;
  }
};

}  // namespace carebridge::directory_client

#endif  // CAREBRIDGE_SERVICES_DIRECTORY_CLIENT_DIRECTORY_LOOKUP_H_

#ifndef CAREBRIDGE_CLIENTS_CARECTL_DIRECTORY_REQUESTS_H_
#define CAREBRIDGE_CLIENTS_CARECTL_DIRECTORY_REQUESTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "carebridge/directory/v1/directory.pb.h"
#include "clients/carectl/args.h"

namespace carebridge::carectl {

// Builds directory requests from command flags. Every error is a usage error
// naming the flag; the server still validates everything it receives.

// The flags that set team fields, shared by `team create` and `team update`.
std::vector<FlagSpec> TeamFieldFlags();

// New teams accept referrals unless --accepting_referrals=false.
absl::StatusOr<directory::v1::CreateTeamRequest> BuildCreateTeamRequest(
    const Flags& flags);

// Whether the update changes response deadlines; if so the caller reads the
// team first and passes its deadlines as `current`, since the mask path
// `response_deadlines` replaces all three.
bool UpdatesDeadlines(const Flags& flags);

// The update mask is exactly the fields given as flags, in the order given.
absl::StatusOr<directory::v1::UpdateTeamRequest> BuildUpdateTeamRequest(
    const std::string& name, const Flags& flags,
    const directory::v1::ResponseDeadlines& current);

absl::StatusOr<directory::v1::ListTeamsRequest> BuildListTeamsRequest(
    const Flags& flags);

absl::StatusOr<directory::v1::CreateMemberRequest> BuildCreateMemberRequest(
    const Flags& flags);

absl::StatusOr<directory::v1::ListMembersRequest> BuildListMembersRequest(
    const Flags& flags);

// The fields given as flags (--display_name, --email, --role, --team)
// make the update mask; at least one is needed.
absl::StatusOr<directory::v1::UpdateMemberRequest> BuildUpdateMemberRequest(
    const std::string& member, const Flags& flags);
absl::StatusOr<directory::v1::IssueTokenRequest> BuildIssueTokenRequest(
    const std::string& member, const Flags& flags);

// --local_id=SYSTEM=VALUE may repeat; the last '=' separates system from
// value, since systems are often URLs.
absl::StatusOr<directory::v1::CreatePersonRequest> BuildCreatePersonRequest(
    const Flags& flags);

// The details given as flags (--given_name, --family_name,
// --preferred_name, --birth_date, --nhs_number, --local_id..., or
// --clear_local_ids) make the update mask; at least one is needed.
// --local_id replaces every local identifier.
absl::StatusOr<directory::v1::UpdatePersonRequest> BuildUpdatePersonRequest(
    const std::string& person, const Flags& flags);

// `person merge DUPLICATE --into=PERSON --etag=ETAG`: DUPLICATE is merged
// into PERSON, which is kept. Both flags are required, each error saying
// what to give; the etag is the duplicate's, as `person get` shows it.
absl::StatusOr<directory::v1::MergePersonsRequest> BuildMergePersonsRequest(
    const std::string& duplicate, const Flags& flags);

// --nhs_number, or --family_name with --birth_date.
absl::StatusOr<directory::v1::FindPersonsRequest> BuildFindPersonsRequest(
    const Flags& flags);

}  // namespace carebridge::carectl

#endif  // CAREBRIDGE_CLIENTS_CARECTL_DIRECTORY_REQUESTS_H_

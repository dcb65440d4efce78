#ifndef CAREBRIDGE_SERVICES_DIRECTORY_ERRORS_H_
#define CAREBRIDGE_SERVICES_DIRECTORY_ERRORS_H_

// Error text of the directory service. The generic helpers of
// services/common/errors.h are re-exported, so directory code writes
// `errors::MustBeSet(...)` and `errors::NhsNumberTaken(...)` alike.

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "carebridge/directory/v1/directory.pb.h"
#include "services/common/errors.h"

namespace carebridge::directory::errors {

using ::carebridge::errors::BadPageToken;
using ::carebridge::errors::BadResourceName;
using ::carebridge::errors::Invalid;
using ::carebridge::errors::MustBeSet;
using ::carebridge::errors::NotFound;
using ::carebridge::errors::PermissionDenied;
using ::carebridge::errors::StaleEtag;
using ::carebridge::errors::TooLong;
using ::carebridge::errors::TooMany;
using ::carebridge::errors::Unauthenticated;

// INVALID_ARGUMENT: `field: must be between 15 minutes and 90 days`.
absl::Status DeadlineOutOfRange(absl::string_view field);
// INVALID_ARGUMENT naming `update_mask` and the path it does not know.
absl::Status UnknownUpdatePath(absl::string_view path);
// NOT_FOUND: a member names a team that does not exist.
absl::Status MemberTeamNotFound(absl::string_view team);
// ALREADY_EXISTS naming the person who already has the NHS number.
absl::Status NhsNumberTaken(absl::string_view existing_person);
// FAILED_PRECONDITION naming each person a new registration may duplicate
// (name, given and family name, birth date), and how to go on.
absl::Status PossibleDuplicates(const std::vector<v1::Person>& registered);
// FAILED_PRECONDITION: `person` was merged into `into` (MergePersons), so
// it cannot be updated or merged again: use `into`.
absl::Status PersonMerged(absl::string_view person, absl::string_view into);
// FAILED_PRECONDITION: MergePersons cannot merge `duplicate` into `person`,
// `why` (and what to do).
absl::Status CannotMerge(absl::string_view duplicate, absl::string_view person,
                         absl::string_view why);
// ALREADY_EXISTS: `caller` used `request_id` for the `kind` of resource
// `existing` (a team, member or person), and this request asks for a
// different one, so it is not a retry.
absl::Status RequestIdReused(absl::string_view request_id,
                             absl::string_view caller,
                             absl::string_view existing,
                             absl::string_view kind);
// INVALID_ARGUMENT: `field: must be a date YYYY-MM-DD`.
absl::Status MalformedDate(absl::string_view field);
// INVALID_ARGUMENT: `field: must not be in the future`.
absl::Status DateInFuture(absl::string_view field);
// INVALID_ARGUMENT: FindPersons got no search, or two kinds at once.
absl::Status NoSearchGiven();
absl::Status TwoSearchesGiven();
// FAILED_PRECONDITION: `member` is deactivated (IssueToken,
// DeactivateMember again), saying why and what to do.
absl::Status MemberDeactivated(absl::string_view member,
                               absl::string_view reason,
                               absl::string_view what);
// FAILED_PRECONDITION: ReactivateMember of an active member.
absl::Status MemberActive(absl::string_view member);
// PERMISSION_DENIED: `caller` may not end `person`'s own tokens (only the
// person, an admin, or their lead team through the care plan service).
absl::Status PersonTokensNotTheirs(absl::string_view caller,
                                   absl::string_view person);
// INVALID_ARGUMENT: the token lifetime is not positive or too long.
absl::Status TtlNotPositive();
// `max`: the deployment's longest token lifetime.
absl::Status TtlTooLong(absl::Duration max);

}  // namespace carebridge::directory::errors

#endif  // CAREBRIDGE_SERVICES_DIRECTORY_ERRORS_H_

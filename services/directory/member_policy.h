#ifndef CAREBRIDGE_SERVICES_DIRECTORY_MEMBER_POLICY_H_
#define CAREBRIDGE_SERVICES_DIRECTORY_MEMBER_POLICY_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "carebridge/directory/v1/directory.pb.h"
#include "services/common/principal.h"

namespace carebridge::directory {

// Who manages whom, with duties separated: admins manage admins and team
// managers (they appoint each team's managers); a team's managers manage
// its clinical members and issue their tokens. So no admin can make
// themselves, or anyone, a clinician, and nobody who manages members reads
// clinical records.

// Admins and team managers are managed by admins; clinical members by
// their team's managers.
bool ManagedByAdmins(v1::Role role);

// Anyone who manages members at all (an admin or a team manager): the
// first check, before a member is read, so others cannot probe who exists.
absl::Status RequireMemberManager(const Principal& caller,
                                  absl::string_view action);
// `caller` manages `member` (creating, changing, reactivating them, issuing
// their tokens). PERMISSION_DENIED naming who does.
absl::Status RequireManages(const Principal& caller, const v1::Member& member,
                            absl::string_view action);
// Taking access away (deactivating, revoking tokens): who manages them,
// and any admin (an incident needs no team manager to hand).
absl::Status RequireMayEndAccess(const Principal& caller,
                                 const v1::Member& member,
                                 absl::string_view action);
// An update may not carry a member across the line (an admin making
// someone clinical, a manager appointing an admin or manager).
absl::Status RequireSameSide(const v1::Member& before, const v1::Member& after,
                             absl::string_view action);
// Reading a team's members: admins, the team's managers and its clinical
// members.
absl::Status RequireMayReadMembers(const Principal& caller,
                                   absl::string_view team,
                                   absl::string_view action);

}  // namespace carebridge::directory

#endif  // CAREBRIDGE_SERVICES_DIRECTORY_MEMBER_POLICY_H_

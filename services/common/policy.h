#ifndef CAREBRIDGE_SERVICES_COMMON_POLICY_H_
#define CAREBRIDGE_SERVICES_COMMON_POLICY_H_

// Authorisation decisions, in one place. Each check returns OK or
// PERMISSION_DENIED saying who may do `action`. Care relationships and
// consent join these checks as the services that own them land; callers
// pass what the decision needs, never raw request fields.

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "services/common/principal.h"

namespace carebridge::policy {

// Directory administration: creating teams and members, issuing tokens.
absl::Status RequireAdmin(const Principal& caller, absl::string_view action);

// Clinical work (registering persons, sending referrals): staff of a team,
// not admins.
absl::Status RequireClinical(const Principal& caller, absl::string_view action);

// Acting for `team` (answering its inbox, withdrawing what it sent).
absl::Status RequireTeam(const Principal& caller, absl::string_view team,
                         absl::string_view action);

// Changing `team`'s settings: admins, or that team's lead.
absl::Status RequireTeamAdmin(const Principal& caller, absl::string_view team,
                              absl::string_view action);

// Reading a person's record. Until care relationships land, any clinical
// staff member or service may; admins may not.
absl::Status RequirePersonAccess(const Principal& caller,
                                 absl::string_view person,
                                 absl::string_view action);

}  // namespace carebridge::policy

#endif  // CAREBRIDGE_SERVICES_COMMON_POLICY_H_

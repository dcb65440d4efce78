#include "services/common/policy.h"

#include "absl/strings/str_cat.h"
#include "services/common/errors.h"

namespace carebridge::policy {

absl::Status RequireAdmin(const Principal& caller, absl::string_view action) {
  // Service identities are deliberately not admins: a leaked service token
  // must not be able to mint members or tokens.
  if (caller.is_admin()) return absl::OkStatus();
  return errors::PermissionDenied(
      absl::StrCat(action, ": only an admin may do this; ", caller.subject,
                   " is ", RoleName(caller.role)));
}

absl::Status RequireClinical(const Principal& caller,
                             absl::string_view action) {
  if (caller.is_clinical()) return absl::OkStatus();
  return errors::PermissionDenied(
      absl::StrCat(action, ": only clinical staff of a team may do this; ",
                   caller.subject, " is ", RoleName(caller.role)));
}

absl::Status RequireTeam(const Principal& caller, absl::string_view team,
                         absl::string_view action) {
  // Services never act for a team: answering a referral is a person's
  // decision, recorded against them.
  if (caller.is_clinical() && caller.team == team) return absl::OkStatus();
  return errors::PermissionDenied(absl::StrCat(
      action, ": only members of ", team, " may do this; ", caller.subject,
      " is in ", caller.team.empty() ? "no team" : caller.team));
}

absl::Status RequireTeamAdmin(const Principal& caller, absl::string_view team,
                              absl::string_view action) {
  if (caller.is_admin()) return absl::OkStatus();
  if (caller.role == Role::kTeamLead && caller.team == team) {
    return absl::OkStatus();
  }
  return errors::PermissionDenied(absl::StrCat(
      action, ": only an admin or the team lead of ", team, " may do this"));
}

absl::Status RequirePersonAccess(const Principal& caller,
                                 absl::string_view person,
                                 absl::string_view action) {
  if (caller.is_clinical() || caller.is_service()) return absl::OkStatus();
  return errors::PermissionDenied(
      absl::StrCat(action, ": ", caller.subject, " (", RoleName(caller.role),
                   ") has no care relationship with ", person));
}

}  // namespace carebridge::policy

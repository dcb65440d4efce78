#include "services/directory/member_policy.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "services/common/policy.h"
#include "services/directory/errors.h"

namespace carebridge::directory {

namespace {

// The member's name, or "a new member" before it has one.
std::string Who(const v1::Member& member) {
  return member.name().empty() ? "a new member" : member.name();
}

}  // namespace

bool ManagedByAdmins(v1::Role role) {
  return role == v1::ADMIN || role == v1::TEAM_MANAGER;
}

absl::Status RequireMemberManager(const Principal& caller,
                                  absl::string_view action) {
  if (caller.is_admin() || caller.is_team_manager()) return absl::OkStatus();
  return errors::PermissionDenied(
      absl::StrCat(action, ": only an admin or a team manager may do this; ",
                   caller.subject, " is ", RoleName(caller.role)));
}

absl::Status RequireManages(const Principal& caller, const v1::Member& member,
                            absl::string_view action) {
  if (ManagedByAdmins(member.role())) {
    if (caller.is_admin()) return absl::OkStatus();
    return errors::PermissionDenied(absl::StrCat(
        action, ": ", Who(member), " is ", v1::Role_Name(member.role()),
        ": only an admin manages admins and team managers"));
  }
  if (caller.manages(member.team())) return absl::OkStatus();
  return errors::PermissionDenied(absl::StrCat(
      action, ": ", Who(member), " is clinical staff of ", member.team(),
      ": only that team's manager manages them and issues their tokens",
      caller.is_admin() ? " (admins appoint team managers but hold no "
                          "clinical access, nor give it)"
                        : ""));
}

absl::Status RequireMayEndAccess(const Principal& caller,
                                 const v1::Member& member,
                                 absl::string_view action) {
  if (caller.is_admin()) return absl::OkStatus();
  return RequireManages(caller, member, action);
}

absl::Status RequireSameSide(const v1::Member& before, const v1::Member& after,
                             absl::string_view action) {
  if (ManagedByAdmins(before.role()) == ManagedByAdmins(after.role())) {
    return absl::OkStatus();
  }
  return errors::PermissionDenied(absl::StrCat(
      action, ": member.role: ", v1::Role_Name(before.role()), " to ",
      v1::Role_Name(after.role()),
      " crosses separated duties; add a new member instead (admins add "
      "admins and team managers, a team's manager its clinical staff)"));
}

absl::Status RequireMayReadMembers(const Principal& caller,
                                   absl::string_view team,
                                   absl::string_view action) {
  if (caller.is_admin() || caller.manages(team)) return absl::OkStatus();
  return policy::RequireTeam(caller, team, action);
}

}  // namespace carebridge::directory

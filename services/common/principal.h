#ifndef CAREBRIDGE_SERVICES_COMMON_PRINCIPAL_H_
#define CAREBRIDGE_SERVICES_COMMON_PRINCIPAL_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace carebridge {

// What a caller is allowed to be. Mirrors carebridge.directory.v1.Role, plus
// the identity services use to call each other.
enum class Role {
  kUnspecified = 0,
  kClinician = 1,
  kCareCoordinator = 2,
  kTeamLead = 3,
  kPeerSupportWorker = 4,
  kAdmin = 5,
  // The person whose care it is, with access their lead team gave them
  // (subject `persons/{id}`, no team).
  kPerson = 6,
  // Manages one team's members and issues their tokens; not clinical: no
  // clinical record is open to them (carebridge.directory.v1.TEAM_MANAGER).
  kTeamManager = 7,
  kService = 100,
};

absl::string_view RoleName(Role role);
// The role named `name` (what RoleName gives); false for no role.
bool RoleFromName(absl::string_view name, Role* role);

// The authenticated caller of an RPC.
struct Principal {
  // `members/{id}` for staff, `services/{name}` for a service identity,
  // `persons/{id}` for a person.
  std::string subject;
  // `teams/{id}`; empty for admins without a team and for services.
  std::string team;
  Role role = Role::kUnspecified;
  absl::Time expire_time = absl::InfinitePast();
  // When the token was issued (InfinitePast: not said), and its id (random,
  // given by TokenSigner::Sign when empty): what names one token among a
  // member's several.
  absl::Time issue_time = absl::InfinitePast();
  std::string token_id;

  bool is_admin() const { return role == Role::kAdmin; }
  bool is_service() const { return role == Role::kService; }
  bool is_person() const { return role == Role::kPerson; }
  bool is_team_manager() const { return role == Role::kTeamManager; }
  // The manager of `team`.
  bool manages(absl::string_view team) const {
    return is_team_manager() && !team.empty() && this->team == team;
  }
  // The person `person` (`persons/{id}`) themselves.
  bool is_person(absl::string_view person) const {
    return is_person() && subject == person;
  }
  // Clinical staff of a team: the clinical roles only (a role added later
  // is not clinical unless it is listed here).
  bool is_clinical() const {
    if (team.empty()) return false;
    switch (role) {
      case Role::kClinician:
      case Role::kCareCoordinator:
      case Role::kTeamLead:
      case Role::kPeerSupportWorker:
        return true;
      default:
        return false;
    }
  }
};

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_PRINCIPAL_H_

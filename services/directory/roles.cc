#include "services/directory/roles.h"

namespace carebridge::directory {

Role FromProtoRole(v1::Role role) {
  switch (role) {
    case v1::CLINICIAN:
      return Role::kClinician;
    case v1::CARE_COORDINATOR:
      return Role::kCareCoordinator;
    case v1::TEAM_LEAD:
      return Role::kTeamLead;
    case v1::PEER_SUPPORT_WORKER:
      return Role::kPeerSupportWorker;
    case v1::ADMIN:
      return Role::kAdmin;
    // Not the same number: 6 is a person's own access in tokens.
    case v1::TEAM_MANAGER:
      return Role::kTeamManager;
    default:
      return Role::kUnspecified;
  }
}

v1::Role ToProtoRole(Role role) {
  switch (role) {
    case Role::kClinician:
      return v1::CLINICIAN;
    case Role::kCareCoordinator:
      return v1::CARE_COORDINATOR;
    case Role::kTeamLead:
      return v1::TEAM_LEAD;
    case Role::kPeerSupportWorker:
      return v1::PEER_SUPPORT_WORKER;
    case Role::kAdmin:
      return v1::ADMIN;
    case Role::kTeamManager:
      return v1::TEAM_MANAGER;
    case Role::kService:
    case Role::kPerson:
    case Role::kUnspecified:
      break;
  }
  return v1::ROLE_UNSPECIFIED;
}

}  // namespace carebridge::directory

#ifndef CAREBRIDGE_SERVICES_DIRECTORY_ROLES_H_
#define CAREBRIDGE_SERVICES_DIRECTORY_ROLES_H_

#include "carebridge/directory/v1/directory.pb.h"
#include "services/common/principal.h"

namespace carebridge::directory {

// The API's member roles and the roles tokens carry map one to one; a
// service identity has no API role (ROLE_UNSPECIFIED).
Role FromProtoRole(v1::Role role);
v1::Role ToProtoRole(Role role);

}  // namespace carebridge::directory

#endif  // CAREBRIDGE_SERVICES_DIRECTORY_ROLES_H_

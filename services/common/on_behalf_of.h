#ifndef CAREBRIDGE_SERVICES_COMMON_ON_BEHALF_OF_H_
#define CAREBRIDGE_SERVICES_COMMON_ON_BEHALF_OF_H_

// Whom a service's call to another service is for. A service that calls
// another while serving a member's call (the directory asking the record
// for a care summary to answer a clinician's lookup) calls with its own
// identity; the member is sent alongside, in call metadata, so the audit
// record of the second call names them as `on_behalf_of` and the person's
// accesses say who the read was for. The metadata is believed only from a
// service identity (a service token or a carebridge service's TLS client
// certificate): anyone else who sends it is recorded as themselves alone.

#include <grpcpp/server_context.h>

#include <map>
#include <optional>
#include <string>

#include "services/common/call_audit.h"
#include "services/common/principal.h"

namespace carebridge {

// `members/{id}` or `persons/{id}`, the requester's team (`teams/{id}`, or
// absent) and role (RoleName).
inline constexpr char kOnBehalfOfHeader[] = "x-carebridge-on-behalf-of";
inline constexpr char kOnBehalfOfTeamHeader[] =
    "x-carebridge-on-behalf-of-team";
inline constexpr char kOnBehalfOfRoleHeader[] =
    "x-carebridge-on-behalf-of-role";

// Whom `caller`'s call with `metadata` (its client metadata) is for:
// nullopt unless `caller` is a service identity that sent a well-formed
// requester (a member or person, a team name or none, a role that is not
// a service's).
std::optional<Requester> OnBehalfOfIn(
    const Principal& caller,
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata);

// Adds `requester` to the metadata of a call about to be sent (nothing for
// nobody, or when the call carries a requester already).
void AddOnBehalfOf(const Requester& requester,
                   std::multimap<std::string, std::string>* metadata);

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_ON_BEHALF_OF_H_

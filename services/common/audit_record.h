#ifndef CAREBRIDGE_SERVICES_COMMON_AUDIT_RECORD_H_
#define CAREBRIDGE_SERVICES_COMMON_AUDIT_RECORD_H_

#include <cstdint>
#include <string>

#include "absl/time/time.h"

namespace carebridge {

// One access to clinical data: who (actor, team, role, on whose behalf),
// what (the RPC method, the resource, the person, the sections), why (a
// break-glass reason), and how it ended (`OK` or the canonical code).
struct AuditRecord {
  int64_t seq = 0;  // set by Append
  absl::Time time;
  std::string actor;
  std::string team;
  std::string role;
  std::string on_behalf_of;
  std::string method;
  std::string resource;
  std::string person;
  std::string sections;
  std::string reason;
  std::string outcome;
};

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_AUDIT_RECORD_H_

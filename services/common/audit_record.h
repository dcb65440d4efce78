#ifndef CAREBRIDGE_SERVICES_COMMON_AUDIT_RECORD_H_
#define CAREBRIDGE_SERVICES_COMMON_AUDIT_RECORD_H_

#include <cstdint>
#include <string>
#include <vector>

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

// What verifying an audit log found (AuditChain::Verify).
struct AuditVerification {
  int64_t records = 0;
  int64_t checkpoints = 0;
  // The newest record as the head says (a value to note down outside the
  // database: a log cut back to an older state would show another).
  int64_t head_seq = 0;
  std::string head_hash_hex;
  // Each problem found, worded for an administrator (`record 17: its
  // contents do not match its hash (edited)`); at most
  // AuditChain::kMaxProblems.
  std::vector<std::string> problems;
  bool intact() const { return problems.empty(); }
};

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_AUDIT_RECORD_H_

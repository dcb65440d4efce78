#ifndef CAREBRIDGE_SERVICES_AUDIT_AUDIT_DOMAIN_H_
#define CAREBRIDGE_SERVICES_AUDIT_AUDIT_DOMAIN_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "carebridge/audit/v1/audit.pb.h"
#include "services/careplan_client/careplan_lookup.h"
#include "services/common/database.h"
#include "services/common/principal.h"

namespace carebridge::audit {

// An audit log this process keeps: the service's short name and the
// database holding it.
struct AuditLogRef {
  std::string name;
  Database* db = nullptr;
};

// The rules of AuditService: only admins verify; the accesses to a person
// are shown to the person themselves, to the clinical members of the
// person's lead team (asked of the care plan service at the time of asking)
// and to admins; nobody else.
// What is shown is the audit records themselves: who, when, what, why,
// outcome; never clinical content (the logs hold none). This class is
// thread-safe.
class AuditDomain {
 public:
  // `logs` lists the logs to verify and search (asked on each call: the
  // services hosted, and `own_log`); `own_log` records the calls to this
  // service, denied ones too; `lookup` answers who leads a person's care.
  // All outlive this.
  AuditDomain(std::function<std::vector<AuditLogRef>()> logs, Database* own_log,
              careplan_client::CarePlanLookup* lookup)
      : logs_(std::move(logs)), own_log_(own_log), lookup_(lookup) {}

  absl::StatusOr<v1::VerifyAuditLogsResponse> VerifyAuditLogs(
      const Principal& caller);
  absl::StatusOr<v1::ListAccessesResponse> ListAccesses(
      const Principal& caller, const v1::ListAccessesRequest& request);

 private:
  absl::Status RequireAccessListReader(const Principal& caller,
                                       const std::string& person);

  const std::function<std::vector<AuditLogRef>()> logs_;
  Database* const own_log_;
  careplan_client::CarePlanLookup* const lookup_;
};

}  // namespace carebridge::audit

#endif  // CAREBRIDGE_SERVICES_AUDIT_AUDIT_DOMAIN_H_

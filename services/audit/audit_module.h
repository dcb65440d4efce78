#ifndef CAREBRIDGE_SERVICES_AUDIT_AUDIT_MODULE_H_
#define CAREBRIDGE_SERVICES_AUDIT_AUDIT_MODULE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/audit/audit_domain.h"
#include "services/common/database.h"
#include "services/common/service_module.h"

namespace carebridge {
class ServiceCredentials;
namespace careplan_client {
class CarePlanLookup;
}  // namespace careplan_client
}  // namespace carebridge

namespace carebridge::audit {

class AuditGrpcService;

// AuditService as a unit every carebridge-server process hosts, whatever
// services it was told to host (like FeedAdminService): it verifies and
// searches the audit logs of the services hosted with it, and keeps its own
// log of the calls made to it (`audit.db`, or a schema of its own under
// `--database`, see Open). It asks the care plan service
// (as `services/audit`) who leads a person's care. This class is
// thread-safe.
class AuditModule : public ServiceModule {
 public:
  static constexpr char kServiceName[] = "carebridge.audit.v1.AuditService";

  // Opens its log at DatabaseLocationOf(context, "audit"), on PostgreSQL in
  // schema `pg_schema` (AuditSchemaFor). `hosted_logs` lists the other
  // services' logs (asked on each call); this module's own is added to
  // them. Without an audit key (context.env.audit_key) there are no logs to
  // serve: the service answers with none.
  static absl::StatusOr<std::unique_ptr<AuditModule>> Open(
      const ModuleContext& context,
      std::function<std::vector<AuditLogRef>()> hosted_logs,
      const std::string& pg_schema = "audit");
  // The schema of the log kept by a process hosting `services` (of the
  // `all` a server knows) on PostgreSQL: `audit` for a process hosting them
  // all, else `audit_` and their names (`audit_referral`). Each process
  // chains its log under its own audit key, so processes hosting different
  // services (different keys) keep separate logs, while replicas of one
  // (one key, shared) join one chain.
  static std::string AuditSchemaFor(const std::vector<std::string>& services,
                                    size_t all);
  ~AuditModule() override;

  const char* service_name() const override { return kServiceName; }
  grpc::Service* service() override;
  Database* audit_log() override { return db_.get(); }
  void StartBackgroundWork(const ModuleContext&) override {}
  void StopBackgroundWork() override {}

 private:
  AuditModule();

  std::unique_ptr<Database> db_;
  std::unique_ptr<ServiceCredentials> credentials_;
  std::unique_ptr<careplan_client::CarePlanLookup> careplan_;
  std::unique_ptr<AuditDomain> domain_;
  std::unique_ptr<AuditGrpcService> service_;
};

// The audit logs of `modules`, hosted under `names` (the same order).
std::vector<AuditLogRef> AuditLogsOf(
    const std::vector<std::string>& names,
    const std::vector<std::unique_ptr<ServiceModule>>& modules);

// Tells `authenticator` each module's audit log (and `audit`'s), by the
// package of its gRPC service, so every call to it is recorded there.
void RegisterAuditLogs(
    const std::vector<std::unique_ptr<ServiceModule>>& modules,
    AuditModule& audit, Authenticator& authenticator);

}  // namespace carebridge::audit

#endif  // CAREBRIDGE_SERVICES_AUDIT_AUDIT_MODULE_H_

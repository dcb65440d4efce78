#include "services/audit/audit_module.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/audit/audit_grpc.h"
#include "services/careplan_client/grpc_careplan_lookup.h"
#include "services/common/database_opener.h"
#include "services/common/macros.h"
#include "services/common/service_credentials.h"

namespace carebridge::audit {

AuditModule::AuditModule() = default;
AuditModule::~AuditModule() = default;

absl::StatusOr<std::unique_ptr<AuditModule>> AuditModule::Open(
    const ModuleContext& context,
    std::function<std::vector<AuditLogRef>()> hosted_logs,
    const std::string& pg_schema) {
  std::unique_ptr<AuditModule> module(new AuditModule());
  const Environment& env = context.env;
  if (env.audit_key != nullptr) {
    // No tables of its own: the engine keeps the audit log's.
    static const auto* const kNoMigrations = new std::vector<Migration>();
    DatabaseOptions options;
    options.audit_key = env.audit_key;
    DatabaseLocation location = DatabaseLocationOf(context, "audit");
    location.schema = pg_schema;
    ASSIGN_OR_RETURN(
        module->db_,
        OpenDatabase(location, {kNoMigrations, kNoMigrations}, options));
  }
  module->credentials_ = std::make_unique<ServiceCredentials>(
      "services/audit", env.signer, env.clock);
  module->careplan_ = std::make_unique<careplan_client::GrpcCarePlanLookup>(
      context.peer("careplan"), module->credentials_.get());
  Database* own = module->db_.get();
  module->domain_ = std::make_unique<AuditDomain>(
      [hosted_logs = std::move(hosted_logs), own] {
        std::vector<AuditLogRef> logs = hosted_logs();
        if (own != nullptr) logs.push_back(AuditLogRef{"audit", own});
        return logs;
      },
      own, module->careplan_.get());
  module->service_ = std::make_unique<AuditGrpcService>(
      env.authenticator, env.executor, module->domain_.get());
  return module;
}

std::string AuditModule::AuditSchemaFor(
    const std::vector<std::string>& services, size_t all) {
  if (services.size() >= all) return "audit";
  return absl::StrCat("audit_", absl::StrJoin(services, "_"));
}

grpc::Service* AuditModule::service() { return service_.get(); }

std::vector<AuditLogRef> AuditLogsOf(
    const std::vector<std::string>& names,
    const std::vector<std::unique_ptr<ServiceModule>>& modules) {
  std::vector<AuditLogRef> logs;
  for (size_t i = 0; i < modules.size() && i < names.size(); ++i) {
    Database* db = modules[i]->audit_log();
    if (db != nullptr && db->audited()) logs.push_back({names[i], db});
  }
  return logs;
}

namespace {

void Register(ServiceModule& module, Authenticator& authenticator) {
  Database* log = module.audit_log();
  if (log == nullptr || !log->audited()) return;
  absl::string_view name = module.service_name();
  // `carebridge.careplan.v1.CarePlanService` -> `carebridge.careplan.v1`.
  authenticator.SetAuditLog(std::string(name.substr(0, name.rfind('.'))), log);
}

}  // namespace

void RegisterAuditLogs(
    const std::vector<std::unique_ptr<ServiceModule>>& modules,
    AuditModule& audit, Authenticator& authenticator) {
  for (const std::unique_ptr<ServiceModule>& module : modules) {
    Register(*module, authenticator);
  }
  Register(audit, authenticator);
}

}  // namespace carebridge::audit

#include "services/handover/handover_module.h"

#include <utility>

#include "services/careplan_client/careplan_peer.h"
#include "services/common/macros.h"
#include "services/common/metrics.h"
#include "services/common/periodic_task.h"
#include "services/common/service_credentials.h"
#include "services/directory_client/caching_directory_lookup.h"
#include "services/directory_client/grpc_directory_lookup.h"
#include "services/handover/handover_domain.h"
#include "services/handover/handover_grpc.h"
#include "services/handover/sqlite_handover_store.h"

namespace carebridge::handover {

HandoverModule::HandoverModule() = default;

HandoverModule::~HandoverModule() { StopBackgroundWork(); }

absl::StatusOr<std::unique_ptr<HandoverModule>> HandoverModule::Open(
    const Environment& env, const std::string& sqlite_path,
    ChannelProvider directory, ChannelProvider careplan) {
  return Open(env,
              DatabaseLocation{sqlite_path, /*postgresql_url=*/"", "handover"},
              std::move(directory), std::move(careplan));
}

absl::StatusOr<std::unique_ptr<HandoverModule>> HandoverModule::Open(
    const Environment& env, const DatabaseLocation& location,
    ChannelProvider directory, ChannelProvider careplan) {
  if (directory == nullptr || careplan == nullptr) {
    return absl::InvalidArgumentError(
        "handover service: channels to the directory and the care plan "
        "service are required");
  }
  std::unique_ptr<HandoverModule> module(new HandoverModule());
  module->clock_ = env.clock;
  ASSIGN_OR_RETURN(module->store_,
                   SqliteHandoverStore::Open(location, env.audit_key));
  module->audit_log_ = module->store_->db();
  module->scanner_ = std::make_unique<ExclusiveRole>(module->audit_log_,
                                                     "handover.deadline_scan");
  module->credentials_ = std::make_unique<ServiceCredentials>(
      HandoverDomain::kServiceActor, env.signer, env.clock);
  module->directory_ =
      std::make_unique<directory_client::CachingDirectoryLookup>(
          std::make_unique<directory_client::GrpcDirectoryLookup>(
              HandoverDomain::kServiceActor, std::move(directory), env.signer,
              env.clock),
          env.clock);
  module->careplan_ = std::make_unique<careplan_client::CarePlanPeer>(
      std::move(careplan), module->credentials_.get(), env.clock);
  module->domain_ = std::make_unique<HandoverDomain>(
      env.clock, env.ids, module->directory_.get(), module->careplan_->lookup(),
      module->store_.get());
  module->service_ = std::make_unique<HandoverGrpcService>(
      env.authenticator, env.executor, module->domain_.get(),
      module->store_->event_log());
  return module;
}

grpc::Service* HandoverModule::service() { return service_.get(); }

EventLog* HandoverModule::event_log() { return store_->event_log(); }

absl::StatusOr<int> HandoverModule::ScanDeadlines() {
  ASSIGN_OR_RETURN(bool mine, scanner_->Claim());
  if (!mine) return 0;
  absl::StatusOr<int> escalated = domain_->EscalateOverdue(clock_->Now());
  if (escalated.ok()) escalations_raised_ += *escalated;
  return escalated;
}

void HandoverModule::CollectMetrics(MetricSink& sink) {
  sink.Counter("carebridge_escalations_total",
               "Overdue referrals and handovers escalated by this process's "
               "deadline scans.",
               {{"service", "handover"}}, escalations_raised_.load());
}

absl::StatusOr<std::unique_ptr<ServiceModule>> HandoverModule::OpenModule(
    const ModuleContext& context) {
  return Open(context.env, DatabaseLocationOf(context, "handover"),
              context.peer("directory"), context.peer("careplan"));
}

void HandoverModule::StartBackgroundWork(const ModuleContext& context) {
  StartBackgroundWork(context.deadline_scan_interval);
}

void HandoverModule::StartBackgroundWork(absl::Duration scan_interval) {
  absl::MutexLock lock(&mu_);
  if (scan_ != nullptr || stopped_) return;
  scan_ = std::make_unique<PeriodicTask>(
      "handover deadline scan", scan_interval,
      [this]() { return ScanDeadlines().status(); });
  scan_->Start();
  careplan_->StartFollowing();
}

void HandoverModule::StopBackgroundWork() {
  std::unique_ptr<PeriodicTask> scan;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    scan = std::move(scan_);
  }
  // Outside the lock: Stop waits for a scan in progress.
  if (scan != nullptr) scan->Stop();
  // Another replica takes the scan over on its next turn.
  if (scanner_ != nullptr) scanner_->Release();
  // Null only when Open failed before it was made.
  if (careplan_ != nullptr) careplan_->StopFollowing();
  if (store_ != nullptr) store_->event_log()->Shutdown();
}

}  // namespace carebridge::handover

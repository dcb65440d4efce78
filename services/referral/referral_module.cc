#include "services/referral/referral_module.h"

#include <utility>

#include "services/common/macros.h"
#include "services/common/metrics.h"
#include "services/directory_client/caching_directory_lookup.h"
#include "services/referral/referral_domain.h"
#include "services/referral/referral_events.h"
#include "services/referral/referral_grpc.h"
#include "services/referral/sqlite_referral_store.h"

namespace carebridge::referral {

ReferralModule::ReferralModule() = default;
ReferralModule::~ReferralModule() { StopBackgroundWork(); }

absl::StatusOr<std::unique_ptr<ReferralModule>> ReferralModule::Open(
    const Environment& env, const std::string& sqlite_path,
    std::shared_ptr<grpc::Channel> directory_channel) {
  if (directory_channel == nullptr) {
    return absl::InvalidArgumentError(
        "referral service: a channel to the directory is required");
  }
  return Open(
      env, sqlite_path,
      directory_client::DirectoryChannelProvider(
          [channel = std::move(directory_channel)] { return channel; }));
}

absl::StatusOr<std::unique_ptr<ReferralModule>> ReferralModule::Open(
    const Environment& env, const std::string& sqlite_path,
    directory_client::DirectoryChannelProvider directory_channel_provider,
    ChannelProvider careplan) {
  return Open(env,
              DatabaseLocation{sqlite_path, /*postgresql_url=*/"", "referral"},
              std::move(directory_channel_provider), std::move(careplan));
}

absl::StatusOr<std::unique_ptr<ReferralModule>> ReferralModule::Open(
    const Environment& env, const DatabaseLocation& location,
    directory_client::DirectoryChannelProvider directory_channel_provider,
    ChannelProvider careplan) {
  std::unique_ptr<ReferralModule> module(new ReferralModule());
  ASSIGN_OR_RETURN(module->store_,
                   SqliteReferralStore::Open(location, env.audit_key));
  module->audit_log_ = module->store_->db();
  module->scanner_ = std::make_unique<ExclusiveRole>(module->audit_log_,
                                                     "referral.deadline_scan");
  module->directory_ =
      std::make_unique<directory_client::CachingDirectoryLookup>(
          std::make_unique<directory_client::GrpcDirectoryLookup>(
              "services/referral", std::move(directory_channel_provider),
              env.signer, env.clock),
          env.clock);
  if (careplan != nullptr) {
    module->credentials_ = std::make_unique<ServiceCredentials>(
        kReferralServiceActor, env.signer, env.clock);
    module->careplan_ = std::make_unique<careplan_client::CarePlanPeer>(
        std::move(careplan), module->credentials_.get(), env.clock);
  }
  module->domain_ = std::make_unique<ReferralDomain>(
      env.clock, env.ids, module->directory_.get(), module->store_.get(),
      module->careplan_ == nullptr ? nullptr : module->careplan_->lookup());
  module->service_ = std::make_unique<ReferralGrpcService>(
      env.authenticator, env.executor, module->domain_.get(),
      module->store_->event_log());
  module->clock_ = env.clock;
  return module;
}

grpc::Service* ReferralModule::service() { return service_.get(); }

EventLog* ReferralModule::event_log() { return store_->event_log(); }

absl::StatusOr<int> ReferralModule::ScanDeadlines() {
  ASSIGN_OR_RETURN(bool mine, scanner_->Claim());
  if (!mine) return 0;
  absl::StatusOr<int> escalated = domain_->EscalateOverdue(clock_->Now());
  if (escalated.ok()) escalations_raised_ += *escalated;
  return escalated;
}

void ReferralModule::CollectMetrics(MetricSink& sink) {
  sink.Counter("carebridge_escalations_total",
               "Overdue referrals and handovers escalated by this process's "
               "deadline scans.",
               {{"service", "referral"}}, escalations_raised_.load());
}

absl::StatusOr<std::unique_ptr<ServiceModule>> ReferralModule::OpenModule(
    const ModuleContext& context) {
  return Open(
      context.env, DatabaseLocationOf(context, "referral"),
      directory_client::DirectoryChannelProvider(context.peer("directory")),
      context.peer("careplan"));
}

void ReferralModule::StartBackgroundWork(const ModuleContext& context) {
  StartBackgroundWork(context.deadline_scan_interval);
}

void ReferralModule::StartBackgroundWork(absl::Duration scan_interval) {
  absl::MutexLock lock(&mu_);
  if (started_ || stopped_) return;
  started_ = true;
  scan_ = std::make_unique<PeriodicTask>(
      "referral deadline scan", scan_interval,
      [this]() -> absl::Status { return ScanDeadlines().status(); });
  scan_->Start();
  if (careplan_ != nullptr) careplan_->StartFollowing();
}

void ReferralModule::StopBackgroundWork() {
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
  if (careplan_ != nullptr) careplan_->StopFollowing();
  // Null only when Open failed before the store opened.
  if (store_ != nullptr) event_log()->Shutdown();
}

}  // namespace carebridge::referral

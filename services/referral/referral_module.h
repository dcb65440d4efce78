#ifndef CAREBRIDGE_SERVICES_REFERRAL_REFERRAL_MODULE_H_
#define CAREBRIDGE_SERVICES_REFERRAL_REFERRAL_MODULE_H_

#include <grpcpp/channel.h>
#include <grpcpp/impl/service_type.h>

#include <atomic>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/careplan_client/careplan_peer.h"
#include "services/common/channel_provider.h"
#include "services/common/clock.h"
#include "services/common/database_opener.h"
#include "services/common/environment.h"
#include "services/common/event_log.h"
#include "services/common/exclusive_role.h"
#include "services/common/periodic_task.h"
#include "services/common/service_credentials.h"
#include "services/common/service_module.h"
#include "services/directory_client/grpc_directory_lookup.h"

namespace carebridge::referral {

class ReferralDomain;
class ReferralGrpcService;
class SqliteReferralStore;

// The referral service as a unit a server hosts: its store and event log,
// its domain, its link to the directory, its gRPC service and its deadline
// scan. Not copyable; outlives the server it is added to. This class is
// thread-safe.
class ReferralModule : public ServiceModule {
 public:
  static constexpr char kServiceName[] =
      "carebridge.referral.v1.ReferralService";

  // `directory_channel` reaches carebridge.directory.v1.DirectoryService (in
  // this process or another). Channels connect lazily, so it may point at a
  // server that is not listening yet.
  static absl::StatusOr<std::unique_ptr<ReferralModule>> Open(
      const Environment& env, const std::string& sqlite_path,
      std::shared_ptr<grpc::Channel> directory_channel);
  // As above, with the channel obtained on the first call to the directory:
  // for a server that hosts the directory itself and only has a channel to
  // it once it has started (e.g. `[&] { return host.InProcessChannel(); }`).
  // `careplan` reaches the care plan service, which holds the persons'
  // sharing choices (who reads a risk summary); without it the sector
  // defaults hold.
  static absl::StatusOr<std::unique_ptr<ReferralModule>> Open(
      const Environment& env, const std::string& sqlite_path,
      directory_client::DirectoryChannelProvider directory_channel_provider,
      ChannelProvider careplan = nullptr);
  // As above, with the store at `location` (an SQLite file or a PostgreSQL
  // schema).
  static absl::StatusOr<std::unique_ptr<ReferralModule>> Open(
      const Environment& env, const DatabaseLocation& location,
      directory_client::DirectoryChannelProvider directory_channel_provider,
      ChannelProvider careplan = nullptr);
  // Open at DatabaseLocationOf(context, "referral") (`{data_dir}/referral.db`
  // or, with `--database`, schema `referral`) with the `directory` and
  // `careplan` peers.
  static absl::StatusOr<std::unique_ptr<ServiceModule>> OpenModule(
      const ModuleContext& context);
  // Stops the background work.
  ~ReferralModule() override;

  const char* service_name() const override { return kServiceName; }
  grpc::Service* service() override;
  Database* audit_log() override { return audit_log_; }
  // The care plan service as this service asks it (null without one).
  careplan_client::CarePlanPeer* careplan_peer() { return careplan_.get(); }
  // The outbox, feed `referral`.
  EventLog* event_log() override;

  // One deadline scan at the environment clock's now (see
  // ReferralDomain::EscalateOverdue); returns how many referrals it
  // escalated. Tests move a FakeClock and call this instead of starting the
  // background scan. Replicas on one database scan one at a time: the scan
  // runs only in the process holding the lock `referral.deadline_scan`
  // (taken here when free); elsewhere it escalates nothing (0), and tries
  // for the lock again on the next call.
  absl::StatusOr<int> ScanDeadlines();
  // Whether this process holds the deadline scan's lock (as of now).
  bool deadline_scanner() { return scanner_->Held(); }
  // Escalations raised (carebridge_escalations_total).
  void CollectMetrics(MetricSink& sink) override;
  // Runs ScanDeadlines every `scan_interval` of real time. Once; later calls
  // do nothing.
  void StartBackgroundWork(absl::Duration scan_interval)
      ABSL_LOCKS_EXCLUDED(mu_);
  // The scan, every `context.deadline_scan_interval`.
  void StartBackgroundWork(const ModuleContext& context) override;
  // Stops the scan (waiting for one in progress) and shuts the event log
  // down, so open feeds end (UNAVAILABLE) instead of waiting for events.
  // Idempotent.
  void StopBackgroundWork() override ABSL_LOCKS_EXCLUDED(mu_);

 private:
  ReferralModule();

  std::unique_ptr<SqliteReferralStore> store_;
  // store_'s database, which keeps the audit log.
  Database* audit_log_ = nullptr;
  // The deadline scan, one replica at a time (on audit_log_'s database).
  std::unique_ptr<ExclusiveRole> scanner_;
  std::unique_ptr<directory_client::DirectoryLookup> directory_;
  std::unique_ptr<ServiceCredentials> credentials_;
  std::unique_ptr<careplan_client::CarePlanPeer> careplan_;
  std::unique_ptr<ReferralDomain> domain_;
  std::unique_ptr<ReferralGrpcService> service_;
  const Clock* clock_ = nullptr;

  absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::unique_ptr<PeriodicTask> scan_ ABSL_GUARDED_BY(mu_);
  // Escalated by ScanDeadlines since the process started.
  std::atomic<int64_t> escalations_raised_{0};
};

}  // namespace carebridge::referral

#endif  // CAREBRIDGE_SERVICES_REFERRAL_REFERRAL_MODULE_H_

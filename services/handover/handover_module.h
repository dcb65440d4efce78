#ifndef CAREBRIDGE_SERVICES_HANDOVER_HANDOVER_MODULE_H_
#define CAREBRIDGE_SERVICES_HANDOVER_HANDOVER_MODULE_H_

#include <grpcpp/impl/service_type.h>

#include <atomic>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/channel_provider.h"
#include "services/common/environment.h"
#include "services/common/event_log.h"
#include "services/common/exclusive_role.h"
#include "services/common/service_module.h"

namespace carebridge {
class PeriodicTask;
class ServiceCredentials;
namespace careplan_client {
class CarePlanPeer;
}  // namespace careplan_client
namespace directory_client {
class DirectoryLookup;
}  // namespace directory_client
}  // namespace carebridge

namespace carebridge::handover {

class HandoverDomain;
class HandoverGrpcService;
class SqliteHandoverStore;

// The handover service as a unit a server hosts: its store (with its event
// log), its domain, its links to the directory and the care plan service
// (asked as `services/handover`), its gRPC service and its deadline scan.
// Not copyable; outlives the server it is added to. This class is
// thread-safe.
class HandoverModule : public ServiceModule {
 public:
  static constexpr char kServiceName[] =
      "carebridge.handover.v1.HandoverService";

  // `directory` reaches carebridge.directory.v1.DirectoryService and
  // `careplan` carebridge.careplan.v1.CarePlanService (in this process or
  // another); each is called on first use, so either may be a server that
  // is not listening yet. The handovers are kept at `location` (an SQLite
  // file or a PostgreSQL schema).
  static absl::StatusOr<std::unique_ptr<HandoverModule>> Open(
      const Environment& env, const DatabaseLocation& location,
      ChannelProvider directory, ChannelProvider careplan);
  // The same in the SQLite file at `sqlite_path`.
  static absl::StatusOr<std::unique_ptr<HandoverModule>> Open(
      const Environment& env, const std::string& sqlite_path,
      ChannelProvider directory, ChannelProvider careplan);
  // Open at DatabaseLocationOf(context, "handover") (`--database`, else
  // `{data_dir}/handover.db`) with the `directory` and `careplan` peers.
  static absl::StatusOr<std::unique_ptr<ServiceModule>> OpenModule(
      const ModuleContext& context);
  // Stops the background work.
  ~HandoverModule() override;

  const char* service_name() const override { return kServiceName; }
  grpc::Service* service() override;
  Database* audit_log() override { return audit_log_; }
  // The care plan service as this service asks it (null without one).
  careplan_client::CarePlanPeer* careplan_peer() { return careplan_.get(); }
  // The `handover` feed.
  EventLog* event_log() override;

  // One deadline scan now, at the environment clock's now: returns how many
  // handovers it escalated. As ReferralModule's: only in the replica
  // holding the lock `handover.deadline_scan` (elsewhere 0, trying again
  // on the next call).
  absl::StatusOr<int> ScanDeadlines();
  // Whether this process holds the deadline scan's lock (as of now).
  bool deadline_scanner() { return scanner_->Held(); }
  // Escalations raised (carebridge_escalations_total).
  void CollectMetrics(MetricSink& sink) override;
  // Runs the deadline scan every `scan_interval` of real time. Once.
  void StartBackgroundWork(absl::Duration scan_interval)
      ABSL_LOCKS_EXCLUDED(mu_);
  // The scan, every `context.deadline_scan_interval`.
  void StartBackgroundWork(const ModuleContext& context) override;
  // Stops the scan and shuts the event log (its feeds end, to be resumed).
  // Idempotent.
  void StopBackgroundWork() override ABSL_LOCKS_EXCLUDED(mu_);

 private:
  HandoverModule();

  const Clock* clock_ = nullptr;
  std::unique_ptr<SqliteHandoverStore> store_;
  // store_'s database, which keeps the audit log.
  Database* audit_log_ = nullptr;
  // The deadline scan, one replica at a time (on audit_log_'s database).
  std::unique_ptr<ExclusiveRole> scanner_;
  std::unique_ptr<ServiceCredentials> credentials_;
  std::unique_ptr<directory_client::DirectoryLookup> directory_;
  std::unique_ptr<careplan_client::CarePlanPeer> careplan_;
  std::unique_ptr<HandoverDomain> domain_;
  std::unique_ptr<HandoverGrpcService> service_;

  absl::Mutex mu_;
  std::unique_ptr<PeriodicTask> scan_ ABSL_GUARDED_BY(mu_);
  // Escalated by ScanDeadlines since the process started.
  std::atomic<int64_t> escalations_raised_{0};
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace carebridge::handover

#endif  // CAREBRIDGE_SERVICES_HANDOVER_HANDOVER_MODULE_H_

#ifndef CAREBRIDGE_SERVICES_RECORD_RECORD_MODULE_H_
#define CAREBRIDGE_SERVICES_RECORD_RECORD_MODULE_H_

#include <grpcpp/impl/service_type.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "carebridge/record/v1/record.pb.h"
#include "services/careplan_client/careplan_peer.h"
#include "services/common/channel_provider.h"
#include "services/common/environment.h"
#include "services/common/event_consumer.h"
#include "services/common/event_log.h"
#include "services/common/periodic_task.h"
#include "services/common/service_credentials.h"
#include "services/common/service_module.h"
#include "services/directory_client/directory_lookup.h"

namespace carebridge::record {

class RecordDomain;
class RecordGrpcService;
class RecordStore;

// The record service as a unit a server hosts: its store, its
// domain, its gRPC service and the consumers of the directory, referral,
// care plan and handover feeds (asked as `services/record`) that build it.
// Its views ask the care plan service and the directory what the person's
// sharing choices show a care team member; it writes nothing to them. This
// class is thread-safe.
class RecordModule : public ServiceModule {
 public:
  static constexpr char kServiceName[] = "carebridge.record.v1.RecordService";
  // The feeds it follows, in start-up order.
  static constexpr const char* kFeeds[] = {"directory", "referral", "careplan",
                                           "handover"};

  // `directory` and `careplan` (both or neither) reach the services whose
  // answers apply the person's sharing choices to the views; without them
  // the views show what the record holds (a record opened on its own).
  static absl::StatusOr<std::unique_ptr<RecordModule>> Open(
      const Environment& env, const DatabaseLocation& location,
      const CareGapThresholds& care_gaps = CareGapThresholds(),
      ChannelProvider directory = nullptr, ChannelProvider careplan = nullptr);
  // The same with the store in the SQLite file `sqlite_path`.
  static absl::StatusOr<std::unique_ptr<RecordModule>> Open(
      const Environment& env, const std::string& sqlite_path,
      const CareGapThresholds& care_gaps = CareGapThresholds(),
      ChannelProvider directory = nullptr, ChannelProvider careplan = nullptr);
  // Open at the context's location for `record` (`{data_dir}/record.db`, or
  // schema `record` of `--database`), with its care gap thresholds and its
  // `directory` and `careplan` peers.
  static absl::StatusOr<std::unique_ptr<ServiceModule>> OpenModule(
      const ModuleContext& context);
  ~RecordModule() override;

  const char* service_name() const override { return kServiceName; }
  grpc::Service* service() override;
  Database* audit_log() override { return audit_log_; }
  // Starts the consumers, following each feed's peer (context.peer), and
  // the gap sweep (every context.deadline_scan_interval).
  void StartBackgroundWork(const ModuleContext& context) override;
  // As above with the channels given per feed. `apply_delay` is for
  // fault-injection tests only (a pause before each event applied).
  void StartConsumers(std::function<ChannelProvider(const std::string&)> peer,
                      absl::Duration apply_delay = absl::ZeroDuration())
      ABSL_LOCKS_EXCLUDED(mu_);
  void StopBackgroundWork() override ABSL_LOCKS_EXCLUDED(mu_);
  std::vector<EventConsumer*> consumers() override ABSL_LOCKS_EXCLUDED(mu_);

  // The gap sweep: announces in the teams' inboxes the gaps whose threshold
  // passed (now, by the clock) since the person's last change. How many.
  absl::StatusOr<int> AnnounceDueGaps();
  // Care gaps open now, by kind (carebridge_care_gaps_open).
  void CollectMetrics(MetricSink& sink) override;

  RecordDomain* domain() { return domain_.get(); }
  // The care plan service as this service asks it (null without one).
  careplan_client::CarePlanPeer* careplan_peer() { return careplan_.get(); }
  // The `record` feed: the team inbox items.
  EventLog* event_log() override { return event_log_; }
  // How far behind each feed the record is. On a replica whose consumers
  // stand by (the record run as several processes on one PostgreSQL) that
  // is how far the replica that follows is: it writes the record both
  // serve.
  v1::Freshness Freshness() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  RecordModule();

  const Clock* clock_ = nullptr;
  std::unique_ptr<RecordStore> store_;
  // store_'s database, which keeps the audit log.
  Database* audit_log_ = nullptr;
  // The record's feed (team inbox items), in store_.
  EventLog* event_log_ = nullptr;
  std::unique_ptr<ServiceCredentials> credentials_;
  std::unique_ptr<directory_client::DirectoryLookup> directory_;
  std::unique_ptr<careplan_client::CarePlanPeer> careplan_;
  std::unique_ptr<RecordDomain> domain_;
  std::unique_ptr<RecordGrpcService> service_;

  absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::unique_ptr<PeriodicTask> sweep_ ABSL_GUARDED_BY(mu_);
  // Shared so Freshness() reads their state outside mu_ (every RPC asks;
  // StopBackgroundWork holds mu_ while the consumers finish).
  std::vector<std::shared_ptr<EventConsumer>> consumers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace carebridge::record

#endif  // CAREBRIDGE_SERVICES_RECORD_RECORD_MODULE_H_

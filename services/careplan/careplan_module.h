#ifndef CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_MODULE_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_MODULE_H_

#include <grpcpp/channel.h>
#include <grpcpp/impl/service_type.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "services/careplan/incoming_transfers.h"
#include "services/common/channel_provider.h"
#include "services/common/consumer_ledger.h"
#include "services/common/environment.h"
#include "services/common/event_access.h"
#include "services/common/event_consumer.h"
#include "services/common/event_log.h"
#include "services/common/service_credentials.h"
#include "services/common/service_module.h"
#include "services/directory_client/grpc_directory_lookup.h"
#include "services/directory_client/person_tokens.h"

namespace carebridge::careplan {

class CarePlanDomain;
class CarePlanGrpcService;
class CarePlanStore;
class SharingStore;
class BreakGlassStore;

// The care plan service as a unit a server hosts: its store, its domain,
// its link to the directory (asked as `services/careplan`), its gRPC
// service, its event feed and the consumers that apply accepted referrals
// and handovers to care teams. Not copyable; outlives the server it is
// added to. This class is thread-safe.
//
// Effects of accepted referrals and handovers are eventual: a consumer is
// woken by the producer's commit notification and applies the event in one
// transaction, normally well under a second after the acceptance commits.
class CarePlanModule : public ServiceModule {
 public:
  static constexpr char kServiceName[] =
      "carebridge.careplan.v1.CarePlanService";

  // `directory_channel` reaches carebridge.directory.v1.DirectoryService (in
  // this process or another). Channels connect lazily, so it may point at a
  // server that is not listening yet.
  static absl::StatusOr<std::unique_ptr<CarePlanModule>> Open(
      const Environment& env, const std::string& sqlite_path,
      std::shared_ptr<grpc::Channel> directory_channel);
  // As above, with the channel obtained on the first call to the directory:
  // for a server that hosts the directory itself and only has a channel to
  // it once it has started. `record`, when given, reaches the record
  // service, which tells which referrals and handovers await a team's
  // answer (that team then reads the crisis plan before it answers).
  static absl::StatusOr<std::unique_ptr<CarePlanModule>> Open(
      const Environment& env, const std::string& sqlite_path,
      directory_client::DirectoryChannelProvider directory_channel_provider,
      ChannelProvider record = nullptr);
  // As above, the data at `location`: an SQLite file, or the `careplan`
  // schema of a PostgreSQL database that replicas may share (current plans
  // are then not kept in memory; see CachingCarePlanStore).
  static absl::StatusOr<std::unique_ptr<CarePlanModule>> Open(
      const Environment& env, const DatabaseLocation& location,
      directory_client::DirectoryChannelProvider directory_channel_provider,
      ChannelProvider record = nullptr);
  // Open with DatabaseLocationOf(context, "careplan") (`--database`, else
  // `{data_dir}/careplan.db`) and the `directory` and `record` peers.
  static absl::StatusOr<std::unique_ptr<ServiceModule>> OpenModule(
      const ModuleContext& context);
  // Stops the background work.
  ~CarePlanModule() override;

  const char* service_name() const override { return kServiceName; }
  grpc::Service* service() override;
  Database* audit_log() override { return audit_log_; }
  // For in-process callers that act on plans directly.
  CarePlanDomain* domain();
  // The `careplan` feed.
  EventLog* event_log() override;

  // Starts the consumers of the referral and handover feeds: `referral`
  // and `handover` yield channels to those services (in-process when
  // co-hosted; asked on first use). Each resumes after its cursor in this
  // module's database. Once; nothing after StopBackgroundWork.
  // `apply_delay` is for fault-injection tests only (a pause before each
  // event applied; see careplan_consumers.h).
  void StartConsumers(ChannelProvider referral, ChannelProvider handover,
                      absl::Duration apply_delay = absl::ZeroDuration())
      ABSL_LOCKS_EXCLUDED(mu_);
  // Stops the consumers (an event being applied finishes first) and shuts
  // the event log, so this service's feeds end their streams. Idempotent.
  void StopBackgroundWork() override ABSL_LOCKS_EXCLUDED(mu_);
  // The consumers, following the `referral` and `handover` peers.
  void StartBackgroundWork(const ModuleContext& context) override;
  // For tests: the last sequence of `feed` (`referral`, `handover`) the
  // consumers applied, as stored; 0 when none (or when it cannot be read).
  int64_t applied_through(absl::string_view feed);
  // The consumers started (for FeedAdmin); empty before StartConsumers and
  // after StopBackgroundWork.
  std::vector<EventConsumer*> consumers() override ABSL_LOCKS_EXCLUDED(mu_);
  // The consumers' ledger in the care plan database.
  ConsumerLedger* consumer_ledger() { return ledger_; }

 private:
  CarePlanModule();

  std::unique_ptr<CarePlanStore> store_;
  // On the database store_ owns.
  std::unique_ptr<SharingStore> sharing_;
  std::unique_ptr<BreakGlassStore> break_glass_;
  std::unique_ptr<IncomingTransfers> incoming_;
  // store_'s database, which keeps the audit log.
  Database* audit_log_ = nullptr;
  EventLog* event_log_ = nullptr;
  ConsumerLedger* ledger_ = nullptr;
  const Clock* clock_ = nullptr;
  std::unique_ptr<EventAccess> event_access_;
  std::unique_ptr<ServiceCredentials> credentials_;
  std::unique_ptr<directory_client::DirectoryLookup> directory_;
  // The gRPC lookup directory_ owns, behind its cache.
  directory_client::PersonTokens* person_tokens_ = nullptr;
  std::unique_ptr<CarePlanDomain> domain_;
  std::unique_ptr<CarePlanGrpcService> service_;

  absl::Mutex mu_;
  bool consumers_started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::unique_ptr<EventConsumer>> consumers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace carebridge::careplan

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_MODULE_H_

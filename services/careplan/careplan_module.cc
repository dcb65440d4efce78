#include "services/careplan/careplan_module.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "services/careplan/caching_careplan_store.h"
#include "services/careplan/careplan_consumers.h"
#include "services/careplan/careplan_domain.h"
#include "services/careplan/careplan_event_access.h"
#include "services/careplan/careplan_grpc.h"
#include "services/careplan/record_incoming_transfers.h"
#include "services/careplan/sqlite_break_glass_store.h"
#include "services/careplan/sqlite_careplan_store.h"
#include "services/careplan/sqlite_sharing_store.h"
#include "services/common/log.h"
#include "services/common/macros.h"
#include "services/directory_client/caching_directory_lookup.h"

namespace carebridge::careplan {

CarePlanModule::CarePlanModule() = default;
CarePlanModule::~CarePlanModule() { StopBackgroundWork(); }

absl::StatusOr<std::unique_ptr<CarePlanModule>> CarePlanModule::Open(
    const Environment& env, const std::string& sqlite_path,
    std::shared_ptr<grpc::Channel> directory_channel) {
  if (directory_channel == nullptr) {
    return absl::InvalidArgumentError(
        "care plan service: a channel to the directory is required");
  }
  return Open(
      env, sqlite_path,
      directory_client::DirectoryChannelProvider(
          [channel = std::move(directory_channel)] { return channel; }));
}

absl::StatusOr<std::unique_ptr<CarePlanModule>> CarePlanModule::Open(
    const Environment& env, const std::string& sqlite_path,
    directory_client::DirectoryChannelProvider directory_channel_provider,
    ChannelProvider record) {
  return Open(env,
              DatabaseLocation{sqlite_path, /*postgresql_url=*/"", "careplan"},
              std::move(directory_channel_provider), std::move(record));
}

absl::StatusOr<std::unique_ptr<CarePlanModule>> CarePlanModule::Open(
    const Environment& env, const DatabaseLocation& location,
    directory_client::DirectoryChannelProvider directory_channel_provider,
    ChannelProvider record) {
  std::unique_ptr<CarePlanModule> module(new CarePlanModule());
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteCarePlanStore> durable,
                   SqliteCarePlanStore::Open(location, env.audit_key));
  Database* const audited = durable->db();
  module->audit_log_ = audited;
  module->event_log_ = durable->event_log();
  module->ledger_ = durable->consumer_ledger();
  module->clock_ = env.clock;
  CarePlanStore* cached = nullptr;
  if (audited->engine() == "sqlite") {
    // This process owns the SQLite file, so it may keep current plans in
    // memory (see CachingCarePlanStore). Replicas sharing a PostgreSQL
    // database each write it, so there every read goes to the database.
    cached = durable.get();
    module->store_ = std::make_unique<CachingCarePlanStore>(
        std::move(durable), /*max_entries=*/4096, audited);
  } else {
    module->store_ = std::move(durable);
  }
  module->credentials_ = std::make_unique<ServiceCredentials>(
      "services/careplan", env.signer, env.clock);
  auto directory = std::make_unique<directory_client::GrpcDirectoryLookup>(
      "services/careplan", std::move(directory_channel_provider), env.signer,
      env.clock);
  // Persons' own tokens are asked of the directory itself, never a cache.
  module->person_tokens_ = directory.get();
  module->directory_ =
      std::make_unique<directory_client::CachingDirectoryLookup>(
          std::move(directory), env.clock);
  module->sharing_ =
      std::make_unique<SqliteSharingStore>(audited, module->event_log_);
  module->break_glass_ =
      std::make_unique<SqliteBreakGlassStore>(audited, module->event_log_);
  if (record != nullptr) {
    module->incoming_ = std::make_unique<RecordIncomingTransfers>(
        std::move(record), env.signer, env.clock);
  }
  module->domain_ = std::make_unique<CarePlanDomain>(
      env.clock, module->directory_.get(), module->store_.get(), env.signer,
      module->sharing_.get(), module->break_glass_.get(),
      module->incoming_.get(), module->person_tokens_);
  auto event_access =
      std::make_unique<CarePlanEventAccess>(module->store_.get(), cached);
  event_access->SetSharing(
      [domain = module->domain_.get()](
          const Principal& caller,
          const v1::CarePlan& current) -> absl::StatusOr<SharedParts> {
        return domain->PartsShownTo(caller, current, RemoteCalls::kAllowed);
      });
  module->event_access_ = std::move(event_access);
  module->service_ = std::make_unique<CarePlanGrpcService>(
      env.authenticator, env.executor, module->domain_.get(),
      module->event_log_, module->event_access_.get());
  return module;
}

absl::StatusOr<std::unique_ptr<ServiceModule>> CarePlanModule::OpenModule(
    const ModuleContext& context) {
  return Open(
      context.env, DatabaseLocationOf(context, "careplan"),
      directory_client::DirectoryChannelProvider(context.peer("directory")),
      context.peer("record"));
}

void CarePlanModule::StartBackgroundWork(const ModuleContext& context) {
  StartConsumers(context.peer("referral"), context.peer("handover"),
                 context.testing_consumer_apply_delay);
}

grpc::Service* CarePlanModule::service() { return service_.get(); }

CarePlanDomain* CarePlanModule::domain() { return domain_.get(); }

EventLog* CarePlanModule::event_log() { return event_log_; }

void CarePlanModule::StartConsumers(ChannelProvider referral,
                                    ChannelProvider handover,
                                    absl::Duration apply_delay) {
  absl::MutexLock lock(&mu_);
  if (consumers_started_ || stopped_) return;
  consumers_started_ = true;
  ConsumerDeps deps;
  deps.credentials = credentials_.get();
  deps.clock = clock_;
  deps.ledger = ledger_;
  // The ledger lives in the store's database, which the audit log shares.
  deps.coordination = audit_log_;
  deps.domain = domain_.get();
  deps.apply_delay = apply_delay;
  consumers_.push_back(MakeReferralConsumer(std::move(referral), deps));
  consumers_.push_back(MakeHandoverConsumer(std::move(handover), deps));
  for (const std::unique_ptr<EventConsumer>& consumer : consumers_) {
    consumer->Start();
  }
}

void CarePlanModule::StopBackgroundWork() {
  // Held throughout, so a second caller returns only once all is stopped.
  absl::MutexLock lock(&mu_);
  if (stopped_) return;
  stopped_ = true;
  for (const std::unique_ptr<EventConsumer>& consumer : consumers_) {
    consumer->Stop();
  }
  consumers_.clear();
  if (event_log_ != nullptr) event_log_->Shutdown();
}

std::vector<EventConsumer*> CarePlanModule::consumers() {
  absl::MutexLock lock(&mu_);
  std::vector<EventConsumer*> result;
  for (const std::unique_ptr<EventConsumer>& consumer : consumers_) {
    result.push_back(consumer.get());
  }
  return result;
}

int64_t CarePlanModule::applied_through(absl::string_view feed) {
  absl::StatusOr<int64_t> cursor = domain_->AppliedThrough(feed);
  if (!cursor.ok()) {
    LogLine(absl::StrCat("careplan: cannot read the ", feed,
                         " cursor: ", cursor.status().message()));
    return 0;
  }
  return *cursor;
}

}  // namespace carebridge::careplan

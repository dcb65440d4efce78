#include "services/careplan/careplan_module.h"

#include <utility>

#include "services/careplan/caching_careplan_store.h"
#include "services/careplan/careplan_domain.h"
#include "services/careplan/careplan_grpc.h"
#include "services/careplan/sqlite_careplan_store.h"
#include "services/common/macros.h"
#include "services/directory_client/caching_directory_lookup.h"

namespace carebridge::careplan {

CarePlanModule::CarePlanModule() = default;
CarePlanModule::~CarePlanModule() = default;

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
    directory_client::DirectoryChannelProvider directory_channel_provider) {
  std::unique_ptr<CarePlanModule> module(new CarePlanModule());
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteCarePlanStore> sqlite,
                   SqliteCarePlanStore::Open(sqlite_path));
  // This process owns the SQLite file, so it may keep current plans in
  // memory (see CachingCarePlanStore).
  module->store_ = std::make_unique<CachingCarePlanStore>(std::move(sqlite));
  module->directory_ =
      std::make_unique<directory_client::CachingDirectoryLookup>(
          std::make_unique<directory_client::GrpcDirectoryLookup>(
              "services/careplan", std::move(directory_channel_provider),
              env.signer, env.clock),
          env.clock);
  module->domain_ = std::make_unique<CarePlanDomain>(
      env.clock, module->directory_.get(), module->store_.get());
  module->service_ = std::make_unique<CarePlanGrpcService>(
      env.authenticator, env.executor, module->domain_.get());
  return module;
}

grpc::Service* CarePlanModule::service() { return service_.get(); }

CarePlanDomain* CarePlanModule::domain() { return domain_.get(); }

}  // namespace carebridge::careplan

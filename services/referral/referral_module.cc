#include "services/referral/referral_module.h"

#include <utility>

#include "services/common/macros.h"
#include "services/directory_client/caching_directory_lookup.h"
#include "services/referral/referral_domain.h"
#include "services/referral/referral_grpc.h"
#include "services/referral/sqlite_referral_store.h"

namespace carebridge::referral {

ReferralModule::ReferralModule() = default;
ReferralModule::~ReferralModule() = default;

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
    directory_client::DirectoryChannelProvider directory_channel_provider) {
  std::unique_ptr<ReferralModule> module(new ReferralModule());
  ASSIGN_OR_RETURN(module->store_, SqliteReferralStore::Open(sqlite_path));
  module->directory_ =
      std::make_unique<directory_client::CachingDirectoryLookup>(
          std::make_unique<directory_client::GrpcDirectoryLookup>(
              "services/referral", std::move(directory_channel_provider),
              env.signer, env.clock),
          env.clock);
  module->domain_ = std::make_unique<ReferralDomain>(
      env.clock, env.ids, module->directory_.get(), module->store_.get());
  module->service_ = std::make_unique<ReferralGrpcService>(
      env.authenticator, env.executor, module->domain_.get());
  return module;
}

grpc::Service* ReferralModule::service() { return service_.get(); }

}  // namespace carebridge::referral

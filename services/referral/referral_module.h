#ifndef CAREBRIDGE_SERVICES_REFERRAL_REFERRAL_MODULE_H_
#define CAREBRIDGE_SERVICES_REFERRAL_REFERRAL_MODULE_H_

#include <grpcpp/channel.h>
#include <grpcpp/impl/service_type.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "services/common/environment.h"
#include "services/directory_client/grpc_directory_lookup.h"

namespace carebridge::referral {

class ReferralDomain;
class ReferralGrpcService;
class SqliteReferralStore;

// The referral service as a unit a server hosts: its store, its domain, its
// link to the directory and its gRPC service. Not copyable; outlives the
// server it is added to.
class ReferralModule {
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
  static absl::StatusOr<std::unique_ptr<ReferralModule>> Open(
      const Environment& env, const std::string& sqlite_path,
      directory_client::DirectoryChannelProvider directory_channel_provider);
  ~ReferralModule();

  grpc::Service* service();

 private:
  ReferralModule();

  std::unique_ptr<SqliteReferralStore> store_;
  std::unique_ptr<directory_client::DirectoryLookup> directory_;
  std::unique_ptr<ReferralDomain> domain_;
  std::unique_ptr<ReferralGrpcService> service_;
};

}  // namespace carebridge::referral

#endif  // CAREBRIDGE_SERVICES_REFERRAL_REFERRAL_MODULE_H_

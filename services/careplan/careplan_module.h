#ifndef CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_MODULE_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_MODULE_H_

#include <grpcpp/channel.h>
#include <grpcpp/impl/service_type.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "services/common/environment.h"
#include "services/directory_client/grpc_directory_lookup.h"

namespace carebridge::careplan {

class CarePlanDomain;
class CarePlanGrpcService;
class CarePlanStore;

// The care plan service as a unit a server hosts: its store, its domain,
// its link to the directory (asked as `services/careplan`) and its gRPC
// service. Not copyable; outlives the server it is added to.
class CarePlanModule {
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
  // it once it has started.
  static absl::StatusOr<std::unique_ptr<CarePlanModule>> Open(
      const Environment& env, const std::string& sqlite_path,
      directory_client::DirectoryChannelProvider directory_channel_provider);
  ~CarePlanModule();

  grpc::Service* service();
  // For in-process callers that act on plans directly (the handover
  // service's event consumer: TransferLead).
  CarePlanDomain* domain();

 private:
  CarePlanModule();

  std::unique_ptr<CarePlanStore> store_;
  std::unique_ptr<directory_client::DirectoryLookup> directory_;
  std::unique_ptr<CarePlanDomain> domain_;
  std::unique_ptr<CarePlanGrpcService> service_;
};

}  // namespace carebridge::careplan

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_MODULE_H_

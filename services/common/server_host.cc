#include "services/common/server_host.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/server_builder.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/common/call_log.h"
#include "services/common/channel_provider.h"

namespace carebridge {

ServerHost::~ServerHost() {
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now());
    server_->Wait();
  }
}

void ServerHost::AddService(grpc::Service* service, std::string health_name) {
  services_.emplace_back(service, std::move(health_name));
}

absl::Status ServerHost::Start(
    const std::string& listen,
    std::shared_ptr<grpc::ServerCredentials> credentials, bool log_calls) {
  // Both are process-wide switches in gRPC; they only need to be on before
  // the first server is built.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen, std::move(credentials), &port_);
  for (auto& [service, name] : services_) builder.RegisterService(service);
  // Peers following an event feed ping an idle stream (PeerChannelArguments)
  // so a peer host that vanished without closing the connection is noticed;
  // accept those pings rather than treat them as abuse.
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
      kPeerKeepaliveTimeMs / 2);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // Every call gets its request id and is counted; its line is written
  // when asked.
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(
      std::make_unique<CallLogFactory>(authenticator_, metrics_, log_calls));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    server_.reset();
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", listen, " (address in use or not valid)"));
  }
  auto* health = server_->GetHealthCheckService();
  health->SetServingStatus("", true);
  for (auto& [service, name] : services_) health->SetServingStatus(name, true);
  return absl::OkStatus();
}

void ServerHost::SetServing(const std::string& health_name, bool serving) {
  absl::MutexLock lock(&health_mu_);
  if (server_ == nullptr) return;
  const bool changed = serving ? not_serving_.erase(health_name) > 0
                               : not_serving_.insert(health_name).second;
  if (!changed) return;
  auto* health = server_->GetHealthCheckService();
  health->SetServingStatus(health_name, serving);
  health->SetServingStatus("", not_serving_.empty());
}

std::shared_ptr<grpc::Channel> ServerHost::InProcessChannel() {
  return server_->experimental().InProcessChannelWithInterceptors(
      grpc::ChannelArguments(), RequestIdPropagation());
}

void ServerHost::Shutdown(absl::Duration grace) {
  if (server_ == nullptr) return;
  // Tell load balancers and probes first, so no new traffic is routed here.
  server_->GetHealthCheckService()->Shutdown();
  server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
}

void ServerHost::Wait() {
  if (server_ != nullptr) server_->Wait();
}

}  // namespace carebridge

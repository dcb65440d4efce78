#ifndef CAREBRIDGE_SERVICES_COMMON_GRPC_HANDLER_H_
#define CAREBRIDGE_SERVICES_COMMON_GRPC_HANDLER_H_

// The shape of every carebridge RPC handler, on gRPC's callback API:
// authenticate, call the domain, convert. Services choose per method where
// the work runs:
// - Inline, on gRPC's thread, for reads of the service's own store (short,
//   never waiting on another service or on a commit). No thread hand-off.
// - Blocking, on the BlockingExecutor, for writes (which wait for a durable
//   commit) and for anything that calls another service.

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <utility>

#include "absl/status/statusor.h"
#include "services/common/authenticator.h"
#include "services/common/executor.h"
#include "services/common/principal.h"
#include "services/common/status.h"

namespace carebridge {

// `call(const Principal&, const Request&)` returns absl::StatusOr<Response>.
template <typename Request, typename Response, typename DomainCall>
grpc::Status AuthenticateAndCall(const Authenticator& authenticator,
                                 const grpc::ServerContextBase& context,
                                 const Request& request, Response* response,
                                 DomainCall& call) {
  absl::StatusOr<Principal> caller = authenticator.Authenticate(context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  absl::StatusOr<Response> result = call(*caller, request);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

template <typename Request, typename Response, typename DomainCall>
grpc::ServerUnaryReactor* HandleInline(const Authenticator& authenticator,
                                       grpc::CallbackServerContext* context,
                                       const Request* request,
                                       Response* response, DomainCall call) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(
      AuthenticateAndCall(authenticator, *context, *request, response, call));
  return reactor;
}

// `context`, `request` and `response` stay valid until Finish, so the
// executor may use them after the handler has returned.
template <typename Request, typename Response, typename DomainCall>
grpc::ServerUnaryReactor* HandleBlocking(const Authenticator& authenticator,
                                         BlockingExecutor& executor,
                                         grpc::CallbackServerContext* context,
                                         const Request* request,
                                         Response* response, DomainCall call) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::Status posted =
      executor.Post([&authenticator, context, request, response, reactor,
                     call = std::move(call)]() mutable {
        reactor->Finish(AuthenticateAndCall(authenticator, *context, *request,
                                            response, call));
      });
  if (!posted.ok()) reactor->Finish(ToGrpcStatus(posted));
  return reactor;
}

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_GRPC_HANDLER_H_

#ifndef CAREBRIDGE_SERVICES_COMMON_GRPC_HANDLER_H_
#define CAREBRIDGE_SERVICES_COMMON_GRPC_HANDLER_H_

// The shape of every carebridge RPC handler, on gRPC's callback API:
// authenticate, call the domain, convert. Services choose per method where
// the work runs:
// - Inline, on gRPC's thread, for reads of the service's own store (short,
//   never waiting on another service or on a commit). No thread hand-off.
// - Blocking, on the BlockingExecutor, for writes (which wait for a durable
//   commit) and for anything that calls another service.
// - Inline or blocking, for reads that almost always need only the store but
//   sometimes another service: inline first, and on the executor when the
//   domain says it needs a remote call (see remote_calls.h).
//
// Every authenticated call is audited (call_audit.h), naming whom a
// service's call is for (on_behalf_of.h): a call that writes
// carries its record in its own transaction; one that only reads has its
// record written durably before the response leaves, by the database's
// audit writer, which commits many calls' records together while no gRPC
// or executor thread waits for the disk.

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <optional>
#include <type_traits>
#include <utility>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "services/common/authenticator.h"
#include "services/common/call_audit.h"
#include "services/common/call_log.h"
#include "services/common/executor.h"
#include "services/common/on_behalf_of.h"
#include "services/common/principal.h"
#include "services/common/remote_calls.h"
#include "services/common/status.h"

namespace carebridge {

// `response` as a message, when it is one (not raw bytes).
template <typename Response>
const google::protobuf::Message* AsMessage(const Response& response) {
  if constexpr (std::is_base_of_v<google::protobuf::Message, Response>) {
    return &response;
  } else {
    return nullptr;
  }
}

// Finishes `reactor` with `result` once the call's audit record is durable
// (without holding this thread meanwhile), or with UNAVAILABLE (DATA_LOSS
// when the log was altered) when the record could not be written: then
// nothing of the result leaves.
template <typename Response>
void FinishAudited(CallAudit& audit, absl::StatusOr<Response> result,
                   Response* response, grpc::ServerUnaryReactor* reactor) {
  const absl::Status status = result.status();
  if (result.ok()) *response = *std::move(result);
  FinishCallAuditAsync(audit, status,
                       status.ok() ? AsMessage(*response) : nullptr,
                       [reactor](absl::Status finished) {
                         reactor->Finish(ToGrpcStatus(finished));
                       });
}

// The call's audit, its record going to the audit log of the request's
// service unless a database the call touches first takes it.
template <typename Request>
CallAudit BeginAudit(const Authenticator& authenticator,
                     const Principal& caller, const Request& request) {
  CallAudit audit =
      BeginCallAudit(caller, authenticator.clock()->Now(), request);
  audit.sink =
      authenticator.AuditLogFor(request.GetDescriptor()->file()->package());
  return audit;
}

// BeginAudit for an authenticated call made through `context`: with its
// request id, and whom it is for when a service says (on_behalf_of.h).
template <typename Request>
CallAudit BeginAudit(const Authenticator& authenticator,
                     const grpc::ServerContextBase& context,
                     const Principal& caller, const Request& request) {
  CallAudit audit = BeginAudit(authenticator, caller, request);
  audit.request_id = RequestIdOf(context);
  std::optional<Requester> requester =
      OnBehalfOfIn(caller, context.client_metadata());
  if (requester.has_value()) SetOnBehalfOf(audit, *std::move(requester));
  return audit;
}

// Finishes `reactor` with `refused` (the caller could not be
// authenticated) once that attempt is recorded, as `unauthenticated`.
template <typename Request>
void FinishUnauthenticated(const Authenticator& authenticator,
                           const Request& request, const absl::Status& refused,
                           grpc::ServerUnaryReactor* reactor) {
  Principal nobody;
  nobody.subject = "unauthenticated";
  CallAudit audit = BeginAudit(authenticator, nobody, request);
  FinishCallAuditAsync(audit, refused, nullptr,
                       [reactor](absl::Status finished) {
                         reactor->Finish(ToGrpcStatus(finished));
                       });
}

// Authenticates the caller, calls `call(const Principal&, const Request&)`
// (returning absl::StatusOr<Response>) under the call's audit, and finishes
// `reactor`.
template <typename Request, typename Response, typename DomainCall>
void AuthenticateCallAndFinish(const Authenticator& authenticator,
                               const grpc::ServerContextBase& context,
                               const Request& request, Response* response,
                               grpc::ServerUnaryReactor* reactor,
                               DomainCall& call) {
  absl::StatusOr<Principal> caller = authenticator.Authenticate(context);
  if (!caller.ok()) {
    FinishUnauthenticated(authenticator, request, caller.status(), reactor);
    return;
  }
  CallAudit audit = BeginAudit(authenticator, context, *caller, request);
  absl::StatusOr<Response> result;
  {
    ScopedCallAudit scope(&audit);
    result = call(*caller, request);
  }
  FinishAudited(audit, std::move(result), response, reactor);
}

template <typename Request, typename Response, typename DomainCall>
grpc::ServerUnaryReactor* HandleInline(const Authenticator& authenticator,
                                       grpc::CallbackServerContext* context,
                                       const Request* request,
                                       Response* response, DomainCall call) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  AuthenticateCallAndFinish(authenticator, *context, *request, response,
                            reactor, call);
  return reactor;
}

// Runs AuthenticateCallAndFinish on `executor`. `context`, `request` and
// `response` stay valid until Finish, so the executor may use them after
// the handler has returned.
template <typename Request, typename Response, typename DomainCall>
void PostCallAndFinish(const Authenticator& authenticator,
                       BlockingExecutor& executor,
                       grpc::CallbackServerContext* context,
                       const Request* request, Response* response,
                       grpc::ServerUnaryReactor* reactor, DomainCall call) {
  absl::Status posted =
      executor.Post([&authenticator, context, request, response, reactor,
                     call = std::move(call)]() mutable {
        AuthenticateCallAndFinish(authenticator, *context, *request, response,
                                  reactor, call);
      });
  if (!posted.ok()) reactor->Finish(ToGrpcStatus(posted));
}

template <typename Request, typename Response, typename DomainCall>
grpc::ServerUnaryReactor* HandleBlocking(const Authenticator& authenticator,
                                         BlockingExecutor& executor,
                                         grpc::CallbackServerContext* context,
                                         const Request* request,
                                         Response* response, DomainCall call) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  PostCallAndFinish(authenticator, executor, context, request, response,
                    reactor, std::move(call));
  return reactor;
}

// `call(const Principal&, const Request&, RemoteCalls)` returns
// absl::StatusOr<Response>. Runs inline with RemoteCalls::kDeferred; when
// that answers RemoteCallDeferred(), runs again on the executor with
// RemoteCalls::kAllowed.
template <typename Request, typename Response, typename DomainCall>
grpc::ServerUnaryReactor* HandleInlineOrBlocking(
    const Authenticator& authenticator, BlockingExecutor& executor,
    grpc::CallbackServerContext* context, const Request* request,
    Response* response, DomainCall call) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<Principal> caller = authenticator.Authenticate(*context);
  if (!caller.ok()) {
    FinishUnauthenticated(authenticator, *request, caller.status(), reactor);
    return reactor;
  }
  // Audited unless deferred: then the blocking run is the call.
  CallAudit audit = BeginAudit(authenticator, *context, *caller, *request);
  absl::StatusOr<Response> result;
  {
    ScopedCallAudit scope(&audit);
    result = call(*caller, *request, RemoteCalls::kDeferred);
  }
  if (!result.ok() && IsRemoteCallDeferred(result.status())) {
    PostCallAndFinish(
        authenticator, executor, context, request, response, reactor,
        [call = std::move(call)](const Principal& c, const Request& r) {
          return call(c, r, RemoteCalls::kAllowed);
        });
    return reactor;
  }
  FinishAudited(audit, std::move(result), response, reactor);
  return reactor;
}

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_GRPC_HANDLER_H_

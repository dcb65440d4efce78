#ifndef CAREBRIDGE_SERVICES_HTTP_JSON_GATEWAY_H_
#define CAREBRIDGE_SERVICES_HTTP_JSON_GATEWAY_H_

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <grpcpp/channel.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/common/authenticator.h"
#include "services/http/http_reply.h"

namespace carebridge::http {

// What an HTTP request carries to the gRPC call it becomes.
struct CallHeaders {
  // The `Authorization` header as sent (`Bearer <token>`); empty: none.
  std::string authorization;
  // The request's id (X-Request-ID, else made up), sent on each call it
  // makes (x-request-id) so the services' log lines carry it.
  std::string request_id;
};

// Calls one of carebridge's unary gRPC methods for an HTTP request: the
// same handler, authentication, rules, validation and audit as a gRPC
// client gets, over the process's own channels (in-process for the
// services it hosts, the peer's address for the others), so the HTTP front
// holds no second copy of any rule. Thread-safe.
class RpcBridge {
 public:
  // The channel to the service (null: this process can reach none).
  using ChannelFor = std::function<std::shared_ptr<grpc::Channel>(
      const google::protobuf::ServiceDescriptor& service)>;

  // `authenticator` (outlives this): every request's token is checked
  // before its call, so a request without one, or with a service
  // identity's, is refused here: the process's own channels to its peers
  // present its service certificate, which must never stand in for a
  // caller over HTTP.
  RpcBridge(ChannelFor channels, const Authenticator* authenticator)
      : channels_(std::move(channels)), authenticator_(authenticator) {}

  // The caller `headers` names: UNAUTHENTICATED without a good token,
  // PERMISSION_DENIED for a service identity.
  absl::StatusOr<Principal> Authenticate(const CallHeaders& headers) const;

  // The caller `headers` names, and the channel to `service` for its call:
  // UNAUTHENTICATED without a good token, PERMISSION_DENIED for a service
  // identity, UNAVAILABLE when this process can reach no such service.
  struct Opened {
    Principal caller;
    std::shared_ptr<grpc::Channel> channel;
  };
  absl::StatusOr<Opened> Open(
      const google::protobuf::ServiceDescriptor& service,
      const CallHeaders& headers) const;

  // Calls `method` with `request` as the caller `headers` names; the gRPC
  // status as an absl::Status.
  absl::Status Call(const google::protobuf::MethodDescriptor& method,
                    const google::protobuf::Message& request,
                    google::protobuf::Message* response,
                    const CallHeaders& headers) const;

  // The same, for a generated stub's types.
  template <typename Response>
  absl::Status Call(absl::string_view method,
                    const google::protobuf::Message& request,
                    Response* response, const CallHeaders& headers) const {
    const google::protobuf::MethodDescriptor* found =
        google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
            std::string(method));
    if (found == nullptr) {
      return absl::InternalError(absl::StrCat("no method ", method));
    }
    return Call(*found, request, response, headers);
  }

 private:
  ChannelFor channels_;
  const Authenticator* const authenticator_;
};

// The gRPC API in JSON (the proto3 JSON mapping: lowerCamelCase fields,
// enums by name, timestamps RFC 3339), for scripts and the web console:
//   POST /v1/{package.Service}/{Method}  -- any unary method, the request
//        as the body ({} for none), the response as the reply;
//   GET  /v1/{name}  -- the resource `name` (teams/..., members/...,
//        persons/..., referrals/..., handovers/...), by its Get method.
// Errors are AIP-193 bodies with the HTTP status for the gRPC code.
class JsonGateway {
 public:
  explicit JsonGateway(const RpcBridge* bridge) : bridge_(bridge) {}

  // `method_path`: "carebridge.referral.v1.ReferralService/GetReferral".
  HttpReply Post(absl::string_view method_path, absl::string_view body,
                 const CallHeaders& headers) const;
  // `name`: "referrals/r1".
  HttpReply Get(absl::string_view name, const CallHeaders& headers) const;

  // The AIP paths (resource-oriented design, AIP-131 to 136) for teams,
  // members, persons, referrals and handovers:
  //   GET   /v1/{collection}?field=value...  List{Resources}
  //   POST  /v1/{collection}?requestId=...   Create{Resource}, body the
  //                                          resource
  //   PATCH /v1/{name}?updateMask=a,b&etag=  Update{Resource}, body the
  //                                          resource
  //   POST  /v1/{name}:{verb}                {Verb}{Resource} (accept,
  //                                          decline, deactivate, ...),
  //                                          body the rest of the request
  // `params`: the query string's, by name (a field's JSON or proto name).
  HttpReply Rest(absl::string_view http_method, absl::string_view path,
                 const std::multimap<std::string, std::string>& params,
                 absl::string_view body, const CallHeaders& headers) const;

 private:
  HttpReply Invoke(const google::protobuf::MethodDescriptor& method,
                   google::protobuf::Message& request,
                   const CallHeaders& headers) const;

  const RpcBridge* const bridge_;
};

}  // namespace carebridge::http

#endif  // CAREBRIDGE_SERVICES_HTTP_JSON_GATEWAY_H_

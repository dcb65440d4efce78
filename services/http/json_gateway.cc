#include "services/http/json_gateway.h"

#include <google/protobuf/util/json_util.h>
#include <grpcpp/client_context.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/impl/codegen/proto_utils.h>

#include <chrono>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "services/common/call_log.h"
#include "services/common/status.h"

namespace carebridge::http {
namespace {

using google::protobuf::Message;
using google::protobuf::MethodDescriptor;

// How long an HTTP request's call may take.
constexpr auto kCallDeadline = std::chrono::seconds(30);

// The Get method for a resource name's collection (its first segment; a
// care plan is persons/{id}/carePlan).
const char* GetMethodFor(absl::string_view name) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() == 3 && parts[0] == "persons" && parts[2] == "carePlan") {
    return "carebridge.careplan.v1.CarePlanService.GetCarePlan";
  }
  if (parts.size() != 2 || parts[1].empty()) return nullptr;
  static const struct {
    const char* collection;
    const char* method;
  } kGets[] = {
      {"teams", "carebridge.directory.v1.DirectoryService.GetTeam"},
      {"members", "carebridge.directory.v1.DirectoryService.GetMember"},
      {"persons", "carebridge.directory.v1.DirectoryService.GetPerson"},
      {"referrals", "carebridge.referral.v1.ReferralService.GetReferral"},
      {"handovers", "carebridge.handover.v1.HandoverService.GetHandover"},
  };
  for (const auto& get : kGets) {
    if (parts[0] == get.collection) return get.method;
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<Principal> RpcBridge::Authenticate(
    const CallHeaders& headers) const {
  if (headers.authorization.empty()) {
    return absl::UnauthenticatedError(
        "no credentials: send `Authorization: Bearer <token>`");
  }
  // gRPC metadata takes printable ASCII only (a control byte would abort
  // the call in the client library).
  for (char c : headers.authorization) {
    if (c < 0x20 || c > 0x7e) {
      return absl::UnauthenticatedError(
          "the Authorization header is malformed: printable ASCII only");
    }
  }
  absl::StatusOr<Principal> caller =
      authenticator_->AuthenticateHeader(headers.authorization);
  if (!caller.ok()) return caller.status();
  if (caller->is_service()) {
    return absl::PermissionDeniedError(
        "service identities do not call over HTTP; services call each other "
        "over gRPC");
  }
  return caller;
}

absl::StatusOr<RpcBridge::Opened> RpcBridge::Open(
    const google::protobuf::ServiceDescriptor& service,
    const CallHeaders& headers) const {
  absl::StatusOr<Principal> caller = Authenticate(headers);
  if (!caller.ok()) return caller.status();
  std::shared_ptr<grpc::Channel> channel = channels_(service);
  if (channel == nullptr) {
    return absl::UnavailableError(
        absl::StrCat(service.full_name(),
                     " is neither hosted by this process nor configured "
                     "as a peer; call the process that hosts it"));
  }
  return Opened{*std::move(caller), std::move(channel)};
}

absl::Status RpcBridge::Call(const MethodDescriptor& method,
                             const Message& request, Message* response,
                             const CallHeaders& headers) const {
  absl::StatusOr<Opened> opened = Open(*method.service(), headers);
  if (!opened.ok()) return opened.status();
  grpc::ClientContext context;
  if (!headers.authorization.empty()) {
    context.AddMetadata("authorization", headers.authorization);
  }
  if (!headers.request_id.empty()) {
    context.AddMetadata(kRequestIdHeader, headers.request_id);
  }
  context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
  grpc::TemplatedGenericStub<Message, Message> stub(opened->channel);
  absl::Notification done;
  grpc::Status status;
  stub.UnaryCall(
      &context,
      absl::StrCat("/", method.service()->full_name(), "/", method.name()),
      grpc::StubOptions(), &request, response, [&](grpc::Status finished) {
        status = std::move(finished);
        done.Notify();
      });
  done.WaitForNotification();
  return FromGrpcStatus(status);
}

HttpReply JsonGateway::Post(absl::string_view method_path,
                            absl::string_view body,
                            const CallHeaders& headers) const {
  std::vector<std::string> parts = absl::StrSplit(method_path, '/');
  const MethodDescriptor* method = nullptr;
  if (parts.size() == 2 && absl::StartsWith(parts[0], "carebridge.")) {
    method =
        google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
            absl::StrCat(parts[0], ".", parts[1]));
  }
  if (method == nullptr) {
    return ErrorReply(absl::NotFoundError(absl::StrCat(
        "no method `", method_path,
        "`; POST /v1/{package.Service}/{Method}, e.g. "
        "/v1/carebridge.referral.v1.ReferralService/GetReferral")));
  }
  if (method->client_streaming() || method->server_streaming()) {
    return ErrorReply(absl::UnimplementedError(absl::StrCat(
        method->full_name(), " streams; it is served over gRPC only")));
  }
  std::unique_ptr<Message> request(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(method->input_type())
          ->New());
  if (!body.empty()) {
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    auto parsed = google::protobuf::util::JsonStringToMessage(
        google::protobuf::StringPiece(body.data(), body.size()), request.get(),
        options);
    if (!parsed.ok()) {
      return ErrorReply(absl::InvalidArgumentError(
          absl::StrCat("the body is not a ", method->input_type()->full_name(),
                       " in JSON: ", parsed.message().as_string())));
    }
  }
  return Invoke(*method, *request, headers);
}

HttpReply JsonGateway::Get(absl::string_view name,
                           const CallHeaders& headers) const {
  const char* method_name = GetMethodFor(name);
  const MethodDescriptor* method =
      method_name == nullptr
          ? nullptr
          : google::protobuf::DescriptorPool::generated_pool()
                ->FindMethodByName(method_name);
  if (method == nullptr) {
    return ErrorReply(absl::NotFoundError(
        absl::StrCat("`", name,
                     "` names no resource kind served here (teams, "
                     "members, persons, persons/{id}/carePlan, referrals, "
                     "handovers)")));
  }
  std::unique_ptr<Message> request(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(method->input_type())
          ->New());
  request->GetReflection()->SetString(
      request.get(), method->input_type()->FindFieldByName("name"),
      std::string(name));
  return Invoke(*method, *request, headers);
}

HttpReply JsonGateway::Invoke(const MethodDescriptor& method, Message& request,
                              const CallHeaders& headers) const {
  std::unique_ptr<Message> response(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(method.output_type())
          ->New());
  absl::Status status = bridge_->Call(method, request, response.get(), headers);
  if (!status.ok()) return ErrorReply(status);
  HttpReply reply;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = false;
  auto printed = google::protobuf::util::MessageToJsonString(
      *response, &reply.body, options);
  if (!printed.ok()) {
    return ErrorReply(absl::InternalError(printed.message().as_string()));
  }
  return reply;
}

}  // namespace carebridge::http

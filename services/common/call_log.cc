#include "services/common/call_log.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/common/log.h"

namespace carebridge {
namespace {

using grpc::experimental::InterceptionHookPoints;

class CallLogInterceptor : public grpc::experimental::Interceptor {
 public:
  CallLogInterceptor(grpc::experimental::ServerRpcInfo* info,
                     const Authenticator* authenticator)
      : method_(info->method()),
        context_(info->server_context()),
        authenticator_(authenticator),
        start_(absl::Now()) {}

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      auto* metadata = methods->GetRecvInitialMetadata();
      auto it = metadata->find(kAuthorizationHeader);
      if (it != metadata->end()) {
        auto principal = authenticator_->AuthenticateHeader(
            absl::string_view(it->second.data(), it->second.size()));
        if (principal.ok()) principal_ = principal->subject;
      } else if (context_ != nullptr) {
        // A peer process known by its TLS client certificate.
        auto principal =
            Authenticator::CertificatePrincipal(context_->auth_context().get());
        if (principal.ok()) principal_ = principal->subject;
      }
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      code_ = methods->GetSendStatus().error_code();
      LogLine(absl::StrCat(
          "call method=", method_, " principal=", principal_, " code=",
          absl::StatusCodeToString(static_cast<absl::StatusCode>(code_)),
          " latency_ms=", absl::ToDoubleMilliseconds(absl::Now() - start_)));
    }
    methods->Proceed();
  }

 private:
  const std::string method_;
  grpc::ServerContextBase* const context_;
  const Authenticator* authenticator_;
  const absl::Time start_;
  std::string principal_ = "-";
  grpc::StatusCode code_ = grpc::StatusCode::OK;
};

}  // namespace

grpc::experimental::Interceptor* CallLogFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new CallLogInterceptor(info, authenticator_);
}

}  // namespace carebridge

#include "services/common/call_log.h"

#include <openssl/rand.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/time/clock.h"
#include "services/common/call_audit.h"
#include "services/common/log.h"
#include "services/common/on_behalf_of.h"

namespace carebridge {
namespace {

using grpc::experimental::InterceptionHookPoints;

constexpr char kTraceParentHeader[] = "traceparent";

// The trace id of a W3C traceparent (`00-<32 hex>-<16 hex>-<2 hex>`), or "".
std::string TraceIdOf(absl::string_view traceparent) {
  if (traceparent.size() != 55 || traceparent[2] != '-' ||
      traceparent[35] != '-' || traceparent[52] != '-') {
    return "";
  }
  absl::string_view trace = traceparent.substr(3, 32);
  for (char c : trace) {
    if (!absl::ascii_isxdigit(c)) return "";
  }
  if (trace == std::string(32, '0')) return "";
  return absl::AsciiStrToLower(trace);
}

std::string Find(const std::multimap<grpc::string_ref, grpc::string_ref>& map,
                 absl::string_view key) {
  auto it = map.find(grpc::string_ref(key.data(), key.size()));
  if (it == map.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

class CallLogInterceptor : public grpc::experimental::Interceptor {
 public:
  CallLogInterceptor(grpc::experimental::ServerRpcInfo* info,
                     const Authenticator* authenticator,
                     MetricsRecorder* metrics, bool log_calls)
      : method_(info->method()),
        context_(info->server_context()),
        authenticator_(authenticator),
        metrics_(metrics),
        log_calls_(log_calls),
        start_(absl::Now()) {}

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      auto* metadata = methods->GetRecvInitialMetadata();
      SettleRequestId(metadata);
      if (log_calls_) FindPrincipal(*metadata);
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      if (!request_id_.empty()) {
        methods->GetSendInitialMetadata()->emplace(kRequestIdHeader,
                                                   request_id_);
      }
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      const absl::Duration latency = absl::Now() - start_;
      const auto code =
          static_cast<absl::StatusCode>(methods->GetSendStatus().error_code());
      if (metrics_ != nullptr) metrics_->ObserveCall(method_, code, latency);
      if (log_calls_) {
        LogCall({method_, principal_, absl::StatusCodeToString(code), latency,
                 request_id_});
      }
    }
    methods->Proceed();
  }

 private:
  // The caller's id, else its trace's, else a new one, written into the
  // received metadata too so the handler (RequestIdOf) sees the same.
  void SettleRequestId(
      std::multimap<grpc::string_ref, grpc::string_ref>* metadata) {
    std::string id = Find(*metadata, kRequestIdHeader);
    if (UsableRequestId(id)) {
      request_id_ = std::move(id);
      return;
    }
    request_id_ = TraceIdOf(Find(*metadata, kTraceParentHeader));
    if (request_id_.empty()) request_id_ = NewRequestId();
    metadata->erase(grpc::string_ref(kRequestIdHeader));
    // The map holds references: request_id_ lives as long as the call.
    metadata->emplace(grpc::string_ref(kRequestIdHeader),
                      grpc::string_ref(request_id_));
  }

  void FindPrincipal(
      const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) {
    auto it = metadata.find(kAuthorizationHeader);
    if (it != metadata.end()) {
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

  const std::string method_;
  grpc::ServerContextBase* const context_;
  const Authenticator* authenticator_;
  MetricsRecorder* const metrics_;
  const bool log_calls_;
  const absl::Time start_;
  std::string principal_ = "-";
  std::string request_id_;
};

// Adds the request id of the call being served on this thread, and whom
// that call is for.
class RequestIdInterceptor : public grpc::experimental::Interceptor {
 public:
  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      const CallAudit* call = CurrentCallAudit();
      if (call != nullptr && !call->request_id.empty()) {
        auto* metadata = methods->GetSendInitialMetadata();
        if (metadata->find(kRequestIdHeader) == metadata->end()) {
          metadata->emplace(kRequestIdHeader, call->request_id);
        }
      }
      if (call != nullptr) {
        AddOnBehalfOf(call->requester, methods->GetSendInitialMetadata());
      }
    }
    methods->Proceed();
  }
};

class RequestIdFactory
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo* /*info*/) override {
    return new RequestIdInterceptor();
  }
};

}  // namespace

bool UsableRequestId(absl::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != ':' &&
        c != '-') {
      return false;
    }
  }
  return true;
}

std::string NewRequestId() {
  unsigned char bytes[8];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) return "unknown";
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

std::string RequestIdOf(const grpc::ServerContextBase& context) {
  return Find(context.client_metadata(), kRequestIdHeader);
}

grpc::experimental::Interceptor* CallLogFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new CallLogInterceptor(info, authenticator_, metrics_, log_calls_);
}

std::vector<
    std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>>
RequestIdPropagation() {
  std::vector<
      std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>>
      factories;
  factories.push_back(std::make_unique<RequestIdFactory>());
  return factories;
}

}  // namespace carebridge

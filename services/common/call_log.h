#ifndef CAREBRIDGE_SERVICES_COMMON_CALL_LOG_H_
#define CAREBRIDGE_SERVICES_COMMON_CALL_LOG_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/client_interceptor.h>
#include <grpcpp/support/server_interceptor.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "services/common/authenticator.h"
#include "services/common/metrics.h"

namespace carebridge {

// The metadata key of the id that follows one request across services:
// taken from the caller (or the trace id of its W3C `traceparent`), made
// up when it has none, returned to it in the response's initial metadata,
// written on the call's log line and sent on every call the request makes
// to another service.
inline constexpr char kRequestIdHeader[] = "x-request-id";

// An id a caller gave that is safe to log and pass on: 1 to 64 of
// [A-Za-z0-9._:-].
bool UsableRequestId(absl::string_view id);
// A new request id: 16 hex digits.
std::string NewRequestId();

// The request id of the call `context` serves ("" when no CallLogFactory
// saw it, e.g. in tests without one).
std::string RequestIdOf(const grpc::ServerContextBase& context);

// Makes one interceptor per call that, when the call ends, counts it in
// `metrics` (method, code, latency; none when null) and, when `log_calls`,
// writes its line (LogCall). It also settles the call's request id (see
// kRequestIdHeader). This class is thread-safe.
class CallLogFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  CallLogFactory(const Authenticator* authenticator, MetricsRecorder* metrics,
                 bool log_calls)
      : authenticator_(authenticator),
        metrics_(metrics),
        log_calls_(log_calls) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  const Authenticator* authenticator_;
  MetricsRecorder* metrics_;
  const bool log_calls_;
};

// Interceptors for a channel to another service: each call made while a
// call is being served on the thread (CurrentCallAudit) carries that call's
// request id and whom it is for (on_behalf_of.h).
std::vector<
    std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>>
RequestIdPropagation();

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_CALL_LOG_H_

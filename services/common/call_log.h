#ifndef CAREBRIDGE_SERVICES_COMMON_CALL_LOG_H_
#define CAREBRIDGE_SERVICES_COMMON_CALL_LOG_H_

#include <grpcpp/support/server_interceptor.h>

#include "services/common/authenticator.h"

namespace carebridge {

// Makes one interceptor per call that writes one log line when the call
// ends: method, principal (or "-"), status code and latency. This class is
// thread-safe.
class CallLogFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit CallLogFactory(const Authenticator* authenticator)
      : authenticator_(authenticator) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  const Authenticator* authenticator_;
};

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_CALL_LOG_H_

#ifndef CAREBRIDGE_SERVICES_COMMON_STATUS_H_
#define CAREBRIDGE_SERVICES_COMMON_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace carebridge {

// Converts at the gRPC edge. Codes map one to one; messages are capped so a
// client never receives an unbounded error string.
grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

// The longest error message sent to a client.
inline constexpr size_t kMaxErrorMessageLength = 1024;

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_STATUS_H_

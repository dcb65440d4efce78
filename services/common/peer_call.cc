#include "services/common/peer_call.h"

#include <algorithm>
#include <chrono>

#include "services/common/channel_provider.h"

namespace carebridge {

grpc::Status CallPeer(
    absl::FunctionRef<void(grpc::ClientContext&)> prepare,
    absl::FunctionRef<grpc::Status(grpc::ClientContext*)> call) {
  grpc::Status first;
  {
    grpc::ClientContext context;
    prepare(context);
    first = call(&context);
  }
  if (first.error_code() != grpc::StatusCode::UNAVAILABLE) return first;

  // The longest a channel can be waiting to try again (the backoff and
  // gRPC's 20% jitter on it), and a connect.
  constexpr auto kReconnectWindow =
      std::chrono::milliseconds(kPeerMaxReconnectBackoffMs * 6 / 5 + 1000);
  grpc::ClientContext context;
  prepare(context);
  context.set_deadline(std::min(
      context.deadline(), std::chrono::system_clock::now() + kReconnectWindow));
  context.set_wait_for_ready(true);
  grpc::Status again = call(&context);
  // Still not connected: the first answer says why (the connect error).
  if (again.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) return first;
  return again;
}

}  // namespace carebridge

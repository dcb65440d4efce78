#include "services/common/peer_call.h"

#include <algorithm>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace carebridge {

grpc::Status CallPeer(
    PeerChannel& peer, absl::FunctionRef<void(grpc::ClientContext&)> prepare,
    absl::FunctionRef<grpc::Status(grpc::ClientContext*)> call) {
  grpc::Status first;
  {
    grpc::ClientContext context;
    prepare(context);
    first = call(&context);
  }
  if (first.error_code() != grpc::StatusCode::UNAVAILABLE ||
      peer.channel->GetState(/*try_to_connect=*/false) !=
          GRPC_CHANNEL_TRANSIENT_FAILURE ||
      absl::GetCurrentTimeNanos() / 1000 <
          peer.down_until_us.load(std::memory_order_relaxed)) {
    return first;
  }
  // The channel could not connect when it last tried: try now.
  grpc::experimental::ChannelResetConnectionBackoff(peer.channel.get());
  grpc::ClientContext context;
  prepare(context);
  context.set_deadline(std::min(
      context.deadline(), std::chrono::system_clock::now() + kPeerConnectWait));
  context.set_wait_for_ready(true);
  grpc::Status again = call(&context);
  if (again.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED) return again;
  // Still down: the first answer says why (the connect error).
  peer.down_until_us.store(
      absl::ToUnixMicros(absl::Now() +
                         absl::Milliseconds(kPeerMaxReconnectBackoffMs)),
      std::memory_order_relaxed);
  return first;
}

}  // namespace carebridge

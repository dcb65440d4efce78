#include "services/common/peer_call.h"

#include <algorithm>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace carebridge {

grpc::Status CallPeer(
    PeerChannel& peer, absl::FunctionRef<void(grpc::ClientContext&)> prepare,
    absl::FunctionRef<grpc::Status(grpc::ClientContext*)> call) {
  grpc::Status first;
  std::chrono::system_clock::time_point deadline;
  {
    grpc::ClientContext context;
    prepare(context);
    deadline = context.deadline();
    first = call(&context);
  }
  if (first.error_code() != grpc::StatusCode::UNAVAILABLE ||
      peer.channel->GetState(/*try_to_connect=*/false) !=
          GRPC_CHANNEL_TRANSIENT_FAILURE) {
    return first;
  }
  // The channel could not connect when it last tried: try now, and wait
  // for the connection alone, so a peer that is back answers within the
  // call's own deadline however long it takes. Found down moments ago, it
  // is given only a moment.
  const bool found_down = absl::GetCurrentTimeNanos() / 1000 <
                          peer.down_until_us.load(std::memory_order_relaxed);
  grpc::experimental::ChannelResetConnectionBackoff(peer.channel.get());
  if (!peer.channel->WaitForConnected(std::min(
          deadline,
          std::chrono::system_clock::now() +
              (found_down ? kPeerDownConnectWait : kPeerConnectWait)))) {
    // Still down: the first answer says why (the connect error).
    if (!found_down) {
      peer.down_until_us.store(
          absl::ToUnixMicros(absl::Now() +
                             absl::Milliseconds(kPeerMaxReconnectBackoffMs)),
          std::memory_order_relaxed);
    }
    return first;
  }
  grpc::ClientContext context;
  prepare(context);
  return call(&context);
}

}  // namespace carebridge

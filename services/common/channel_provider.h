#ifndef CAREBRIDGE_SERVICES_COMMON_CHANNEL_PROVIDER_H_
#define CAREBRIDGE_SERVICES_COMMON_CHANNEL_PROVIDER_H_

#include <grpcpp/channel.h>
#include <grpcpp/support/channel_arguments.h>

#include <functional>
#include <memory>

namespace carebridge {

// Yields the channel to another service. Called on first use, not at
// construction, so a server can build its services before it listens (and
// so reach a service it hosts itself, over its in-process channel).
using ChannelProvider = std::function<std::shared_ptr<grpc::Channel>()>;

// How often a channel to a peer pings a connection with nothing to send.
// A consumer waiting on an idle event feed would otherwise not notice a
// peer host that vanished without closing the connection (power loss, a
// network partition) and its effects would stall; with the pings the
// stream fails within ~kPeerKeepaliveTimeMs + 10 s and the consumer
// reconnects. ServerHost accepts pings this often.
inline constexpr int kPeerKeepaliveTimeMs = 20000;

// The longest a channel to a peer that was down waits before trying to
// connect again. gRPC's default backs off to two minutes, during which
// every call fails at once: a consumer (which itself retries every two
// seconds at most) would resume a feed, and calls to a directory would
// work again, only minutes after the peer came back.
inline constexpr int kPeerMaxReconnectBackoffMs = 2000;

// Arguments for channels between services.
inline grpc::ChannelArguments PeerChannelArguments() {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, kPeerKeepaliveTimeMs);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, kPeerMaxReconnectBackoffMs);
  return args;
}

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_CHANNEL_PROVIDER_H_

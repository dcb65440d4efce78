#ifndef CAREBRIDGE_SERVICES_COMMON_CHANNEL_PROVIDER_H_
#define CAREBRIDGE_SERVICES_COMMON_CHANNEL_PROVIDER_H_

#include <grpcpp/channel.h>

#include <functional>
#include <memory>

namespace carebridge {

// Yields the channel to another service. Called on first use, not at
// construction, so a server can build its services before it listens (and
// so reach a service it hosts itself, over its in-process channel).
using ChannelProvider = std::function<std::shared_ptr<grpc::Channel>()>;

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_CHANNEL_PROVIDER_H_

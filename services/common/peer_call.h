#ifndef CAREBRIDGE_SERVICES_COMMON_PEER_CALL_H_
#define CAREBRIDGE_SERVICES_COMMON_PEER_CALL_H_

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "services/common/channel_provider.h"

namespace carebridge {

// The longest CallPeer waits for a connection to a peer that was down:
// ample for a connect and a TLS handshake to a peer that is up.
inline constexpr auto kPeerConnectWait = std::chrono::milliseconds(250);

// How long a call waits to connect to a peer found down moments ago
// (PeerChannel::down_until_us): long enough for a peer on the same network
// that has just come back, short enough not to slow callers that carry on
// without a peer that is still down.
inline constexpr auto kPeerDownConnectWait = std::chrono::milliseconds(25);

// A channel to a peer, and what CallPeer learned of it.
struct PeerChannel {
  std::shared_ptr<grpc::Channel> channel;
  // Until when (microseconds since the epoch) calls fail at once, without
  // waiting to connect: a wait found the peer down.
  std::atomic<int64_t> down_until_us{0};
};

// Makes one unary read from another service on `peer`.
//
// A channel to a peer that was down waits out a reconnect backoff (up to
// kPeerMaxReconnectBackoffMs) before it tries again, and meanwhile fails
// every call at once with UNAVAILABLE and the last connect error, although
// the peer may already be back: a handover created a second after the care
// plan service restarted was refused "careplan: failed to connect". So when
// a call fails UNAVAILABLE on a channel that could not connect, the backoff
// is cut short, the connection waited for up to kPeerConnectWait (and no
// longer than the call's deadline), and the call made again if it
// connected, with its whole deadline. A peer still down
// fails with the first answer; for the next kPeerMaxReconnectBackoffMs
// calls to it wait only kPeerDownConnectWait to connect (the peer may have
// come back meanwhile: a handover created a second after the care plan
// service's restart was refused while the one before had found it down),
// so callers that carry on without the peer (a handover accepted while the
// care plan service is away) are not slowed by more than one wait. A peer
// that answered UNAVAILABLE itself is not asked again.
//
// `prepare` readies each attempt's context (deadline, credentials); `call`
// makes the call with it. Only for calls that are safe to repeat (reads).
grpc::Status CallPeer(
    PeerChannel& peer, absl::FunctionRef<void(grpc::ClientContext&)> prepare,
    absl::FunctionRef<grpc::Status(grpc::ClientContext*)> call);

// A stub of a peer's `Service` on the provider's channel, made at first use
// (the provider may have no channel yet), with the channel for CallPeer.
template <typename Service>
class PeerStub {
 public:
  struct Handle {
    typename Service::Stub* stub = nullptr;
    PeerChannel* peer = nullptr;
  };

  // Get answers `code` and `message` while `provider` has no channel.
  PeerStub(ChannelProvider provider, absl::StatusCode code, std::string message)
      : provider_(std::move(provider)),
        no_channel_code_(code),
        no_channel_message_(std::move(message)) {}

  // The stub and its channel.
  absl::StatusOr<Handle> Get() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    if (stub_ == nullptr) {
      peer_.channel = provider_ == nullptr ? nullptr : provider_();
      if (peer_.channel == nullptr) {
        return absl::Status(no_channel_code_, no_channel_message_);
      }
      stub_ = Service::NewStub(peer_.channel);
    }
    return Handle{stub_.get(), &peer_};
  }

 private:
  const ChannelProvider provider_;
  const absl::StatusCode no_channel_code_;
  const std::string no_channel_message_;
  absl::Mutex mu_;
  // Set once, with stub_; then only read.
  PeerChannel peer_;
  std::unique_ptr<typename Service::Stub> stub_ ABSL_GUARDED_BY(mu_);
};

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_PEER_CALL_H_

#ifndef CAREBRIDGE_SERVICES_COMMON_PEER_CALL_H_
#define CAREBRIDGE_SERVICES_COMMON_PEER_CALL_H_

#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include "absl/functional/function_ref.h"

namespace carebridge {

// Makes one unary read from another service.
//
// A channel to a peer that was down waits out a reconnect backoff (up to
// kPeerMaxReconnectBackoffMs) before it tries again, and meanwhile fails
// every call at once with UNAVAILABLE and the last connect error, although
// the peer may already be back: a handover created a second after the care
// plan service restarted was refused "careplan: failed to connect". So a
// call that fails UNAVAILABLE is sent once more, waiting for the channel to
// connect (wait_for_ready) for at most the backoff and a connect attempt,
// inside the call's own deadline. A peer that is back is reached; one still
// down fails with the first UNAVAILABLE within about 3.5 seconds.
//
// `prepare` readies each attempt's context (deadline, credentials); `call`
// makes the call with it. Only for calls that are safe to repeat (reads).
grpc::Status CallPeer(
    absl::FunctionRef<void(grpc::ClientContext&)> prepare,
    absl::FunctionRef<grpc::Status(grpc::ClientContext*)> call);

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_PEER_CALL_H_

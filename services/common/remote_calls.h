#ifndef CAREBRIDGE_SERVICES_COMMON_REMOTE_CALLS_H_
#define CAREBRIDGE_SERVICES_COMMON_REMOTE_CALLS_H_

#include "absl/status/status.h"
#include "absl/strings/cord.h"

namespace carebridge {

// Whether a domain read may call another service. Reads run inline on
// gRPC's thread when they only touch the service's own store; the rare read
// that needs another service (e.g. to tell an unknown person from one with
// no plan yet) must not block that thread on the network, so it is run with
// kDeferred first and, when it answers RemoteCallDeferred(), again on the
// blocking executor with kAllowed (see HandleInlineOrBlocking).
enum class RemoteCalls { kAllowed, kDeferred };

inline constexpr char kRemoteCallDeferredPayload[] =
    "type.carebridge/remote-call-deferred";

// What a read run with RemoteCalls::kDeferred returns instead of calling
// another service. Never reaches a client.
inline absl::Status RemoteCallDeferred() {
  absl::Status status = absl::UnavailableError("remote call deferred");
  status.SetPayload(kRemoteCallDeferredPayload, absl::Cord());
  return status;
}

inline bool IsRemoteCallDeferred(const absl::Status& status) {
  return status.GetPayload(kRemoteCallDeferredPayload).has_value();
}

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_REMOTE_CALLS_H_

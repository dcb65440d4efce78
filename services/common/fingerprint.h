#ifndef CAREBRIDGE_SERVICES_COMMON_FINGERPRINT_H_
#define CAREBRIDGE_SERVICES_COMMON_FINGERPRINT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message_lite.h"

namespace carebridge {

// What request fingerprints are made of, so a retry with a request_id can be
// told from a different request reusing it.

// `message` serialized deterministically (map order fixed), so equal
// messages give equal bytes within one build.
std::string DeterministicBytes(const google::protobuf::MessageLite& message);

// The SHA-256 of `bytes`, in lower-case hex.
absl::StatusOr<std::string> Sha256Hex(absl::string_view bytes);

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_FINGERPRINT_H_

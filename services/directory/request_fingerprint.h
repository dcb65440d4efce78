#ifndef CAREBRIDGE_SERVICES_DIRECTORY_REQUEST_FINGERPRINT_H_
#define CAREBRIDGE_SERVICES_DIRECTORY_REQUEST_FINGERPRINT_H_

#include <string>

#include "absl/status/statusor.h"
#include "carebridge/directory/v1/directory.pb.h"

namespace carebridge::directory {

// What a create asks for, reduced to a short stable string, so that a reused
// request_id can tell a retry (same fingerprint) from a different request.
//
// The fingerprint covers the resource exactly as the client sent it, minus
// its output-only fields (which a create ignores) and fields this server
// does not know: it is taken before validation and defaults, so it does not
// change when a later release normalises or defaults differently, and a
// genuine retry (the same bytes again) always matches. It is a SHA-256 of the
// deterministic serialization, in hex; it is stored, so it must stay stable
// across processes and releases. Fails (INTERNAL) only if hashing does.
absl::StatusOr<std::string> CreateFingerprint(const v1::Team& team);
absl::StatusOr<std::string> CreateFingerprint(const v1::Member& member);
absl::StatusOr<std::string> CreateFingerprint(const v1::Person& person);

}  // namespace carebridge::directory

#endif  // CAREBRIDGE_SERVICES_DIRECTORY_REQUEST_FINGERPRINT_H_

#ifndef CAREBRIDGE_SERVICES_DIRECTORY_CREATE_KEY_H_
#define CAREBRIDGE_SERVICES_DIRECTORY_CREATE_KEY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/common/macros.h"
#include "services/common/principal.h"
#include "services/directory/directory_store.h"
#include "services/directory/request_fingerprint.h"

namespace carebridge::directory {

// The key of a create: the caller's request id, with the fingerprint of the
// resource as the caller sent it (before validation fills in defaults).
template <typename Proto>
absl::StatusOr<IdempotencyKey> CreateKeyFor(const Principal& caller,
                                            absl::string_view method,
                                            const std::string& request_id,
                                            const Proto& input) {
  IdempotencyKey key{caller.subject, std::string(method), request_id};
  if (!request_id.empty()) {
    ASSIGN_OR_RETURN(key.request_fingerprint, CreateFingerprint(input));
  }
  return key;
}

}  // namespace carebridge::directory

#endif  // CAREBRIDGE_SERVICES_DIRECTORY_CREATE_KEY_H_

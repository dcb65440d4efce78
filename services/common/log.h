#ifndef CAREBRIDGE_SERVICES_COMMON_LOG_H_
#define CAREBRIDGE_SERVICES_COMMON_LOG_H_

#include "absl/strings/string_view.h"

namespace carebridge {

// Writes one line to stderr, prefixed with an RFC 3339 UTC time. Lines from
// concurrent threads never interleave.
void LogLine(absl::string_view line);

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_LOG_H_

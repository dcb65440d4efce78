#ifndef CAREBRIDGE_SERVICES_COMMON_ERRORS_H_
#define CAREBRIDGE_SERVICES_COMMON_ERRORS_H_

// Error text shared by every service. Messages name the field and the
// problem: `referral.urgency: must be set`. Service-specific errors live in
// each service's own errors.h.

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace carebridge::errors {

absl::Status MustBeSet(absl::string_view field);
absl::Status TooLong(absl::string_view field, size_t max_chars);
absl::Status TooMany(absl::string_view field, size_t max_items);
absl::Status Invalid(absl::string_view field, absl::string_view problem);
absl::Status BadResourceName(absl::string_view field, absl::string_view value,
                             absl::string_view pattern);
absl::Status NotFound(absl::string_view resource_name);
absl::Status StaleEtag(absl::string_view resource_name);
absl::Status BadPageToken();
absl::Status Unauthenticated(absl::string_view problem);
absl::Status PermissionDenied(absl::string_view problem);
// An audit log that cannot take another record because it was changed
// outside carebridge (`found`: what the append found, e.g. `record 125 is
// already there, past the log's head at record 124`). DATA_LOSS: no retry
// can succeed until an administrator has looked and put the log right.
absl::Status AuditLogAltered(absl::string_view found);
// What a caller is told when `what` ("this access") could not be recorded
// in the audit log (`written`), so `withheld` ("nothing was returned"):
// DATA_LOSS when the log can take no record (AuditLogAltered: a retry
// cannot succeed), else UNAVAILABLE, suggesting `retry` ("try again").
absl::Status AuditRecordNotWritten(absl::string_view what,
                                   absl::string_view withheld,
                                   absl::string_view retry,
                                   const absl::Status& written);

}  // namespace carebridge::errors

#endif  // CAREBRIDGE_SERVICES_COMMON_ERRORS_H_

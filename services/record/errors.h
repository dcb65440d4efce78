#ifndef CAREBRIDGE_SERVICES_RECORD_ERRORS_H_
#define CAREBRIDGE_SERVICES_RECORD_ERRORS_H_

// Error text of the record service, in one place so messages stay
// consistent and tests can match them.

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace carebridge::record::errors {

// FAILED_PRECONDITION: the person was registered twice and merged; their
// history is read on the person kept:
// `persons/d was merged into persons/k: read that record`.
absl::Status PersonMerged(absl::string_view person, absl::string_view into);

// INVALID_ARGUMENT: `cursor` is not one a WatchTimeline response about
// `person` gave (garbled, or another person's).
absl::Status BadTimelineCursor(absl::string_view person);

// INVALID_ARGUMENT: `cursor` was given by the record before it was rebuilt
// from the feeds; the rebuilt record's stream positions are not the ones
// it counted.
absl::Status TimelineCursorOfRebuiltRecord(absl::string_view person);

}  // namespace carebridge::record::errors

#endif  // CAREBRIDGE_SERVICES_RECORD_ERRORS_H_

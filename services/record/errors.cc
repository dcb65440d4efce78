#include "services/record/errors.h"

#include "absl/strings/str_cat.h"

namespace carebridge::record::errors {

absl::Status PersonMerged(absl::string_view person, absl::string_view into) {
  return absl::FailedPreconditionError(
      absl::StrCat(person, " was merged into ", into, ": read that record"));
}

absl::Status BadTimelineCursor(absl::string_view person) {
  return absl::InvalidArgumentError(absl::StrCat(
      "cursor: is not a cursor of ", person,
      "'s timeline stream; give the cursor of a WatchTimeline response about ",
      person, ", or none to start from the beginning"));
}

absl::Status TimelineCursorOfRebuiltRecord(absl::string_view person) {
  return absl::InvalidArgumentError(absl::StrCat(
      "cursor: was given by the record service before its database was "
      "rebuilt from the source services' feeds, and no longer says where a "
      "stream of ",
      person,
      "'s timeline stood; watch again without a cursor (the whole timeline "
      "comes first)"));
}

}  // namespace carebridge::record::errors

#include "services/record/errors.h"

#include "absl/strings/str_cat.h"

namespace carebridge::record::errors {

absl::Status PersonMerged(absl::string_view person, absl::string_view into) {
  return absl::FailedPreconditionError(
      absl::StrCat(person, " was merged into ", into, ": read that record"));
}

}  // namespace carebridge::record::errors

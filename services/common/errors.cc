#include "services/common/errors.h"

#include "absl/strings/str_cat.h"

namespace carebridge::errors {

absl::Status MustBeSet(absl::string_view field) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": must be set"));
}

absl::Status TooLong(absl::string_view field, size_t max_chars) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": must be at most ", max_chars, " characters"));
}

absl::Status TooMany(absl::string_view field, size_t max_items) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": must have at most ", max_items, " entries"));
}

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

absl::Status BadResourceName(absl::string_view field, absl::string_view value,
                             absl::string_view pattern) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": \"", value.substr(0, 100),
                   "\" is not a resource name of the form ", pattern));
}

absl::Status NotFound(absl::string_view resource_name) {
  return absl::NotFoundError(absl::StrCat(resource_name, " not found"));
}

absl::Status StaleEtag(absl::string_view resource_name) {
  return absl::AbortedError(absl::StrCat(
      resource_name,
      ": etag does not match; it was changed since you read it. Read it "
      "again and retry"));
}

absl::Status BadPageToken() {
  return absl::InvalidArgumentError(
      "page_token: not valid for this request (it must come from a previous "
      "response with the same filters)");
}

absl::Status Unauthenticated(absl::string_view problem) {
  return absl::UnauthenticatedError(problem);
}

absl::Status PermissionDenied(absl::string_view problem) {
  return absl::PermissionDeniedError(problem);
}

absl::Status AuditLogAltered(absl::string_view found) {
  return absl::DataLossError(absl::StrCat(
      "the audit log was altered outside carebridge (", found,
      "): nothing more can be recorded in it, so every call it must record "
      "fails until it is put right; retrying will not help. An "
      "administrator should run `carectl admin audit verify` to see what "
      "was changed"));
}

absl::Status AuditRecordNotWritten(absl::string_view what,
                                   absl::string_view withheld,
                                   absl::string_view retry,
                                   const absl::Status& written) {
  if (absl::IsDataLoss(written)) {
    return absl::DataLossError(absl::StrCat(what, " could not be recorded, so ",
                                            withheld, ": ", written.message()));
  }
  return absl::UnavailableError(
      absl::StrCat(what, " could not be recorded in the audit log (",
                   written.message(), "); ", withheld, "; ", retry));
}

}  // namespace carebridge::errors

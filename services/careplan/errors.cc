#include "services/careplan/errors.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/errors.h"

namespace carebridge::careplan::errors {

absl::Status PersonNotFound(absl::string_view person) {
  return carebridge::errors::NotFound(person);
}

absl::Status NoPlanYet(absl::string_view person) {
  return absl::NotFoundError(
      absl::StrCat(person, "/carePlan: ", person,
                   " has no care plan yet; the first update creates it"));
}

absl::Status VersionNotFound(absl::string_view version_name) {
  return carebridge::errors::NotFound(version_name);
}

absl::Status TeamNotFound(absl::string_view team) {
  return carebridge::errors::NotFound(team);
}

absl::Status OwningTeamNotFound(absl::string_view field,
                                absl::string_view team) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": ", team, " does not exist"));
}

absl::Status StaleEtag(int64_t current_version) {
  return absl::AbortedError(
      absl::StrCat("etag: the care plan changed since you read it (now "
                   "version ",
                   current_version, "); read it again and retry"));
}

absl::Status EtagWithoutPlan(absl::string_view person) {
  return absl::AbortedError(absl::StrCat(
      "etag: ", person, " has no care plan yet; send no etag to create it"));
}

absl::Status AgreementOnOldVersion(int64_t current_version) {
  return absl::AbortedError(
      absl::StrCat("version: the care plan is now at version ", current_version,
                   "; show the person what changed and record agreement on "
                   "the current version"));
}

absl::Status KeptChanging(absl::string_view plan_name, int attempts) {
  return absl::AbortedError(
      absl::StrCat(plan_name, ": changed by others ", attempts,
                   " times while this change was being made; try again"));
}

absl::Status RequestIdReused(absl::string_view request_id, int64_t version) {
  return absl::AlreadyExistsError(absl::StrCat(
      "request_id: ", request_id,
      " was already used for a different change (version ", version, ")"));
}

absl::Status PathHasOwnMethod(int index, absl::string_view path,
                              absl::string_view methods) {
  return absl::InvalidArgumentError(
      absl::StrCat("update_mask.paths[", index, "]: ", path,
                   " cannot be updated here; use ", methods));
}

absl::Status PathOutputOnly(int index, absl::string_view path) {
  return absl::InvalidArgumentError(absl::StrCat(
      "update_mask.paths[", index, "]: ", path, " is output only"));
}

absl::Status PathInsideWholeSection(int index, absl::string_view path,
                                    absl::string_view section) {
  return absl::InvalidArgumentError(
      absl::StrCat("update_mask.paths[", index, "]: \"", path, "\": ", section,
                   " is replaced as a whole; use the path \"", section, "\""));
}

absl::Status UnknownPath(int index, absl::string_view path) {
  return absl::InvalidArgumentError(absl::StrCat(
      "update_mask.paths[", index, "]: unknown path \"", path, "\""));
}

absl::Status UnknownItemId(absl::string_view field, absl::string_view plan,
                           absl::string_view kind, absl::string_view id) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": ", plan, " has no ", kind, " \"", id,
                   "\"; leave the id empty for a new ", kind));
}

absl::Status DuplicateItemId(absl::string_view field, absl::string_view id) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": \"", id, "\" appears more than once"));
}

absl::Status NotADate(absl::string_view field, absl::string_view date,
                      absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": ", date, " is not a date", why.empty() ? "" : " (",
                   why, why.empty() ? "" : ")"));
}

absl::Status DuplicateContactMethod(absl::string_view field,
                                    absl::string_view method) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": ", method, " is given more than once"));
}

absl::Status ToBeforeFrom(int64_t to_version, int64_t from_version) {
  return absl::InvalidArgumentError(absl::StrCat(
      "to_version: ", to_version, " is before from_version ", from_version));
}

absl::Status DirectoryFailed(const absl::Status& status) {
  // The gRPC directory client labels its failures already.
  if (absl::StartsWith(status.message(), "directory: ")) return status;
  return absl::Status(status.code(),
                      absl::StrCat("directory: ", status.message()));
}

}  // namespace carebridge::careplan::errors

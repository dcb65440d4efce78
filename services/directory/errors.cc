#include "services/directory/errors.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace carebridge::directory::errors {

absl::Status DeadlineOutOfRange(absl::string_view field) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": must be between 15 minutes and 90 days"));
}

absl::Status UnknownUpdatePath(absl::string_view path) {
  return absl::InvalidArgumentError(absl::StrCat(
      "update_mask: unknown path \"", path.substr(0, 100),
      "\"; use display_name, sector, accepting_referrals, "
      "response_deadlines (or response_deadlines.routine, .urgent, .crisis), "
      "service_description, eligibility, contact"));
}

absl::Status PersonTokensNotTheirs(absl::string_view caller,
                                   absl::string_view person) {
  return PermissionDenied(absl::StrCat(
      "RevokePersonTokens: only ", person,
      " themself or an admin may end their tokens here; their lead team "
      "ends them through CarePlanService.RevokePersonTokens; ",
      caller, " may not"));
}

absl::Status MemberTeamNotFound(absl::string_view team) {
  return absl::NotFoundError(absl::StrCat("member.team: ", team, " not found"));
}

absl::Status NhsNumberTaken(absl::string_view existing_person) {
  return absl::AlreadyExistsError(absl::StrCat(
      "person.nhs_number: already registered as ", existing_person));
}

absl::Status PersonMerged(absl::string_view person, absl::string_view into) {
  return absl::FailedPreconditionError(absl::StrCat(
      person, " was merged into ", into, " (registered twice): use ", into));
}

absl::Status CannotMerge(absl::string_view duplicate, absl::string_view person,
                         absl::string_view why) {
  return absl::FailedPreconditionError(absl::StrCat(
      "MergePersons: cannot merge ", duplicate, " into ", person, ": ", why));
}

absl::Status PossibleDuplicates(const std::vector<v1::Person>& registered) {
  std::vector<std::string> described;
  described.reserve(registered.size());
  for (const v1::Person& person : registered) {
    described.push_back(absl::StrCat(person.name(), " (", person.given_name(),
                                     " ", person.family_name(), ", born ",
                                     person.birth_date(), ")"));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "person: may be registered already as ", absl::StrJoin(described, ", "),
      "; use that record if it is this person (FindPersons by family name "
      "and birth date shows it), or set allow_possible_duplicate to "
      "register someone else"));
}

absl::Status RequestIdReused(absl::string_view request_id,
                             absl::string_view caller,
                             absl::string_view existing,
                             absl::string_view kind) {
  return absl::AlreadyExistsError(
      absl::StrCat("request_id: \"", request_id, "\" was already used by ",
                   caller, " for ", existing,
                   ", which differs from this request; use a new "
                   "request_id for a new ",
                   kind));
}

absl::Status MalformedDate(absl::string_view field) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": must be a real date written YYYY-MM-DD"));
}

absl::Status DateInFuture(absl::string_view field) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": must not be in the future"));
}

absl::Status NoSearchGiven() {
  return absl::InvalidArgumentError(
      "nhs_number: must be set, or family_name and birth_date must both be "
      "set");
}

absl::Status TwoSearchesGiven() {
  return absl::InvalidArgumentError(
      "nhs_number: search by nhs_number or by family_name and birth_date, "
      "not both");
}

absl::Status TtlNotPositive() {
  return absl::InvalidArgumentError("ttl: must be positive");
}

absl::Status TtlTooLong(absl::Duration max) {
  return absl::InvalidArgumentError(
      absl::StrCat("ttl: must be at most ", absl::FormatDuration(max),
                   " (this deployment's --max_token_lifetime)"));
}

absl::Status MemberDeactivated(absl::string_view member,
                               absl::string_view reason,
                               absl::string_view what) {
  return absl::FailedPreconditionError(
      absl::StrCat(member, " is deactivated (", reason, "); ", what));
}

absl::Status MemberActive(absl::string_view member) {
  return absl::FailedPreconditionError(
      absl::StrCat(member,
                   " is active; only a deactivated member can be "
                   "reactivated"));
}

}  // namespace carebridge::directory::errors

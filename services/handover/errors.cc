#include "services/handover/errors.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/errors.h"

namespace carebridge::handover::errors {

absl::Status HandoverNotFound(absl::string_view name) {
  return carebridge::errors::NotFound(name);
}

absl::Status IllegalTransition(absl::string_view name,
                               absl::string_view current_state,
                               absl::string_view past_participle) {
  return absl::FailedPreconditionError(absl::StrCat(
      name, " is ", current_state, "; it cannot be ", past_participle));
}

absl::Status ReferencedNotFound(absl::string_view field,
                                absl::string_view resource_name) {
  return absl::NotFoundError(
      absl::StrCat(field, ": ", resource_name, " not found"));
}

absl::Status HandoverToOwnTeam(absl::string_view team) {
  return absl::InvalidArgumentError(
      absl::StrCat("handover.receiving_team: must be another team than the "
                   "caller's own (",
                   team, ")"));
}

absl::Status OwningTeamNotFound(absl::string_view field,
                                absl::string_view team) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": ", team, " does not exist"));
}

absl::Status NoCarePlan(absl::string_view team, absl::string_view person) {
  return absl::FailedPreconditionError(
      absl::StrCat(team, " is not on the care team of ", person, ": ", person,
                   " has no care plan yet; join the care team first"));
}

absl::Status NotOnCareTeam(absl::string_view team, absl::string_view person) {
  return absl::FailedPreconditionError(
      absl::StrCat(team, " is not on the care team of ", person,
                   "; only a team involved in the person's care hands over"));
}

absl::Status NotLeadTeam(absl::string_view team, absl::string_view person,
                         absl::string_view lead_team) {
  return absl::FailedPreconditionError(absl::StrCat(
      "handover.kind: only the lead team hands over responsibility for ",
      person, "; the lead team is ", lead_team.empty() ? "nobody" : lead_team,
      ", not ", team));
}

absl::Status TransferNotYetApplied(absl::string_view team,
                                   absl::string_view person,
                                   absl::string_view accepted,
                                   absl::string_view receiving_team) {
  return absl::AbortedError(absl::StrCat(
      "handover.kind: ", team, " already handed responsibility for ", person,
      " to ", receiving_team, " (", accepted,
      ", accepted); the care plan has not caught up yet, so ", team,
      " may no longer be the lead: try again in a moment"));
}

absl::Status TransferPending(absl::string_view person,
                             absl::string_view pending) {
  return absl::FailedPreconditionError(absl::StrCat(
      "handover.kind: ", pending, " already transfers responsibility for ",
      person, " and is pending; wait for its answer or cancel it first"));
}

absl::Status CarePlanVersionAhead(int64_t version, absl::string_view person,
                                  int64_t current_version) {
  return absl::InvalidArgumentError(absl::StrCat(
      "handover.care_plan_version: ", person, "'s care plan has no version ",
      version, " (the current version is ", current_version, ")"));
}

absl::Status ReadBackRequired(absl::string_view name) {
  return absl::InvalidArgumentError(absl::StrCat(
      "read_back: must be set to accept ", name,
      ", a transfer of responsibility: the receiving team's own summary of "
      "the situation and the actions it takes on"));
}

absl::Status RequestIdReused(absl::string_view request_id,
                             absl::string_view team,
                             absl::string_view existing) {
  return absl::AlreadyExistsError(absl::StrCat(
      "request_id: \"", request_id, "\" was already used by ", team, " for ",
      existing,
      ", which differs from this request; use a new request_id for a new "
      "handover"));
}

absl::Status CorruptHandover(absl::string_view id) {
  return absl::InternalError(
      absl::StrCat("handovers/", id, ": stored record cannot be decoded"));
}

absl::Status CarePlanFailed(const absl::Status& status) {
  if (absl::StartsWith(status.message(), "careplan: ")) return status;
  return absl::Status(status.code(),
                      absl::StrCat("careplan: ", status.message()));
}

}  // namespace carebridge::handover::errors

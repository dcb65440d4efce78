#include "services/referral/errors.h"

#include "absl/strings/str_cat.h"
#include "services/common/errors.h"

namespace carebridge::referral::errors {

absl::Status ReferralNotFound(absl::string_view name) {
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

absl::Status NotAcceptingReferrals(absl::string_view field,
                                   absl::string_view team,
                                   absl::string_view display_name) {
  return absl::FailedPreconditionError(
      absl::StrCat(field, ": ", team, " (", display_name,
                   ") is not accepting referrals; choose another team"));
}

absl::Status ReferralToOwnTeam(absl::string_view field,
                               absl::string_view team) {
  return absl::InvalidArgumentError(absl::StrCat(
      field, ": must be another team than the caller's own (", team, ")"));
}

absl::Status RedirectToSameTeam(absl::string_view name,
                                absl::string_view team) {
  return absl::InvalidArgumentError(
      absl::StrCat("new_receiving_team: ", name, " is already with ", team,
                   "; redirect it to a different team"));
}

absl::Status RedirectToSender(absl::string_view name, absl::string_view team) {
  return absl::InvalidArgumentError(
      absl::StrCat("new_receiving_team: ", team, " sent ", name,
                   "; a redirect must go to a third team"));
}

absl::Status NotSenderOrReceiver(absl::string_view action,
                                 absl::string_view name,
                                 absl::string_view subject,
                                 absl::string_view caller_team) {
  return absl::PermissionDeniedError(absl::StrCat(
      action, " ", name,
      ": only the sending and the receiving team may do this; ", subject,
      " is in ", caller_team.empty() ? "no team" : caller_team));
}

absl::Status OnwardRouteRequired() {
  return absl::InvalidArgumentError(
      "onward_route: must give signposting or suggested_team");
}

absl::Status SuggestedDecliningTeam(absl::string_view team) {
  return absl::InvalidArgumentError(
      absl::StrCat("onward_route.suggested_team: must be another team than "
                   "the one declining (",
                   team, ")"));
}

absl::Status SuggestedSendingTeam(absl::string_view name,
                                  absl::string_view team) {
  return absl::InvalidArgumentError(absl::StrCat(
      "onward_route.suggested_team: ", team, " sent ", name,
      " and cannot refer to itself; suggest a team it can refer the person "
      "to, or give signposting"));
}

absl::Status RequestIdReused(absl::string_view request_id,
                             absl::string_view team,
                             absl::string_view existing) {
  return absl::AlreadyExistsError(absl::StrCat(
      "request_id: \"", request_id, "\" was already used by ", team, " for ",
      existing,
      ", which differs from this request; use a new request_id for a new "
      "referral"));
}

absl::Status CorruptReferral(absl::string_view id) {
  return absl::InternalError(
      absl::StrCat("referrals/", id, ": stored record cannot be decoded"));
}

}  // namespace carebridge::referral::errors

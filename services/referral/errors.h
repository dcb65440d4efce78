#ifndef CAREBRIDGE_SERVICES_REFERRAL_ERRORS_H_
#define CAREBRIDGE_SERVICES_REFERRAL_ERRORS_H_

// Error text of the referral service, in one place so messages stay
// consistent and tests can match them.

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace carebridge::referral::errors {

// NOT_FOUND: `referrals/x not found`.
absl::Status ReferralNotFound(absl::string_view name);
// FAILED_PRECONDITION naming the current state:
// `referrals/x is ACCEPTED; it cannot be declined`.
absl::Status IllegalTransition(absl::string_view name,
                               absl::string_view current_state,
                               absl::string_view past_participle);
// NOT_FOUND naming the field and the missing resource:
// `referral.person: persons/x not found`.
absl::Status ReferencedNotFound(absl::string_view field,
                                absl::string_view resource_name);
// FAILED_PRECONDITION: the team exists but takes no new referrals.
absl::Status NotAcceptingReferrals(absl::string_view field,
                                   absl::string_view team,
                                   absl::string_view display_name);
// INVALID_ARGUMENT: a team may not refer to itself.
absl::Status ReferralToOwnTeam(absl::string_view field, absl::string_view team);
// INVALID_ARGUMENT: a redirect must go to another team.
absl::Status RedirectToSameTeam(absl::string_view name, absl::string_view team);
// INVALID_ARGUMENT: a redirect back to the sending team would make it refer
// to itself.
absl::Status RedirectToSender(absl::string_view name, absl::string_view team);
// PERMISSION_DENIED: only the two teams of a referral may see it.
absl::Status NotSenderOrReceiver(absl::string_view action,
                                 absl::string_view name,
                                 absl::string_view subject,
                                 absl::string_view caller_team);
// INVALID_ARGUMENT: a decline needs somewhere for the person to go.
absl::Status OnwardRouteRequired();
// INVALID_ARGUMENT: a declining team cannot suggest itself as the way on.
absl::Status SuggestedDecliningTeam(absl::string_view team);
// INVALID_ARGUMENT: the sending team cannot refer to itself, so suggesting
// it leads nowhere.
absl::Status SuggestedSendingTeam(absl::string_view name,
                                  absl::string_view team);
// ALREADY_EXISTS: the team used `request_id` for `existing`, and this
// request asks for a different referral, so it is not a retry.
absl::Status RequestIdReused(absl::string_view request_id,
                             absl::string_view team,
                             absl::string_view existing);
// INTERNAL: a stored referral could not be decoded.
absl::Status CorruptReferral(absl::string_view id);

}  // namespace carebridge::referral::errors

#endif  // CAREBRIDGE_SERVICES_REFERRAL_ERRORS_H_

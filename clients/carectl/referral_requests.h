#ifndef CAREBRIDGE_CLIENTS_CARECTL_REFERRAL_REQUESTS_H_
#define CAREBRIDGE_CLIENTS_CARECTL_REFERRAL_REQUESTS_H_

#include <string>

#include "absl/status/statusor.h"
#include "carebridge/referral/v1/referral.pb.h"
#include "clients/carectl/args.h"

namespace carebridge::carectl {

// Builds referral requests from command flags; errors are usage errors
// naming the flag. Domain rules (e.g. a decline needs an onward route) are
// left to the server, which owns them.

absl::StatusOr<referral::v1::CreateReferralRequest> BuildCreateReferralRequest(
    const Flags& flags);

// --state=sent,acknowledged --person=P --overdue plus paging flags; --state
// may also repeat.
absl::StatusOr<referral::v1::ListReferralsRequest> BuildListReferralsRequest(
    referral::v1::Mailbox mailbox, const Flags& flags);

// `referral decline NAME --reason= [--signpost=] [--suggest_team=]`.
referral::v1::DeclineReferralRequest BuildDeclineReferralRequest(
    const std::string& name, const Flags& flags);

// `referral redirect NAME --to=TEAM --reason=`.
referral::v1::RedirectReferralRequest BuildRedirectReferralRequest(
    const std::string& name, const Flags& flags);

// Acknowledge, accept and complete share name, etag and note.
template <typename Request>
Request BuildNoteRequest(const std::string& name, const Flags& flags);

}  // namespace carebridge::carectl

#endif  // CAREBRIDGE_CLIENTS_CARECTL_REFERRAL_REQUESTS_H_

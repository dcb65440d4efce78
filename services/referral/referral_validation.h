#ifndef CAREBRIDGE_SERVICES_REFERRAL_REFERRAL_VALIDATION_H_
#define CAREBRIDGE_SERVICES_REFERRAL_REFERRAL_VALIDATION_H_

// Request checks that need nothing but the request: each returns
// INVALID_ARGUMENT naming the field (`referral.urgency: must be set`).
// Checks against other resources (does the team exist?) are the domain's.

#include "absl/status/status.h"
#include "carebridge/referral/v1/referral.pb.h"

namespace carebridge::referral {

absl::Status ValidateCreate(const v1::CreateReferralRequest& request);
absl::Status ValidateGet(const v1::GetReferralRequest& request);
absl::Status ValidateList(const v1::ListReferralsRequest& request);
absl::Status ValidateAcknowledge(const v1::AcknowledgeReferralRequest& request);
absl::Status ValidateAccept(const v1::AcceptReferralRequest& request);
absl::Status ValidateDecline(const v1::DeclineReferralRequest& request);
absl::Status ValidateRedirect(const v1::RedirectReferralRequest& request);
absl::Status ValidateWithdraw(const v1::WithdrawReferralRequest& request);
absl::Status ValidateComplete(const v1::CompleteReferralRequest& request);

}  // namespace carebridge::referral

#endif  // CAREBRIDGE_SERVICES_REFERRAL_REFERRAL_VALIDATION_H_

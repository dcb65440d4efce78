#ifndef CAREBRIDGE_SERVICES_REFERRAL_REFERRAL_STATE_H_
#define CAREBRIDGE_SERVICES_REFERRAL_REFERRAL_STATE_H_

// The referral state machine (ARCHITECTURE.md, referral.proto), as a pure
// function so every transition can be tested on its own.

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "carebridge/referral/v1/referral.pb.h"

namespace carebridge::referral {

// What a team does to a referral after it is sent.
enum class ReferralAction {
  kAcknowledge,
  kAccept,
  kDecline,
  kRedirect,
  kWithdraw,
  kComplete,
};

// Every action, for table-driven tests and loops.
inline constexpr ReferralAction kAllReferralActions[] = {
    ReferralAction::kAcknowledge, ReferralAction::kAccept,
    ReferralAction::kDecline,     ReferralAction::kRedirect,
    ReferralAction::kWithdraw,    ReferralAction::kComplete,
};

// Returns the state `action` leads to from `current`, or FAILED_PRECONDITION
// naming `name` and its current state ("referrals/x is ACCEPTED; it cannot be
// declined"). Repeating an action is illegal too.
absl::StatusOr<v1::State> NextState(absl::string_view name, v1::State current,
                                    ReferralAction action);

// "acknowledged", "declined", ...: for error text.
absl::string_view PastParticiple(ReferralAction action);
// "acknowledge", "decline", ...: for permission messages.
absl::string_view Verb(ReferralAction action);
// The history entry an action records.
v1::ReferralEvent::Action EventAction(ReferralAction action);
// True while an answer is still owed (SENT or ACKNOWLEDGED).
bool AwaitsAnswer(v1::State state);

}  // namespace carebridge::referral

#endif  // CAREBRIDGE_SERVICES_REFERRAL_REFERRAL_STATE_H_

#include "services/referral/referral_state.h"

#include "services/referral/errors.h"

namespace carebridge::referral {

using v1::State;

bool AwaitsAnswer(State state) {
  return state == v1::SENT || state == v1::ACKNOWLEDGED;
}

absl::StatusOr<State> NextState(absl::string_view name, State current,
                                ReferralAction action) {
  switch (action) {
    case ReferralAction::kAcknowledge:
      if (current == v1::SENT) return v1::ACKNOWLEDGED;
      break;
    case ReferralAction::kAccept:
      if (AwaitsAnswer(current)) return v1::ACCEPTED;
      break;
    case ReferralAction::kDecline:
      if (AwaitsAnswer(current)) return v1::DECLINED;
      break;
    case ReferralAction::kRedirect:
      if (AwaitsAnswer(current)) return v1::REDIRECTED;
      break;
    case ReferralAction::kWithdraw:
      if (AwaitsAnswer(current)) return v1::WITHDRAWN;
      break;
    case ReferralAction::kComplete:
      if (current == v1::ACCEPTED) return v1::COMPLETED;
      break;
  }
  return errors::IllegalTransition(name, v1::State_Name(current),
                                   PastParticiple(action));
}

absl::string_view PastParticiple(ReferralAction action) {
  switch (action) {
    case ReferralAction::kAcknowledge:
      return "acknowledged";
    case ReferralAction::kAccept:
      return "accepted";
    case ReferralAction::kDecline:
      return "declined";
    case ReferralAction::kRedirect:
      return "redirected";
    case ReferralAction::kWithdraw:
      return "withdrawn";
    case ReferralAction::kComplete:
      return "completed";
  }
  return "changed";
}

absl::string_view Verb(ReferralAction action) {
  switch (action) {
    case ReferralAction::kAcknowledge:
      return "acknowledge";
    case ReferralAction::kAccept:
      return "accept";
    case ReferralAction::kDecline:
      return "decline";
    case ReferralAction::kRedirect:
      return "redirect";
    case ReferralAction::kWithdraw:
      return "withdraw";
    case ReferralAction::kComplete:
      return "complete";
  }
  return "change";
}

v1::ReferralEvent::Action EventAction(ReferralAction action) {
  switch (action) {
    case ReferralAction::kAcknowledge:
      return v1::ReferralEvent::ACKNOWLEDGED;
    case ReferralAction::kAccept:
      return v1::ReferralEvent::ACCEPTED;
    case ReferralAction::kDecline:
      return v1::ReferralEvent::DECLINED;
    case ReferralAction::kRedirect:
      return v1::ReferralEvent::REDIRECTED;
    case ReferralAction::kWithdraw:
      return v1::ReferralEvent::WITHDRAWN;
    case ReferralAction::kComplete:
      return v1::ReferralEvent::COMPLETED;
  }
  return v1::ReferralEvent::ACTION_UNSPECIFIED;
}

}  // namespace carebridge::referral

#ifndef CAREBRIDGE_SERVICES_HANDOVER_HANDOVER_STATE_H_
#define CAREBRIDGE_SERVICES_HANDOVER_HANDOVER_STATE_H_

// The handover state machine (handover.proto), as a pure function so every
// transition can be tested on its own.

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "carebridge/handover/v1/handover.pb.h"

namespace carebridge::handover {

// What a team does to a handover after it is created.
enum class HandoverAction {
  // The receiving team takes it on.
  kAccept,
  // The receiving team cannot take it on.
  kDecline,
  // The sending team withdraws it.
  kCancel,
};

// Every action, for table-driven tests and loops.
inline constexpr HandoverAction kAllHandoverActions[] = {
    HandoverAction::kAccept,
    HandoverAction::kDecline,
    HandoverAction::kCancel,
};

// Returns the state `action` leads to from `current`, or FAILED_PRECONDITION
// naming `name` and its current state ("handovers/x is ACCEPTED; it cannot
// be declined"). Every action needs a PENDING handover: answers are final.
absl::StatusOr<v1::State> NextState(absl::string_view name, v1::State current,
                                    HandoverAction action);

// "accepted", "declined", "cancelled": for error text.
absl::string_view PastParticiple(HandoverAction action);
// "accept", "decline", "cancel": for permission messages.
absl::string_view Verb(HandoverAction action);
// `handover.accepted`, ...: the event type an action emits.
absl::string_view EventType(HandoverAction action);
// True while an answer is still owed (PENDING).
bool AwaitsAnswer(v1::State state);

}  // namespace carebridge::handover

#endif  // CAREBRIDGE_SERVICES_HANDOVER_HANDOVER_STATE_H_

#include "services/handover/handover_state.h"

#include "services/handover/errors.h"

namespace carebridge::handover {

bool AwaitsAnswer(v1::State state) { return state == v1::PENDING; }

absl::StatusOr<v1::State> NextState(absl::string_view name, v1::State current,
                                    HandoverAction action) {
  if (AwaitsAnswer(current)) {
    switch (action) {
      case HandoverAction::kAccept:
        return v1::ACCEPTED;
      case HandoverAction::kDecline:
        return v1::DECLINED;
      case HandoverAction::kCancel:
        return v1::CANCELLED;
    }
  }
  return errors::IllegalTransition(name, v1::State_Name(current),
                                   PastParticiple(action));
}

absl::string_view PastParticiple(HandoverAction action) {
  switch (action) {
    case HandoverAction::kAccept:
      return "accepted";
    case HandoverAction::kDecline:
      return "declined";
    case HandoverAction::kCancel:
      return "cancelled";
  }
  return "changed";
}

absl::string_view Verb(HandoverAction action) {
  switch (action) {
    case HandoverAction::kAccept:
      return "accept";
    case HandoverAction::kDecline:
      return "decline";
    case HandoverAction::kCancel:
      return "cancel";
  }
  return "change";
}

absl::string_view EventType(HandoverAction action) {
  switch (action) {
    case HandoverAction::kAccept:
      return "handover.accepted";
    case HandoverAction::kDecline:
      return "handover.declined";
    case HandoverAction::kCancel:
      return "handover.cancelled";
  }
  return "handover.changed";
}

}  // namespace carebridge::handover

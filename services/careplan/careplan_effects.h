#ifndef CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_EFFECTS_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_EFFECTS_H_

// What other services' events do to a care plan: the rules of the care
// plan service's consumers, on a plan in memory (no store, no clock). An
// accepted referral brings the receiving team onto the care team; an
// accepted handover moves the lead (transfer of responsibility) or brings
// the receiving team alongside (shared care). Every rule is idempotent on
// the plan it was applied to: an event whose effect the plan already shows
// changes nothing. That is a second line of defence; the cursor is what
// makes redelivery harmless (a transfer redelivered after the lead was set
// back by hand would otherwise move it again).

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "carebridge/careplan/v1/careplan.pb.h"
#include "carebridge/events/v1/events.pb.h"

namespace carebridge::careplan {

// The roles a team joins with.
inline constexpr char kAcceptedReferralRole[] = "accepted referral";
inline constexpr char kSharedCareRole[] = "shared care";
// A transfer whose lead had moved on: the receiving team joins alongside.
inline constexpr char kAcceptedHandoverRole[] = "accepted handover";

// An accepted referral or handover, as the care plan needs it.
struct AcceptedHandOff {
  enum class Kind {
    kReferral,
    kTransferOfResponsibility,
    kSharedCare,
    kInformationOnly,
  };
  Kind kind = Kind::kReferral;
  // The event, `{feed}/{sequence}` (e.g. `referral/42`), for reasons and
  // logs.
  std::string event_id;
  // `referrals/r1` or `handovers/h1`.
  std::string source;
  // The bare id of the person (`p1`).
  std::string person_id;
  // `teams/{id}`.
  std::string sending_team;
  std::string receiving_team;
};

// `event` as an accepted hand-off: `referral.accepted` with a
// carebridge.referral.v1.Referral payload, `handover.accepted` with a
// carebridge.handover.v1.Handover. nullopt for any other type (the care
// plan does not act on it). INVALID_ARGUMENT when an accepted event's
// payload is missing, of another type, or lacks the person or a team.
absl::StatusOr<std::optional<AcceptedHandOff>> ParseAcceptedEvent(
    const events::v1::Event& event);

// What an accepted hand-off makes of a plan.
struct PlanEffect {
  // False when the plan already shows the hand-off, or it asks nothing of
  // the plan: no new version.
  bool changes = false;
  // When `changes`: the plan with its care team changed, still to be made
  // a version (FinishVersion).
  v1::CarePlan next;
  v1::Change::Kind kind = v1::Change::KIND_UNSPECIFIED;
  // Names the source and the event, e.g. `referral referrals/r1 accepted
  // (event referral/42)`.
  std::string reason;
  // Set when the effect is not what the hand-off asked for (the lead had
  // moved on since the handover was written): worth a log line.
  std::string note;
};

// The effect of `accepted` on `plan`: its current version, or for a person
// without one an empty plan (version 0, `person` set). `now` starts the
// care team entries it adds.
//  * Referral: the receiving team joins (kAcceptedReferralRole), as lead
//    when nobody is involved (CARE_TEAM_CHANGED); no change when it is
//    involved already.
//  * Transfer of responsibility: no change when the receiving team leads
//    already; the lead passes from the sending team when it leads, or goes
//    to the receiving team when nobody is involved (LEAD_CHANGED);
//    otherwise a third team took the lead meanwhile: the lead stays with it,
//    the receiving team joins alongside if not involved (CARE_TEAM_CHANGED)
//    and `note` says so.
//  * Shared care: the receiving team joins (kSharedCareRole) if not
//    involved, as lead when nobody is (CARE_TEAM_CHANGED).
//  * Information only: no change.
absl::StatusOr<PlanEffect> EffectOf(const AcceptedHandOff& accepted,
                                    const v1::CarePlan& plan, absl::Time now);

}  // namespace carebridge::careplan

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_EFFECTS_H_

#include "services/careplan/careplan_effects.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "carebridge/handover/v1/handover.pb.h"
#include "carebridge/referral/v1/referral.pb.h"
#include "services/careplan/care_team.h"
#include "services/common/macros.h"

namespace carebridge::careplan {
namespace {

constexpr char kReferralAccepted[] = "referral.accepted";
constexpr char kHandoverAccepted[] = "handover.accepted";

absl::Status Malformed(const AcceptedHandOff& accepted, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("event ", accepted.event_id, ": ", why));
}

// Fills person and teams from a payload's fields, checking their shape.
absl::Status FillParties(absl::string_view person, absl::string_view sending,
                         absl::string_view receiving,
                         AcceptedHandOff& accepted) {
  absl::string_view person_id = person;
  if (!absl::ConsumePrefix(&person_id, "persons/") || person_id.empty() ||
      absl::StrContains(person_id, '/')) {
    return Malformed(accepted, absl::StrCat("payload.person: \"", person,
                                            "\" is not persons/{id}"));
  }
  for (absl::string_view team : {sending, receiving}) {
    if (!absl::StartsWith(team, "teams/") || team.size() == 6) {
      return Malformed(accepted, absl::StrCat("payload team \"", team,
                                              "\" is not teams/{id}"));
    }
  }
  accepted.person_id = std::string(person_id);
  accepted.sending_team = std::string(sending);
  accepted.receiving_team = std::string(receiving);
  return absl::OkStatus();
}

absl::Status ParseReferral(const events::v1::Event& event,
                           AcceptedHandOff& accepted) {
  referral::v1::Referral referral;
  if (!event.payload().UnpackTo(&referral)) {
    return Malformed(accepted,
                     "payload is not a carebridge.referral.v1.Referral");
  }
  accepted.kind = AcceptedHandOff::Kind::kReferral;
  accepted.source = referral.name();
  return FillParties(referral.person(), referral.sending_team(),
                     referral.receiving_team(), accepted);
}

absl::Status ParseHandover(const events::v1::Event& event,
                           AcceptedHandOff& accepted) {
  handover::v1::Handover handover;
  if (!event.payload().UnpackTo(&handover)) {
    return Malformed(accepted,
                     "payload is not a carebridge.handover.v1.Handover");
  }
  switch (handover.kind()) {
    case handover::v1::TRANSFER_OF_RESPONSIBILITY:
      accepted.kind = AcceptedHandOff::Kind::kTransferOfResponsibility;
      break;
    case handover::v1::SHARED_CARE:
      accepted.kind = AcceptedHandOff::Kind::kSharedCare;
      break;
    case handover::v1::INFORMATION_ONLY:
      accepted.kind = AcceptedHandOff::Kind::kInformationOnly;
      break;
    default:
      return Malformed(accepted, "payload.kind: must be set");
  }
  accepted.source = handover.name();
  return FillParties(handover.person(), handover.sending_team(),
                     handover.receiving_team(), accepted);
}

std::string Reason(const AcceptedHandOff& accepted) {
  const char* what = accepted.kind == AcceptedHandOff::Kind::kReferral
                         ? "referral"
                         : "handover";
  return absl::StrCat(what, " ", accepted.source, " accepted (event ",
                      accepted.event_id, ")");
}

// The effect of joining: `team` is added with `role` (as lead when nobody
// is involved) unless it is involved already.
absl::StatusOr<PlanEffect> Join(const AcceptedHandOff& accepted,
                                const v1::CarePlan& plan,
                                absl::string_view role, absl::Time now) {
  PlanEffect effect;
  if (IsInvolved(plan, accepted.receiving_team)) return effect;
  effect.next = plan;
  RETURN_IF_ERROR(AddTeam(effect.next, accepted.receiving_team, role, now));
  // A care team that did not send the referral or handover is shown the
  // join, as is the person, until one of them reviews it.
  // A sender whose own join is not reviewed yet is outside it too: a team
  // let in from outside cannot bring in more unseen.
  if (AnyoneInvolved(plan) && (!IsInvolved(plan, accepted.sending_team) ||
                               JoinUnreviewed(plan, accepted.sending_team))) {
    RETURN_IF_ERROR(MarkJoinedFromOutside(effect.next, accepted.receiving_team,
                                          accepted.source));
  }
  effect.changes = true;
  effect.kind = v1::Change::CARE_TEAM_CHANGED;
  effect.reason = Reason(accepted);
  return effect;
}

absl::StatusOr<PlanEffect> Transfer(const AcceptedHandOff& accepted,
                                    const v1::CarePlan& plan, absl::Time now) {
  const std::string& lead = plan.lead_team();
  if (lead == accepted.receiving_team) return PlanEffect();
  if (lead == accepted.sending_team || lead.empty()) {
    PlanEffect effect;
    effect.next = plan;
    if (lead.empty()) {
      RETURN_IF_ERROR(SetFirstLead(effect.next, accepted.receiving_team,
                                   kDefaultLeadRole, now));
    } else {
      RETURN_IF_ERROR(PassLead(effect.next, lead, accepted.receiving_team,
                               kDefaultLeadRole, now));
    }
    effect.changes = true;
    effect.kind = v1::Change::LEAD_CHANGED;
    effect.reason = Reason(accepted);
    return effect;
  }
  // A third team took the lead after the handover was written: moving it
  // to the receiving team would take it from a team that never handed it
  // over, so the lead stays and the receiving team joins alongside.
  const std::string stayed =
      absl::StrCat("the lead stayed with ", lead,
                   " because it had moved since the handover was written");
  ASSIGN_OR_RETURN(PlanEffect effect,
                   Join(accepted, plan, kAcceptedHandoverRole, now));
  if (effect.changes) {
    effect.reason = absl::StrCat(effect.reason, "; ", stayed);
    effect.note = absl::StrCat(Reason(accepted), ": ", stayed, "; ",
                               accepted.receiving_team, " joined alongside");
  } else {
    effect.note =
        absl::StrCat(Reason(accepted), ": ", stayed, "; ",
                     accepted.receiving_team, " is on the care team already");
  }
  return effect;
}

}  // namespace

absl::StatusOr<std::optional<AcceptedHandOff>> ParseAcceptedEvent(
    const events::v1::Event& event) {
  AcceptedHandOff accepted;
  accepted.event_id = event.id().empty()
                          ? absl::StrCat(event.feed(), "/", event.sequence())
                          : event.id();
  if (event.type() == kReferralAccepted) {
    RETURN_IF_ERROR(ParseReferral(event, accepted));
  } else if (event.type() == kHandoverAccepted) {
    RETURN_IF_ERROR(ParseHandover(event, accepted));
  } else {
    return std::optional<AcceptedHandOff>();
  }
  return std::optional<AcceptedHandOff>(std::move(accepted));
}

absl::StatusOr<PlanEffect> EffectOf(const AcceptedHandOff& accepted,
                                    const v1::CarePlan& plan, absl::Time now) {
  switch (accepted.kind) {
    case AcceptedHandOff::Kind::kReferral:
      return Join(accepted, plan, kAcceptedReferralRole, now);
    case AcceptedHandOff::Kind::kTransferOfResponsibility:
      return Transfer(accepted, plan, now);
    case AcceptedHandOff::Kind::kSharedCare:
      return Join(accepted, plan, kSharedCareRole, now);
    case AcceptedHandOff::Kind::kInformationOnly:
      break;
  }
  return PlanEffect();
}

}  // namespace carebridge::careplan

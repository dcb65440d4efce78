#include "services/careplan/careplan_event_access.h"

#include <memory>

#include "absl/strings/strip.h"
#include "services/careplan/care_team.h"

namespace carebridge::careplan {

bool EventEndedInvolvement(const events::v1::Event& event,
                           absl::string_view team) {
  v1::CarePlan version;
  if (!event.payload().UnpackTo(&version)) return false;
  if (IsInvolved(version, team)) return false;
  bool changed_care_team = false;
  for (int section : version.change().sections()) {
    if (section == v1::CARE_TEAM) changed_care_team = true;
  }
  if (!changed_care_team) return false;
  const google::protobuf::Timestamp& time = version.change().time();
  for (const v1::CareTeamMember& member : version.care_team()) {
    if (member.team() == team && member.has_end_time() &&
        member.end_time().seconds() == time.seconds() &&
        member.end_time().nanos() == time.nanos()) {
      return true;
    }
  }
  return false;
}

absl::StatusOr<policy::EventVisibility> CarePlanEventAccess::VisibilityNow(
    const Principal& caller, const events::v1::Event& event) {
  policy::EventVisibility named = policy::EventVisibilityFor(caller, event);
  if (!caller.is_clinical() || named == policy::EventVisibility::kHidden) {
    return named;
  }
  absl::string_view person_id = event.person();
  if (!absl::ConsumePrefix(&person_id, "persons/")) {
    return policy::EventVisibility::kHidden;
  }
  bool involved_now = false;
  absl::StatusOr<std::shared_ptr<const CurrentPlan>> current =
      store_->GetCurrentShared(person_id);
  if (current.ok()) {
    involved_now = IsInvolved((*current)->plan, caller.team);
  } else if (!absl::IsNotFound(current.status())) {
    return current.status();
  }
  return policy::CarePlanEventVisibility(
      caller, event, involved_now,
      !involved_now && EventEndedInvolvement(event, caller.team));
}

}  // namespace carebridge::careplan

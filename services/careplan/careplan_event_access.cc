#include "services/careplan/careplan_event_access.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "services/careplan/care_team.h"
#include "services/careplan/careplan_events.h"
#include "services/careplan/careplan_sharing.h"
#include "services/common/macros.h"

namespace carebridge::careplan {
namespace {

// The version an event's subject names
// (`persons/{id}/carePlan/versions/{n}`); 0 when it names none.
int64_t VersionOf(const events::v1::Event& event) {
  absl::string_view subject = event.subject();
  const size_t slash = subject.rfind('/');
  int64_t version = 0;
  if (slash == absl::string_view::npos ||
      !absl::SimpleAtoi(subject.substr(slash + 1), &version)) {
    return 0;
  }
  return version;
}

}  // namespace

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
  SharedParts parts;
  std::string lead_team;
  return Decide(caller, event, parts, lead_team);
}

absl::StatusOr<policy::EventVisibility> CarePlanEventAccess::Present(
    const Principal& caller, events::v1::Event& event) {
  SharedParts parts;
  std::string lead_team;
  ASSIGN_OR_RETURN(policy::EventVisibility visibility,
                   Decide(caller, event, parts, lead_team));
  if (visibility == policy::EventVisibility::kMetadataOnly) {
    event.clear_payload();
  }
  if (event.has_payload() && event.type() == kSharingChangedEventType &&
      !ReadsChoicesInFull(caller, event.person(), lead_team)) {
    v1::SharingChoices choices;
    if (!event.payload().UnpackTo(&choices)) {
      event.clear_payload();
    } else {
      OutlineChoices(choices);
      event.mutable_payload()->PackFrom(choices);
    }
  }
  if (visibility != policy::EventVisibility::kHidden &&
      !parts.Has(v1::SHARED_CARE_TEAM)) {
    // Who else is on the care team is itself withheld.
    auto* teams = event.mutable_teams();
    teams->erase(std::remove_if(teams->begin(), teams->end(),
                                [&](const std::string& team) {
                                  return team != caller.team &&
                                         team != lead_team;
                                }),
                 teams->end());
  }
  return visibility;
}

absl::StatusOr<policy::EventVisibility> CarePlanEventAccess::Decide(
    const Principal& caller, const events::v1::Event& event, SharedParts& parts,
    std::string& lead_team) {
  parts = SharedParts::All();
  policy::EventVisibility named = policy::EventVisibilityFor(caller, event);
  if (!caller.is_clinical() || named == policy::EventVisibility::kHidden) {
    return named;
  }
  absl::string_view person_id = event.person();
  if (!absl::ConsumePrefix(&person_id, "persons/")) {
    return policy::EventVisibility::kHidden;
  }
  // A break-glass access or a change of sharing choices carries no plan:
  // the teams it names (the lead team; the care team when the choices
  // changed) receive it while they are on the care team, less what the
  // person's sharing choices keep from them (the choices' rules, the care
  // team).
  if (!IsVersionEvent(event)) {
    // Rare events, with no version to tell how current the cache is: the
    // durable store says who is on the care team now.
    CarePlanStore* const source = durable_ != nullptr ? durable_ : store_;
    absl::StatusOr<std::shared_ptr<const CurrentPlan>> now =
        source->GetCurrentShared(person_id);
    if (!now.ok() && !absl::IsNotFound(now.status())) return now.status();
    if (!now.ok() || !IsInvolved((*now)->plan, caller.team)) {
      return policy::EventVisibility::kHidden;
    }
    lead_team = (*now)->plan.lead_team();
    if (!parts_shown_) return named;
    ASSIGN_OR_RETURN(parts, parts_shown_(caller, (*now)->plan));
    return parts.HasWholePlan() ? named
                                : policy::EventVisibility::kMetadataOnly;
  }
  // The care team now: the current plan. The cache may not have taken in
  // the newest versions yet (a commit wakes the feeds first); then the
  // durable store says, and without one the event's own version is the
  // newest known.
  absl::StatusOr<std::shared_ptr<const CurrentPlan>> current =
      store_->GetCurrentShared(person_id);
  const int64_t event_version = VersionOf(event);
  auto older_than_event = [&] {
    return !current.ok() || (*current)->plan.version() < event_version;
  };
  if ((absl::IsNotFound(current.status()) || older_than_event()) &&
      durable_ != nullptr) {
    current = durable_->GetCurrentShared(person_id);
  }
  if (!current.ok() && !absl::IsNotFound(current.status())) {
    return current.status();
  }
  std::optional<v1::CarePlan> delivered;
  bool involved_now;
  if (!older_than_event()) {
    involved_now = IsInvolved((*current)->plan, caller.team);
  } else {
    delivered.emplace();
    if (!event.payload().UnpackTo(&*delivered)) {
      return policy::EventVisibility::kHidden;
    }
    involved_now = IsInvolved(*delivered, caller.team);
  }
  const policy::EventVisibility visibility = policy::CarePlanEventVisibility(
      caller, event, involved_now,
      !involved_now && EventEndedInvolvement(event, caller.team));
  if (visibility == policy::EventVisibility::kHidden || !parts_shown_) {
    return visibility;
  }
  // A team the person's sharing choices keep from part of the plan gets
  // the event without its payload (the plan): that it changed, who, when.
  const v1::CarePlan& now = older_than_event() ? *delivered : (*current)->plan;
  lead_team = now.lead_team();
  ASSIGN_OR_RETURN(parts, parts_shown_(caller, now));
  return parts.HasWholePlan() ? visibility
                              : policy::EventVisibility::kMetadataOnly;
}

}  // namespace carebridge::careplan

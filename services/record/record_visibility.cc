#include "services/record/record_visibility.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/time_util.h"

namespace carebridge::record {

policy::EventVisibility EntryVisibility(const Principal& caller,
                                        const TimelineRow& row,
                                        bool caller_team_involved_now) {
  if (!policy::RequirePersonAccess(caller, row.person_id, "read the record")
           .ok()) {
    return policy::EventVisibility::kHidden;
  }
  if (caller.is_service()) return policy::EventVisibility::kFull;
  if (row.feed == "directory") return policy::EventVisibility::kFull;
  // The source event as its feed would judge it (without its payload).
  events::v1::Event event;
  event.set_feed(row.feed);
  event.set_type(row.type);
  event.set_person("persons/" + row.person_id);
  for (const std::string& team : row.teams) event.add_teams(team);
  if (row.kind == v1::BREAK_GLASS || row.kind == v1::SHARING_CHOICES) {
    // As the care plan feed tells them: a break-glass access to the lead
    // team it named, while on the care team; a change of sharing choices to
    // the care team, that it happened and who made it, not what the choices
    // say or why (the person's words: GetSharingChoices for the lead team).
    // (The person reads them in the care plan service: their break-glass
    // list and their choices.)
    if (!caller.is_clinical() || !caller_team_involved_now) {
      return policy::EventVisibility::kHidden;
    }
    if (row.kind == v1::SHARING_CHOICES) {
      return policy::EventVisibility::kMetadataOnly;
    }
    return std::find(row.teams.begin(), row.teams.end(), caller.team) !=
                   row.teams.end()
               ? policy::EventVisibility::kFull
               : policy::EventVisibility::kHidden;
  }
  if (row.feed == "careplan") {
    // As the care plan service reads its history (RequireCarePlanRead): a
    // team on the care team now sees every version, also those from before
    // it joined; a team that has left sees only the change that ended its
    // involvement, without its content.
    if (policy::RequireCarePlanRead(caller, event.person(),
                                    caller_team_involved_now)
            .ok()) {
      return policy::EventVisibility::kFull;
    }
    const bool ended_caller =
        std::find(row.ended_teams.begin(), row.ended_teams.end(),
                  caller.team) != row.ended_teams.end();
    return ended_caller ? policy::EventVisibility::kMetadataOnly
                        : policy::EventVisibility::kHidden;
  }
  return policy::EventVisibilityFor(caller, event);
}

namespace {

namespace cp = ::carebridge::careplan::v1;

bool Contains(const std::vector<std::string>& teams, absl::string_view team) {
  return std::find(teams.begin(), teams.end(), team) != teams.end();
}

// Only `team` and `lead_team` of `teams`.
void KeepOnly(absl::string_view team, absl::string_view lead_team,
              std::vector<std::string>& teams) {
  teams.erase(std::remove_if(teams.begin(), teams.end(),
                             [&](const std::string& named) {
                               return named != team && named != lead_team;
                             }),
              teams.end());
}

}  // namespace

policy::EventVisibility ShareEntry(const Principal& caller,
                                   const sharing::SharedParts& parts,
                                   absl::string_view lead_team,
                                   policy::EventVisibility visibility,
                                   TimelineRow& row) {
  if (visibility == policy::EventVisibility::kHidden || !caller.is_clinical() ||
      row.feed != "careplan" || parts.HasWholePlan()) {
    return visibility;
  }
  // Break-glass and sharing changes follow their own rules (EntryVisibility).
  if (row.kind == v1::BREAK_GLASS || row.kind == v1::SHARING_CHOICES) {
    return visibility;
  }
  if (!parts.Has(cp::SHARED_CARE_TEAM)) {
    if (row.kind == v1::CARE_TEAM && row.actor_team != caller.team &&
        row.type != "careplan.lead_changed" &&
        !Contains(row.ended_teams, caller.team)) {
      return policy::EventVisibility::kHidden;
    }
    KeepOnly(caller.team, lead_team, row.teams);
    KeepOnly(caller.team, lead_team, row.ended_teams);
    // A plan change by another team would say that team is on it.
    if (row.actor_team != caller.team && row.actor_team != lead_team) {
      row.actor.clear();
      row.actor_team.clear();
    }
  }
  // Why the plan changed, as the care plan service tells it: when the
  // change touched nothing withheld from the team.
  if (row.sections.has_value() &&
      sharing::ShowsChangeTo(parts, *row.sections)) {
    return visibility;
  }
  return policy::EventVisibility::kMetadataOnly;
}

void ShareSummary(const sharing::SharedParts& parts, absl::string_view team,
                  v1::CareSummary& summary) {
  summary.clear_withheld();
  if (parts.HasWholePlan()) return;
  const std::string lead = summary.lead_team();
  if (!parts.Has(cp::SHARED_CARE_TEAM)) {
    google::protobuf::RepeatedPtrField<v1::CareTeamMember> kept;
    for (v1::CareTeamMember& member : *summary.mutable_care_team()) {
      if (member.team() == team || member.team() == lead) {
        *kept.Add() = std::move(member);
      }
    }
    summary.mutable_care_team()->Swap(&kept);
    // A care plan step by another team would say that team is on it.
    google::protobuf::RepeatedPtrField<v1::LastContact> contacts;
    for (v1::LastContact& contact : *summary.mutable_last_contacts()) {
      if (!absl::StartsWith(contact.type(), "careplan.") ||
          contact.team() == team || contact.team() == lead) {
        *contacts.Add() = std::move(contact);
      }
    }
    summary.mutable_last_contacts()->Swap(&contacts);
  }
  if (!parts.Has(cp::SHARED_REVIEW_DATE)) summary.clear_review_time();
  if (!parts.Has(cp::SHARED_WHAT_HELPS)) summary.clear_has_crisis_plan();
  if (!parts.Has(cp::SHARED_AGREEMENT)) summary.clear_agree_time();
  parts.AppendMissingPlanPartsTo(summary.mutable_withheld());
}

bool TimelineView::Show(
    TimelineRow& row,
    google::protobuf::RepeatedPtrField<v1::TimelineEntry>* entries) const {
  const policy::EventVisibility visibility =
      ShareEntry(caller_, parts_, lead_team_,
                 EntryVisibility(caller_, row, involved_), row);
  if (visibility == policy::EventVisibility::kHidden) return false;
  v1::TimelineEntry* entry = entries->Add();
  entry->set_name(EntryName(row));
  entry->set_kind(row.kind);
  entry->set_type(row.type);
  *entry->mutable_time() = ToProtoTimestamp(row.time);
  entry->set_actor(row.actor);
  entry->set_actor_team(row.actor_team);
  entry->set_resource(row.resource);
  const bool detailed = visibility == policy::EventVisibility::kFull;
  // Without the detail, only what the event's metadata says: a care team
  // change's summary is made from the plan's content (who else joined, who
  // leads now); a sharing change's says only which version, and who.
  entry->set_summary(detailed || row.kind == v1::SHARING_CHOICES ? row.summary
                     : row.kind == v1::CARE_PLAN ? "Care plan changed"
                                                 : "Care team changed");
  for (const std::string& team : row.teams) entry->add_teams(team);
  entry->set_event(absl::StrCat(row.feed, "/", row.sequence));
  entry->set_detailed(detailed);
  if (detailed) entry->set_reason(row.reason);
  return true;
}

bool GapShown(v1::GapKind kind, const sharing::SharedParts& parts) {
  switch (kind) {
    case v1::REVIEW_OVERDUE:
      return parts.Has(cp::SHARED_REVIEW_DATE);
    case v1::PLAN_NOT_AGREED:
      return parts.Has(cp::SHARED_AGREEMENT);
    case v1::NO_CRISIS_PLAN:
      return parts.Has(cp::SHARED_WHAT_HELPS);
    default:
      return true;
  }
}

}  // namespace carebridge::record

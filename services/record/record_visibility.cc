#include "services/record/record_visibility.h"

#include <algorithm>

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

}  // namespace carebridge::record

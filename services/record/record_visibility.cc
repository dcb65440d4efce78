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

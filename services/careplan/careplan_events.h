#ifndef CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_EVENTS_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_EVENTS_H_

// The events of the `careplan` feed: one per version appended.

#include <string>

#include "absl/strings/string_view.h"
#include "carebridge/careplan/v1/careplan.pb.h"
#include "carebridge/events/v1/events.pb.h"

namespace carebridge::careplan {

// `careplan.` and the change kind in lower case: careplan.content_updated,
// careplan.agreement_recorded, careplan.care_team_changed,
// careplan.lead_changed.
std::string VersionEventType(v1::Change::Kind kind);

// The event version `version` of `person_id`'s plan commits with: subject
// the version's name, person `persons/{id}`, teams every team in the
// version's care team (ended or not, each once), actor and time those of
// the change, payload the plan as GetCarePlan presents it (name and etag).
events::v1::Event VersionEvent(absl::string_view person_id,
                               const v1::CarePlan& version);

}  // namespace carebridge::careplan

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_EVENTS_H_

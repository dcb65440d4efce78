#ifndef CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_EVENTS_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_EVENTS_H_

// The events of the `careplan` feed: one per version appended.

#include <string>
#include <vector>

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

// Events about a person's plan that are not versions of it.
inline constexpr char kBreakGlassEventType[] = "careplan.break_glass";
inline constexpr char kBreakGlassReviewedEventType[] =
    "careplan.break_glass_reviewed";
inline constexpr char kSharingChangedEventType[] = "careplan.sharing_changed";

// True when `event` is a version of a plan (VersionEvent), not one of the
// events above.
bool IsVersionEvent(const events::v1::Event& event);

// The event break-glass access number `seq` commits with: subject the
// access's name, teams the lead team (when there is one; the access is the
// member's, not their team's), actor the member, time the start, payload the
// access (named, without the crisis plan).
events::v1::Event BreakGlassEvent(absl::string_view person_id, int64_t seq,
                                  const v1::BreakGlassAccess& access);

// The event the review of access number `seq` commits with: as
// BreakGlassEvent, with actor the reviewer, time the review's, the review
// in the payload, and teams `lead_team`, the lead team when it was
// reviewed (when there is one): the team now answerable for who sees the
// person's plan hears the outcome, not a lead that has handed over since.
events::v1::Event BreakGlassReviewedEvent(absl::string_view person_id,
                                          int64_t seq,
                                          const v1::BreakGlassAccess& access,
                                          absl::string_view lead_team);

// The event a new version of the person's sharing choices commits with:
// subject the choices' name, teams `teams` (the care team then), actor and
// time those of the change, payload the choices (named, without
// `effective`).
events::v1::Event SharingChangedEvent(absl::string_view person_id,
                                      const v1::SharingChoices& choices,
                                      std::vector<std::string> teams);

}  // namespace carebridge::careplan

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_EVENTS_H_

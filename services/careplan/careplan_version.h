#ifndef CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_VERSION_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_VERSION_H_

// How a change becomes a version, and how stored versions are shown.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "carebridge/careplan/v1/careplan.pb.h"
#include "services/common/principal.h"

namespace carebridge::careplan {

// Makes `next` (the changed copy of `current`; `current.version()` is 0 for
// a plan not written yet) the version after `current`: version, change
// {kind, sections, reason, actor}, a stamp per changed section (replacing
// that section's previous one), update_time, create_time for version 1.
// Clears name and etag: stores keep neither.
void FinishVersion(const v1::CarePlan& current, v1::Change::Kind kind,
                   const std::vector<v1::Section>& sections,
                   absl::string_view reason, const Principal& actor,
                   absl::Time now, v1::CarePlan& next);

// The current plan as GetCarePlan shows it: name `.../carePlan` and the
// etag of its version.
v1::CarePlan PresentCurrent(v1::CarePlan plan);

// A version as the version methods show it: name `.../versions/{n}`, no
// etag; BASIC keeps only the history fields (see VersionView).
v1::CarePlan PresentVersion(const v1::CarePlan& plan, v1::VersionView view);

// The person id of a stored plan (`plan.person()` is `persons/{id}`).
std::string PersonIdOf(const v1::CarePlan& plan);

}  // namespace carebridge::careplan

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_VERSION_H_

#ifndef CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_SIZE_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_SIZE_H_

#include <cstddef>

#include "absl/status/status.h"
#include "carebridge/careplan/v1/careplan.pb.h"

namespace carebridge::careplan {

// The most one version of a plan may take serialized, so that its event
// (the version with its envelope) fits within kMaxEventBytes and every feed
// can deliver it. Plans within the per-field limits in plain text stay well
// below it; text made of many multi-byte characters in every field, or a
// care team history of thousands of entries, can reach it.
inline constexpr size_t kMaxPlanBytes = 768 * 1024;

// INVALID_ARGUMENT when `plan` is larger than kMaxPlanBytes, naming the
// largest section: `care_plan.actions: the plan would be 800000 bytes, more
// than the 786432 one version may hold; this section is the largest
// (500000 bytes)`. OK otherwise.
absl::Status CheckPlanSize(const v1::CarePlan& plan);

}  // namespace carebridge::careplan

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_SIZE_H_

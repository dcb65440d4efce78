#ifndef CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_MASK_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_MASK_H_

// UpdateCarePlan's field mask applied to a plan, and the fingerprint that
// tells a retry of an update from a different update with the same
// request_id.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "carebridge/careplan/v1/careplan.pb.h"

namespace carebridge::careplan {

// Replaces the sections `request.update_mask` names in `plan` (the current
// plan, becoming version `new_version`) with those of `request.care_plan`;
// everything else in `plan` is kept. Goals and actions sent without an id
// get `g{new_version}-{k}` / `a{new_version}-{k}` (k = 1, 2, ... in request
// order); an id `plan` does not have is INVALID_ARGUMENT. Unspecified
// statuses become ACTIVE / NOT_STARTED; empty dates and sections are
// cleared, so "empty" has one representation. `request` must have passed
// ValidateUpdate. On error `plan` is unchanged.
absl::Status ApplyUpdate(const v1::UpdateCarePlanRequest& request,
                         int64_t new_version, v1::CarePlan& plan);

// A SHA-256 (hex) over the mask's paths (sorted, each once), the content
// they name exactly as sent, and the reason: the same for a retry of the
// same update, different for any other. Stored, so stable across
// processes. `request` must have passed ValidateUpdate.
absl::StatusOr<std::string> UpdateFingerprint(
    const v1::UpdateCarePlanRequest& request);

}  // namespace carebridge::careplan

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_MASK_H_

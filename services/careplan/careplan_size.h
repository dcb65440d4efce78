#ifndef CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_SIZE_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_SIZE_H_

#include <cstddef>

#include "absl/status/status.h"
#include "carebridge/careplan/v1/careplan.pb.h"
#include "services/common/resource_size.h"

namespace carebridge::careplan {

// The most one version of a plan may take serialized (kMaxResourceBytes:
// its event must fit a feed response). Plans within the per-field limits in
// plain text stay well below it; text made of many multi-byte characters in
// every field, or a care team history of thousands of entries, can reach it.
inline constexpr size_t kMaxPlanBytes = kMaxResourceBytes;

// INVALID_ARGUMENT when `plan` is larger than kMaxPlanBytes, naming the
// largest section (CheckSerializedSize). OK otherwise.
absl::Status CheckPlanSize(const v1::CarePlan& plan);

}  // namespace carebridge::careplan

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_SIZE_H_

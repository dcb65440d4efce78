#ifndef CAREBRIDGE_SERVICES_HANDOVER_HANDOVER_VALIDATION_H_
#define CAREBRIDGE_SERVICES_HANDOVER_HANDOVER_VALIDATION_H_

// Request checks that need nothing but the request: each returns
// INVALID_ARGUMENT naming the field (`handover.situation: must be set`).
// Checks against other resources (does the team exist? is the caller on
// the care team?) and against the handover's kind (a transfer needs a
// read-back) are the domain's.

#include <cstddef>

#include "absl/status/status.h"
#include "carebridge/handover/v1/handover.pb.h"

namespace carebridge::handover {

inline constexpr size_t kMaxActions = 50;
inline constexpr size_t kMaxContingencies = 20;
inline constexpr size_t kMaxActionsTakenOn = 50;
// There are four states; a longer filter can only repeat them.
inline constexpr size_t kMaxStateFilters = 4;

absl::Status ValidateCreate(const v1::CreateHandoverRequest& request);
absl::Status ValidateGet(const v1::GetHandoverRequest& request);
absl::Status ValidateList(const v1::ListHandoversRequest& request);
absl::Status ValidateAccept(const v1::AcceptHandoverRequest& request);
absl::Status ValidateDecline(const v1::DeclineHandoverRequest& request);
absl::Status ValidateCancel(const v1::CancelHandoverRequest& request);

// A read-back as given, when it is given: the limits of its fields. Whether
// one is required (a transfer of responsibility) is the domain's.
absl::Status ValidateReadBack(const v1::ReadBack& read_back);

}  // namespace carebridge::handover

#endif  // CAREBRIDGE_SERVICES_HANDOVER_HANDOVER_VALIDATION_H_

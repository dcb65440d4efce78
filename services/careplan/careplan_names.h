#ifndef CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_NAMES_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_NAMES_H_

// Resource names of care plans and their versions, and etags:
//   persons/{person_id}/carePlan
//   persons/{person_id}/carePlan/versions/{n}     (n >= 1, no leading zero)
//   persons/{person_id}/breakGlassAccesses/{n}    (n >= 1, no leading zero)
// The etag of a plan is its version number in decimal ("7").

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace carebridge::careplan {

std::string PersonName(absl::string_view person_id);
std::string CarePlanName(absl::string_view person_id);
std::string CarePlanVersionName(absl::string_view person_id, int64_t version);
std::string EtagOf(int64_t version);
// `persons/{person_id}/sharingChoices`.
std::string SharingChoicesName(absl::string_view person_id);
// `persons/{person_id}/breakGlassAccesses/{seq}`.
std::string BreakGlassAccessName(absl::string_view person_id, int64_t seq);

// The person id of `persons/{person_id}/carePlan`; INVALID_ARGUMENT naming
// `field` otherwise (`field: must be set` when empty).
absl::StatusOr<std::string> ParseCarePlanName(absl::string_view field,
                                              absl::string_view name);

struct CarePlanVersionRef {
  std::string person_id;
  int64_t version = 0;
};

// Parses `persons/{person_id}/carePlan/versions/{n}`; INVALID_ARGUMENT
// naming `field` otherwise.
absl::StatusOr<CarePlanVersionRef> ParseCarePlanVersionName(
    absl::string_view field, absl::string_view name);

// The person id of `persons/{person_id}/sharingChoices`; INVALID_ARGUMENT
// naming `field` otherwise.
absl::StatusOr<std::string> ParseSharingChoicesName(absl::string_view field,
                                                    absl::string_view name);

struct BreakGlassAccessRef {
  std::string person_id;
  int64_t seq = 0;
};

// Parses `persons/{person_id}/breakGlassAccesses/{n}` (n >= 1, no leading
// zero); INVALID_ARGUMENT naming `field` otherwise.
absl::StatusOr<BreakGlassAccessRef> ParseBreakGlassAccessName(
    absl::string_view field, absl::string_view name);

}  // namespace carebridge::careplan

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_NAMES_H_

#ifndef CAREBRIDGE_SERVICES_DIRECTORY_CARE_RELATIONSHIPS_H_
#define CAREBRIDGE_SERVICES_DIRECTORY_CARE_RELATIONSHIPS_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace carebridge::directory {

// Whether a team has a care relationship with a person now: what decides
// how much of the person its members read (GetPerson). The directory does
// not know care teams, referrals or handovers; the record service does
// (RecordCareRelationships asks it).
class CareRelationships {
 public:
  virtual ~CareRelationships() = default;
  // Whether `team` (`teams/{id}`) is on the care team of `person`
  // (`persons/{id}`) now, or sends or receives a referral or handover about
  // them still awaiting an answer. An error when it cannot be told.
  virtual absl::StatusOr<bool> Related(absl::string_view person,
                                       absl::string_view team) = 0;
};

}  // namespace carebridge::directory

#endif  // CAREBRIDGE_SERVICES_DIRECTORY_CARE_RELATIONSHIPS_H_

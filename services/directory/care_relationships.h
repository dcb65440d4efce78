#ifndef CAREBRIDGE_SERVICES_DIRECTORY_CARE_RELATIONSHIPS_H_
#define CAREBRIDGE_SERVICES_DIRECTORY_CARE_RELATIONSHIPS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace carebridge::directory {

// What the record knows of a person's care now, as far as the directory
// needs it (MergePersons).
struct PersonCare {
  // `teams/{id}` of the team leading the person's care; empty when none.
  std::string lead_team;
  // Whether the person has a care plan.
  bool has_care_plan = false;
  // Referrals and handovers about the person still awaiting an answer
  // (resource names).
  std::vector<std::string> awaiting_answer;
  // Whether anything has happened in the person's care: a team's step
  // about them (a referral answered, say) or an open care gap.
  bool has_history = false;
  // The teams that took a step about the person (`teams/{id}`).
  std::vector<std::string> involved_teams;
};

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
  // The person's lead team, care plan and unanswered referrals and
  // handovers (none of them for a person the record has not seen). An
  // error when it cannot be told.
  virtual absl::StatusOr<PersonCare> Care(absl::string_view person) = 0;
};

}  // namespace carebridge::directory

#endif  // CAREBRIDGE_SERVICES_DIRECTORY_CARE_RELATIONSHIPS_H_

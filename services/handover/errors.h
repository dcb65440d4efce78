#ifndef CAREBRIDGE_SERVICES_HANDOVER_ERRORS_H_
#define CAREBRIDGE_SERVICES_HANDOVER_ERRORS_H_

// Error text of the handover service, in one place so messages stay
// consistent and tests can match them. Field paths use 0-based indexes
// (`handover.actions[0].owning_team`).

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace carebridge::handover::errors {

// NOT_FOUND: `handovers/x not found`.
absl::Status HandoverNotFound(absl::string_view name);
// FAILED_PRECONDITION naming the current state:
// `handovers/x is ACCEPTED; it cannot be declined`.
absl::Status IllegalTransition(absl::string_view name,
                               absl::string_view current_state,
                               absl::string_view past_participle);
// NOT_FOUND naming the field and the missing resource:
// `handover.receiving_team: teams/x not found`.
absl::Status ReferencedNotFound(absl::string_view field,
                                absl::string_view resource_name);
// INVALID_ARGUMENT: a team may not hand over to itself.
absl::Status HandoverToOwnTeam(absl::string_view team);
// INVALID_ARGUMENT: an action owned by a team the directory does not know.
absl::Status OwningTeamNotFound(absl::string_view field,
                                absl::string_view team);
// FAILED_PRECONDITION: the person has no care plan, so nobody is on their
// care team to hand over from.
absl::Status NoCarePlan(absl::string_view team, absl::string_view person);
// FAILED_PRECONDITION: `teams/x is not on the care team of persons/p1`.
absl::Status NotOnCareTeam(absl::string_view team, absl::string_view person);
// FAILED_PRECONDITION: only the lead team hands over responsibility.
absl::Status NotLeadTeam(absl::string_view team, absl::string_view person,
                         absl::string_view lead_team);
// FAILED_PRECONDITION: one transfer of responsibility per person may be
// pending.
// `team`'s own accepted transfer `accepted` (answered at `accepted_time`)
// has not reached the care plan yet, which still shows `team` leading.
absl::Status TransferNotYetApplied(absl::string_view team,
                                   absl::string_view person,
                                   absl::string_view accepted,
                                   absl::string_view receiving_team);
absl::Status TransferPending(absl::string_view person,
                             absl::string_view pending);
// INVALID_ARGUMENT: a care plan version the plan does not have yet.
absl::Status CarePlanVersionAhead(int64_t version, absl::string_view person,
                                  int64_t current_version);
// INVALID_ARGUMENT: accepting a transfer of responsibility needs the
// receiving team's read-back.
absl::Status ReadBackRequired(absl::string_view name);
// ALREADY_EXISTS: the team used `request_id` for `existing`, and this
// request asks for a different handover, so it is not a retry.
absl::Status RequestIdReused(absl::string_view request_id,
                             absl::string_view team,
                             absl::string_view existing);
// INTERNAL: a stored handover could not be decoded.
absl::Status CorruptHandover(absl::string_view id);
// The care plan service could not answer (passes its code through),
// labelled once as the care plan service's.
absl::Status CarePlanFailed(const absl::Status& status);

}  // namespace carebridge::handover::errors

#endif  // CAREBRIDGE_SERVICES_HANDOVER_ERRORS_H_

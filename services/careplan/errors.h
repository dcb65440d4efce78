#ifndef CAREBRIDGE_SERVICES_CAREPLAN_ERRORS_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_ERRORS_H_

// Error text of the care plan service, in one place so messages stay
// consistent and tests can match them. Field paths use 0-based indexes
// (`care_plan.goals[0].description`).

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace carebridge::careplan::errors {

// NOT_FOUND: `persons/p9 not found` (the directory does not know them).
absl::Status PersonNotFound(absl::string_view person);
// NOT_FOUND: the person is registered but nothing was written yet.
absl::Status NoPlanYet(absl::string_view person);
// NOT_FOUND: `persons/p1/carePlan/versions/9 not found`.
absl::Status VersionNotFound(absl::string_view version_name);
// NOT_FOUND: `teams/x not found` (a team named in a care team change).
absl::Status TeamNotFound(absl::string_view team);
// INVALID_ARGUMENT: an action owned by a team the directory does not know.
absl::Status OwningTeamNotFound(absl::string_view field,
                                absl::string_view team);
// ABORTED: the etag is not the current version's (or is missing).
absl::Status StaleEtag(int64_t current_version);
// ABORTED: an etag sent for a plan that was never written.
absl::Status EtagWithoutPlan(absl::string_view person);
// ABORTED: agreement recorded against a version that is not current.
absl::Status AgreementOnOldVersion(int64_t current_version);
// ABORTED: other writers kept changing the plan while a change without an
// etag was being applied, `attempts` times.
absl::Status KeptChanging(absl::string_view plan_name, int attempts);
// ALREADY_EXISTS: the team used `request_id` for another change.
absl::Status RequestIdReused(absl::string_view request_id, int64_t version);
// INVALID_ARGUMENT: an update mask path naming something another method
// changes (`care_team`, ...), with that method.
absl::Status PathHasOwnMethod(int index, absl::string_view path,
                              absl::string_view methods);
// INVALID_ARGUMENT: a mask path naming an output-only field.
absl::Status PathOutputOnly(int index, absl::string_view path);
// INVALID_ARGUMENT: a mask path inside a section replaced as a whole.
absl::Status PathInsideWholeSection(int index, absl::string_view path,
                                    absl::string_view section);
// INVALID_ARGUMENT: `update_mask.paths[1]: unknown path "foo"`.
absl::Status UnknownPath(int index, absl::string_view path);
// INVALID_ARGUMENT: a goal or action id the plan does not have.
absl::Status UnknownItemId(absl::string_view field, absl::string_view plan,
                           absl::string_view kind, absl::string_view id);
// INVALID_ARGUMENT: the same goal or action id twice in one request.
absl::Status DuplicateItemId(absl::string_view field, absl::string_view id);
// INVALID_ARGUMENT: `care_plan.review_date: 2026-02-30 is not a date`.
absl::Status NotADate(absl::string_view field, absl::string_view date,
                      absl::string_view why);
// INVALID_ARGUMENT: a contact method given twice.
absl::Status DuplicateContactMethod(absl::string_view field,
                                    absl::string_view method);
// INVALID_ARGUMENT: `to_version: 2 is before from_version 5`.
absl::Status ToBeforeFrom(int64_t to_version, int64_t from_version);
// The directory could not answer (passes its code through), labelled once
// as the directory's.
absl::Status DirectoryFailed(const absl::Status& status);

}  // namespace carebridge::careplan::errors

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_ERRORS_H_

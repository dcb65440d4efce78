// MergePersons: one person registered twice becomes one record again.

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/call_audit.h"
#include "services/common/event_log.h"
#include "services/common/macros.h"
#include "services/common/policy.h"
#include "services/common/time_util.h"
#include "services/common/validation.h"
#include "services/directory/directory_domain.h"
#include "services/directory/directory_store.h"
#include "services/directory/errors.h"

namespace carebridge::directory {
namespace {

// Whether `duplicate` can be the same person as `kept` at all, by what is
// registered of them: FAILED_PRECONDITION saying why not.
absl::Status CheckOnePerson(const v1::Person& kept,
                            const v1::Person& duplicate) {
  if (!kept.nhs_number().empty() && !duplicate.nhs_number().empty()) {
    return errors::CannotMerge(duplicate.name(), kept.name(),
                               "they have different NHS numbers: two people");
  }
  if (FamilyNameKey(kept.family_name()) !=
          FamilyNameKey(duplicate.family_name()) ||
      !IsPossibleDuplicate(duplicate, kept)) {
    return errors::CannotMerge(
        duplicate.name(), kept.name(),
        "they have different names (a family name, and a given or preferred "
        "name, in common are needed): if one is wrong, correct it first "
        "(UpdatePerson)");
  }
  if (kept.birth_date() != duplicate.birth_date()) {
    return errors::CannotMerge(
        duplicate.name(), kept.name(),
        absl::StrCat("they were born on different dates (", kept.birth_date(),
                     ", ", duplicate.birth_date(),
                     "): if one is wrong, correct it first (UpdatePerson)"));
  }
  if (kept.nhs_number().empty() && !duplicate.nhs_number().empty()) {
    return errors::CannotMerge(
        duplicate.name(), kept.name(),
        absl::StrCat("only the duplicate has an NHS number: keep that one "
                     "(merge ",
                     kept.name(), " into ", duplicate.name(), ")"));
  }
  return absl::OkStatus();
}

// Whether what is in flight about the two lets them become one: the
// duplicate brings history only, never a plan or an unanswered hand-off
// (nothing in flight is re-addressed).
absl::Status CheckNothingInFlight(const v1::Person& kept,
                                  const PersonCare& kept_care,
                                  const v1::Person& duplicate,
                                  const PersonCare& duplicate_care) {
  if (duplicate_care.has_care_plan) {
    return errors::CannotMerge(
        duplicate.name(), kept.name(),
        kept_care.has_care_plan
            ? "both have a care plan, and care plans are not merged"
            : absl::StrCat("the duplicate has the care plan: keep that one "
                           "(merge ",
                           kept.name(), " into ", duplicate.name(), ")"));
  }
  if (!duplicate_care.awaiting_answer.empty()) {
    return errors::CannotMerge(
        duplicate.name(), kept.name(),
        absl::StrCat(absl::StrJoin(duplicate_care.awaiting_answer, ", "),
                     " about the duplicate still await an answer: answer or "
                     "withdraw them first (and send again for ",
                     kept.name(), ")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::Person> DirectoryDomain::MergePersons(
    const Principal& caller, const v1::MergePersonsRequest& request) {
  RETURN_IF_ERROR(
      ParseResourceName("person", request.person(), "persons").status());
  RETURN_IF_ERROR(
      ParseResourceName("duplicate", request.duplicate(), "persons").status());
  if (request.duplicate() == request.person()) {
    return errors::Invalid("duplicate", "must be another person than `person`");
  }
  if (request.duplicate_etag().empty()) {
    return errors::MustBeSet("duplicate_etag");
  }
  RETURN_IF_ERROR(policy::RequireClinical(caller, "MergePersons"));
  ASSIGN_OR_RETURN(v1::Person kept, store_->GetPerson(request.person()));
  ASSIGN_OR_RETURN(v1::Person duplicate,
                   store_->GetPerson(request.duplicate()));
  // Every attempt, refused or not, is an access to both.
  NoteAuditedPersons({kept.name(), duplicate.name()});
  // A retry of a merge made (its answer lost) is answered as before, once
  // the caller is known to lead the kept person's care (below).
  const bool retry = duplicate.merged_into() == kept.name();
  // Anyone reading either is told this already.
  for (const v1::Person* person : {&duplicate, &kept}) {
    if (!person->merged_into().empty() && !(retry && person == &duplicate)) {
      return errors::PersonMerged(person->name(), person->merged_into());
    }
  }

  // The team leading the kept person's care decides, knowing the duplicate
  // too.
  if (relationships_ == nullptr) {
    return absl::UnavailableError(
        "MergePersons: no record service to tell who leads the care of " +
        kept.name());
  }
  absl::StatusOr<PersonCare> kept_care = relationships_->Care(kept.name());
  if (!kept_care.ok()) {
    return absl::UnavailableError(
        absl::StrCat("MergePersons: cannot tell who leads the care of ",
                     kept.name(), ": ", kept_care.status().message()));
  }
  if (kept_care->lead_team != caller.team) {
    return errors::PermissionDenied(absl::StrCat(
        "MergePersons: only the team leading the care of ", kept.name(), " (",
        kept_care->lead_team.empty() ? "nobody leads it" : kept_care->lead_team,
        ") merges a person into them; ", caller.team, " does not"));
  }
  if (retry) return kept;
  absl::StatusOr<bool> related =
      relationships_->Related(duplicate.name(), caller.team);
  if (!related.ok()) {
    return absl::UnavailableError(
        absl::StrCat("MergePersons: cannot tell whether ", caller.team,
                     " has a care relationship with ", duplicate.name(), ": ",
                     related.status().message()));
  }
  absl::StatusOr<PersonCare> duplicate_care =
      relationships_->Care(duplicate.name());
  if (!duplicate_care.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "MergePersons: cannot tell what is in flight about ", duplicate.name(),
        ": ", duplicate_care.status().message()));
  }
  // A duplicate nobody has done anything about yet (registered, never
  // referred) is merged by the lead team on sight.
  const bool untouched =
      duplicate_care->lead_team.empty() && !duplicate_care->has_care_plan &&
      duplicate_care->awaiting_answer.empty() && !duplicate_care->has_history;
  // A team that took a step about the duplicate (answered its referral,
  // say) knows them too.
  const bool involved =
      std::find(duplicate_care->involved_teams.begin(),
                duplicate_care->involved_teams.end(),
                caller.team) != duplicate_care->involved_teams.end();
  if (!*related && !involved && !untouched) {
    return errors::PermissionDenied(absl::StrCat(
        "MergePersons: ", caller.team, " has no care relationship with ",
        duplicate.name(),
        " (on their care team, sending or receiving a referral or handover "
        "about them, or having taken a step about them)"));
  }

  if (duplicate.etag() != request.duplicate_etag()) {
    return errors::StaleEtag(duplicate.name());
  }
  RETURN_IF_ERROR(CheckOnePerson(kept, duplicate));
  RETURN_IF_ERROR(
      CheckNothingInFlight(kept, *kept_care, duplicate, *duplicate_care));

  const absl::Time now = clock_->Now();
  duplicate.set_merged_into(kept.name());
  *duplicate.mutable_merge_time() = ToProtoTimestamp(now);
  *duplicate.mutable_update_time() = ToProtoTimestamp(now);
  duplicate.set_etag(ids_->NewId());
  std::vector<std::string> teams;
  if (!caller.team.empty()) teams.push_back(caller.team);
  RETURN_IF_ERROR(store_->MergePerson(
      duplicate, request.duplicate_etag(),
      MakeEvent("person.merged", duplicate.name(), duplicate.name(), teams,
                caller.subject, now, duplicate)));
  return kept;
}

}  // namespace carebridge::directory

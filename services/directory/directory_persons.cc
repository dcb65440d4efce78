// DirectoryDomain's persons: registering, reading (the minimum needed to
// refer outside a care relationship), correcting and finding them. Ending a
// person's own tokens is in person_tokens.cc.

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/call_audit.h"
#include "services/common/event_log.h"
#include "services/common/log.h"
#include "services/common/macros.h"
#include "services/common/policy.h"
#include "services/common/time_util.h"
#include "services/common/validation.h"
#include "services/directory/create_key.h"
#include "services/directory/directory_domain.h"
#include "services/directory/directory_validation.h"
#include "services/directory/errors.h"
#include "services/directory/nhs_number.h"

namespace carebridge::directory {
namespace {

// The minimum needed to refer: the name, given and family name and birth
// date (with the etag and any merge); no local identifiers, no preferred
// name, and the NHS number only when `with_nhs_number`.
v1::Person MinimalPerson(const v1::Person& person, bool with_nhs_number) {
  v1::Person minimal;
  minimal.set_name(person.name());
  minimal.set_given_name(person.given_name());
  minimal.set_family_name(person.family_name());
  minimal.set_birth_date(person.birth_date());
  if (with_nhs_number) minimal.set_nhs_number(person.nhs_number());
  // Which version was read (to merge a duplicate nobody else cares for),
  // and which record to use instead, are never withheld.
  minimal.set_etag(person.etag());
  minimal.set_merged_into(person.merged_into());
  if (person.has_merge_time()) {
    *minimal.mutable_merge_time() = person.merge_time();
  }
  return minimal;
}

// The teams a person's creation concerns: the registering team, when the
// caller belongs to one.
std::vector<std::string> CreatingTeams(const Principal& caller) {
  if (caller.team.empty()) return {};
  return {caller.team};
}

}  // namespace

absl::StatusOr<v1::Person> DirectoryDomain::CreatePerson(
    const Principal& caller, const v1::CreatePersonRequest& request) {
  RETURN_IF_ERROR(policy::RequireClinical(caller, "CreatePerson"));
  if (!request.has_person()) return errors::MustBeSet("person");
  RETURN_IF_ERROR(CheckRequestId("request_id", request.request_id()));
  v1::Person person = request.person();
  const absl::Time now = clock_->Now();
  RETURN_IF_ERROR(ValidateAndNormalizePerson(&person, now));
  person.clear_tokens_valid_after();  // output only
  person.clear_tokens_valid_after_reason();
  person.set_name(absl::StrCat("persons/", ids_->NewId()));
  *person.mutable_create_time() = ToProtoTimestamp(now);
  *person.mutable_update_time() = ToProtoTimestamp(now);
  person.set_etag(ids_->NewId());
  ASSIGN_OR_RETURN(IdempotencyKey key,
                   CreateKeyFor(caller, "CreatePerson", request.request_id(),
                                request.person()));
  std::vector<v1::Person> possible_duplicates;
  absl::StatusOr<v1::Person> created = store_->CreatePerson(
      person, key,
      MakeEvent("person.created", person.name(), person.name(),
                CreatingTeams(caller), caller.subject, now, person),
      request.allow_possible_duplicate() ? nullptr : &possible_duplicates);
  if (!possible_duplicates.empty()) {
    // The caller is shown who they may be: a lookup, counted as
    // FindPersons counts them (no walking the register by registering),
    // and an access to each.
    RETURN_IF_ERROR(lookups_.Admit(caller.subject));
    std::vector<std::string> shown;
    for (const v1::Person& match : possible_duplicates) {
      shown.push_back(match.name());
    }
    NoteAuditedPersons(shown);
    return errors::PossibleDuplicates(possible_duplicates);
  }
  return created;
}

absl::StatusOr<v1::Person> DirectoryDomain::GetPerson(
    const Principal& caller, const v1::GetPersonRequest& request,
    RemoteCalls remote) {
  RETURN_IF_ERROR(
      ParseResourceName("name", request.name(), "persons").status());
  // Policy before the lookup: a refused caller cannot probe which persons
  // exist.
  RETURN_IF_ERROR(
      policy::RequirePersonAccess(caller, request.name(), "GetPerson"));
  ASSIGN_OR_RETURN(v1::Person person, store_->GetPerson(request.name()));
  if (caller.is_service()) return person;
  // Clinical staff (RequirePersonAccess lets no one else by).
  if (relationships_ != nullptr && remote == RemoteCalls::kDeferred) {
    return RemoteCallDeferred();
  }
  // A person merged into another is cared for under the one kept.
  const std::string& cared_for =
      person.merged_into().empty() ? person.name() : person.merged_into();
  absl::StatusOr<bool> related =
      relationships_ == nullptr
          ? absl::StatusOr<bool>(false)
          : relationships_->Related(cared_for, caller.team);
  if (!related.ok()) {
    LogLine(absl::StrCat("directory: GetPerson ", person.name(), " for ",
                         caller.team,
                         " gives the minimum: no care relationship could be "
                         "told: ",
                         related.status().ToString()));
  }
  if (related.ok() && *related) return person;
  return MinimalPerson(person, /*with_nhs_number=*/false);
}

absl::StatusOr<v1::Person> DirectoryDomain::UpdatePerson(
    const Principal& caller, const v1::UpdatePersonRequest& request) {
  if (!request.has_person()) return errors::MustBeSet("person");
  const std::string& name = request.person().name();
  RETURN_IF_ERROR(ParseResourceName("person.name", name, "persons").status());
  RETURN_IF_ERROR(CheckPersonUpdateMask(request.update_mask()));
  const std::string& etag =
      request.etag().empty() ? request.person().etag() : request.etag();
  if (etag.empty()) return errors::MustBeSet("etag");
  RETURN_IF_ERROR(policy::RequireClinical(caller, "UpdatePerson"));
  ASSIGN_OR_RETURN(v1::Person person, store_->GetPerson(name));
  if (!person.merged_into().empty()) {
    return errors::PersonMerged(name, person.merged_into());
  }
  // Only a team caring for the person now corrects their details (asked
  // before the etag, which tells others nothing).
  absl::StatusOr<bool> related =
      relationships_ == nullptr
          ? absl::StatusOr<bool>(false)
          : relationships_->Related(person.name(), caller.team);
  if (!related.ok()) {
    return absl::UnavailableError(
        absl::StrCat("UpdatePerson: cannot tell whether ", caller.team,
                     " has a care relationship with ", name, ": ",
                     related.status().message()));
  }
  if (!*related) {
    return errors::PermissionDenied(absl::StrCat(
        "UpdatePerson: only a team with a care relationship with ", name,
        " (on their care team, or sending or receiving a referral or "
        "handover about them) corrects their details; ",
        caller.team, " has none"));
  }
  if (person.etag() != etag) return errors::StaleEtag(name);
  const std::string read_etag = person.etag();
  ApplyPersonUpdate(request.update_mask(), request.person(), &person);
  const absl::Time now = clock_->Now();
  RETURN_IF_ERROR(ValidateAndNormalizePerson(&person, now));
  *person.mutable_update_time() = ToProtoTimestamp(now);
  person.set_etag(ids_->NewId());
  RETURN_IF_ERROR(store_->ReplacePerson(
      person, read_etag,
      MakeEvent("person.updated", person.name(), person.name(),
                CreatingTeams(caller), caller.subject, now, person)));
  return person;
}

absl::StatusOr<v1::FindPersonsResponse> DirectoryDomain::FindPersons(
    const Principal& caller, const v1::FindPersonsRequest& request) {
  RETURN_IF_ERROR(
      policy::RequirePersonAccess(caller, "any person", "FindPersons"));
  const bool by_nhs_number = !request.nhs_number().empty();
  const bool by_name =
      !request.family_name().empty() || !request.birth_date().empty();
  if (by_nhs_number && by_name) return errors::TwoSearchesGiven();
  if (!by_nhs_number && !by_name) return errors::NoSearchGiven();

  std::string nhs_number;
  if (by_nhs_number) {
    ASSIGN_OR_RETURN(nhs_number,
                     NormalizeNhsNumber("nhs_number", request.nhs_number()));
  } else {
    RETURN_IF_ERROR(
        CheckRequiredText("family_name", request.family_name(), kMaxNameChars));
    if (request.birth_date().empty()) return errors::MustBeSet("birth_date");
    RETURN_IF_ERROR(ParseDate("birth_date", request.birth_date()).status());
  }
  // Counted once the request is well formed, before anything is read.
  if (!caller.is_service()) RETURN_IF_ERROR(lookups_.Admit(caller.subject));
  std::vector<v1::Person> persons;
  if (by_nhs_number) {
    ASSIGN_OR_RETURN(persons, store_->FindPersonsByNhsNumber(nhs_number));
  } else {
    ASSIGN_OR_RETURN(persons, store_->FindPersonsByNameAndBirth(
                                  FamilyNameKey(request.family_name()),
                                  request.birth_date(), kMaxFindResults));
  }
  // An access to each person found: audited under each.
  std::vector<std::string> found;
  found.reserve(persons.size());
  for (const v1::Person& person : persons) found.push_back(person.name());
  NoteAuditedPersons(found);
  v1::FindPersonsResponse response;
  for (v1::Person& person : persons) {
    if (caller.is_service()) {
      *response.add_persons() = std::move(person);
      continue;
    }
    // No NHS number the caller did not already have.
    *response.add_persons() = MinimalPerson(person, by_nhs_number);
  }
  return response;
}

}  // namespace carebridge::directory

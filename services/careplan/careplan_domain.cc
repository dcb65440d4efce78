// CarePlanDomain: the writes. Reads are in careplan_domain_reads.cc.

#include "services/careplan/careplan_domain.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/careplan/care_team.h"
#include "services/careplan/careplan_diff.h"
#include "services/careplan/careplan_mask.h"
#include "services/careplan/careplan_names.h"
#include "services/careplan/careplan_validation.h"
#include "services/careplan/careplan_version.h"
#include "services/careplan/errors.h"
#include "services/common/errors.h"
#include "services/common/macros.h"
#include "services/common/policy.h"
#include "services/common/time_util.h"

namespace carebridge::careplan {
namespace {

// A write that lost a race is run again on a fresh read; this many times at
// most, then the conflict is the caller's.
constexpr int kMaxAttempts = 5;

bool IsContentSection(v1::Section section) {
  switch (section) {
    case v1::GOALS:
    case v1::ACTIONS:
    case v1::CRISIS_PLAN:
    case v1::COMMUNICATION_PREFERENCES:
    case v1::REVIEW_DATE:
      return true;
    default:
      return false;
  }
}

std::vector<v1::Section> ContentChanges(const v1::CarePlan& from,
                                        const v1::CarePlan& to) {
  std::vector<v1::Section> sections;
  for (v1::Section section : ChangedSections(from, to)) {
    if (IsContentSection(section)) sections.push_back(section);
  }
  return sections;
}

// Etags are required when the plan exists and must be absent when it does
// not (`required`, UpdateCarePlan), or optional and checked when given.
absl::Status CheckEtag(const v1::CarePlan& plan, bool exists,
                       absl::string_view etag, bool required) {
  if (!exists) {
    if (etag.empty()) return absl::OkStatus();
    return errors::EtagWithoutPlan(plan.person());
  }
  if (etag.empty() && !required) return absl::OkStatus();
  if (etag != EtagOf(plan.version())) return errors::StaleEtag(plan.version());
  return absl::OkStatus();
}

// A content write to a plan nobody is involved in: the writer's team joins
// as lead in the same version. Returns whether it joined.
absl::StatusOr<bool> JoinAsLeadIfNobodyIs(const Principal& caller,
                                          absl::Time now, v1::CarePlan& plan) {
  if (AnyoneInvolved(plan)) return false;
  RETURN_IF_ERROR(SetFirstLead(plan, caller.team, kDefaultLeadRole, now));
  return true;
}

// True when `plan`'s newest version is the agreement `request` asks for,
// recorded by `caller`, on the version before it.
bool IsSameAgreement(const v1::CarePlan& plan,
                     const v1::RecordAgreementRequest& request,
                     const Principal& caller) {
  const v1::Agreement& agreement = plan.agreement();
  return plan.version() == request.version() + 1 &&
         plan.change().kind() == v1::Change::AGREEMENT_RECORDED &&
         plan.agreed() &&
         agreement.agreed_version() ==
             CarePlanVersionName(PersonIdOf(plan), request.version()) &&
         agreement.recorded_by() == caller.subject &&
         agreement.person_comment() == request.person_comment();
}

}  // namespace

absl::StatusOr<CarePlanDomain::Loaded> CarePlanDomain::LoadForWrite(
    absl::string_view person_id) {
  Loaded loaded;
  absl::StatusOr<v1::CarePlan> current = store_->GetCurrent(person_id);
  if (current.ok()) {
    loaded.plan = *std::move(current);
    loaded.exists = true;
    return loaded;
  }
  if (!absl::IsNotFound(current.status())) return current.status();
  const std::string person = PersonName(person_id);
  absl::Status known = directory_->CheckPersonExists(person);
  if (absl::IsNotFound(known)) return errors::PersonNotFound(person);
  // Merged into another person: the message says which to use.
  if (absl::IsFailedPrecondition(known)) return known;
  if (!known.ok()) return errors::DirectoryFailed(known);
  loaded.plan.set_person(person);
  return loaded;
}

absl::StatusOr<std::optional<v1::CarePlan>> CarePlanDomain::AnswerRetry(
    absl::string_view person_id, const PlanRequestKey& request) {
  ASSIGN_OR_RETURN(
      std::optional<PlanRequestRecord> record,
      store_->FindRequest(person_id, request.team, request.request_id));
  if (!record.has_value()) return std::optional<v1::CarePlan>();
  if (record->fingerprint != request.fingerprint) {
    return errors::RequestIdReused(request.request_id, record->version);
  }
  ASSIGN_OR_RETURN(v1::CarePlan made,
                   store_->GetVersion(person_id, record->version));
  return std::optional<v1::CarePlan>(PresentCurrent(std::move(made)));
}

absl::Status CarePlanDomain::CheckTeamExists(absl::string_view team) {
  absl::Status found = directory_->GetTeam(team).status();
  if (absl::IsNotFound(found)) return errors::TeamNotFound(team);
  if (!found.ok()) return errors::DirectoryFailed(found);
  return absl::OkStatus();
}

absl::Status CarePlanDomain::CheckOwningTeams(
    const v1::UpdateCarePlanRequest& request) {
  ASSIGN_OR_RETURN(UpdateMask mask, ParseUpdateMask(request.update_mask()));
  if (!mask.actions) return absl::OkStatus();
  std::set<std::string> checked;
  const auto& actions = request.care_plan().actions();
  for (int i = 0; i < actions.size(); ++i) {
    const std::string& team = actions[i].owning_team();
    if (!checked.insert(team).second) continue;
    absl::Status found = directory_->GetTeam(team).status();
    if (absl::IsNotFound(found)) {
      return errors::OwningTeamNotFound(
          absl::StrCat("care_plan.actions[", i, "].owning_team"), team);
    }
    if (!found.ok()) return errors::DirectoryFailed(found);
  }
  return absl::OkStatus();
}

void CarePlanDomain::StampSectors(v1::CarePlan& next) {
  for (v1::CareTeamMember& member : *next.mutable_care_team()) {
    if (member.has_end_time()) continue;
    absl::StatusOr<directory_client::TeamInfo> team =
        directory_->GetTeam(member.team());
    if (team.ok()) {
      member.set_sector(team->sector);
    } else if (!absl::IsNotFound(team.status())) {
      // The directory is not answering: the others keep their stamps too,
      // rather than the write waiting out a timeout for each team.
      return;
    }
  }
}

absl::StatusOr<v1::CarePlan> CarePlanDomain::Write(
    const Principal& caller, absl::string_view person_id,
    const PlanRequestKey* request, Build build) {
  // What the caller is shown is decided before anything is committed (a
  // directory outage then fails the call, never a write already made), on
  // the plan as it stands after the call: a write may make the caller lead,
  // and an answered retry is judged on today's plan, not the old version's.
  for (int attempt = 1;; ++attempt) {
    ASSIGN_OR_RETURN(Loaded loaded, LoadForWrite(person_id));
    if (request != nullptr && attempt > 1) {
      // The race lost may have been to a concurrent retry of this request.
      ASSIGN_OR_RETURN(std::optional<v1::CarePlan> made,
                       AnswerRetry(person_id, *request));
      if (made.has_value())
        return ShownTo(caller, loaded.plan, *std::move(made),
                       RemoteCalls::kAllowed);
    }
    const absl::Time now = clock_->Now();
    Draft draft;
    draft.next = loaded.plan;
    RETURN_IF_ERROR(build(loaded, now, draft));
    if (draft.answer.has_value()) {
      return ShownTo(caller, loaded.plan, *std::move(draft.answer),
                     RemoteCalls::kAllowed);
    }
    FinishVersion(loaded.plan, draft.kind, draft.sections, draft.reason, caller,
                  now, draft.next);
    StampSectors(draft.next);
    ASSIGN_OR_RETURN(SharedParts parts,
                     PartsShownTo(caller, draft.next, RemoteCalls::kAllowed));
    NoteSectionsShown(parts);
    absl::Status appended = store_->Append(person_id, draft.next, request);
    if (appended.ok()) {
      v1::CarePlan shown = PresentCurrent(std::move(draft.next));
      Withhold(parts, caller.team, shown);
      return shown;
    }
    const bool raced = absl::IsAborted(appended) ||
                       (request != nullptr && absl::IsAlreadyExists(appended));
    if (!raced) return appended;
    if (attempt == kMaxAttempts) {
      if (request != nullptr) {
        // The last race lost may still have been to a retry of this one.
        ASSIGN_OR_RETURN(Loaded latest, LoadForWrite(person_id));
        ASSIGN_OR_RETURN(std::optional<v1::CarePlan> made,
                         AnswerRetry(person_id, *request));
        if (made.has_value()) {
          return ShownTo(caller, latest.plan, *std::move(made),
                         RemoteCalls::kAllowed);
        }
      }
      return errors::KeptChanging(CarePlanName(person_id), attempt);
    }
  }
}

absl::StatusOr<v1::CarePlan> CarePlanDomain::UpdateCarePlan(
    const Principal& caller, const v1::UpdateCarePlanRequest& request) {
  RETURN_IF_ERROR(ValidateUpdate(request));
  RETURN_IF_ERROR(policy::RequireCarePlanRole(caller, /*services_may=*/false,
                                              "UpdateCarePlan"));
  ASSIGN_OR_RETURN(
      std::string person_id,
      ParseCarePlanName("care_plan.name", request.care_plan().name()));
  std::optional<PlanRequestKey> key;
  if (!request.request_id().empty()) {
    key.emplace();
    key->team = caller.team;
    key->request_id = request.request_id();
    ASSIGN_OR_RETURN(key->fingerprint, UpdateFingerprint(request));
  }
  return Write(
      caller, person_id, key.has_value() ? &*key : nullptr,
      [&](const Loaded& loaded, absl::Time now, Draft& draft) -> absl::Status {
        const v1::CarePlan& plan = loaded.plan;
        RETURN_IF_ERROR(policy::RequireCarePlanWrite(
            caller, plan.person(), IsInvolved(plan, caller.team),
            AnyoneInvolved(plan)));
        // Before the etag: a retry carries the etag its first attempt
        // made stale.
        if (key.has_value()) {
          ASSIGN_OR_RETURN(draft.answer, AnswerRetry(person_id, *key));
          if (draft.answer.has_value()) return absl::OkStatus();
        }
        RETURN_IF_ERROR(CheckEtag(plan, loaded.exists, request.etag(),
                                  /*required=*/true));
        // A team may not change what the person does not share with it (a
        // team not involved got here only by joining as lead).
        SharedParts shared = SharedParts::All();
        if (IsInvolved(plan, caller.team)) {
          ASSIGN_OR_RETURN(shared,
                           PartsShownTo(caller, plan, RemoteCalls::kAllowed));
        }
        if (!shared.HasWholePlan()) {
          ASSIGN_OR_RETURN(UpdateMask mask,
                           ParseUpdateMask(request.update_mask()));
          RETURN_IF_ERROR(RequireSharedForWrite(shared, caller.team, mask));
        }
        RETURN_IF_ERROR(ApplyUpdate(request, plan.version() + 1, draft.next));
        ASSIGN_OR_RETURN(bool joined,
                         JoinAsLeadIfNobodyIs(caller, now, draft.next));
        RETURN_IF_ERROR(CheckOwningTeams(request));
        draft.sections = ContentChanges(plan, draft.next);
        if (draft.sections.empty() && !joined) {
          draft.answer = PresentCurrent(plan);
          return absl::OkStatus();
        }
        if (!draft.sections.empty()) draft.next.set_agreed(false);
        if (joined) draft.sections.push_back(v1::CARE_TEAM);
        draft.kind = v1::Change::CONTENT_UPDATED;
        draft.reason = request.reason();
        return absl::OkStatus();
      });
}

absl::StatusOr<v1::CarePlan> CarePlanDomain::RecordAgreement(
    const Principal& caller, const v1::RecordAgreementRequest& request) {
  RETURN_IF_ERROR(ValidateRecordAgreement(request));
  RETURN_IF_ERROR(policy::RequireCarePlanRole(caller, /*services_may=*/false,
                                              "RecordAgreement",
                                              /*persons_may=*/true));
  ASSIGN_OR_RETURN(std::string person_id,
                   ParseCarePlanName("name", request.name()));
  return Write(
      caller, person_id, /*request=*/nullptr,
      [&](const Loaded& loaded, absl::Time now, Draft& draft) -> absl::Status {
        const v1::CarePlan& plan = loaded.plan;
        // There is nothing to agree to before the first write.
        if (caller.is_person()) {
          // The person records their own agreement, in their own words.
          RETURN_IF_ERROR(policy::RequireOwnRecord(caller, plan.person(),
                                                   "RecordAgreement"));
        }
        if (!loaded.exists) return errors::NoPlanYet(plan.person());
        if (!caller.is_person()) {
          RETURN_IF_ERROR(policy::RequireCarePlanWrite(
              caller, plan.person(), IsInvolved(plan, caller.team),
              AnyoneInvolved(plan)));
        }
        if (IsSameAgreement(plan, request, caller)) {
          // A retry whose first attempt was recorded but whose answer was
          // lost: that agreement is what the caller asked for.
          draft.answer = PresentCurrent(plan);
          return absl::OkStatus();
        }
        if (request.version() != plan.version()) {
          return errors::AgreementOnOldVersion(plan.version());
        }
        // A team recording it joins as lead when nobody leads; the person
        // joins nothing.
        bool joined = false;
        if (!caller.is_person()) {
          ASSIGN_OR_RETURN(joined,
                           JoinAsLeadIfNobodyIs(caller, now, draft.next));
        }
        v1::Agreement* agreement = draft.next.mutable_agreement();
        agreement->set_agreed_version(
            CarePlanVersionName(person_id, plan.version()));
        *agreement->mutable_agree_time() = ToProtoTimestamp(now);
        agreement->set_recorded_by(caller.subject);
        agreement->set_recorded_by_team(caller.team);
        agreement->set_person_comment(request.person_comment());
        draft.next.set_agreed(true);
        if (joined) draft.sections.push_back(v1::CARE_TEAM);
        draft.sections.push_back(v1::AGREEMENT);
        draft.kind = v1::Change::AGREEMENT_RECORDED;
        return absl::OkStatus();
      });
}

absl::StatusOr<v1::CarePlan> CarePlanDomain::AddCareTeamMember(
    const Principal& caller, const v1::AddCareTeamMemberRequest& request) {
  RETURN_IF_ERROR(ValidateAddCareTeamMember(request));
  RETURN_IF_ERROR(policy::RequireCarePlanRole(caller, /*services_may=*/true,
                                              "AddCareTeamMember"));
  ASSIGN_OR_RETURN(std::string person_id,
                   ParseCarePlanName("name", request.name()));
  return Write(
      caller, person_id, /*request=*/nullptr,
      [&](const Loaded& loaded, absl::Time now, Draft& draft) -> absl::Status {
        const v1::CarePlan& plan = loaded.plan;
        RETURN_IF_ERROR(policy::RequireCareTeamAdd(
            caller, plan.person(), request.team(),
            IsInvolved(plan, caller.team), AnyoneInvolved(plan)));
        RETURN_IF_ERROR(CheckEtag(plan, loaded.exists, request.etag(),
                                  /*required=*/false));
        if (caller.is_clinical() && JoinUnreviewed(plan, caller.team)) {
          return absl::FailedPreconditionError(absl::StrCat(
              caller.team, " joined ", plan.person(),
              "'s care team from outside it and its join is not reviewed "
              "yet: it may add no team until the lead team or the person "
              "reviews it"));
        }
        RETURN_IF_ERROR(
            AddTeam(draft.next, request.team(), request.role(), now));
        RETURN_IF_ERROR(CheckTeamExists(request.team()));
        draft.CareTeamChange(v1::Change::CARE_TEAM_CHANGED, request.reason());
        return absl::OkStatus();
      });
}

absl::StatusOr<v1::CarePlan> CarePlanDomain::EndCareTeamInvolvement(
    const Principal& caller, const v1::EndCareTeamInvolvementRequest& request) {
  RETURN_IF_ERROR(ValidateEndCareTeamInvolvement(request));
  RETURN_IF_ERROR(policy::RequireCarePlanRole(caller, /*services_may=*/true,
                                              "EndCareTeamInvolvement",
                                              /*persons_may=*/true));
  ASSIGN_OR_RETURN(std::string person_id,
                   ParseCarePlanName("name", request.name()));
  // A person learns nothing of another person's plan, not even whether
  // there is one.
  if (caller.is_person()) {
    RETURN_IF_ERROR(policy::RequireOwnRecord(caller, PersonName(person_id),
                                             "EndCareTeamInvolvement"));
  }
  return Write(
      caller, person_id, /*request=*/nullptr,
      [&](const Loaded& loaded, absl::Time now, Draft& draft) -> absl::Status {
        const v1::CarePlan& plan = loaded.plan;
        RETURN_IF_ERROR(policy::RequireCareTeamEnd(
            caller, plan.person(), request.team(), plan.lead_team(),
            IsInvolved(plan, caller.team)));
        RETURN_IF_ERROR(CheckEtag(plan, loaded.exists, request.etag(),
                                  /*required=*/false));
        // No directory check: the team is on the care team, so it existed
        // when it joined, and ending must work whatever the directory says.
        RETURN_IF_ERROR(EndInvolvement(draft.next, request.team(), now));
        draft.CareTeamChange(v1::Change::CARE_TEAM_CHANGED, request.reason());
        return absl::OkStatus();
      });
}

absl::StatusOr<v1::CarePlan> CarePlanDomain::ReviewCareTeamJoin(
    const Principal& caller, const v1::ReviewCareTeamJoinRequest& request) {
  RETURN_IF_ERROR(ValidateReviewCareTeamJoin(request));
  RETURN_IF_ERROR(policy::RequireCarePlanRole(caller, /*services_may=*/false,
                                              "ReviewCareTeamJoin",
                                              /*persons_may=*/true));
  ASSIGN_OR_RETURN(std::string person_id,
                   ParseCarePlanName("name", request.name()));
  if (caller.is_person()) {
    RETURN_IF_ERROR(policy::RequireOwnRecord(caller, PersonName(person_id),
                                             "ReviewCareTeamJoin"));
  }
  return Write(
      caller, person_id, /*request=*/nullptr,
      [&](const Loaded& loaded, absl::Time, Draft& draft) -> absl::Status {
        const v1::CarePlan& plan = loaded.plan;
        RETURN_IF_ERROR(policy::RequireJoinReview(
            caller, plan.person(), IsInvolved(plan, caller.team),
            !plan.lead_team().empty() && plan.lead_team() == caller.team));
        RETURN_IF_ERROR(CheckEtag(plan, loaded.exists, request.etag(),
                                  /*required=*/false));
        // Decided on the plan as it is, before anything is changed: a
        // team whose own join awaits review cannot clear it.
        if (caller.is_clinical() && request.team() == caller.team &&
            AwaitsReview(plan, caller.team)) {
          return carebridge::errors::PermissionDenied(
              absl::StrCat("ReviewCareTeamJoin: ", caller.team,
                           " cannot review its own join; the person may"));
        }
        RETURN_IF_ERROR(ReviewJoin(draft.next, request.team()));
        draft.CareTeamChange(v1::Change::CARE_TEAM_CHANGED, request.reason());
        return absl::OkStatus();
      });
}

absl::StatusOr<v1::CarePlan> CarePlanDomain::SetLeadTeam(
    const Principal& caller, const v1::SetLeadTeamRequest& request) {
  RETURN_IF_ERROR(ValidateSetLeadTeam(request));
  RETURN_IF_ERROR(policy::RequireCarePlanRole(caller, /*services_may=*/false,
                                              "SetLeadTeam"));
  ASSIGN_OR_RETURN(std::string person_id,
                   ParseCarePlanName("name", request.name()));
  return Write(
      caller, person_id, /*request=*/nullptr,
      [&](const Loaded& loaded, absl::Time now, Draft& draft) -> absl::Status {
        // With a lead, only the lead team passes it on: the rule an
        // accepted transfer handover applies too.
        if (AnyoneInvolved(loaded.plan)) {
          return BuildPassLead(caller, loaded, now, caller.team, request.team(),
                               request.role(), request.reason(), request.etag(),
                               draft);
        }
        RETURN_IF_ERROR(policy::RequirePickUpOwnTeam(
            caller, loaded.plan.person(), request.team()));
        RETURN_IF_ERROR(CheckEtag(loaded.plan, loaded.exists, request.etag(),
                                  /*required=*/false));
        RETURN_IF_ERROR(
            SetFirstLead(draft.next, request.team(), request.role(), now));
        RETURN_IF_ERROR(CheckTeamExists(request.team()));
        draft.CareTeamChange(v1::Change::LEAD_CHANGED, request.reason());
        return absl::OkStatus();
      });
}

absl::StatusOr<v1::CarePlan> CarePlanDomain::TransferLead(
    const Principal& actor, absl::string_view person_id,
    absl::string_view from_team, absl::string_view to_team,
    absl::string_view role, absl::string_view reason) {
  RETURN_IF_ERROR(
      ValidateTransferLead(person_id, from_team, to_team, role, reason));
  RETURN_IF_ERROR(policy::RequireCarePlanRole(actor, /*services_may=*/true,
                                              "TransferLead"));
  return Write(
      actor, person_id, /*request=*/nullptr,
      [&](const Loaded& loaded, absl::Time now, Draft& draft) -> absl::Status {
        return BuildPassLead(actor, loaded, now, from_team, to_team, role,
                             reason, /*etag=*/"", draft);
      });
}

absl::Status CarePlanDomain::BuildPassLead(
    const Principal& actor, const Loaded& loaded, absl::Time now,
    absl::string_view from_team, absl::string_view to_team,
    absl::string_view role, absl::string_view reason, absl::string_view etag,
    Draft& draft) {
  const v1::CarePlan& plan = loaded.plan;
  RETURN_IF_ERROR(policy::RequireLeadTransfer(actor, plan.person(), from_team,
                                              IsInvolved(plan, actor.team)));
  RETURN_IF_ERROR(CheckEtag(plan, loaded.exists, etag, /*required=*/false));
  RETURN_IF_ERROR(PassLead(draft.next, from_team, to_team, role, now));
  RETURN_IF_ERROR(CheckTeamExists(to_team));
  draft.CareTeamChange(v1::Change::LEAD_CHANGED, reason);
  return absl::OkStatus();
}

}  // namespace carebridge::careplan

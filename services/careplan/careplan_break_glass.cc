// CarePlanDomain: break-glass, a clinician outside the care team opening a
// person's crisis plan in an emergency, for a stated reason, for 4 hours,
// audited and listed for the lead team and the person to see, and reviewed
// once by the lead team or an admin.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "services/careplan/care_team.h"
#include "services/careplan/careplan_domain.h"
#include "services/careplan/careplan_names.h"
#include "services/careplan/careplan_sharing.h"
#include "services/careplan/careplan_validation.h"
#include "services/careplan/careplan_version.h"
#include "services/common/call_audit.h"
#include "services/common/errors.h"
#include "services/common/macros.h"
#include "services/common/page_token.h"
#include "services/common/policy.h"
#include "services/common/time_util.h"
#include "services/common/validation.h"

namespace carebridge::careplan {
namespace {

constexpr absl::Duration kBreakGlassWindow = absl::Hours(4);

}  // namespace

absl::StatusOr<v1::BreakGlassAccess> CarePlanDomain::BreakGlass(
    const Principal& caller, const v1::BreakGlassRequest& request) {
  ASSIGN_OR_RETURN(std::string person_id,
                   ParseCarePlanName("name", request.name()));
  RETURN_IF_ERROR(
      CheckRequiredText("reason", request.reason(), kMaxReasonChars));
  // Noted before any refusal, so the audit record of a refused attempt
  // (an admin, a service, the person) keeps why it was asked.
  NoteAuditReason(absl::StrCat("break-glass: ", request.reason()));
  if (!caller.is_clinical()) {
    return carebridge::errors::PermissionDenied(absl::StrCat(
        "BreakGlass: only clinical staff of a team may break glass; ",
        caller.subject, " may not"));
  }
  if (break_glass_ == nullptr) {
    return absl::UnavailableError(
        "BreakGlass: this server keeps no break-glass accesses");
  }
  ASSIGN_OR_RETURN(v1::CarePlan plan,
                   LoadForRead(person_id, RemoteCalls::kAllowed));
  if (IsInvolved(plan, caller.team)) {
    return absl::FailedPreconditionError(
        absl::StrCat(caller.team, " is on ", plan.person(),
                     "'s care team and reads the plan without breaking glass"));
  }
  // Refused when the person's choices keep the crisis plan from the team.
  ASSIGN_OR_RETURN(SharedParts parts,
                   ReadableParts(caller, plan, RemoteCalls::kAllowed,
                                 OutsideRead::kBreakGlass));
  // Before the access is stored: its record is written with it.
  NoteSectionsShown(parts);
  const absl::Time now = clock_->Now();
  v1::BreakGlassAccess access;
  access.set_person(plan.person());
  access.set_member(caller.subject);
  access.set_team(caller.team);
  access.set_reason(request.reason());
  *access.mutable_start_time() = ToProtoTimestamp(now);
  *access.mutable_expire_time() = ToProtoTimestamp(now + kBreakGlassWindow);
  access.set_plan_version(plan.version());
  access.set_lead_team(plan.lead_team());
  ASSIGN_OR_RETURN(int64_t seq, break_glass_->Insert(person_id, access));
  access.set_name(BreakGlassAccessName(person_id, seq));
  Withhold(parts, caller.team, plan);
  *access.mutable_crisis_plan() = std::move(*plan.mutable_crisis_plan());
  if (!parts.Has(v1::SHARED_CRISIS_PLAN)) {
    access.add_withheld(v1::SHARED_CRISIS_PLAN);
  }
  return access;
}

absl::StatusOr<v1::ListBreakGlassAccessesResponse>
CarePlanDomain::ListBreakGlassAccesses(
    const Principal& caller, const v1::ListBreakGlassAccessesRequest& request) {
  ASSIGN_OR_RETURN(std::string person_id,
                   ParseResourceName("parent", request.parent(), "persons"));
  ASSIGN_OR_RETURN(int page_size,
                   CheckPageSize("page_size", request.page_size()));
  // The filter is in the fingerprint only when set, so tokens issued
  // before it existed still page.
  const std::string fingerprint =
      absl::StrCat("ListBreakGlassAccesses|", request.parent(),
                   request.unreviewed_only() ? "|unreviewed" : "");
  ASSIGN_OR_RETURN(int64_t before, DecodeBelowNumberPageToken(
                                       request.page_token(), fingerprint));
  const bool every_person = person_id == "-";
  if (every_person) {
    // The review queue across persons: whoever oversees access.
    if (!caller.is_admin() && !caller.is_service()) {
      return carebridge::errors::PermissionDenied(absl::StrCat(
          "ListBreakGlassAccesses: only admins list every person's "
          "break-glass accesses (parent persons/-); ",
          caller.subject, " may list those of a person they lead"));
    }
    person_id.clear();
  } else {
    RETURN_IF_ERROR(RequireBreakGlassOverseer(caller, person_id,
                                              "ListBreakGlassAccesses",
                                              /*person_may=*/true));
  }
  v1::ListBreakGlassAccessesResponse response;
  if (break_glass_ == nullptr) return response;
  // Numbers are shared by every person's accesses: one more than the page
  // says whether another page holds any.
  ASSIGN_OR_RETURN(auto accesses,
                   break_glass_->List(person_id, before, page_size + 1,
                                      request.unreviewed_only()));
  const bool more = static_cast<int>(accesses.size()) > page_size;
  if (more) accesses.pop_back();
  std::vector<std::string> persons;
  for (auto& [seq, access] : accesses) {
    absl::string_view id = access.person();
    if (every_person) {
      persons.push_back(access.person());
      absl::ConsumePrefix(&id, "persons/");
    } else {
      id = person_id;
    }
    access.set_name(BreakGlassAccessName(id, seq));
    *response.add_accesses() = std::move(access);
  }
  // Listed across persons, each person's record says who looked at it.
  if (every_person) NoteAuditedPersons(persons);
  if (more) {
    response.set_next_page_token(
        EncodePageToken(fingerprint, {absl::StrCat(accesses.back().first)}));
  }
  return response;
}

absl::StatusOr<v1::BreakGlassAccess> CarePlanDomain::ReviewBreakGlassAccess(
    const Principal& caller, const v1::ReviewBreakGlassAccessRequest& request) {
  ASSIGN_OR_RETURN(BreakGlassAccessRef ref,
                   ParseBreakGlassAccessName("name", request.name()));
  if (request.outcome() == v1::BreakGlassReview::OUTCOME_UNSPECIFIED) {
    return carebridge::errors::MustBeSet("outcome");
  }
  if (!v1::BreakGlassReview::Outcome_IsValid(request.outcome())) {
    return carebridge::errors::Invalid(
        "outcome",
        absl::StrCat(request.outcome(), " is not JUSTIFIED or NOT_JUSTIFIED"));
  }
  RETURN_IF_ERROR(
      CheckRequiredText("reason", request.reason(), kMaxReasonChars));
  NoteAuditReason(
      absl::StrCat("break-glass review, ",
                   v1::BreakGlassReview::Outcome_Name(request.outcome()), ": ",
                   request.reason()));
  RETURN_IF_ERROR(RequireBreakGlassOverseer(caller, ref.person_id,
                                            "ReviewBreakGlassAccess",
                                            /*person_may=*/false));
  if (break_glass_ == nullptr) {
    return absl::UnavailableError(
        "ReviewBreakGlassAccess: this server keeps no break-glass accesses");
  }
  ASSIGN_OR_RETURN(v1::BreakGlassAccess access,
                   break_glass_->Get(ref.person_id, ref.seq));
  if (access.member() == caller.subject) {
    return carebridge::errors::PermissionDenied(absl::StrCat(
        "ReviewBreakGlassAccess: ", caller.subject, " opened ", request.name(),
        " and may not review it; another member of the lead team or an admin "
        "does"));
  }
  v1::BreakGlassReview review;
  review.set_outcome(request.outcome());
  review.set_reason(request.reason());
  review.set_reviewer(caller.subject);
  if (!caller.is_admin()) review.set_reviewer_team(caller.team);
  *review.mutable_review_time() = ToProtoTimestamp(clock_->Now());
  // The review is told to the lead team when it commits (the store reads
  // it in the review's transaction), not the one the access was opened
  // under nor one read before a handover that commits first: the team
  // answerable for who sees the person's plan is the lead, and a team that
  // handed over hears no more of how the person's record was used than
  // anyone else outside the lead (need to know; it was told of the access
  // when it led). Reviewed already: the same review is a retry, another is
  // refused (decided in the same transaction, so a reviewer who lost a
  // race commits nothing).
  ASSIGN_OR_RETURN(access,
                   break_glass_->Review(ref.person_id, ref.seq, review));
  access.set_name(request.name());
  return access;
}

absl::Status CarePlanDomain::RequireBreakGlassOverseer(
    const Principal& caller, absl::string_view person_id,
    absl::string_view action, bool person_may) {
  const std::string person = PersonName(person_id);
  if (caller.is_person() && person_may) {
    return policy::RequireOwnRecord(caller, person, action);
  }
  if (caller.is_admin() || (caller.is_service() && person_may)) {
    return absl::OkStatus();
  }
  if (caller.is_clinical()) {
    ASSIGN_OR_RETURN(v1::CarePlan plan,
                     LoadForRead(person_id, RemoteCalls::kAllowed));
    if (!plan.lead_team().empty() && plan.lead_team() == caller.team) {
      return absl::OkStatus();
    }
  }
  return carebridge::errors::PermissionDenied(
      absl::StrCat(action, ": only ", person,
                   person_may ? ", their lead team's" : "'s lead team's",
                   " clinical staff and admins review break-glass accesses; ",
                   caller.subject, " may not"));
}

}  // namespace carebridge::careplan

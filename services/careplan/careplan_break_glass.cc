// CarePlanDomain: break-glass, a clinician outside the care team opening a
// person's crisis plan in an emergency, for a stated reason, for 4 hours,
// audited and listed for the lead team and the person to review.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
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
  const std::string fingerprint =
      absl::StrCat("ListBreakGlassAccesses|", request.parent());
  ASSIGN_OR_RETURN(int64_t before, DecodeBelowNumberPageToken(
                                       request.page_token(), fingerprint));
  const std::string person = PersonName(person_id);
  // The person, admins and services; staff only of the lead team.
  if (caller.is_person()) {
    RETURN_IF_ERROR(
        policy::RequireOwnRecord(caller, person, "ListBreakGlassAccesses"));
  } else if (!caller.is_admin() && !caller.is_service()) {
    ASSIGN_OR_RETURN(v1::CarePlan plan,
                     LoadForRead(person_id, RemoteCalls::kAllowed));
    if (!caller.is_clinical() || plan.lead_team().empty() ||
        plan.lead_team() != caller.team) {
      return carebridge::errors::PermissionDenied(absl::StrCat(
          "ListBreakGlassAccesses: only ", person,
          ", their lead team's clinical staff and admins review break-glass "
          "accesses; ",
          caller.subject, " may not"));
    }
  }
  v1::ListBreakGlassAccessesResponse response;
  if (break_glass_ == nullptr) return response;
  // Numbers are shared by every person's accesses: one more than the page
  // says whether another page holds any.
  ASSIGN_OR_RETURN(auto accesses,
                   break_glass_->List(person_id, before, page_size + 1));
  const bool more = static_cast<int>(accesses.size()) > page_size;
  if (more) accesses.pop_back();
  for (auto& [seq, access] : accesses) {
    access.set_name(BreakGlassAccessName(person_id, seq));
    *response.add_accesses() = std::move(access);
  }
  if (more) {
    response.set_next_page_token(
        EncodePageToken(fingerprint, {absl::StrCat(accesses.back().first)}));
  }
  return response;
}

}  // namespace carebridge::careplan

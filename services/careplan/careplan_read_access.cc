// CarePlanDomain: who reads a plan and how much of it. The care team reads
// it as the person's choices share it; a clinician outside the care team
// reads the crisis plan when a referral or handover about the person awaits
// their team's answer (and the communication preferences with it), or when
// they broke glass in an emergency.

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/careplan/care_team.h"
#include "services/careplan/careplan_domain.h"
#include "services/careplan/careplan_names.h"
#include "services/careplan/careplan_version.h"
#include "services/common/call_audit.h"
#include "services/common/errors.h"
#include "services/common/macros.h"
#include "services/common/policy.h"
#include "services/common/time_util.h"

namespace carebridge::careplan {

absl::StatusOr<CarePlanDomain::OutsideRead> CarePlanDomain::RequireReadable(
    const Principal& caller, const v1::CarePlan& plan, absl::string_view action,
    RemoteCalls remote) {
  const bool involved = IsInvolved(plan, caller.team);
  absl::Status allowed =
      policy::RequireCarePlanRead(caller, plan.person(), involved);
  if (allowed.ok()) return OutsideRead::kNone;
  if (!caller.is_clinical() || involved || action != "GetCarePlan") {
    return allowed;
  }
  absl::Status unknown = absl::OkStatus();
  if (incoming_ != nullptr) {
    if (remote == RemoteCalls::kDeferred) return RemoteCallDeferred();
    absl::StatusOr<std::vector<std::string>> awaiting =
        incoming_->AwaitingAnswerFrom(plan.person(), caller.team);
    if (awaiting.ok() && !awaiting->empty()) {
      NoteAuditReason(absl::StrCat("awaiting ", caller.team, "'s answer: ",
                                   absl::StrJoin(*awaiting, ", ")));
      return OutsideRead::kAwaitingAnswer;
    }
    if (!awaiting.ok()) unknown = awaiting.status();
  }
  if (!unknown.ok()) {
    // Refused, as with nothing awaited (never opened on a guess), saying
    // why it may be only for now.
    allowed = carebridge::errors::PermissionDenied(absl::StrCat(
        allowed.message(), "; whether a referral or handover about ",
        plan.person(), " awaits ", caller.team,
        "'s answer cannot be told now (", unknown.message(),
        "): try again, or break glass with a reason if the crisis plan is "
        "needed now"));
  }
  RETURN_IF_ERROR(RequireOpenBreakGlass(caller, plan, allowed));
  return OutsideRead::kBreakGlass;
}

absl::Status CarePlanDomain::RequireOpenBreakGlass(const Principal& caller,
                                                   const v1::CarePlan& plan,
                                                   absl::Status refused) {
  if (break_glass_ == nullptr) return refused;
  const std::string person_id = PersonIdOf(plan);
  ASSIGN_OR_RETURN(std::optional<v1::BreakGlassAccess> access,
                   break_glass_->Latest(person_id, caller.subject));
  if (!access.has_value()) return refused;
  const absl::Time ends = FromProtoTimestamp(access->expire_time());
  if (clock_->Now() >= ends) {
    return carebridge::errors::PermissionDenied(absl::StrCat(
        caller.subject, "'s break-glass access to ", plan.person(),
        " ended at ",
        absl::FormatTime(absl::RFC3339_sec, ends, absl::UTCTimeZone()),
        "; break glass again with a reason if it is still needed"));
  }
  NoteAuditReason(absl::StrCat("break-glass: ", access->reason()));
  return absl::OkStatus();
}

absl::StatusOr<SharedParts> CarePlanDomain::ReadableParts(
    const Principal& caller, const v1::CarePlan& current, RemoteCalls remote,
    OutsideRead how) {
  ASSIGN_OR_RETURN(SharedParts parts, PartsShownTo(caller, current, remote));
  if (!caller.is_clinical() || IsInvolved(current, caller.team)) return parts;
  // Staff not on the care team read no more than `how` opens, and no more
  // of that than the person shares with their team: neither an awaited
  // answer nor break-glass overrides the person's choices.
  SharedParts opened;
  opened.Add(v1::SHARED_CRISIS_PLAN);
  if (how == OutsideRead::kAwaitingAnswer) {
    opened.Add(v1::SHARED_COMMUNICATION_PREFERENCES);
  }
  SharedParts shown = parts.Intersect(opened);
  if (how == OutsideRead::kAwaitingAnswer) {
    if (shown == SharedParts::None()) {
      return carebridge::errors::PermissionDenied(absl::StrCat(
          current.person(),
          "'s sharing choices keep the crisis plan and communication "
          "preferences from ",
          caller.team, "; ask the team that sent the referral or handover"));
    }
    return shown;
  }
  if (!shown.Has(v1::SHARED_WHAT_HELPS)) {
    return carebridge::errors::PermissionDenied(absl::StrCat(
        current.person(), "'s sharing choices keep the crisis plan from ",
        caller.team,
        ", and break-glass does not override them; ask the person's care "
        "team for what is needed"));
  }
  return shown;
}

}  // namespace carebridge::careplan

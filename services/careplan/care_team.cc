#include "services/careplan/care_team.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "services/common/macros.h"
#include "services/common/time_util.h"

namespace carebridge::careplan {
namespace {

using v1::CarePlan;
using v1::CareTeamMember;

// `persons/p1's`, or `this person's` for a plan not named yet.
std::string Whose(const CarePlan& plan) {
  return plan.person().empty() ? std::string("this person's")
                               : absl::StrCat(plan.person(), "'s");
}

// The entry of `team` without end_time, if any.
CareTeamMember* CurrentEntry(CarePlan& plan, absl::string_view team) {
  for (CareTeamMember& member : *plan.mutable_care_team()) {
    if (member.team() == team && !member.has_end_time()) return &member;
  }
  return nullptr;
}

absl::Status NotOnCareTeam(const CarePlan& plan, absl::string_view team) {
  return absl::NotFoundError(
      absl::StrCat(team, " is not on ", Whose(plan), " care team"));
}

absl::Status AlreadyLeads(const CarePlan& plan, absl::string_view team) {
  return absl::FailedPreconditionError(
      absl::StrCat(team, " already leads ", Whose(plan), " care"));
}

void Join(CarePlan& plan, absl::string_view team, absl::string_view role,
          absl::Time now, bool lead) {
  CareTeamMember& member = *plan.add_care_team();
  member.set_team(std::string(team));
  member.set_role(std::string(role));
  *member.mutable_start_time() = ToProtoTimestamp(now);
  member.set_lead(lead);
}

absl::string_view RoleOrDefault(absl::string_view role) {
  return role.empty() ? absl::string_view(kDefaultLeadRole) : role;
}

}  // namespace

bool IsInvolved(const CarePlan& plan, absl::string_view team) {
  for (const CareTeamMember& member : plan.care_team()) {
    if (member.team() == team && !member.has_end_time()) return true;
  }
  return false;
}

bool AnyoneInvolved(const CarePlan& plan) {
  for (const CareTeamMember& member : plan.care_team()) {
    if (!member.has_end_time()) return true;
  }
  return false;
}

bool JoinUnreviewed(const CarePlan& plan, absl::string_view team) {
  for (const CareTeamMember& member : plan.care_team()) {
    if (member.team() == team && !member.has_end_time()) {
      return member.unreviewed();
    }
  }
  return false;
}

absl::Status AddTeam(CarePlan& plan, absl::string_view team,
                     absl::string_view role, absl::Time now) {
  RETURN_IF_ERROR(CheckLeadInvariant(plan));
  if (IsInvolved(plan, team)) {
    return absl::AlreadyExistsError(
        absl::StrCat(team, " is already on ", Whose(plan), " care team"));
  }
  const bool first = !AnyoneInvolved(plan);
  Join(plan, team, role, now, /*lead=*/first);
  if (first) plan.set_lead_team(std::string(team));
  return absl::OkStatus();
}

absl::Status MarkJoinedFromOutside(CarePlan& plan, absl::string_view team,
                                   absl::string_view through) {
  CareTeamMember* member = CurrentEntry(plan, team);
  if (member == nullptr) return NotOnCareTeam(plan, team);
  member->set_joined_through(std::string(through));
  member->set_unreviewed(true);
  return absl::OkStatus();
}

bool AwaitsReview(const CarePlan& plan, absl::string_view team) {
  for (const CareTeamMember& member : plan.care_team()) {
    if (member.team() == team && !member.has_end_time()) {
      return member.unreviewed();
    }
  }
  return false;
}

absl::Status ReviewJoin(CarePlan& plan, absl::string_view team) {
  CareTeamMember* member = CurrentEntry(plan, team);
  if (member == nullptr) return NotOnCareTeam(plan, team);
  if (!member->unreviewed()) {
    return absl::FailedPreconditionError(absl::StrCat(
        team, "'s join to ", Whose(plan),
        " care team needs no review: the care team brought it in, or its "
        "join was reviewed already"));
  }
  member->set_unreviewed(false);
  return absl::OkStatus();
}

absl::Status EndInvolvement(CarePlan& plan, absl::string_view team,
                            absl::Time now) {
  RETURN_IF_ERROR(CheckLeadInvariant(plan));
  CareTeamMember* member = CurrentEntry(plan, team);
  if (member == nullptr) return NotOnCareTeam(plan, team);
  if (member->lead()) {
    for (const CareTeamMember& other : plan.care_team()) {
      if (&other != member && !other.has_end_time()) {
        return absl::FailedPreconditionError(absl::StrCat(
            team, " leads ", Whose(plan),
            " care: hand the lead over to another involved team first "
            "(SetLeadTeam or an accepted transfer handover)"));
      }
    }
    member->set_lead(false);
    plan.clear_lead_team();
  }
  *member->mutable_end_time() = ToProtoTimestamp(now);
  return absl::OkStatus();
}

absl::Status SetFirstLead(CarePlan& plan, absl::string_view team,
                          absl::string_view role, absl::Time now) {
  RETURN_IF_ERROR(CheckLeadInvariant(plan));
  if (plan.lead_team() == team) return AlreadyLeads(plan, team);
  if (!plan.lead_team().empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        plan.lead_team(), " leads ", Whose(plan), " care; only ",
        plan.lead_team(),
        " can pass the lead on (SetLeadTeam or an accepted transfer "
        "handover)"));
  }
  // No lead means nobody is involved (the invariant), so the team joins.
  Join(plan, team, RoleOrDefault(role), now, /*lead=*/true);
  plan.set_lead_team(std::string(team));
  return absl::OkStatus();
}

absl::Status PassLead(CarePlan& plan, absl::string_view from_team,
                      absl::string_view to_team, absl::string_view role,
                      absl::Time now) {
  RETURN_IF_ERROR(CheckLeadInvariant(plan));
  if (plan.lead_team().empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(Whose(plan), " care has no lead team, so ", from_team,
                     " cannot pass it on; name one with SetLeadTeam"));
  }
  if (plan.lead_team() != from_team) {
    return absl::FailedPreconditionError(absl::StrCat(
        from_team, " does not lead ", Whose(plan), " care; ", plan.lead_team(),
        " does, and only the lead team can pass the lead on"));
  }
  if (to_team == from_team) return AlreadyLeads(plan, to_team);

  CurrentEntry(plan, from_team)->set_lead(false);
  if (CareTeamMember* to = CurrentEntry(plan, to_team); to != nullptr) {
    to->set_lead(true);
  } else {
    Join(plan, to_team, RoleOrDefault(role), now, /*lead=*/true);
  }
  plan.set_lead_team(std::string(to_team));
  return absl::OkStatus();
}

absl::Status CheckLeadInvariant(const CarePlan& plan) {
  const std::string prefix = absl::StrCat(Whose(plan), " care team");
  int involved = 0;
  const CareTeamMember* lead = nullptr;
  for (int i = 0; i < plan.care_team_size(); ++i) {
    const CareTeamMember& member = plan.care_team(i);
    if (!member.has_end_time()) {
      ++involved;
      for (int j = 0; j < i; ++j) {
        if (plan.care_team(j).team() == member.team() &&
            !plan.care_team(j).has_end_time()) {
          return absl::InternalError(absl::StrCat(
              prefix, " has two current entries for ", member.team()));
        }
      }
    }
    if (!member.lead()) continue;
    if (member.has_end_time()) {
      return absl::InternalError(
          absl::StrCat(prefix, " marks ", member.team(),
                       " as lead in an entry that has ended"));
    }
    if (lead != nullptr) {
      return absl::InternalError(absl::StrCat(
          prefix, " has two leads: ", lead->team(), " and ", member.team()));
    }
    lead = &member;
  }
  if (involved == 0) {
    if (!plan.lead_team().empty()) {
      return absl::InternalError(
          absl::StrCat(prefix, " names ", plan.lead_team(),
                       " as lead team but nobody is involved"));
    }
    return absl::OkStatus();
  }
  if (lead == nullptr) {
    return absl::InternalError(
        absl::StrCat(prefix, " has ", involved, " involved teams but no lead"));
  }
  if (plan.lead_team() != lead->team()) {
    return absl::InternalError(absl::StrCat(prefix, " marks ", lead->team(),
                                            " as lead but lead_team is \"",
                                            plan.lead_team(), "\""));
  }
  return absl::OkStatus();
}

}  // namespace carebridge::careplan

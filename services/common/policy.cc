#include "services/common/policy.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "services/common/errors.h"

namespace carebridge::policy {

absl::Status RequireAdmin(const Principal& caller, absl::string_view action) {
  // Service identities are deliberately not admins: a leaked service token
  // must not be able to mint members or tokens.
  if (caller.is_admin()) return absl::OkStatus();
  return errors::PermissionDenied(
      absl::StrCat(action, ": only an admin may do this; ", caller.subject,
                   " is ", RoleName(caller.role)));
}

absl::Status RequireClinical(const Principal& caller,
                             absl::string_view action) {
  if (caller.is_clinical()) return absl::OkStatus();
  return errors::PermissionDenied(
      absl::StrCat(action, ": only clinical staff of a team may do this; ",
                   caller.subject, " is ", RoleName(caller.role)));
}

absl::Status RequireTeam(const Principal& caller, absl::string_view team,
                         absl::string_view action) {
  // Services never act for a team: answering a referral is a person's
  // decision, recorded against them.
  if (caller.is_clinical() && caller.team == team) return absl::OkStatus();
  return errors::PermissionDenied(absl::StrCat(
      action, ": only members of ", team, " may do this; ", caller.subject,
      " is in ", caller.team.empty() ? "no team" : caller.team));
}

absl::Status RequireTeamAdmin(const Principal& caller, absl::string_view team,
                              absl::string_view action) {
  if (caller.is_admin()) return absl::OkStatus();
  if ((caller.role == Role::kTeamLead && caller.team == team) ||
      caller.manages(team)) {
    return absl::OkStatus();
  }
  return errors::PermissionDenied(
      absl::StrCat(action, ": only an admin, or the team lead or manager of ",
                   team, ", may do this"));
}

absl::Status RequirePersonAccess(const Principal& caller,
                                 absl::string_view person,
                                 absl::string_view action) {
  if (caller.is_clinical() || caller.is_service()) return absl::OkStatus();
  if (caller.is_person()) {
    return errors::PermissionDenied(absl::StrCat(
        action, ": not open to a person's own access (", caller.subject,
        "): they see their care plan, their care summary and who accessed "
        "their record"));
  }
  return errors::PermissionDenied(
      absl::StrCat(action, ": ", caller.subject, " (", RoleName(caller.role),
                   ") has no care relationship with ", person));
}

absl::Status RequireHandoverRole(const Principal& caller,
                                 absl::string_view action) {
  if (caller.is_clinical() || caller.is_service()) return absl::OkStatus();
  return errors::PermissionDenied(absl::StrCat(
      action, ": only clinical staff of a team or a service may do this; ",
      caller.subject, " is ", RoleName(caller.role)));
}

absl::Status RequireHandoverParty(const Principal& caller,
                                  absl::string_view handover,
                                  absl::string_view sending_team,
                                  absl::string_view receiving_team) {
  if (caller.is_service()) return absl::OkStatus();
  if (caller.is_clinical() &&
      (caller.team == sending_team || caller.team == receiving_team)) {
    return absl::OkStatus();
  }
  return errors::PermissionDenied(absl::StrCat(
      "read ", handover,
      ": only the sending and the receiving team may do this; ", caller.subject,
      " is in ", caller.team.empty() ? "no team" : caller.team));
}

absl::Status RequireCarePlanRole(const Principal& caller, bool services_may,
                                 absl::string_view action, bool persons_may) {
  if (caller.is_clinical() || (services_may && caller.is_service()) ||
      (persons_may && caller.is_person())) {
    return absl::OkStatus();
  }
  return errors::PermissionDenied(absl::StrCat(
      action, ": only clinical staff of a team",
      services_may
          ? (persons_may ? ", a service or the person" : " or a service")
          : (persons_may ? " or the person" : ""),
      " may do this; ", caller.subject, " is ", RoleName(caller.role)));
}

namespace {

absl::Status NotInvolved(const Principal& caller, absl::string_view person,
                         absl::string_view what) {
  if (!caller.is_clinical()) {
    return errors::PermissionDenied(
        absl::StrCat("only teams on ", person, "'s care team may ", what, "; ",
                     caller.subject, " is ", RoleName(caller.role)));
  }
  return errors::PermissionDenied(
      absl::StrCat("only teams on ", person, "'s care team may ", what, "; ",
                   caller.team, " is not involved"));
}

}  // namespace

absl::Status RequireOwnRecord(const Principal& caller, absl::string_view person,
                              absl::string_view action) {
  if (caller.is_person(person)) return absl::OkStatus();
  return errors::PermissionDenied(
      absl::StrCat(action,
                   ": a person may see and act on their own record "
                   "only; ",
                   caller.subject, " is not ", person));
}

namespace {

// The person themselves, or clinical staff of their lead team
// (`caller_team_leads`); PERMISSION_DENIED naming `method` and `what`
// otherwise.
absl::Status RequirePersonOrLeadTeam(const Principal& caller,
                                     absl::string_view person,
                                     bool caller_team_leads,
                                     absl::string_view method,
                                     absl::string_view what) {
  if (caller.is_person(person)) return absl::OkStatus();
  if (caller.is_clinical() && caller_team_leads) return absl::OkStatus();
  return errors::PermissionDenied(absl::StrCat(
      method, ": only ", person, " or clinical staff of their lead team may ",
      what, "; ", caller.subject, caller.team.empty() ? "" : " of ",
      caller.team, " may not"));
}

}  // namespace

absl::Status RequireSharingChange(const Principal& caller,
                                  absl::string_view person,
                                  bool caller_team_leads) {
  return RequirePersonOrLeadTeam(caller, person, caller_team_leads,
                                 "UpdateSharingChoices",
                                 "change their sharing choices");
}

absl::Status RequireJoinReview(const Principal& caller,
                               absl::string_view person,
                               bool caller_team_involved,
                               bool caller_team_leads) {
  if (caller.is_clinical() && !caller_team_involved) {
    return NotInvolved(caller, person, "review who joins its care team");
  }
  return RequirePersonOrLeadTeam(caller, person, caller_team_leads,
                                 "ReviewCareTeamJoin",
                                 "review who joins their care team");
}

absl::Status RequireCarePlanRead(const Principal& caller,
                                 absl::string_view person,
                                 bool caller_team_involved) {
  if (caller.is_service()) return absl::OkStatus();
  if (caller.is_person()) {
    return RequireOwnRecord(caller, person, "read a care plan");
  }
  if (caller.is_clinical() && caller_team_involved) return absl::OkStatus();
  return NotInvolved(caller, person, "read its care plan");
}

absl::Status RequireCarePlanWrite(const Principal& caller,
                                  absl::string_view person,
                                  bool caller_team_involved,
                                  bool anyone_involved) {
  if (caller.is_clinical() && (caller_team_involved || !anyone_involved)) {
    return absl::OkStatus();
  }
  return NotInvolved(caller, person, "change its care plan");
}

absl::Status RequireCareTeamAdd(const Principal& caller,
                                absl::string_view person,
                                absl::string_view team,
                                bool caller_team_involved,
                                bool anyone_involved) {
  if (caller.is_service()) return absl::OkStatus();
  if (caller.is_clinical() && caller_team_involved) return absl::OkStatus();
  if (caller.is_clinical() && !anyone_involved) {
    return RequirePickUpOwnTeam(caller, person, team);
  }
  return NotInvolved(caller, person, "add teams to it");
}

absl::Status RequirePickUpOwnTeam(const Principal& caller,
                                  absl::string_view person,
                                  absl::string_view team) {
  // Naming another team would hand the caller a plan it cannot read.
  if (caller.is_clinical() && caller.team == team) return absl::OkStatus();
  return errors::PermissionDenied(absl::StrCat(
      "nobody is involved in ", person, "'s care: a team may only pick it up ",
      "itself (", caller.team.empty() ? caller.subject : caller.team,
      " may add itself, not ", team, ")"));
}

absl::Status RequireCareTeamEnd(const Principal& caller,
                                absl::string_view person,
                                absl::string_view team,
                                absl::string_view lead_team,
                                bool caller_team_involved) {
  if (caller.is_service()) return absl::OkStatus();
  if (caller.is_person()) {
    absl::Status own =
        RequireOwnRecord(caller, person, "EndCareTeamInvolvement");
    if (!own.ok()) return own;
    if (!lead_team.empty() && team == lead_team) {
      return errors::PermissionDenied(
          absl::StrCat(person,
                       " may end any team's involvement in their care but the "
                       "lead team's (",
                       lead_team, "): ask it to hand over to another team"));
    }
    return absl::OkStatus();
  }
  // `lead_team` is set exactly while anyone is involved. With nobody
  // involved any team may pick the plan up anyway (RequireCarePlanWrite), so
  // the care team rules answer instead.
  if (caller.is_clinical() && !caller_team_involved && !lead_team.empty()) {
    return NotInvolved(caller, person, "change its care team");
  }
  if (caller.is_clinical() &&
      (caller.team == team ||
       (!lead_team.empty() && caller.team == lead_team))) {
    return absl::OkStatus();
  }
  return errors::PermissionDenied(absl::StrCat(
      "only ", team, " itself or the lead team",
      lead_team.empty() ? "" : absl::StrCat(" (", lead_team, ")"),
      " may end its involvement in ", person, "'s care; ", caller.subject,
      " is in ", caller.team.empty() ? "no team" : caller.team));
}

absl::Status RequireLeadTransfer(const Principal& caller,
                                 absl::string_view person,
                                 absl::string_view from_team,
                                 bool caller_team_involved) {
  if (caller.is_service()) return absl::OkStatus();
  if (!caller.is_clinical() || !caller_team_involved) {
    return NotInvolved(caller, person, "read its care plan");
  }
  if (caller.team != from_team) {
    return errors::PermissionDenied(absl::StrCat(
        "only staff of ", from_team, " may pass its lead of ", person,
        "'s care on; ", caller.subject, " is in ", caller.team));
  }
  return absl::OkStatus();
}

EventVisibility EventVisibilityFor(const Principal& caller,
                                   const events::v1::Event& event) {
  if (caller.is_service()) return EventVisibility::kFull;
  if (caller.is_admin()) return EventVisibility::kMetadataOnly;
  if (caller.is_clinical()) {
    for (const std::string& team : event.teams()) {
      if (team == caller.team) return EventVisibility::kFull;
    }
  }
  return EventVisibility::kHidden;
}

EventVisibility CarePlanEventVisibility(const Principal& caller,
                                        const events::v1::Event& event,
                                        bool caller_team_involved_now,
                                        bool event_ended_caller_team) {
  EventVisibility named = EventVisibilityFor(caller, event);
  if (!caller.is_clinical() || named == EventVisibility::kHidden) return named;
  if (caller_team_involved_now) return EventVisibility::kFull;
  if (event_ended_caller_team) return EventVisibility::kMetadataOnly;
  return EventVisibility::kHidden;
}

}  // namespace carebridge::policy

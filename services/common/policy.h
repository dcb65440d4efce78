#ifndef CAREBRIDGE_SERVICES_COMMON_POLICY_H_
#define CAREBRIDGE_SERVICES_COMMON_POLICY_H_

// Authorisation decisions, in one place. Each check returns OK or
// PERMISSION_DENIED saying who may do `action`. Care relationships and
// consent join these checks as the services that own them land; callers
// pass what the decision needs, never raw request fields.

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "carebridge/events/v1/events.pb.h"
#include "services/common/principal.h"

namespace carebridge::policy {

// Directory administration: creating teams and members, issuing tokens.
absl::Status RequireAdmin(const Principal& caller, absl::string_view action);

// Clinical work (registering persons, sending referrals): staff of a team,
// not admins.
absl::Status RequireClinical(const Principal& caller, absl::string_view action);

// Acting for `team` (answering its inbox, withdrawing what it sent).
absl::Status RequireTeam(const Principal& caller, absl::string_view team,
                         absl::string_view action);

// Changing `team`'s settings: admins, or that team's lead.
absl::Status RequireTeamAdmin(const Principal& caller, absl::string_view team,
                              absl::string_view action);

// Reading a person's record. Until care relationships land, any clinical
// staff member or service may; admins may not.
absl::Status RequirePersonAccess(const Principal& caller,
                                 absl::string_view person,
                                 absl::string_view action);

// --- Handovers (carebridge.handover.v1) ---

// Reading handovers at all, from the role alone, checked before the handover
// is read (so a caller without the role learns nothing, not even whether it
// exists): clinical staff of a team and service identities. Never admins.
absl::Status RequireHandoverRole(const Principal& caller,
                                 absl::string_view action);

// Reading one handover: service identities, or clinical staff of its
// sending or its receiving team.
absl::Status RequireHandoverParty(const Principal& caller,
                                  absl::string_view handover,
                                  absl::string_view sending_team,
                                  absl::string_view receiving_team);

// --- Care plans (carebridge.careplan.v1) ---
// Relationship = the caller's team is on the person's care team now (an
// entry without end_time). The service loads the plan and passes what the
// decision needs.

// Who may act on care plans at all, from the role alone, checked before the
// plan is read (so a caller without the role learns nothing, not even
// whether a plan exists): clinical staff of a team, service identities
// when `services_may`, persons (for their own plan, checked once it is
// read) when `persons_may`. Never admins.
absl::Status RequireCarePlanRole(const Principal& caller, bool services_may,
                                 absl::string_view action,
                                 bool persons_may = false);

// The caller is the person `person` (`persons/{id}`) themselves:
// PERMISSION_DENIED for anyone else, naming `action`.
absl::Status RequireOwnRecord(const Principal& caller, absl::string_view person,
                              absl::string_view action);

// Changing a person's sharing choices: the person themselves, or clinical
// staff of their lead team (`caller_team_leads`). Nobody else: not another
// care team member, not a service, not an admin.
absl::Status RequireSharingChange(const Principal& caller,
                                  absl::string_view person,
                                  bool caller_team_leads);

// Reviewing a team's join from outside the care team: the person
// themselves, or clinical staff of their lead team (`caller_team_leads`).
// Staff of a team not involved are refused as outsiders; the team that
// joined, services and admins may not.
absl::Status RequireJoinReview(const Principal& caller,
                               absl::string_view person,
                               bool caller_team_involved,
                               bool caller_team_leads);

// Reading a person's care plan and its history: service identities,
// clinical staff whose team is involved, or the person themselves. Need to know
// is about now: a team whose involvement ended reads nothing, not even the
// versions it wrote.
absl::Status RequireCarePlanRead(const Principal& caller,
                                 absl::string_view person,
                                 bool caller_team_involved);

// Changing what the plan says (content, agreement): clinical staff whose
// team is involved, or of any team when nobody is involved
// (`anyone_involved` false), which then joins as lead, so a plan nobody
// looks after can be picked up. Not services: content is a person's work.
absl::Status RequireCarePlanWrite(const Principal& caller,
                                  absl::string_view person,
                                  bool caller_team_involved,
                                  bool anyone_involved);

// Adding `team` to the care team: clinical staff of an involved team, or,
// when nobody is involved, of `team` itself (RequirePickUpOwnTeam); and
// service identities (an accepted referral adds its receiving team).
absl::Status RequireCareTeamAdd(const Principal& caller,
                                absl::string_view person,
                                absl::string_view team,
                                bool caller_team_involved,
                                bool anyone_involved);

// Picking up a plan nobody is involved in (adding a team or naming the first
// lead): clinical staff may only bring in their own team, which then reads
// the plan; naming another team would return a plan to a caller not on it.
absl::Status RequirePickUpOwnTeam(const Principal& caller,
                                  absl::string_view person,
                                  absl::string_view team);

// Ending `team`'s involvement: clinical staff of that team or of the lead
// team (`lead_team`, empty when nobody leads), a service identity, or the
// person themselves (their objection) for any team but the lead.
// While anyone is involved, staff whose team is not are refused as outsiders
// before anything else is said: who leads a person's care is need to know.
absl::Status RequireCareTeamEnd(const Principal& caller,
                                absl::string_view person,
                                absl::string_view team,
                                absl::string_view lead_team,
                                bool caller_team_involved);

// Passing the lead on from `from_team` directly: service identities (an
// accepted transfer handover), or clinical staff of `from_team` while it is
// involved. Whether `from_team` leads is a care team rule
// (FAILED_PRECONDITION naming the lead), not a permission.
absl::Status RequireLeadTransfer(const Principal& caller,
                                 absl::string_view person,
                                 absl::string_view from_team,
                                 bool caller_team_involved);

// --- Event feeds (carebridge.events.v1) ---

// How much of one event a subscriber receives.
enum class EventVisibility {
  // Left out of the subscriber's batches (its sequence still counts as
  // considered).
  kHidden,
  // Type, subject, person, teams, actor and time, without the payload.
  kMetadataOnly,
  kFull,
};

// Need to know, per event (the rules in events.proto): service identities
// see everything; clinical staff see the events that name their team in
// `teams`; admins see every event without its payload, enough to operate
// and trace the system; anyone else sees nothing.
EventVisibility EventVisibilityFor(const Principal& caller,
                                   const events::v1::Event& event);

// A care plan event, decided when it is delivered: EventVisibilityFor,
// narrowed for clinical staff to need to know now. Their team sees the
// event while it is on the person's care team (`caller_team_involved_now`);
// a team that has left sees the event that ended its involvement without
// its payload (`event_ended_caller_team`), and nothing else of the person.
EventVisibility CarePlanEventVisibility(const Principal& caller,
                                        const events::v1::Event& event,
                                        bool caller_team_involved_now,
                                        bool event_ended_caller_team);

}  // namespace carebridge::policy

#endif  // CAREBRIDGE_SERVICES_COMMON_POLICY_H_

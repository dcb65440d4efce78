#ifndef CAREBRIDGE_SERVICES_CAREPLAN_CARE_TEAM_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_CARE_TEAM_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "carebridge/careplan/v1/careplan.pb.h"

namespace carebridge::careplan {

// The care team's rules, on a plan in memory. The invariant every function
// keeps (and CheckLeadInvariant states): while at least one team is involved
// (a care_team entry without end_time) there is exactly one lead team,
// `plan.lead_team`, which is involved and is the only entry with `lead`
// set; when nobody is involved, `lead_team` is empty and no entry has
// `lead`. Who may call these is the domain's business, not theirs. On error
// the plan is unchanged.

// The role a team gets when it joins as lead without a stated role.
inline constexpr char kDefaultLeadRole[] = "care coordination";

// True when `team` has an entry without end_time.
bool IsInvolved(const v1::CarePlan& plan, absl::string_view team);
// True when at least one team is involved.
bool AnyoneInvolved(const v1::CarePlan& plan);
// True when `team` is involved and its join from outside the care team is
// not reviewed yet (CareTeamMember.unreviewed).
bool JoinUnreviewed(const v1::CarePlan& plan, absl::string_view team);

// Adds a new entry for `team` starting at `now`. ALREADY_EXISTS when the
// team is involved already. The first team involved becomes the lead.
absl::Status AddTeam(v1::CarePlan& plan, absl::string_view team,
                     absl::string_view role, absl::Time now);

// Sets end_time on `team`'s current entry. NOT_FOUND when it is not
// involved. FAILED_PRECONDITION when it is the lead and other teams are
// still involved (the message tells the caller to hand the lead over
// first). Ending the last team leaves nobody involved and no lead.
absl::Status EndInvolvement(v1::CarePlan& plan, absl::string_view team,
                            absl::Time now);

// Makes `team` the lead when nobody leads (nobody is involved); the team
// joins with `role` (kDefaultLeadRole when empty) if not involved.
// FAILED_PRECONDITION naming the current lead when there is one.
absl::Status SetFirstLead(v1::CarePlan& plan, absl::string_view team,
                          absl::string_view role, absl::Time now);

// Passes the lead from `from_team`, which must be the current lead
// (FAILED_PRECONDITION naming the lead otherwise), to `to_team`, which joins
// with `role` (kDefaultLeadRole when empty) if not involved. In one step:
// there is never no lead, or two. Passing the lead to the lead team itself
// is FAILED_PRECONDITION. Applying an accepted transfer-of-responsibility
// handover (careplan_effects) calls this same function.
absl::Status PassLead(v1::CarePlan& plan, absl::string_view from_team,
                      absl::string_view to_team, absl::string_view role,
                      absl::Time now);

// Marks `team`'s current entry as joined from outside the care team, through
// `through` (an accepted referral or handover): `joined_through` set,
// `unreviewed` true. NOT_FOUND when the team is not involved.
absl::Status MarkJoinedFromOutside(v1::CarePlan& plan, absl::string_view team,
                                   absl::string_view through);

// Whether `team` is on the care team through a join not yet reviewed.
bool AwaitsReview(const v1::CarePlan& plan, absl::string_view team);

// Clears `unreviewed` on `team`'s current entry (`joined_through` stays, as
// history). NOT_FOUND when the team is not involved; FAILED_PRECONDITION
// when its join needs no review.
absl::Status ReviewJoin(v1::CarePlan& plan, absl::string_view team);

// OK when the invariant above holds; INTERNAL describing the breach
// otherwise (stores and tests use it as a guard).
absl::Status CheckLeadInvariant(const v1::CarePlan& plan);

}  // namespace carebridge::careplan

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_CARE_TEAM_H_

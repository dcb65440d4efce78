#ifndef CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_SHARING_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_SHARING_H_

// The person's sharing choices as rules: what each team sees of the care
// plan (its own rule, else its sector's, else the sector's default), and the
// plan as a team may see it. Functions over protos, for the domain, the
// feed and tests alike; the one side effect is the sections noted in the
// audit record of the call being served, if any.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "carebridge/careplan/v1/careplan.pb.h"
#include "carebridge/directory/v1/directory.pb.h"
#include "services/careplan/careplan_validation.h"
#include "services/common/principal.h"
#include "services/sharing/shared_parts.h"

namespace carebridge::careplan {

inline constexpr size_t kMaxSharingRules = 50;

// The rules themselves are every service's (services/sharing).
using sharing::DefaultParts;
using sharing::PartsFor;
using sharing::SharedParts;

// Leaves out of `plan` (a version as stored or presented) what `parts` do
// not share with `team`, and names what was left out in `plan.withheld`.
// The lead team is kept in `lead_team` whatever the parts; a version's
// change keeps its kind, sections, who and when, and loses its reason when
// it changed a section that is withheld (the reason may tell what changed).
// The call being served (if any) returns `plan`: its audit record names
// the sections shown (NoteSectionsShown).
void Withhold(const SharedParts& parts, absl::string_view team,
              v1::CarePlan& plan);

// The parts of the plan `parts` show, as an audit record's `sections`:
// `whole plan`, else the parts' names in SharedPart order without the
// `SHARED_` prefix and the parts others imply
// (`goals,own_actions,what_helps,communication_preferences`), or `none`.
std::string SectionsShown(const SharedParts& parts);

// The call being served (if any) returns what `parts` show of a plan
// (NoteAuditedSections). A read notes it as it withholds; a write before
// it commits, so its record carries it in the write's transaction.
void NoteSectionsShown(const SharedParts& parts);

// The SharedParts of the plan whose absence makes `parts` leave something
// out, in SharedPart order (what `withheld` lists; never SHARED_RISK, which
// referrals and handovers name in their own `withheld_from_receiving_team`).
void ListWithheld(const SharedParts& parts,
                  google::protobuf::RepeatedField<int>* withheld);

// PERMISSION_DENIED, naming the first part and the team, when `mask` writes
// a part of the plan `parts` do not share with `team` whole: a team cannot
// change what it is not shown.
absl::Status RequireSharedForWrite(const SharedParts& parts,
                                   absl::string_view team,
                                   const UpdateMask& mask);

// Request shape: name, at most kMaxSharingRules rules, each with exactly
// one of a known sector or a team name, no sector or team twice, parts
// known and not repeated; reason required. INVALID_ARGUMENT naming the
// field (`sharing_choices.rules[2].team: ...`).
absl::Status ValidateSharingUpdate(const v1::UpdateSharingChoicesRequest& req);

// Fills `choices.effective`: each sector's parts under the rules.
void FillEffective(v1::SharingChoices& choices);

// Whether `caller` reads the choices of `person` (`persons/{id}`) in full:
// their rules, what each sector sees under them, and why they changed. The
// person, the clinical staff of their lead team (`lead_team`) and service
// identities do; the choices are the person's words to their lead team.
bool ReadsChoicesInFull(const Principal& caller, absl::string_view person,
                        absl::string_view lead_team);

// The choices as any other team reads them: that they exist, their
// version, who changed them and when. What the choices show the caller's
// own team is in the plan's `withheld`.
void OutlineChoices(v1::SharingChoices& choices);

}  // namespace carebridge::careplan

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_SHARING_H_

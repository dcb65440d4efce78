#ifndef CAREBRIDGE_CLIENTS_CARECTL_CAREPLAN_FORMAT_H_
#define CAREBRIDGE_CLIENTS_CARECTL_CAREPLAN_FORMAT_H_

#include <ostream>
#include <string>

#include "carebridge/careplan/v1/careplan.pb.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace carebridge::carectl {

// Care plans read by people: one section after another, each with who last
// changed it, and the person's agreement always in plain words, so nobody
// mistakes a changed plan for the one the person agreed.

// YYYY-MM-DD; empty when the date is not set.
std::string FormatDate(const careplan::v1::Date& date);

// "agreed with the person (version 5, 2026-01-02T10:00:00Z, recorded by
// members/m1 (teams/t1): "comment")", "NOT agreed: changed since the person
// agreed version 5", or "NOT agreed: the person has not agreed any version".
// Every state the person has not agreed starts with "NOT agreed".
std::string AgreementStatus(const careplan::v1::CarePlan& plan);

// "version 3, 2026-01-02T10:00:00Z, by members/m1 (teams/t1)".
std::string StampText(const careplan::v1::SectionStamp& stamp);

// The whole plan: a header (name, version, etag, agreement, last change),
// then the care team, goals, actions, crisis plan, communication
// preferences and review date, each headed by who last changed it.
void PrintCarePlan(std::ostream& out, const careplan::v1::CarePlan& plan);

// What a write answers with: name, version, etag, the change and the
// agreement status; the person too when `plan.person` holds a label (see
// LabelNames) rather than the id the plan's name already shows.
void PrintCarePlanSummary(std::ostream& out,
                          const careplan::v1::CarePlan& plan);

// The care team as a table: team, role, lead, since, until.
void PrintCareTeam(std::ostream& out, const careplan::v1::CarePlan& plan,
                   const std::string& indent = "  ");

// The history table: version, time, actor, team, kind, sections, reason,
// agreed; then `next page: TOKEN` when there is more.
void PrintCarePlanVersions(
    std::ostream& out,
    const google::protobuf::RepeatedPtrField<careplan::v1::CarePlan>& versions,
    const std::string& next_page_token, const std::string& indent = "");

// Each version whole (as PrintCarePlan), newest first, separated by a rule;
// then `next page: TOKEN` when there is more. For `careplan versions --full`.
void PrintCarePlanVersionsInFull(
    std::ostream& out,
    const google::protobuf::RepeatedPtrField<careplan::v1::CarePlan>& versions,
    const std::string& next_page_token);

// Each differing section with its changes (`+ path: after`, `- path:
// before`, `~ path: before → after`) and who changed it last, then the
// versions in between. Without `with_agreement` it leaves out what only
// touched the record of the person's agreement (`agreement.*` changes and
// versions that only recorded an agreement), keeps `agreed` (a changed plan
// the person has not agreed stays visible), and says how much it left out.
void PrintCarePlanDiff(std::ostream& out,
                       const careplan::v1::CarePlanDiff& diff,
                       bool with_agreement = true);

// An access just opened: who, until when, why, then the crisis plan it
// opens (as much as the person shares with the team).
void PrintBreakGlassAccess(std::ostream& out,
                           const careplan::v1::BreakGlassAccess& access);
// The same without the crisis plan (a review's answer carries none): who
// opened it, until when, why, and its review.
void PrintBreakGlassReviewed(std::ostream& out,
                             const careplan::v1::BreakGlassAccess& access);

// Break-glass accesses for review, newest first, one row each with its
// reason; then `next page: TOKEN` when there is more.
void PrintBreakGlassAccesses(
    std::ostream& out,
    const careplan::v1::ListBreakGlassAccessesResponse& response);

}  // namespace carebridge::carectl

#endif  // CAREBRIDGE_CLIENTS_CARECTL_CAREPLAN_FORMAT_H_

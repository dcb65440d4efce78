// The care plan feed's events as the record keeps them: plan versions and
// care team changes (with the summary's care plan state), break-glass
// openings, sharing choices.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "carebridge/careplan/v1/careplan.pb.h"
#include "services/common/time_util.h"
#include "services/record/record_projection.h"
#include "services/record/record_projection_internal.h"

namespace carebridge::record::projection_internal {
namespace {

namespace cp = careplan::v1;

bool SameTimestamp(const google::protobuf::Timestamp& a,
                   const google::protobuf::Timestamp& b) {
  return a.seconds() == b.seconds() && a.nanos() == b.nanos();
}

bool PlanSectionChanged(const cp::CarePlan& plan, cp::Section section) {
  for (int changed : plan.change().sections()) {
    if (changed == section) return true;
  }
  return false;
}

std::string PlanSectionsWord(const cp::CarePlan& plan) {
  std::vector<std::string> names;
  for (int section : plan.change().sections()) {
    names.push_back(Lower(cp::Section_Name(static_cast<cp::Section>(section))));
  }
  return absl::StrJoin(names, ", ");
}

absl::StatusOr<RecordChange> ProjectCarePlan(const events::v1::Event& event,
                                             const std::string& person_id) {
  cp::CarePlan plan;
  if (!event.payload().UnpackTo(&plan)) return NotA(event, "CarePlan");
  const cp::Change& how = plan.change();
  const bool care_team = how.kind() == cp::Change::CARE_TEAM_CHANGED ||
                         how.kind() == cp::Change::LEAD_CHANGED;
  RecordChange change;
  change.person_id = person_id;
  TimelineRow row =
      RowFor(event, person_id, care_team ? v1::CARE_TEAM : v1::CARE_PLAN);
  row.actor_team = how.actor_team();
  row.reason = how.reason();
  row.sections.emplace(how.sections().begin(), how.sections().end());
  std::vector<std::string> joined;
  for (const cp::CareTeamMember& member : plan.care_team()) {
    if (!PlanSectionChanged(plan, cp::CARE_TEAM)) break;
    if (member.has_end_time() && SameTimestamp(member.end_time(), how.time())) {
      row.ended_teams.push_back(member.team());
    } else if (!member.has_end_time() &&
               SameTimestamp(member.start_time(), how.time())) {
      joined.push_back(absl::StrCat(
          member.team(), " (", member.role(), ")",
          member.unreviewed()
              ? absl::StrCat(" through ", member.joined_through(),
                             ", which no team on the care team sent: to "
                             "review")
              : std::string()));
    }
  }
  switch (how.kind()) {
    case cp::Change::CARE_TEAM_CHANGED: {
      std::vector<std::string> parts;
      if (!joined.empty()) {
        parts.push_back(
            absl::StrCat(absl::StrJoin(joined, ", "), " joined the care team"));
      }
      if (!row.ended_teams.empty()) {
        parts.push_back(absl::StrCat(absl::StrJoin(row.ended_teams, ", "),
                                     " left the care team"));
      }
      row.summary =
          parts.empty() ? "Care team changed" : absl::StrJoin(parts, "; ");
      break;
    }
    case cp::Change::LEAD_CHANGED:
      row.summary = plan.lead_team().empty()
                        ? "Nobody leads the care team now"
                        : absl::StrCat(plan.lead_team(), " leads the care now");
      break;
    case cp::Change::AGREEMENT_RECORDED:
      row.summary =
          absl::StrCat("The person agreed care plan version ", plan.version());
      break;
    default:
      row.summary =
          absl::StrCat("Care plan version ", plan.version(),
                       plan.change().sections().empty()
                           ? std::string()
                           : absl::StrCat(": ", PlanSectionsWord(plan)));
      break;
  }
  change.entry = std::move(row);

  PlanState state;
  state.person_id = person_id;
  state.time = FromProtoTimestamp(how.time());
  v1::CareSummary& summary = state.plan;
  summary.set_care_plan_version(plan.version());
  summary.set_lead_team(plan.lead_team());
  for (const cp::CareTeamMember& member : plan.care_team()) {
    if (member.has_end_time()) continue;
    v1::CareTeamMember& now = *summary.add_care_team();
    now.set_team(member.team());
    now.set_role(member.role());
    now.set_lead(member.lead());
    *now.mutable_since() = member.start_time();
    now.set_unreviewed(member.unreviewed());
    now.set_joined_through(member.joined_through());
    now.set_sector(member.sector());
  }
  summary.set_agreed(plan.agreed());
  if (plan.has_agreement() && plan.agreement().has_agree_time()) {
    *summary.mutable_agree_time() = plan.agreement().agree_time();
  }
  if (plan.has_review_date() && plan.review_date().year() > 0) {
    absl::Time midnight = absl::FromCivil(
        absl::CivilDay(plan.review_date().year(), plan.review_date().month(),
                       plan.review_date().day()),
        absl::UTCTimeZone());
    *summary.mutable_review_time() = ToProtoTimestamp(midnight);
  }
  summary.set_has_crisis_plan(plan.has_crisis_plan() &&
                              plan.crisis_plan().ByteSizeLong() > 0);
  change.plan = std::move(state);
  return change;
}

absl::StatusOr<RecordChange> ProjectBreakGlass(const events::v1::Event& event,
                                               const std::string& person_id) {
  cp::BreakGlassAccess access;
  if (!event.payload().UnpackTo(&access)) {
    return NotA(event, "BreakGlassAccess");
  }
  RecordChange change;
  change.person_id = person_id;
  TimelineRow row = RowFor(event, person_id, v1::BREAK_GLASS);
  if (event.type() == "careplan.break_glass_reviewed") {
    // Its review, on the timeline as the access is (for the lead team
    // named); the reviewer acted, often the lead team itself: no inbox.
    const cp::BreakGlassReview& review = access.review();
    row.actor_team = review.reviewer_team();
    row.reason = review.reason();
    row.summary = absl::StrCat(
        "Break-glass access by ", access.member(), " of ", access.team(),
        " reviewed: ",
        review.outcome() == cp::BreakGlassReview::JUSTIFIED ? "justified"
                                                            : "not justified");
    change.entry = std::move(row);
    return change;
  }
  row.actor_team = access.team();
  row.reason = access.reason();
  row.summary =
      absl::StrCat("Crisis plan opened by break-glass by ", access.member(),
                   " of ", access.team(), ", not on the care team, until ",
                   absl::FormatTime("%Y-%m-%d %H:%M UTC",
                                    FromProtoTimestamp(access.expire_time()),
                                    absl::UTCTimeZone()));
  Notify(change, "inbox.break_glass", access.lead_team(), row);
  change.entry = std::move(row);
  return change;
}

absl::StatusOr<RecordChange> ProjectSharingChange(
    const events::v1::Event& event, const std::string& person_id) {
  cp::SharingChoices choices;
  if (!event.payload().UnpackTo(&choices)) {
    return NotA(event, "SharingChoices");
  }
  RecordChange change;
  change.person_id = person_id;
  TimelineRow row = RowFor(event, person_id, v1::SHARING_CHOICES);
  row.actor_team = choices.updated_by_team();
  row.reason = choices.reason();
  row.summary = absl::StrCat(
      "Sharing choices changed (version ", choices.version(), ", ",
      choices.rules_size(), choices.rules_size() == 1 ? " rule" : " rules",
      ") by ",
      choices.updated_by_team().empty() ? "the person"
                                        : choices.updated_by_team());
  change.entry = std::move(row);
  return change;
}

}  // namespace

absl::StatusOr<RecordChange> ProjectCarePlanFeed(const events::v1::Event& event,
                                                 const std::string& person_id) {
  if (event.type() == "careplan.break_glass" ||
      event.type() == "careplan.break_glass_reviewed") {
    return ProjectBreakGlass(event, person_id);
  }
  if (event.type() == "careplan.sharing_changed") {
    return ProjectSharingChange(event, person_id);
  }
  return ProjectCarePlan(event, person_id);
}

}  // namespace carebridge::record::projection_internal

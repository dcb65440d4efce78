#include "services/careplan/careplan_events.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/careplan/careplan_names.h"
#include "services/common/event_log.h"
#include "services/common/time_util.h"

namespace carebridge::careplan {

std::string VersionEventType(v1::Change::Kind kind) {
  return absl::StrCat("careplan.",
                      absl::AsciiStrToLower(v1::Change::Kind_Name(kind)));
}

events::v1::Event VersionEvent(absl::string_view person_id,
                               const v1::CarePlan& version) {
  std::vector<std::string> teams;
  for (const v1::CareTeamMember& member : version.care_team()) {
    if (std::find(teams.begin(), teams.end(), member.team()) == teams.end()) {
      teams.push_back(member.team());
    }
  }
  v1::CarePlan presented = version;
  presented.set_name(CarePlanName(person_id));
  presented.set_etag(EtagOf(version.version()));
  return MakeEvent(VersionEventType(version.change().kind()),
                   CarePlanVersionName(person_id, version.version()),
                   PersonName(person_id), std::move(teams),
                   version.change().actor(),
                   FromProtoTimestamp(version.change().time()), presented);
}

bool IsVersionEvent(const events::v1::Event& event) {
  return absl::StrContains(event.subject(), "/carePlan/versions/");
}

namespace {

events::v1::Event BreakGlassEventOf(absl::string_view type,
                                    absl::string_view person_id, int64_t seq,
                                    const v1::BreakGlassAccess& access,
                                    absl::string_view lead_team,
                                    const std::string& actor, absl::Time time) {
  std::vector<std::string> teams;
  if (!lead_team.empty()) teams.emplace_back(lead_team);
  v1::BreakGlassAccess presented = access;
  presented.set_name(BreakGlassAccessName(person_id, seq));
  presented.clear_crisis_plan();
  return MakeEvent(type, presented.name(), PersonName(person_id),
                   std::move(teams), actor, time, presented);
}

}  // namespace

events::v1::Event BreakGlassEvent(absl::string_view person_id, int64_t seq,
                                  const v1::BreakGlassAccess& access) {
  return BreakGlassEventOf(kBreakGlassEventType, person_id, seq, access,
                           access.lead_team(), access.member(),
                           FromProtoTimestamp(access.start_time()));
}

events::v1::Event BreakGlassReviewedEvent(absl::string_view person_id,
                                          int64_t seq,
                                          const v1::BreakGlassAccess& access,
                                          absl::string_view lead_team) {
  return BreakGlassEventOf(kBreakGlassReviewedEventType, person_id, seq, access,
                           lead_team, access.review().reviewer(),
                           FromProtoTimestamp(access.review().review_time()));
}

events::v1::Event SharingChangedEvent(absl::string_view person_id,
                                      const v1::SharingChoices& choices,
                                      std::vector<std::string> teams) {
  v1::SharingChoices presented = choices;
  presented.set_name(SharingChoicesName(person_id));
  presented.clear_effective();
  return MakeEvent(kSharingChangedEventType, presented.name(),
                   PersonName(person_id), std::move(teams),
                   choices.updated_by(),
                   FromProtoTimestamp(choices.update_time()), presented);
}

}  // namespace carebridge::careplan

#include "services/careplan/careplan_events.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
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

}  // namespace carebridge::careplan

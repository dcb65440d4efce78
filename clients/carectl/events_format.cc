#include "clients/carectl/events_format.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "clients/carectl/format.h"

namespace carebridge::carectl {
namespace {

// A field as one awk-friendly word group: `-` when empty, no line breaks.
std::string Cell(absl::string_view text) {
  if (text.empty()) return "-";
  return absl::StrReplaceAll(text, {{"\r", " "}, {"\n", " "}, {"\t", " "}});
}

}  // namespace

std::string EventLine(const events::v1::Event& event, const NameLabels& names) {
  std::vector<std::string> teams;
  for (const std::string& team : event.teams()) {
    teams.push_back(names.Label(team));
  }
  std::vector<std::string> cells = {
      absl::StrCat(event.sequence()),
      Cell(event.has_time() ? FormatTimestamp(event.time()) : ""),
      Cell(event.type()),
      Cell(event.subject()),
      Cell(names.Label(event.person())),
      Cell(names.Label(event.actor())),
      Cell(absl::StrJoin(teams, ",")),
  };
  return absl::StrCat(absl::StrJoin(cells, "  "), "\n");
}

std::string EventJsonLine(const events::v1::Event& event,
                          std::string* warning) {
  warning->clear();
  absl::StatusOr<std::string> json = ToJsonLine(event);
  if (json.ok()) return *json;
  events::v1::Event without_payload = event;
  without_payload.clear_payload();
  *warning = absl::StrCat(
      "event ", event.id(), ": payload of type ", event.payload().type_url(),
      " left out: this carectl cannot read it (", json.status().message(), ")");
  json = ToJsonLine(without_payload);
  return json.ok() ? *json : "{}\n";
}

}  // namespace carebridge::carectl

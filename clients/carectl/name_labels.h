#ifndef CAREBRIDGE_CLIENTS_CARECTL_NAME_LABELS_H_
#define CAREBRIDGE_CLIENTS_CARECTL_NAME_LABELS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace carebridge::carectl {

// What a screen shows people instead of a resource name: "Ada Lovelace (NHS
// 943 476 5919)" for persons/…, a team's or member's display name. Names
// with no label show as themselves, so an empty NameLabels prints ids as
// --json does.
class NameLabels {
 public:
  void Set(const std::string& name, std::string label);

  // The label of `name`, or `name` itself.
  std::string Label(absl::string_view name) const;

  // For key: value blocks: the label with the name on the line under it,
  // so the id stays at hand for the next command; `name` alone when it has
  // no label.
  std::string LabelOverName(absl::string_view name) const;

  // `text` with each labelled resource name in it replaced by its label
  // ("Referral declined by teams/crisis" → "… by Crisis Team").
  std::string InText(absl::string_view text) const;

 private:
  std::map<std::string, std::string, std::less<>> labels_;
};

// Replaces each string field of `message` (nested and repeated ones
// included) that is a labelled name with its label, so a printer made for
// ids prints names with its columns still lined up. For --json, never.
void LabelNames(google::protobuf::Message* message, const NameLabels& names);

// The persons/…, teams/… and members/… names in `text`, in order, each
// once ("persons/p1/careSummary" is not one: it names something else).
std::vector<std::string> ResourceNamesInText(absl::string_view text);

// The same for every string field of `message`, nested and repeated ones
// included.
std::vector<std::string> ResourceNamesIn(
    const google::protobuf::Message& message);

}  // namespace carebridge::carectl

#endif  // CAREBRIDGE_CLIENTS_CARECTL_NAME_LABELS_H_

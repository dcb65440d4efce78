#include "clients/carectl/directory_format.h"

#include "absl/strings/str_cat.h"
#include "clients/carectl/format.h"

namespace carebridge::carectl {

std::string MergedIntoLine(const directory::v1::Person& person,
                           const NameLabels& names) {
  const std::string& kept = person.merged_into();
  if (kept.empty()) return "";
  std::string label = names.Label(kept);
  std::string line = absl::StrCat(
      "Merged into: ", label == kept ? kept : absl::StrCat(label, ", ", kept));
  if (person.has_merge_time()) {
    absl::StrAppend(&line, label == kept ? " " : ", ", "on ",
                    FormatTimestamp(person.merge_time()));
  }
  return absl::StrCat(line, ". Use that record.");
}

void PrintPerson(std::ostream& out, const directory::v1::Person& person,
                 const NameLabels& names) {
  std::string merged = MergedIntoLine(person, names);
  if (!merged.empty()) out << merged << "\n\n";
  PrintResource(out, person, names);
}

}  // namespace carebridge::carectl

#include "services/careplan_client/shown_exchanges.h"

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/call_audit.h"

namespace carebridge::careplan_client {

absl::Status ShownExchanges::Show(
    ExchangeSharing::Reader& reader, const Exchange& exchange,
    absl::string_view name, careplan::v1::SharedPart part,
    absl::string_view field_name, std::string& field,
    google::protobuf::RepeatedPtrField<std::string>& withheld) {
  absl::StatusOr<bool> emptied =
      reader.Show(exchange, part, field_name, field, withheld);
  if (!emptied.ok()) return emptied.status();
  Shown shown{std::string(exchange.person), std::string(name), {}};
  if (*emptied) shown.emptied.emplace_back(field_name);
  shown_.push_back(std::move(shown));
  return absl::OkStatus();
}

std::string ShownExchanges::SectionsOf(const Shown& shown) const {
  if (shown.emptied.empty()) return absl::StrCat("whole ", kind_);
  return absl::StrCat("all but ", absl::StrJoin(shown.emptied, ","));
}

void ShownExchanges::NoteOne() const {
  if (shown_.empty()) return;
  NoteAuditedSections(SectionsOf(shown_.back()));
}

void ShownExchanges::NoteEach() const {
  NoteAuditedSections("none");
  std::map<std::string, std::vector<std::string>> of_person;
  std::vector<std::string> persons;
  for (const Shown& shown : shown_) {
    std::vector<std::string>& items = of_person[shown.person];
    if (items.empty()) persons.push_back(shown.person);
    items.push_back(absl::StrCat(shown.name, ": ", SectionsOf(shown)));
  }
  // In the order listed: the first person listed names the call's record.
  for (const std::string& person : persons) {
    NoteAuditedSectionsOf(person, absl::StrJoin(of_person[person], "; "));
  }
}

}  // namespace carebridge::careplan_client

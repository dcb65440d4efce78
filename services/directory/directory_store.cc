#include "services/directory/directory_store.h"

#include "absl/strings/ascii.h"

namespace carebridge::directory {

std::string SortKey(absl::string_view display_name) {
  return absl::AsciiStrToLower(display_name);
}

std::string FamilyNameKey(absl::string_view family_name) {
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(family_name));
}

bool IsPossibleDuplicate(const v1::Person& incoming,
                         const v1::Person& registered) {
  if (!incoming.nhs_number().empty() && !registered.nhs_number().empty()) {
    return false;
  }
  const std::string given = FamilyNameKey(incoming.given_name());
  return given == FamilyNameKey(registered.given_name()) ||
         (!registered.preferred_name().empty() &&
          given == FamilyNameKey(registered.preferred_name()));
}

}  // namespace carebridge::directory

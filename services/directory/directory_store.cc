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
  // Each is called by their given or preferred name: any in common.
  for (const std::string* a :
       {&incoming.given_name(), &incoming.preferred_name()}) {
    if (FamilyNameKey(*a).empty()) continue;
    for (const std::string* b :
         {&registered.given_name(), &registered.preferred_name()}) {
      if (FamilyNameKey(*a) == FamilyNameKey(*b)) return true;
    }
  }
  return false;
}

}  // namespace carebridge::directory

#include "services/directory/directory_store.h"

#include "absl/strings/ascii.h"

namespace carebridge::directory {

std::string SortKey(absl::string_view display_name) {
  return absl::AsciiStrToLower(display_name);
}

std::string FamilyNameKey(absl::string_view family_name) {
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(family_name));
}

}  // namespace carebridge::directory

#ifndef CAREBRIDGE_CLIENTS_CARECTL_NAMES_H_
#define CAREBRIDGE_CLIENTS_CARECTL_NAMES_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace carebridge::carectl {

// Resource names may be given with or without their collection:
// `teams/abc` or just `abc` where a team is expected.
inline std::string ResourceName(absl::string_view collection,
                                absl::string_view name_or_id) {
  if (name_or_id.empty() || name_or_id.find('/') != absl::string_view::npos) {
    return std::string(name_or_id);
  }
  return absl::StrCat(collection, "/", name_or_id);
}

}  // namespace carebridge::carectl

#endif  // CAREBRIDGE_CLIENTS_CARECTL_NAMES_H_

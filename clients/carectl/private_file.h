#ifndef CAREBRIDGE_CLIENTS_CARECTL_PRIVATE_FILE_H_
#define CAREBRIDGE_CLIENTS_CARECTL_PRIVATE_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace carebridge::carectl {

// Writes `contents` to `path` readable and writable by its owner only
// (0600): a new file is created so, and an existing one is truncated and
// set to 0600 before anything is written. For tokens and carectl's config.
absl::Status WritePrivateFile(const std::string& path,
                              absl::string_view contents);

}  // namespace carebridge::carectl

#endif  // CAREBRIDGE_CLIENTS_CARECTL_PRIVATE_FILE_H_

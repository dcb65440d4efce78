#ifndef CAREBRIDGE_SERVICES_SERVER_BOOTSTRAP_H_
#define CAREBRIDGE_SERVICES_SERVER_BOOTSTRAP_H_

#include <string>

#include "absl/status/statusor.h"
#include "services/common/clock.h"
#include "services/common/token.h"

namespace carebridge::server {

// The bootstrap admin's subject; it exists only as a token.
inline constexpr char kBootstrapAdmin[] = "members/bootstrap-admin";
inline constexpr absl::Duration kBootstrapTokenTtl = absl::Hours(24 * 30);

// Makes sure DATA_DIR/bootstrap-admin.token holds a valid admin token (mode
// 0600), writing a new one when it is missing or expired. Returns its path.
absl::StatusOr<std::string> EnsureBootstrapToken(const std::string& data_dir,
                                                 const TokenSigner& signer,
                                                 const Clock& clock);

// Creates `dir` (and parents) with mode 0700 if it does not exist.
absl::Status EnsureDataDir(const std::string& dir);

}  // namespace carebridge::server

#endif  // CAREBRIDGE_SERVICES_SERVER_BOOTSTRAP_H_

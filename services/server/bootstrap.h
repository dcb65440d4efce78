#ifndef CAREBRIDGE_SERVICES_SERVER_BOOTSTRAP_H_
#define CAREBRIDGE_SERVICES_SERVER_BOOTSTRAP_H_

#include <string>

#include "absl/status/statusor.h"
#include "services/common/clock.h"
#include "services/common/token.h"
#include "services/server/server_config.h"

namespace carebridge::server {

// The bootstrap admin's subject; it exists only as a token.
inline constexpr char kBootstrapAdmin[] = "members/bootstrap-admin";
inline constexpr absl::Duration kBootstrapTokenTtl = absl::Hours(24 * 30);

// Makes sure DATA_DIR/bootstrap-admin.token holds a valid admin token (mode
// 0600), writing a new one when it is missing, expired or within a day of
// expiring. Returns its path.
//
// A token provided from elsewhere may not be writable (a Kubernetes Secret
// mounted over the file): then one still valid is kept, with a warning to
// renew it where it comes from, and one no longer valid (expired, or signed
// with a key since retired) is left out, logged, and "" returned: the
// server starts without a bootstrap admin token rather than not at all.
// Failing to write where no token is stays an error.
absl::StatusOr<std::string> EnsureBootstrapToken(const std::string& data_dir,
                                                 const TokenSigner& signer,
                                                 const Clock& clock);

// Adds a signing key to the config's --token_keys_dir that starts signing
// `activate_in` after `now`, and publishes the key set (jwks.json) with it.
// Returns the new key's kid.
absl::StatusOr<std::string> RotateTokenKey(const ServerConfig& config,
                                           absl::Time now,
                                           absl::Duration activate_in);

// Creates `dir` (and parents) with mode 0700 if it does not exist.
absl::Status EnsureDataDir(const std::string& dir);

}  // namespace carebridge::server

#endif  // CAREBRIDGE_SERVICES_SERVER_BOOTSTRAP_H_

#ifndef CAREBRIDGE_SERVICES_COMMON_AUTHENTICATOR_H_
#define CAREBRIDGE_SERVICES_COMMON_AUTHENTICATOR_H_

#include <grpcpp/server_context.h>

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/common/clock.h"
#include "services/common/principal.h"
#include "services/common/token.h"
#include "services/common/token_revocations.h"

namespace carebridge {

class SqliteDb;

// The metadata key and scheme clients present tokens with.
inline constexpr char kAuthorizationHeader[] = "authorization";
inline constexpr char kBearerPrefix[] = "Bearer ";

// Turns a call's `authorization: Bearer <token>` metadata into a Principal.
// Every handler calls Authenticate first: no principal, no call. This class
// is thread-safe.
class Authenticator {
 public:
  Authenticator(const TokenSigner* signer, const Clock* clock)
      : signer_(signer), clock_(clock) {}

  absl::StatusOr<Principal> Authenticate(
      const grpc::ServerContextBase& context) const;
  // For the raw header value (used by the call log as well).
  absl::StatusOr<Principal> AuthenticateHeader(absl::string_view value) const;

  // What makes a verified token no longer stand (revoked, its member
  // changed or deactivated): asked after the signature and expiry. Null
  // (the default): nothing is revoked. Set while the process is set up,
  // before it serves; the pointee outlives this.
  void SetRevocations(const TokenRevocations* revocations) {
    revocations_ = revocations;
  }
  const TokenRevocations* revocations() const { return revocations_; }

  // The clock tokens are checked against (e.g. for streams that end when
  // their token expires).
  const Clock* clock() const { return clock_; }

  // The audit log of the services of `package` (`carebridge.careplan.v1`):
  // where a call to them leaves its record when it reads no audited
  // database first, so a refusal before anything is read, or a token that
  // does not verify, is recorded too. Set while the process is set up,
  // before it serves; not thread-safe against calls.
  void SetAuditLog(std::string package, SqliteDb* log) {
    audit_logs_[std::move(package)] = log;
  }
  // Null when none was set.
  SqliteDb* AuditLogFor(absl::string_view package) const {
    auto it = audit_logs_.find(package);
    return it == audit_logs_.end() ? nullptr : it->second;
  }

 private:
  const TokenSigner* signer_;
  const Clock* clock_;
  const TokenRevocations* revocations_ = nullptr;
  absl::flat_hash_map<std::string, SqliteDb*> audit_logs_;
};

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_AUTHENTICATOR_H_

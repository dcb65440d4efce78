#ifndef CAREBRIDGE_SERVICES_COMMON_AUTHENTICATOR_H_
#define CAREBRIDGE_SERVICES_COMMON_AUTHENTICATOR_H_

#include <grpcpp/server_context.h>

#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/common/clock.h"
#include "services/common/oidc_sign_in.h"
#include "services/common/principal.h"
#include "services/common/token.h"
#include "services/common/token_revocations.h"

namespace carebridge {

class Database;

// The metadata key and scheme clients present tokens with.
inline constexpr char kAuthorizationHeader[] = "authorization";
inline constexpr char kBearerPrefix[] = "Bearer ";
// What a carebridge process's TLS client certificate names it by (a URI
// subject alternative name, SPIFFE-shaped): `<prefix><name>` is the service
// identity `services/<name>`. deploy/tls/gen-certs.sh makes them.
inline constexpr char kServiceCertificateUriPrefix[] =
    "spiffe://carebridge/services/";

// Turns a call's `authorization: Bearer <token>` metadata into a Principal,
// or, for a call with no token from a peer whose TLS client certificate the
// listener verified against the deployment's CA, into that service's
// identity. Every handler calls Authenticate first: no principal, no call.
// This class is thread-safe.
class Authenticator {
 public:
  Authenticator(const TokenSigner* signer, const Clock* clock)
      : signer_(signer), clock_(clock) {}

  absl::StatusOr<Principal> Authenticate(
      const grpc::ServerContextBase& context) const;
  // What Authenticate decides from the call's authorization header (none:
  // nullopt) and its transport's auth context (null: none).
  absl::StatusOr<Principal> AuthenticateCall(
      std::optional<absl::string_view> header,
      const grpc::AuthContext* auth) const;
  // For the raw header value (used by the call log as well).
  absl::StatusOr<Principal> AuthenticateHeader(absl::string_view value) const;
  // The service identity a verified client certificate names; NOT_FOUND
  // when the peer presented none, or one that names no carebridge service.
  static absl::StatusOr<Principal> CertificatePrincipal(
      const grpc::AuthContext* auth);

  // Mutual TLS between processes: a service identity must then come from a
  // verified client certificate (or this process itself, in-process): a
  // service bearer token over TLS from a peer without one is refused, so a
  // service token that leaked is no use elsewhere. Set while the process is
  // set up, before it serves.
  void RequireServiceCertificates(bool required) {
    require_service_certificates_ = required;
  }

  // What makes a verified token no longer stand (revoked, its member
  // changed or deactivated): asked after the signature and expiry. Null
  // (the default): nothing is revoked. Set while the process is set up,
  // before it serves; the pointee outlives this.
  void SetRevocations(const TokenRevocations* revocations) {
    revocations_ = revocations;
  }
  const TokenRevocations* revocations() const { return revocations_; }

  // Sign-in with the organisation's identity provider: a bearer token that
  // is not carebridge's own and says it comes from the provider's issuer is
  // verified by `sign_in` and becomes the member it names (then checked
  // against the revocations like any token). Null (the default): only
  // carebridge's tokens. Set while the process is set up, before it
  // serves; the pointee outlives this.
  void SetOidcSignIn(const OidcSignIn* sign_in) { oidc_ = sign_in; }

  // The clock tokens are checked against (e.g. for streams that end when
  // their token expires).
  const Clock* clock() const { return clock_; }

  // The audit log of the services of `package` (`carebridge.careplan.v1`):
  // where a call to them leaves its record when it reads no audited
  // database first, so a refusal before anything is read, or a token that
  // does not verify, is recorded too. Set while the process is set up,
  // before it serves; not thread-safe against calls.
  void SetAuditLog(std::string package, Database* log) {
    audit_logs_[std::move(package)] = log;
  }
  // Null when none was set.
  Database* AuditLogFor(absl::string_view package) const {
    auto it = audit_logs_.find(package);
    return it == audit_logs_.end() ? nullptr : it->second;
  }

 private:
  const TokenSigner* signer_;
  const Clock* clock_;
  const TokenRevocations* revocations_ = nullptr;
  const OidcSignIn* oidc_ = nullptr;
  bool require_service_certificates_ = false;
  absl::flat_hash_map<std::string, Database*> audit_logs_;
};

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_AUTHENTICATOR_H_

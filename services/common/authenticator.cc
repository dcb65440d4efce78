#include "services/common/authenticator.h"

#include <grpc/grpc_security_constants.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "services/common/errors.h"

namespace carebridge {

namespace {
// The transport a call came over: "ssl" for TLS.
bool OverTls(const grpc::AuthContext* auth) {
  if (auth == nullptr) return false;
  for (const grpc::string_ref& type :
       auth->FindPropertyValues(GRPC_TRANSPORT_SECURITY_TYPE_PROPERTY_NAME)) {
    if (absl::string_view(type.data(), type.size()) == "ssl") return true;
  }
  return false;
}
}  // namespace

absl::StatusOr<Principal> Authenticator::CertificatePrincipal(
    const grpc::AuthContext* auth) {
  if (auth == nullptr || !auth->IsPeerAuthenticated() || !OverTls(auth)) {
    return absl::NotFoundError("no verified client certificate");
  }
  for (const char* property :
       {GRPC_PEER_URI_PROPERTY_NAME, GRPC_X509_SAN_PROPERTY_NAME}) {
    for (const grpc::string_ref& value : auth->FindPropertyValues(property)) {
      absl::string_view uri(value.data(), value.size());
      if (!absl::ConsumePrefix(&uri, kServiceCertificateUriPrefix) ||
          uri.empty() || uri.size() > 64 ||
          !std::all_of(uri.begin(), uri.end(), [](char c) {
            return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                   c == '-';
          })) {
        continue;
      }
      Principal principal;
      principal.subject = absl::StrCat("services/", uri);
      principal.role = Role::kService;
      // Checked when the connection was made; it lasts as long.
      principal.expire_time = absl::InfiniteFuture();
      principal.token_id = "certificate";
      return principal;
    }
  }
  return absl::NotFoundError(
      "the client certificate names no carebridge service");
}

absl::StatusOr<Principal> Authenticator::Authenticate(
    const grpc::ServerContextBase& context) const {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(kAuthorizationHeader);
  std::optional<absl::string_view> header;
  if (it != metadata.end()) {
    header = absl::string_view(it->second.data(), it->second.size());
  }
  return AuthenticateCall(header, context.auth_context().get());
}

absl::StatusOr<Principal> Authenticator::AuthenticateCall(
    std::optional<absl::string_view> header,
    const grpc::AuthContext* auth) const {
  if (!header.has_value()) {
    absl::StatusOr<Principal> service = CertificatePrincipal(auth);
    if (service.ok()) return service;
    return errors::Unauthenticated(
        "no credentials: send `authorization: Bearer <token>` metadata");
  }
  absl::StatusOr<Principal> principal = AuthenticateHeader(*header);
  // Over TLS a service token must come with a service's certificate; a
  // call that is not over TLS reached a TLS-only listener in-process.
  if (principal.ok() && principal->is_service() &&
      require_service_certificates_ && OverTls(auth) &&
      !CertificatePrincipal(auth).ok()) {
    return errors::Unauthenticated(absl::StrCat(
        "a service identity (", principal->subject,
        ") is accepted only with a carebridge service's TLS client "
        "certificate"));
  }
  return principal;
}

absl::StatusOr<Principal> Authenticator::AuthenticateHeader(
    absl::string_view value) const {
  if (!absl::StartsWithIgnoreCase(value, kBearerPrefix)) {
    return errors::Unauthenticated(
        "authorization metadata must be `Bearer <token>`");
  }
  value.remove_prefix(sizeof(kBearerPrefix) - 1);
  absl::Time now = clock_->Now();
  absl::StatusOr<Principal> principal = signer_->Verify(value, now);
  // Not one of ours: perhaps the identity provider's. Which member it
  // names is known once the directory's feed is.
  if (!principal.ok() && oidc_ != nullptr && oidc_->FromIssuer(value)) {
    if (revocations_ != nullptr) {
      absl::Status known = revocations_->CheckKnown();
      if (!known.ok()) return known;
    }
    principal = oidc_->Authenticate(value, now);
  }
  if (principal.ok() && revocations_ != nullptr) {
    absl::Status stands = revocations_->Check(*principal);
    if (!stands.ok()) return stands;
  }
  return principal;
}

}  // namespace carebridge

// RevokePersonTokens: ending the tokens a person holds to read their own
// record (issued by the care plan service for their lead team), all at once
// or one by its id.

#include <string>

#include "absl/strings/str_cat.h"
#include "services/common/call_audit.h"
#include "services/common/event_log.h"
#include "services/common/macros.h"
#include "services/common/time_util.h"
#include "services/common/validation.h"
#include "services/directory/directory_domain.h"
#include "services/directory/directory_validation.h"
#include "services/directory/errors.h"

namespace carebridge::directory {
namespace {

// The reason of a person's own sign-out when they give none.
constexpr char kPersonSignedOut[] = "the person signed out";
// A concurrent change of the person (UpdatePerson) makes the store's
// compare-and-swap fail; the revocation is made again on a fresh read.
constexpr int kPersonTokensAttempts = 5;

}  // namespace

absl::StatusOr<v1::PersonTokenRevocation> DirectoryDomain::RevokePersonTokens(
    const Principal& caller, const v1::RevokePersonTokensRequest& request) {
  RETURN_IF_ERROR(
      ParseResourceName("name", request.name(), "persons").status());
  if (!request.token_id().empty()) {
    RETURN_IF_ERROR(CheckRequestId("token_id", request.token_id()));
  }
  const bool self = caller.is_person(request.name());
  std::string reason = request.reason();
  if (self && reason.empty()) {
    reason = kPersonSignedOut;
  } else {
    RETURN_IF_ERROR(CheckReason("reason", reason));
  }
  NoteAuditReason(reason);
  if (!self && !caller.is_admin() && !caller.is_service()) {
    return errors::PersonTokensNotTheirs(caller.subject, request.name());
  }
  v1::PersonTokenRevocation revocation;
  revocation.set_person(request.name());
  revocation.set_token_id(request.token_id());
  revocation.set_reason(reason);
  revocation.set_revoked_by(caller.subject);
  // Whom a service called for (its caller, e.g. the lead team's clinician).
  if (const CallAudit* call = CurrentCallAudit();
      caller.is_service() && call != nullptr) {
    revocation.set_on_behalf_of(OnBehalfOfText(call->requester));
  }
  const bool one = !request.token_id().empty();
  for (int attempt = 1;; ++attempt) {
    ASSIGN_OR_RETURN(v1::Person person, store_->GetPerson(request.name()));
    const absl::Time now = clock_->Now();
    *revocation.mutable_revoke_time() = ToProtoTimestamp(now);
    const std::string read_etag = person.etag();
    if (one) {
      // Tokens are not stored: the event is the record, remembered as long
      // as any token issued now or before could live.
      *revocation.mutable_expire_time() =
          ToProtoTimestamp(now + kLongestMaxTokenTtl);
    } else {
      *revocation.mutable_tokens_valid_after() = ToProtoTimestamp(now);
      *person.mutable_tokens_valid_after() = revocation.tokens_valid_after();
      person.set_tokens_valid_after_reason(reason);
      *person.mutable_update_time() = revocation.revoke_time();
      person.set_etag(ids_->NewId());
    }
    const events::v1::Event event =
        MakeEvent("person_tokens.revoked", person.name(), person.name(),
                  /*teams=*/{}, caller.subject, now, revocation);
    if (one) {
      RETURN_IF_ERROR(store_->AppendEvent(event));
      return revocation;
    }
    absl::Status stored = store_->ReplacePerson(person, read_etag, event);
    if (!absl::IsAborted(stored) || attempt == kPersonTokensAttempts) {
      RETURN_IF_ERROR(stored);
      return revocation;
    }
  }
}

}  // namespace carebridge::directory

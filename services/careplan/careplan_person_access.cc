// The person's own access to their record: the token their lead team
// issues them (IssuePersonToken), and ending it (RevokePersonTokens): the
// directory keeps what ends a person's tokens, as it does for staff, and
// every process follows it. What the token allows is decided where each
// read or write is (policy::RequireOwnRecord).

#include "absl/strings/str_cat.h"
#include "services/careplan/careplan_domain.h"
#include "services/careplan/careplan_names.h"
#include "services/careplan/careplan_validation.h"
#include "services/common/call_audit.h"
#include "services/common/errors.h"
#include "services/common/macros.h"
#include "services/common/policy.h"
#include "services/common/time_util.h"
#include "services/common/token_revocations.h"
#include "services/common/validation.h"

namespace carebridge::careplan {
namespace {

constexpr absl::Duration kDefaultPersonTokenTtl = absl::Hours(24 * 30);
constexpr absl::Duration kMaxPersonTokenTtl = absl::Hours(24 * 90);
// The reason of a person's own sign-out when they give none (as the
// directory words it when the person asks it directly).
constexpr char kPersonSignedOut[] = "the person signed out";

// Who may end `person`'s tokens: themself, admins, and clinical staff of
// their lead team now; `lead` says who that is (` (teams/x)`), or nothing
// when it was not looked up.
absl::Status PersonTokensRefused(const Principal& caller,
                                 absl::string_view person,
                                 absl::string_view lead) {
  return carebridge::errors::PermissionDenied(
      absl::StrCat("RevokePersonTokens: only ", person,
                   " themself, clinical staff of their lead team", lead,
                   " and admins may end their tokens; ", caller.subject, " (",
                   RoleName(caller.role), ") may not"));
}

}  // namespace

absl::StatusOr<v1::IssuePersonTokenResponse> CarePlanDomain::IssuePersonToken(
    const Principal& caller, const v1::IssuePersonTokenRequest& request) {
  ASSIGN_OR_RETURN(std::string person_id,
                   ParseCarePlanName("name", request.name()));
  absl::Duration ttl = kDefaultPersonTokenTtl;
  if (request.has_ttl()) {
    ttl = FromProtoDuration(request.ttl());
    if (ttl <= absl::ZeroDuration()) {
      return errors::Invalid("ttl", "must be positive");
    }
    if (ttl > kMaxPersonTokenTtl) {
      return errors::Invalid("ttl", "must be at most 90 days");
    }
  }
  RETURN_IF_ERROR(policy::RequireCarePlanRole(caller, /*services_may=*/false,
                                              "IssuePersonToken"));
  ASSIGN_OR_RETURN(v1::CarePlan plan,
                   LoadForRead(person_id, RemoteCalls::kAllowed));
  const std::string person = PersonName(person_id);
  if (plan.lead_team().empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("IssuePersonToken: nobody leads ", person,
                     "'s care; their lead team gives them access"));
  }
  if (caller.team != plan.lead_team()) {
    return errors::PermissionDenied(absl::StrCat(
        "IssuePersonToken: only ", person, "'s lead team (", plan.lead_team(),
        ") may give them access; ", caller.subject, " is in ", caller.team));
  }
  if (signer_ == nullptr || !signer_->can_sign()) {
    return absl::FailedPreconditionError(
        "IssuePersonToken: this process holds no signing key (it was given "
        "--token_jwks_file); host the care plan service where the token "
        "keys are");
  }
  // Whole seconds, after the person's tokens were last ended, so that the
  // new token works (the rule revocations judge tokens by).
  absl::Time valid_after = absl::InfinitePast();
  if (person_tokens_ != nullptr) {
    ASSIGN_OR_RETURN(valid_after, person_tokens_->TokensValidAfter(person));
  }
  const absl::Time now = clock_->Now();
  Principal principal;
  principal.subject = person;
  principal.role = Role::kPerson;
  principal.expire_time = WholeSecondAtOrAfter(now + ttl);
  principal.issue_time = TokenRevocations::IssueTimeFor(now, valid_after);
  principal.token_id = token_ids_.NewId();
  v1::IssuePersonTokenResponse response;
  response.set_token(signer_->Sign(principal));
  response.set_person(person);
  *response.mutable_expire_time() = ToProtoTimestamp(principal.expire_time);
  response.set_token_id(principal.token_id);
  *response.mutable_issue_time() = ToProtoTimestamp(principal.issue_time);
  return response;
}

absl::StatusOr<directory::v1::PersonTokenRevocation>
CarePlanDomain::RevokePersonTokens(
    const Principal& caller, const v1::RevokePersonTokensRequest& request) {
  ASSIGN_OR_RETURN(std::string person_id,
                   ParseCarePlanName("name", request.name()));
  const std::string person = PersonName(person_id);
  if (!request.token_id().empty()) {
    RETURN_IF_ERROR(CheckRequestId("token_id", request.token_id()));
  }
  // The person signing out owes nobody a reason; anyone else says why.
  const bool self = caller.is_person(person);
  RETURN_IF_ERROR(
      self ? CheckText("reason", request.reason(), kMaxReasonChars)
           : CheckRequiredText("reason", request.reason(), kMaxReasonChars));
  if (!request.reason().empty()) NoteAuditReason(request.reason());
  if (!self && !caller.is_admin()) {
    if (!caller.is_clinical()) return PersonTokensRefused(caller, person, "");
    // Who leads now (not who issued the token): a person nobody cares
    // for has no lead team to ask.
    absl::StatusOr<v1::CarePlan> plan =
        LoadForRead(person_id, RemoteCalls::kAllowed);
    if (!plan.ok() && !absl::IsNotFound(plan.status())) return plan.status();
    const std::string lead = plan.ok() ? plan->lead_team() : "";
    if (lead.empty() || lead != caller.team) {
      return PersonTokensRefused(caller, person,
                                 lead.empty() ? " (nobody leads their care now)"
                                              : absl::StrCat(" (", lead, ")"));
    }
  }
  if (person_tokens_ == nullptr) {
    return absl::UnavailableError(
        "RevokePersonTokens: this care plan service has no link to the "
        "directory, which keeps what ends a person's tokens");
  }
  directory::v1::RevokePersonTokensRequest revoke;
  revoke.set_name(person);
  revoke.set_token_id(request.token_id());
  revoke.set_reason(request.reason().empty() ? kPersonSignedOut
                                             : request.reason());
  return person_tokens_->Revoke(revoke);
}

}  // namespace carebridge::careplan

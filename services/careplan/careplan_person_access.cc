// The person's own access to their record: the token their lead team
// issues them (IssuePersonToken). What the token then allows is decided
// where each read or write is (policy::RequireOwnRecord).

#include "absl/strings/str_cat.h"
#include "services/careplan/careplan_domain.h"
#include "services/careplan/careplan_names.h"
#include "services/common/errors.h"
#include "services/common/macros.h"
#include "services/common/policy.h"
#include "services/common/time_util.h"

namespace carebridge::careplan {
namespace {

constexpr absl::Duration kDefaultPersonTokenTtl = absl::Hours(24 * 30);
constexpr absl::Duration kMaxPersonTokenTtl = absl::Hours(24 * 90);

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
  Principal principal;
  principal.subject = person;
  principal.role = Role::kPerson;
  principal.expire_time = WholeSecondAtOrAfter(clock_->Now() + ttl);
  v1::IssuePersonTokenResponse response;
  response.set_token(signer_->Sign(principal));
  response.set_person(person);
  *response.mutable_expire_time() = ToProtoTimestamp(principal.expire_time);
  return response;
}

}  // namespace carebridge::careplan

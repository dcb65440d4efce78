#include "services/directory/directory_domain.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/call_audit.h"
#include "services/common/event_log.h"
#include "services/common/log.h"
#include "services/common/macros.h"
#include "services/common/page_token.h"
#include "services/common/policy.h"
#include "services/common/time_util.h"
#include "services/common/token_revocations.h"
#include "services/common/validation.h"
#include "services/directory/create_key.h"
#include "services/directory/directory_validation.h"
#include "services/directory/errors.h"
#include "services/directory/member_policy.h"
#include "services/directory/roles.h"

namespace carebridge::directory {
namespace {

// Page tokens are bound to the filters of the request that made them.
absl::StatusOr<std::optional<ListCursor>> DecodeCursor(
    absl::string_view token, absl::string_view fingerprint) {
  ASSIGN_OR_RETURN(std::vector<std::string> parts,
                   DecodePageToken(token, fingerprint));
  if (token.empty()) return std::optional<ListCursor>();
  if (parts.size() != 2) return errors::BadPageToken();
  return std::optional<ListCursor>(ListCursor{parts[0], parts[1]});
}

// `items` holds up to page_size + 1 rows; trims the extra one and returns
// the token of the next page, or "" on the last page.
template <typename Proto>
std::string TrimToPage(std::vector<Proto>* items, int page_size,
                       absl::string_view fingerprint) {
  if (items->size() <= static_cast<size_t>(page_size)) return "";
  items->resize(page_size);
  const Proto& last = items->back();
  return EncodePageToken(fingerprint,
                         {SortKey(last.display_name()), last.name()});
}

// The teams a member's events concern: the member's team (admins may have
// none).
std::vector<std::string> TeamsOf(const v1::Member& member) {
  if (member.team().empty()) return {};
  return {member.team()};
}

// Members stored before states existed are active.
v1::Member WithState(v1::Member member) {
  if (member.state() == v1::MEMBER_STATE_UNSPECIFIED) {
    member.set_state(v1::ACTIVE);
  }
  return member;
}

// The member themself (signing out): staff only.
bool IsSelf(const Principal& caller, absl::string_view member) {
  return caller.subject == member && !caller.is_service() &&
         !caller.is_person();
}

}  // namespace

// --- Teams ---

absl::StatusOr<v1::Team> DirectoryDomain::CreateTeam(
    const Principal& caller, const v1::CreateTeamRequest& request) {
  RETURN_IF_ERROR(policy::RequireAdmin(caller, "CreateTeam"));
  if (!request.has_team()) return errors::MustBeSet("team");
  RETURN_IF_ERROR(CheckRequestId("request_id", request.request_id()));
  v1::Team team = request.team();
  RETURN_IF_ERROR(ValidateTeam(team));
  FillDefaultDeadlines(&team);
  const absl::Time now = clock_->Now();
  team.set_name(absl::StrCat("teams/", ids_->NewId()));
  *team.mutable_create_time() = ToProtoTimestamp(now);
  *team.mutable_update_time() = ToProtoTimestamp(now);
  team.set_etag(ids_->NewId());
  ASSIGN_OR_RETURN(
      IdempotencyKey key,
      CreateKeyFor(caller, "CreateTeam", request.request_id(), request.team()));
  return store_->CreateTeam(
      team, key,
      MakeEvent("team.created", team.name(), /*person=*/"", {team.name()},
                caller.subject, now, team));
}

absl::StatusOr<v1::Team> DirectoryDomain::GetTeam(
    const Principal& /*caller*/, const v1::GetTeamRequest& request) {
  // The team directory is open to every authenticated caller.
  RETURN_IF_ERROR(ParseResourceName("name", request.name(), "teams").status());
  return store_->GetTeam(request.name());
}

absl::StatusOr<v1::ListTeamsResponse> DirectoryDomain::ListTeams(
    const Principal& /*caller*/, const v1::ListTeamsRequest& request) {
  ASSIGN_OR_RETURN(int page_size,
                   CheckPageSize("page_size", request.page_size()));
  if (!v1::Sector_IsValid(request.sector())) {
    return errors::Invalid("sector", "is not a known sector");
  }
  TeamFilter filter{request.sector(), request.accepting_referrals_only()};
  const std::string fingerprint =
      absl::StrCat("ListTeams|", filter.sector, "|",
                   filter.accepting_referrals_only ? 1 : 0);
  ASSIGN_OR_RETURN(std::optional<ListCursor> after,
                   DecodeCursor(request.page_token(), fingerprint));
  ASSIGN_OR_RETURN(std::vector<v1::Team> teams,
                   store_->ListTeams(filter, after, page_size + 1));
  v1::ListTeamsResponse response;
  response.set_next_page_token(TrimToPage(&teams, page_size, fingerprint));
  for (v1::Team& team : teams) *response.add_teams() = std::move(team);
  return response;
}

absl::StatusOr<v1::Team> DirectoryDomain::UpdateTeam(
    const Principal& caller, const v1::UpdateTeamRequest& request) {
  if (!request.has_team()) return errors::MustBeSet("team");
  const std::string& name = request.team().name();
  RETURN_IF_ERROR(ParseResourceName("team.name", name, "teams").status());
  RETURN_IF_ERROR(policy::RequireTeamAdmin(caller, name, "UpdateTeam"));
  RETURN_IF_ERROR(CheckTeamUpdateMask(request.update_mask()));
  // AIP-154 puts the etag on the resource; accept it there too.
  const std::string& etag =
      request.etag().empty() ? request.team().etag() : request.etag();
  if (etag.empty()) return errors::MustBeSet("etag");

  ASSIGN_OR_RETURN(v1::Team team, store_->GetTeam(name));
  if (team.etag() != etag) return errors::StaleEtag(name);
  ApplyTeamUpdate(request.update_mask(), request.team(), &team);
  RETURN_IF_ERROR(ValidateTeam(team));
  FillDefaultDeadlines(&team);
  const absl::Time now = clock_->Now();
  *team.mutable_update_time() = ToProtoTimestamp(now);
  team.set_etag(ids_->NewId());
  // The store re-checks the etag in its transaction: of two concurrent
  // updates from the same read, one is ABORTED.
  RETURN_IF_ERROR(
      store_->ReplaceTeam(team, etag,
                          MakeEvent("team.updated", name, /*person=*/"", {name},
                                    caller.subject, now, team)));
  return team;
}

// --- Members ---

absl::StatusOr<v1::Member> DirectoryDomain::CreateMember(
    const Principal& caller, const v1::CreateMemberRequest& request) {
  RETURN_IF_ERROR(RequireMemberManager(caller, "CreateMember"));
  if (!request.has_member()) return errors::MustBeSet("member");
  RETURN_IF_ERROR(CheckRequestId("request_id", request.request_id()));
  v1::Member member = request.member();
  RETURN_IF_ERROR(ValidateMember(member));
  RETURN_IF_ERROR(RequireManages(caller, member, "CreateMember"));
  if (!member.team().empty()) {
    absl::Status team = store_->GetTeam(member.team()).status();
    if (absl::IsNotFound(team))
      return errors::MemberTeamNotFound(member.team());
    RETURN_IF_ERROR(team);
  }
  const absl::Time now = clock_->Now();
  member.set_name(absl::StrCat("members/", ids_->NewId()));
  *member.mutable_create_time() = ToProtoTimestamp(now);
  *member.mutable_update_time() = ToProtoTimestamp(now);
  member.set_etag(ids_->NewId());
  member.set_state(v1::ACTIVE);
  member.clear_state_reason();
  member.clear_tokens_valid_after();
  member.clear_tokens_valid_after_reason();
  ASSIGN_OR_RETURN(IdempotencyKey key,
                   CreateKeyFor(caller, "CreateMember", request.request_id(),
                                request.member()));
  // A member carries no credentials (tokens are issued, never stored), so
  // the payload is the member as GetMember shows it.
  ASSIGN_OR_RETURN(
      v1::Member created,
      store_->CreateMember(
          member, key,
          MakeEvent("member.created", member.name(), /*person=*/"",
                    TeamsOf(member), caller.subject, now, member)));
  return WithState(std::move(created));
}

absl::StatusOr<v1::Member> DirectoryDomain::GetMember(
    const Principal& caller, const v1::GetMemberRequest& request) {
  RETURN_IF_ERROR(
      ParseResourceName("name", request.name(), "members").status());
  // Who may read a member depends on the member's team, so the lookup comes
  // first; staff names and roles are not clinical data.
  ASSIGN_OR_RETURN(v1::Member member, store_->GetMember(request.name()));
  RETURN_IF_ERROR(RequireMayReadMembers(caller, member.team(), "GetMember"));
  return WithState(std::move(member));
}

absl::StatusOr<v1::ListMembersResponse> DirectoryDomain::ListMembers(
    const Principal& caller, const v1::ListMembersRequest& request) {
  RETURN_IF_ERROR(ParseResourceName("team", request.team(), "teams").status());
  RETURN_IF_ERROR(RequireMayReadMembers(caller, request.team(), "ListMembers"));
  ASSIGN_OR_RETURN(int page_size,
                   CheckPageSize("page_size", request.page_size()));
  const std::string fingerprint = absl::StrCat("ListMembers|", request.team());
  ASSIGN_OR_RETURN(std::optional<ListCursor> after,
                   DecodeCursor(request.page_token(), fingerprint));
  RETURN_IF_ERROR(store_->GetTeam(request.team()).status());
  ASSIGN_OR_RETURN(std::vector<v1::Member> members,
                   store_->ListMembers(request.team(), after, page_size + 1));
  v1::ListMembersResponse response;
  response.set_next_page_token(TrimToPage(&members, page_size, fingerprint));
  for (v1::Member& member : members) {
    *response.add_members() = WithState(std::move(member));
  }
  return response;
}

absl::StatusOr<v1::Member> DirectoryDomain::ChangeMember(
    const Principal& caller, absl::string_view name, absl::string_view etag,
    absl::string_view type,
    absl::FunctionRef<absl::Status(v1::Member&, absl::Time now)> change) {
  ASSIGN_OR_RETURN(v1::Member member, store_->GetMember(name));
  if (!etag.empty() && member.etag() != etag) return errors::StaleEtag(name);
  const std::string read_etag = member.etag();
  member = WithState(std::move(member));
  const absl::Time now = clock_->Now();
  RETURN_IF_ERROR(change(member, now));
  *member.mutable_update_time() = ToProtoTimestamp(now);
  member.set_etag(ids_->NewId());
  // The store re-checks the etag it was read with in its transaction: of
  // two concurrent changes one is ABORTED, never silently overwritten.
  RETURN_IF_ERROR(store_->ReplaceMember(
      member, read_etag,
      MakeEvent(type, member.name(), /*person=*/"", TeamsOf(member),
                caller.subject, now, member)));
  return member;
}

absl::StatusOr<v1::Member> DirectoryDomain::UpdateMember(
    const Principal& caller, const v1::UpdateMemberRequest& request) {
  RETURN_IF_ERROR(RequireMemberManager(caller, "UpdateMember"));
  if (!request.has_member()) return errors::MustBeSet("member");
  const std::string& name = request.member().name();
  RETURN_IF_ERROR(ParseResourceName("member.name", name, "members").status());
  RETURN_IF_ERROR(CheckMemberUpdateMask(request.update_mask()));
  const std::string& etag =
      request.etag().empty() ? request.member().etag() : request.etag();
  if (etag.empty()) return errors::MustBeSet("etag");
  return ChangeMember(
      caller, name, etag, "member.updated",
      [&](v1::Member& member, absl::Time now) -> absl::Status {
        RETURN_IF_ERROR(RequireManages(caller, member, "UpdateMember"));
        const v1::Member before = member;
        ApplyMemberUpdate(request.update_mask(), request.member(), &member);
        RETURN_IF_ERROR(ValidateMember(member));
        RETURN_IF_ERROR(RequireSameSide(before, member, "UpdateMember"));
        if (member.team() != before.team() && !member.team().empty()) {
          absl::Status team = store_->GetTeam(member.team()).status();
          if (absl::IsNotFound(team)) {
            return errors::MemberTeamNotFound(member.team());
          }
          RETURN_IF_ERROR(team);
        }
        // Tokens carry the role and team they were issued with: a change
        // of either ends them.
        if (member.role() != before.role() || member.team() != before.team()) {
          *member.mutable_tokens_valid_after() = ToProtoTimestamp(now);
          member.set_tokens_valid_after_reason("their role or team changed");
        }
        return absl::OkStatus();
      });
}

absl::StatusOr<v1::Member> DirectoryDomain::DeactivateMember(
    const Principal& caller, const v1::DeactivateMemberRequest& request) {
  RETURN_IF_ERROR(RequireMemberManager(caller, "DeactivateMember"));
  RETURN_IF_ERROR(
      ParseResourceName("name", request.name(), "members").status());
  RETURN_IF_ERROR(CheckReason("reason", request.reason()));
  return ChangeMember(
      caller, request.name(), request.etag(), "member.deactivated",
      [&](v1::Member& member, absl::Time now) -> absl::Status {
        RETURN_IF_ERROR(
            RequireMayEndAccess(caller, member, "DeactivateMember"));
        if (member.state() == v1::DEACTIVATED) {
          return errors::MemberDeactivated(member.name(), member.state_reason(),
                                           "it is already");
        }
        member.set_state(v1::DEACTIVATED);
        member.set_state_reason(request.reason());
        *member.mutable_tokens_valid_after() = ToProtoTimestamp(now);
        member.set_tokens_valid_after_reason(request.reason());
        return absl::OkStatus();
      });
}

absl::StatusOr<v1::Member> DirectoryDomain::ReactivateMember(
    const Principal& caller, const v1::ReactivateMemberRequest& request) {
  RETURN_IF_ERROR(RequireMemberManager(caller, "ReactivateMember"));
  RETURN_IF_ERROR(
      ParseResourceName("name", request.name(), "members").status());
  return ChangeMember(
      caller, request.name(), request.etag(), "member.reactivated",
      [&](v1::Member& member, absl::Time) -> absl::Status {
        RETURN_IF_ERROR(RequireManages(caller, member, "ReactivateMember"));
        if (member.state() != v1::DEACTIVATED) {
          return errors::MemberActive(member.name());
        }
        // tokens_valid_after stays: tokens from before stay ended.
        member.set_state(v1::ACTIVE);
        member.clear_state_reason();
        return absl::OkStatus();
      });
}

absl::StatusOr<v1::Member> DirectoryDomain::RevokeMemberTokens(
    const Principal& caller, const v1::RevokeMemberTokensRequest& request) {
  RETURN_IF_ERROR(
      ParseResourceName("name", request.name(), "members").status());
  const bool self = IsSelf(caller, request.name());
  if (!self)
    RETURN_IF_ERROR(RequireMemberManager(caller, "RevokeMemberTokens"));
  RETURN_IF_ERROR(CheckReason("reason", request.reason()));
  return ChangeMember(
      caller, request.name(), /*etag=*/"", "member.tokens_revoked",
      [&](v1::Member& member, absl::Time now) -> absl::Status {
        if (!self) {
          RETURN_IF_ERROR(
              RequireMayEndAccess(caller, member, "RevokeMemberTokens"));
        }
        *member.mutable_tokens_valid_after() = ToProtoTimestamp(now);
        member.set_tokens_valid_after_reason(request.reason());
        return absl::OkStatus();
      });
}

absl::StatusOr<v1::TokenRevocation> DirectoryDomain::RevokeToken(
    const Principal& caller, const v1::RevokeTokenRequest& request) {
  RETURN_IF_ERROR(
      ParseResourceName("member", request.member(), "members").status());
  const bool self = IsSelf(caller, request.member());
  if (!self) RETURN_IF_ERROR(RequireMemberManager(caller, "RevokeToken"));
  if (request.token_id().empty()) return errors::MustBeSet("token_id");
  RETURN_IF_ERROR(CheckRequestId("token_id", request.token_id()));
  RETURN_IF_ERROR(CheckReason("reason", request.reason()));
  ASSIGN_OR_RETURN(v1::Member member, store_->GetMember(request.member()));
  if (!self)
    RETURN_IF_ERROR(RequireMayEndAccess(caller, member, "RevokeToken"));
  const absl::Time now = clock_->Now();
  v1::TokenRevocation revocation;
  revocation.set_member(member.name());
  revocation.set_token_id(request.token_id());
  revocation.set_reason(request.reason());
  revocation.set_revoked_by(caller.subject);
  *revocation.mutable_revoke_time() = ToProtoTimestamp(now);
  // Tokens are not stored, so its own expiry is not known here: remember
  // it as long as any token, issued now or before, could live (the
  // longest lifetime a deployment may ever have allowed).
  *revocation.mutable_expire_time() =
      ToProtoTimestamp(now + kLongestMaxTokenTtl);
  RETURN_IF_ERROR(store_->AppendEvent(
      MakeEvent("token.revoked", member.name(), /*person=*/"", TeamsOf(member),
                caller.subject, now, revocation)));
  return revocation;
}

absl::StatusOr<v1::IssueTokenResponse> DirectoryDomain::IssueToken(
    const Principal& caller, const v1::IssueTokenRequest& request) {
  RETURN_IF_ERROR(RequireMemberManager(caller, "IssueToken"));
  RETURN_IF_ERROR(
      ParseResourceName("member", request.member(), "members").status());
  absl::Duration ttl = std::min(kDefaultTokenTtl, max_token_ttl_);
  if (request.has_ttl()) {
    ttl = FromProtoDuration(request.ttl());
    if (ttl <= absl::ZeroDuration()) return errors::TtlNotPositive();
    if (ttl > max_token_ttl_) return errors::TtlTooLong(max_token_ttl_);
  }
  ASSIGN_OR_RETURN(v1::Member member, store_->GetMember(request.member()));
  RETURN_IF_ERROR(RequireManages(caller, member, "IssueToken"));
  if (member.state() == v1::DEACTIVATED) {
    return errors::MemberDeactivated(member.name(), member.state_reason(),
                                     "reactivate them first");
  }
  Principal principal;
  principal.subject = member.name();
  principal.team = member.team();
  principal.role = FromProtoRole(member.role());
  const absl::Time now = clock_->Now();
  principal.expire_time = WholeSecondAtOrAfter(now + ttl);
  // Whole seconds, by the rule revocations judge tokens by: after the
  // member's tokens_valid_after, so the new token stands.
  principal.issue_time = TokenRevocations::IssueTimeFor(
      now, member.has_tokens_valid_after()
               ? FromProtoTimestamp(member.tokens_valid_after())
               : absl::InfinitePast());
  principal.token_id = ids_->NewId();
  v1::IssueTokenResponse response;
  response.set_token(signer_->Sign(principal));
  *response.mutable_expire_time() = ToProtoTimestamp(principal.expire_time);
  response.set_token_id(principal.token_id);
  *response.mutable_issue_time() = ToProtoTimestamp(principal.issue_time);
  return response;
}

}  // namespace carebridge::directory

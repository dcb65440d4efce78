#ifndef CAREBRIDGE_SERVICES_DIRECTORY_DIRECTORY_DOMAIN_H_
#define CAREBRIDGE_SERVICES_DIRECTORY_DIRECTORY_DOMAIN_H_

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "carebridge/directory/v1/directory.pb.h"
#include "carebridge/directory/v1/person_tokens.pb.h"
#include "services/common/clock.h"
#include "services/common/ids.h"
#include "services/common/principal.h"
#include "services/common/remote_calls.h"
#include "services/common/token.h"
#include "services/directory/care_relationships.h"
#include "services/directory/directory_store.h"
#include "services/directory/lookup_limiter.h"

namespace carebridge::directory {

// The directory's rules: who may do what, what a valid team, member or
// person is, defaults, idempotent creates, etags and pagination. Each method
// takes the authenticated caller and the request and returns the response or
// a status naming the problem. This class is thread-safe (its collaborators
// are).
class DirectoryDomain {
 public:
  // FindPersons returns at most this many persons.
  static constexpr int kMaxFindResults = 50;
  // IssueToken's default token lifetime (a working shift), the longest a
  // deployment allows unless its operator says otherwise, and the longest
  // an operator may allow.
  static constexpr absl::Duration kDefaultTokenTtl = absl::Hours(8);
  static constexpr absl::Duration kDefaultMaxTokenTtl = absl::Hours(12);
  static constexpr absl::Duration kLongestMaxTokenTtl = absl::Hours(90 * 24);

  // The pointees outlive this object. Without `relationships`, no team is
  // known to have a care relationship with anyone (GetPerson gives clinical
  // staff the minimum). IssueToken issues tokens of at most
  // `max_token_ttl` (carebridge-server --max_token_lifetime).
  DirectoryDomain(const Clock* clock, IdGenerator* ids,
                  const TokenSigner* signer, DirectoryStore* store,
                  CareRelationships* relationships = nullptr,
                  absl::Duration max_token_ttl = kDefaultMaxTokenTtl)
      : clock_(clock),
        ids_(ids),
        signer_(signer),
        store_(store),
        relationships_(relationships),
        max_token_ttl_(max_token_ttl),
        lookups_(clock, store) {}

  absl::StatusOr<v1::Team> CreateTeam(const Principal& caller,
                                      const v1::CreateTeamRequest& request);
  absl::StatusOr<v1::Team> GetTeam(const Principal& caller,
                                   const v1::GetTeamRequest& request);
  absl::StatusOr<v1::ListTeamsResponse> ListTeams(
      const Principal& caller, const v1::ListTeamsRequest& request);
  absl::StatusOr<v1::Team> UpdateTeam(const Principal& caller,
                                      const v1::UpdateTeamRequest& request);

  absl::StatusOr<v1::Member> CreateMember(
      const Principal& caller, const v1::CreateMemberRequest& request);
  absl::StatusOr<v1::Member> GetMember(const Principal& caller,
                                       const v1::GetMemberRequest& request);
  absl::StatusOr<v1::ListMembersResponse> ListMembers(
      const Principal& caller, const v1::ListMembersRequest& request);
  // Role or team changed: the member's earlier tokens end
  // (tokens_valid_after).
  absl::StatusOr<v1::Member> UpdateMember(
      const Principal& caller, const v1::UpdateMemberRequest& request);
  absl::StatusOr<v1::Member> DeactivateMember(
      const Principal& caller, const v1::DeactivateMemberRequest& request);
  absl::StatusOr<v1::Member> ReactivateMember(
      const Principal& caller, const v1::ReactivateMemberRequest& request);
  absl::StatusOr<v1::Member> RevokeMemberTokens(
      const Principal& caller, const v1::RevokeMemberTokensRequest& request);
  // Tokens are not stored: the revocation is its event (token.revoked),
  // which every process follows.
  absl::StatusOr<v1::TokenRevocation> RevokeToken(
      const Principal& caller, const v1::RevokeTokenRequest& request);
  absl::StatusOr<v1::IssueTokenResponse> IssueToken(
      const Principal& caller, const v1::IssueTokenRequest& request);
  // A person's own tokens ended (person_tokens.cc): by the person, an
  // admin or a service (the care plan service, for the person's lead
  // team), all at once (Person.tokens_valid_after) or one by its id (the
  // event alone, as RevokeToken).
  absl::StatusOr<v1::PersonTokenRevocation> RevokePersonTokens(
      const Principal& caller, const v1::RevokePersonTokensRequest& request);

  absl::StatusOr<v1::Person> CreatePerson(
      const Principal& caller, const v1::CreatePersonRequest& request);
  // Services, and clinical staff whose team has a care relationship with
  // the person now (CareRelationships), get the whole person; other
  // clinical staff what a referral needs (name, names, birth date), as do
  // all when the relationship cannot be told. Asking about the relationship
  // is a remote call (RemoteCallDeferred() under RemoteCalls::kDeferred).
  absl::StatusOr<v1::Person> GetPerson(
      const Principal& caller, const v1::GetPersonRequest& request,
      RemoteCalls remote = RemoteCalls::kAllowed);
  // Clinical staff get what a referral needs of each match (name, names,
  // birth date; the NHS number only when they searched by it), at most
  // LookupLimiter's lookups an hour each; services get whole persons. A
  // lookup is filed under each person it found in the audit log.
  absl::StatusOr<v1::FindPersonsResponse> FindPersons(
      const Principal& caller, const v1::FindPersonsRequest& request);
  // Clinical staff of a team with a care relationship with the person
  // (asks CareRelationships: call off gRPC's own thread).
  absl::StatusOr<v1::Person> UpdatePerson(
      const Principal& caller, const v1::UpdatePersonRequest& request);
  // Clinical staff of the lead team of the person kept, with a care
  // relationship with the duplicate (asks CareRelationships: call off
  // gRPC's own thread). See MergePersons in directory.proto.
  absl::StatusOr<v1::Person> MergePersons(
      const Principal& caller, const v1::MergePersonsRequest& request);

 private:
  // Reads member `name`, checks `etag` when one is given, lets `change`
  // alter it (or refuse), then stores it with a new etag and update time
  // and an event of `type` carrying it.
  absl::StatusOr<v1::Member> ChangeMember(
      const Principal& caller, absl::string_view name, absl::string_view etag,
      absl::string_view type,
      absl::FunctionRef<absl::Status(v1::Member&, absl::Time now)> change);

  const Clock* clock_;
  IdGenerator* ids_;
  const TokenSigner* signer_;
  DirectoryStore* store_;
  CareRelationships* const relationships_;
  const absl::Duration max_token_ttl_;
  LookupLimiter lookups_;
};

}  // namespace carebridge::directory

#endif  // CAREBRIDGE_SERVICES_DIRECTORY_DIRECTORY_DOMAIN_H_

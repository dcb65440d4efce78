// A member's lifecycle in the directory's rules: changing their role or
// team, deactivating and reactivating them, ending their tokens, and what
// each leaves on the feed for every process to follow.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/time_util.h"
#include "services/common/token_revocations.h"
#include "services/directory/directory_domain.h"
#include "services/directory/directory_domain_fixture.h"
#include "services/directory/directory_validation.h"
#include "services/directory/sqlite_directory_store.h"
#include "services/directory_client/revocation_follower.h"
#include "tests/support/temp_dir.h"

namespace carebridge::directory {
namespace {

using ::testing::HasSubstr;

class MemberLifecycleTest : public testing::DirectoryDomainFixture {
 protected:
  MemberLifecycleTest() : DirectoryDomainFixture(/*seed=*/11) {}

  void SetUp() override {
    DirectoryDomainFixture::SetUp();
    team_ = CreateTeam("North CMHT");
    manager_ = ManagerOf(team_);
    v1::CreateMemberRequest create;
    create.mutable_member()->set_display_name("Sam Okafor");
    create.mutable_member()->set_team(team_);
    create.mutable_member()->set_role(v1::CLINICIAN);
    auto member = domain_->CreateMember(manager_, create);
    ASSERT_TRUE(member.ok()) << member.status();
    member_ = *member;
    self_.subject = member_.name();
    self_.team = team_;
    self_.role = Role::kClinician;
  }

  // The directory feed's events, oldest first.
  // The whole feed, slice by slice (as a follower reads it).
  std::vector<events::v1::Event> Events() {
    std::vector<events::v1::Event> all;
    int64_t after = 0;
    while (true) {
      auto slice = store_->event_log()->ReadSlice(after, 1000, 1 << 24);
      EXPECT_TRUE(slice.ok()) << slice.status();
      if (!slice.ok() || slice->events.empty()) return all;
      after = slice->events.back().sequence();
      for (auto& event : slice->events) all.push_back(std::move(event));
      if (!slice->more) return all;
    }
  }
  int64_t Head() {
    auto head = store_->event_log()->ReadHead();
    EXPECT_TRUE(head.ok()) << head.status();
    return head.ok() ? head->sequence : -1;
  }

  // The manager of the member's team now.
  Principal Manager() { return ManagerOf(Current().team()); }

  absl::StatusOr<v1::Member> Update(const std::string& path,
                                    const v1::Member& patch) {
    v1::UpdateMemberRequest request;
    *request.mutable_member() = patch;
    request.mutable_member()->set_name(member_.name());
    request.mutable_update_mask()->add_paths(path);
    request.set_etag(Current().etag());
    return domain_->UpdateMember(Manager(), request);
  }
  v1::Member Current() {
    v1::GetMemberRequest get;
    get.set_name(member_.name());
    auto member = domain_->GetMember(admin_, get);
    EXPECT_TRUE(member.ok()) << member.status();
    return member.ok() ? *member : v1::Member();
  }
  absl::StatusOr<v1::Member> Deactivate(const std::string& reason) {
    v1::DeactivateMemberRequest request;
    request.set_name(member_.name());
    request.set_reason(reason);
    return domain_->DeactivateMember(admin_, request);
  }
  absl::StatusOr<v1::IssueTokenResponse> Issue() {
    v1::IssueTokenRequest request;
    request.set_member(member_.name());
    return domain_->IssueToken(Manager(), request);
  }
  // Whether `token` stands after what the feed says so far, as every
  // process judges it (RevocationFollower's rule over these events).
  absl::Status Stands(const std::string& token) {
    TokenRevocations revocations(&clock_);
    for (const events::v1::Event& event : Events()) {
      directory_client::RevocationFollower::Apply(event, &revocations);
    }
    absl::StatusOr<Principal> principal = signer_.Verify(token, clock_.Now());
    if (!principal.ok()) return principal.status();
    return revocations.Check(*principal);
  }
  Principal manager_;
  Principal self_;
  std::string team_;
  v1::Member member_;
};

TEST_F(MemberLifecycleTest, NewMembersAreActiveWithNothingRevoked) {
  EXPECT_EQ(member_.state(), v1::ACTIVE);
  EXPECT_FALSE(member_.has_tokens_valid_after());
  EXPECT_TRUE(member_.has_update_time());
  EXPECT_EQ(Current().state(), v1::ACTIVE);
}

// A new role or team ends the tokens issued before (they carry the old
// ones); a new display name or email does not.
TEST_F(MemberLifecycleTest, ANewRoleOrTeamEndsEarlierTokens) {
  auto before = Issue();
  ASSERT_TRUE(before.ok()) << before.status();
  clock_.Advance(absl::Seconds(5));

  v1::Member patch;
  patch.set_display_name("Sam Okafor-Reid");
  auto renamed = Update("display_name", patch);
  ASSERT_TRUE(renamed.ok()) << renamed.status();
  EXPECT_EQ(renamed->display_name(), "Sam Okafor-Reid");
  EXPECT_FALSE(renamed->has_tokens_valid_after());
  EXPECT_NE(renamed->etag(), member_.etag());
  EXPECT_TRUE(Stands(before->token()).ok());

  clock_.Advance(absl::Seconds(5));
  const std::string south = CreateTeam("South CMHT");
  patch.set_team(south);
  auto moved = Update("team", patch);
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->team(), south);
  EXPECT_EQ(FromProtoTimestamp(moved->tokens_valid_after()), clock_.Now());
  EXPECT_EQ(moved->tokens_valid_after_reason(), "their role or team changed");
  absl::Status old = Stands(before->token());
  EXPECT_TRUE(absl::IsUnauthenticated(old)) << old;
  EXPECT_THAT(old.message(), HasSubstr("role or team changed"));

  // A token issued in the same second as the change stands, and carries
  // the new team.
  clock_.Advance(absl::Milliseconds(200));
  auto after = Issue();
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_TRUE(Stands(after->token()).ok());
  auto principal = signer_.Verify(after->token(), clock_.Now());
  ASSERT_TRUE(principal.ok());
  EXPECT_EQ(principal->team, south);

  patch.set_role(v1::CARE_COORDINATOR);
  clock_.Advance(absl::Seconds(3));
  auto promoted = Update("role", patch);
  ASSERT_TRUE(promoted.ok()) << promoted.status();
  EXPECT_EQ(promoted->role(), v1::CARE_COORDINATOR);
  EXPECT_FALSE(Stands(after->token()).ok());

  std::vector<std::string> types;
  for (const auto& event : Events()) types.push_back(event.type());
  EXPECT_THAT(types, ::testing::ElementsAre(
                         "team.created", "member.created", "member.updated",
                         "team.created", "member.updated", "member.updated"));
}

TEST_F(MemberLifecycleTest, UpdateRefusesBadInputAndChangesNothing) {
  const int64_t head = Head();
  v1::Member patch;
  v1::UpdateMemberRequest request;
  request.mutable_member()->set_name(member_.name());
  request.set_etag(member_.etag());
  // No mask.
  auto status = domain_->UpdateMember(manager_, request).status();
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("update_mask"));
  // A path that cannot be updated.
  request.mutable_update_mask()->add_paths("state");
  status = domain_->UpdateMember(manager_, request).status();
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("state"));
  // A team that does not exist.
  request.mutable_update_mask()->Clear();
  request.mutable_update_mask()->add_paths("team");
  request.mutable_member()->set_team("teams/nowhere");
  status = domain_->UpdateMember(manager_, request).status();
  EXPECT_TRUE(absl::IsNotFound(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("teams/nowhere"));
  // No team for a clinician.
  request.mutable_member()->clear_team();
  status = domain_->UpdateMember(manager_, request).status();
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("member.team"));
  // A display name too long.
  request.mutable_update_mask()->Clear();
  request.mutable_update_mask()->add_paths("display_name");
  request.mutable_member()->set_display_name(std::string(201, 'x'));
  status = domain_->UpdateMember(manager_, request).status();
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("member.display_name"));
  // A stale etag.
  request.mutable_member()->set_display_name("Sam O.");
  request.set_etag("stale");
  status = domain_->UpdateMember(manager_, request).status();
  EXPECT_TRUE(absl::IsAborted(status)) << status;
  // No etag.
  request.clear_etag();
  status = domain_->UpdateMember(manager_, request).status();
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("etag"));
  // Not their manager, not even the member themself.
  request.set_etag(member_.etag());
  status = domain_->UpdateMember(self_, request).status();
  EXPECT_TRUE(absl::IsPermissionDenied(status)) << status;
  // An unknown member.
  request.mutable_member()->set_name("members/nobody");
  status = domain_->UpdateMember(manager_, request).status();
  EXPECT_TRUE(absl::IsNotFound(status)) << status;

  EXPECT_EQ(Head(), head);
  EXPECT_EQ(Current().etag(), member_.etag());
  EXPECT_EQ(Current().display_name(), "Sam Okafor");
}

TEST_F(MemberLifecycleTest, ADeactivatedMemberHasNoTokenUntilReactivated) {
  auto before = Issue();
  ASSERT_TRUE(before.ok()) << before.status();
  clock_.Advance(absl::Minutes(1));
  auto deactivated = Deactivate("left the trust");
  ASSERT_TRUE(deactivated.ok()) << deactivated.status();
  EXPECT_EQ(deactivated->state(), v1::DEACTIVATED);
  EXPECT_EQ(deactivated->state_reason(), "left the trust");
  EXPECT_EQ(FromProtoTimestamp(deactivated->tokens_valid_after()),
            clock_.Now());
  absl::Status old = Stands(before->token());
  EXPECT_TRUE(absl::IsUnauthenticated(old)) << old;
  EXPECT_THAT(old.message(), HasSubstr("deactivated"));
  EXPECT_THAT(old.message(), HasSubstr("left the trust"));

  auto refused = Issue();
  EXPECT_TRUE(absl::IsFailedPrecondition(refused.status())) << refused.status();
  EXPECT_THAT(refused.status().message(), HasSubstr("left the trust"));
  EXPECT_THAT(refused.status().message(), HasSubstr("reactivate"));
  auto again = Deactivate("twice");
  EXPECT_TRUE(absl::IsFailedPrecondition(again.status())) << again.status();

  clock_.Advance(absl::Minutes(1));
  v1::ReactivateMemberRequest reactivate;
  reactivate.set_name(member_.name());
  auto reactivated = domain_->ReactivateMember(manager_, reactivate);
  ASSERT_TRUE(reactivated.ok()) << reactivated.status();
  EXPECT_EQ(reactivated->state(), v1::ACTIVE);
  EXPECT_TRUE(reactivated->state_reason().empty());
  // The old token stays ended; a new one stands.
  EXPECT_FALSE(Stands(before->token()).ok());
  auto fresh = Issue();
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_TRUE(Stands(fresh->token()).ok()) << Stands(fresh->token());
  auto twice = domain_->ReactivateMember(manager_, reactivate);
  EXPECT_TRUE(absl::IsFailedPrecondition(twice.status())) << twice.status();
}

TEST_F(MemberLifecycleTest, DeactivationNeedsAnAdminAndAReason) {
  const int64_t head = Head();
  v1::DeactivateMemberRequest request;
  request.set_name(member_.name());
  auto status = domain_->DeactivateMember(admin_, request).status();
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("reason"));
  request.set_reason(std::string(501, 'r'));
  status = domain_->DeactivateMember(admin_, request).status();
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("reason"));
  request.set_reason("suspended");
  status = domain_->DeactivateMember(self_, request).status();
  EXPECT_TRUE(absl::IsPermissionDenied(status)) << status;
  request.set_etag("stale");
  status = domain_->DeactivateMember(admin_, request).status();
  EXPECT_TRUE(absl::IsAborted(status)) << status;
  request.set_name("teams/x");
  status = domain_->DeactivateMember(admin_, request).status();
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_EQ(Head(), head);
  EXPECT_EQ(Current().state(), v1::ACTIVE);
}

// Signing out everywhere: the member themself or an admin; another member
// may not.
TEST_F(MemberLifecycleTest, RevokingAllTokensEndsThoseIssuedBefore) {
  auto before = Issue();
  ASSERT_TRUE(before.ok()) << before.status();
  clock_.Advance(absl::Seconds(30));
  v1::RevokeMemberTokensRequest request;
  request.set_name(member_.name());
  request.set_reason("phone lost");
  Principal colleague = self_;
  colleague.subject = "members/colleague";
  auto denied = domain_->RevokeMemberTokens(colleague, request);
  EXPECT_TRUE(absl::IsPermissionDenied(denied.status())) << denied.status();
  request.clear_reason();
  auto no_reason = domain_->RevokeMemberTokens(self_, request);
  EXPECT_TRUE(absl::IsInvalidArgument(no_reason.status()));
  request.set_reason("phone lost");
  auto revoked = domain_->RevokeMemberTokens(self_, request);
  ASSERT_TRUE(revoked.ok()) << revoked.status();
  EXPECT_EQ(revoked->state(), v1::ACTIVE);
  EXPECT_EQ(revoked->tokens_valid_after_reason(), "phone lost");
  absl::Status old = Stands(before->token());
  EXPECT_TRUE(absl::IsUnauthenticated(old)) << old;
  EXPECT_THAT(old.message(), HasSubstr("phone lost"));
  auto fresh = Issue();
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_TRUE(Stands(fresh->token()).ok());
  EXPECT_EQ(Events().back().type(), "member.tokens_revoked");
  EXPECT_EQ(Events().back().actor(), member_.name());
}

TEST_F(MemberLifecycleTest, RevokingOneTokenLeavesTheOthers) {
  auto lost = Issue();
  auto kept = Issue();
  ASSERT_TRUE(lost.ok() && kept.ok());
  v1::RevokeTokenRequest request;
  request.set_member(member_.name());
  request.set_token_id(lost->token_id());
  request.set_reason("left on a shared PC");
  auto revocation = domain_->RevokeToken(admin_, request);
  ASSERT_TRUE(revocation.ok()) << revocation.status();
  EXPECT_EQ(revocation->token_id(), lost->token_id());
  EXPECT_EQ(revocation->revoked_by(), "members/admin");
  EXPECT_EQ(FromProtoTimestamp(revocation->expire_time()),
            clock_.Now() + DirectoryDomain::kLongestMaxTokenTtl);
  absl::Status status = Stands(lost->token());
  EXPECT_TRUE(absl::IsUnauthenticated(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("left on a shared PC"));
  EXPECT_TRUE(Stands(kept->token()).ok());
  const events::v1::Event last = Events().back();
  EXPECT_EQ(last.type(), "token.revoked");
  EXPECT_EQ(last.subject(), member_.name());
  EXPECT_THAT(last.teams(), ::testing::ElementsAre(team_));
  // The member themself may sign a token out too.
  request.set_token_id(kept->token_id());
  EXPECT_TRUE(domain_->RevokeToken(self_, request).ok());
  EXPECT_FALSE(Stands(kept->token()).ok());
}

TEST_F(MemberLifecycleTest, RevokeTokenRefusesBadInputAndChangesNothing) {
  const int64_t head = Head();
  v1::RevokeTokenRequest request;
  request.set_member(member_.name());
  request.set_reason("lost");
  auto status = domain_->RevokeToken(admin_, request).status();
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("token_id"));
  request.set_token_id("has spaces");
  status = domain_->RevokeToken(admin_, request).status();
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("token_id"));
  request.set_token_id(std::string(65, 'a'));
  status = domain_->RevokeToken(admin_, request).status();
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  request.set_token_id("abc");
  request.clear_reason();
  status = domain_->RevokeToken(admin_, request).status();
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("reason"));
  request.set_reason("lost");
  // Another member's token, not an admin.
  request.set_member("members/someone-else");
  status = domain_->RevokeToken(self_, request).status();
  EXPECT_TRUE(absl::IsPermissionDenied(status)) << status;
  Principal service;
  service.subject = "services/referral";
  service.role = Role::kService;
  request.set_member(member_.name());
  status = domain_->RevokeToken(service, request).status();
  EXPECT_TRUE(absl::IsPermissionDenied(status)) << status;
  request.set_member("members/nobody");
  status = domain_->RevokeToken(admin_, request).status();
  EXPECT_TRUE(absl::IsNotFound(status)) << status;
  EXPECT_EQ(Head(), head);
}

// At real sizes: the longest reason (500 characters) is accepted and
// reaches the refused holder whole, and a member with a thousand revoked
// tokens still has every other token stand.
TEST_F(MemberLifecycleTest, TheLongestReasonAndAThousandRevocationsHold) {
  const std::string reason(kMaxReasonChars, 'r');
  std::vector<std::string> revoked;
  for (int i = 0; i < 1000; ++i) {
    auto token = Issue();
    ASSERT_TRUE(token.ok()) << token.status();
    v1::RevokeTokenRequest request;
    request.set_member(member_.name());
    request.set_token_id(token->token_id());
    request.set_reason(reason);
    ASSERT_TRUE(domain_->RevokeToken(admin_, request).ok());
    revoked.push_back(token->token());
  }
  auto kept = Issue();
  ASSERT_TRUE(kept.ok());
  EXPECT_TRUE(Stands(kept->token()).ok());
  absl::Status first = Stands(revoked.front());
  EXPECT_TRUE(absl::IsUnauthenticated(first)) << first;
  EXPECT_THAT(first.message(), HasSubstr(reason));
  EXPECT_FALSE(Stands(revoked.back()).ok());

  auto deactivated = Deactivate(reason);
  ASSERT_TRUE(deactivated.ok()) << deactivated.status();
  EXPECT_EQ(deactivated->state_reason(), reason);
  EXPECT_THAT(std::string(Stands(kept->token()).message()), HasSubstr(reason));
}

}  // namespace
}  // namespace carebridge::directory

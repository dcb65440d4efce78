// Ending tokens across processes: a revocation, a deactivation, or a new
// role or team said to the directory is honoured by every service within 5
// seconds -- in one all-in-one process and in a split deployment, where
// the referral service runs in a process of its own and learns of it from
// the directory's feed -- and an open event stream of the member ends.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "carebridge/directory/v1/directory.grpc.pb.h"
#include "carebridge/referral/v1/referral.grpc.pb.h"
#include "services/server/carebridge_server.h"
#include "services/server/test_deployment.h"
#include "tests/support/eventually.h"

namespace carebridge::server {
namespace {

namespace dir = ::carebridge::directory::v1;
namespace ref = ::carebridge::referral::v1;
using ::carebridge::testing::Eventually;

constexpr absl::Duration kWithin = absl::Seconds(5);

class RevocationServerTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    absl::Status started = deployment_.Start(GetParam());
    ASSERT_TRUE(started.ok()) << started;
    admin_ = deployment_.admin_token;
    directory_stub_ = deployment_.directory_stub.get();
    referral_stub_ = deployment_.referral_stub.get();

    absl::StatusOr<std::string> team = deployment_.CreateTeam("North CMHT");
    ASSERT_TRUE(team.ok()) << team.status();
    team_ = *team;
    // The admin appoints the team's manager, who adds Sam.
    dir::Member manager;
    {
      grpc::ClientContext context;
      AuthorizeForTest(context, admin_);
      dir::CreateMemberRequest request;
      request.mutable_member()->set_display_name("Team manager");
      request.mutable_member()->set_team(team_);
      request.mutable_member()->set_role(dir::TEAM_MANAGER);
      ASSERT_TRUE(
          directory_stub_->CreateMember(&context, request, &manager).ok());
      grpc::ClientContext issue_context;
      AuthorizeForTest(issue_context, admin_);
      dir::IssueTokenRequest issue;
      issue.set_member(manager.name());
      dir::IssueTokenResponse token;
      ASSERT_TRUE(
          directory_stub_->IssueToken(&issue_context, issue, &token).ok());
      manager_ = token.token();
    }
    grpc::ClientContext member_context;
    AuthorizeForTest(member_context, manager_);
    dir::CreateMemberRequest member;
    member.mutable_member()->set_display_name("Sam Okafor");
    member.mutable_member()->set_team(team_);
    member.mutable_member()->set_role(dir::CLINICIAN);
    ASSERT_TRUE(
        directory_stub_->CreateMember(&member_context, member, &member_).ok());
  }

  void TearDown() override { deployment_.Stop(); }

  dir::IssueTokenResponse Issue(grpc::Status* status_out = nullptr) {
    grpc::ClientContext context;
    AuthorizeForTest(context, manager_);
    dir::IssueTokenRequest request;
    request.set_member(member_.name());
    dir::IssueTokenResponse response;
    grpc::Status status =
        directory_stub_->IssueToken(&context, request, &response);
    if (status_out != nullptr) {
      *status_out = status;
    } else {
      EXPECT_TRUE(status.ok()) << status.error_message();
    }
    return response;
  }

  grpc::Status ReadInbox(const std::string& token) {
    return deployment_.ReadInbox(token);
  }

  // True once the referral service refuses `token` as UNAUTHENTICATED
  // saying `why`, within kWithin.
  bool RefusedSoon(const std::string& token, const std::string& why) {
    return Eventually(
        [&] {
          grpc::Status status = ReadInbox(token);
          return status.error_code() == grpc::StatusCode::UNAUTHENTICATED &&
                 absl::StrContains(status.error_message(), why);
        },
        kWithin);
  }

  TestDeployment deployment_;
  std::string admin_;
  std::string manager_;
  dir::DirectoryService::Stub* directory_stub_ = nullptr;
  ref::ReferralService::Stub* referral_stub_ = nullptr;
  std::string team_;
  dir::Member member_;
};

TEST_P(RevocationServerTest, ARevokedTokenIsRefusedEverywhereAndOthersStand) {
  dir::IssueTokenResponse lost = Issue();
  dir::IssueTokenResponse kept = Issue();
  ASSERT_TRUE(ReadInbox(lost.token()).ok());
  grpc::ClientContext context;
  AuthorizeForTest(context, admin_);
  dir::RevokeTokenRequest request;
  request.set_member(member_.name());
  request.set_token_id(lost.token_id());
  request.set_reason("left on a shared PC");
  dir::TokenRevocation revocation;
  grpc::Status status =
      directory_stub_->RevokeToken(&context, request, &revocation);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(RefusedSoon(lost.token(), "left on a shared PC"));
  EXPECT_TRUE(ReadInbox(kept.token()).ok());
}

TEST_P(RevocationServerTest, ADeactivatedMemberIsRefusedAndTheirStreamEnds) {
  dir::IssueTokenResponse token = Issue();
  ASSERT_TRUE(ReadInbox(token.token()).ok());
  // An open subscription of the member to the referral feed.
  grpc::ClientContext stream_context;
  stream_context.AddMetadata("authorization",
                             absl::StrCat("Bearer ", token.token()));
  events::v1::SubscribeRequest subscribe;
  auto stream = referral_stub_->Subscribe(&stream_context, subscribe);
  events::v1::SubscribeResponse first;
  ASSERT_TRUE(stream->Read(&first));

  grpc::ClientContext context;
  AuthorizeForTest(context, admin_);
  dir::DeactivateMemberRequest request;
  request.set_name(member_.name());
  request.set_reason("suspended pending review");
  dir::Member deactivated;
  ASSERT_TRUE(
      directory_stub_->DeactivateMember(&context, request, &deactivated).ok());
  const absl::Time said = absl::Now();
  EXPECT_TRUE(RefusedSoon(token.token(), "suspended pending review"));

  events::v1::SubscribeResponse more;
  while (stream->Read(&more)) {
  }
  grpc::Status ended = stream->Finish();
  EXPECT_LT(absl::Now() - said, kWithin);
  EXPECT_EQ(ended.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(absl::StrContains(ended.error_message(), "deactivated"))
      << ended.error_message();

  // No new token until reactivated; then a new one works and the old one
  // stays ended.
  grpc::Status refused;
  Issue(&refused);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  grpc::ClientContext reactivate_context;
  AuthorizeForTest(reactivate_context, manager_);
  dir::ReactivateMemberRequest reactivate;
  reactivate.set_name(member_.name());
  dir::Member active;
  ASSERT_TRUE(directory_stub_
                  ->ReactivateMember(&reactivate_context, reactivate, &active)
                  .ok());
  dir::IssueTokenResponse fresh = Issue();
  EXPECT_TRUE(
      Eventually([&] { return ReadInbox(fresh.token()).ok(); }, kWithin));
  EXPECT_EQ(ReadInbox(token.token()).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_P(RevocationServerTest, ANewTeamEndsTokensCarryingTheOldOne) {
  dir::IssueTokenResponse token = Issue();
  ASSERT_TRUE(ReadInbox(token.token()).ok());
  grpc::ClientContext team_context;
  AuthorizeForTest(team_context, admin_);
  dir::CreateTeamRequest team;
  team.mutable_team()->set_display_name("Crisis team");
  team.mutable_team()->set_sector(dir::CRISIS);
  dir::Team crisis;
  ASSERT_TRUE(directory_stub_->CreateTeam(&team_context, team, &crisis).ok());
  // The team's manager moves Sam to the crisis team.
  grpc::ClientContext context;
  AuthorizeForTest(context, manager_);
  dir::UpdateMemberRequest request;
  request.mutable_member()->set_name(member_.name());
  request.mutable_member()->set_team(crisis.name());
  request.mutable_update_mask()->add_paths("team");
  request.set_etag(member_.etag());
  dir::Member moved;
  grpc::Status status =
      directory_stub_->UpdateMember(&context, request, &moved);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(RefusedSoon(token.token(), "role or team changed"));
  // Sam is the crisis team's to manage now, not the old team's manager's.
  grpc::Status refused;
  Issue(&refused);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

INSTANTIATE_TEST_SUITE_P(Deployments, RevocationServerTest,
                         ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Split" : "AllInOne";
                         });

}  // namespace
}  // namespace carebridge::server

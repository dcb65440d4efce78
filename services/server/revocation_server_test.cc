// Ending tokens across processes: a revocation, a deactivation, or a new
// role or team said to the directory is honoured by every service within 5
// seconds -- in one all-in-one process and in a split deployment, where
// the referral service runs in a process of its own and learns of it from
// the directory's feed -- and an open event stream of the member ends.
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "carebridge/directory/v1/directory.grpc.pb.h"
#include "carebridge/referral/v1/referral.grpc.pb.h"
#include "services/server/carebridge_server.h"
#include "tests/support/eventually.h"

namespace carebridge::server {
namespace {

namespace dir = ::carebridge::directory::v1;
namespace ref = ::carebridge::referral::v1;
using ::carebridge::testing::Eventually;

constexpr absl::Duration kWithin = absl::Seconds(5);

void Authorize(grpc::ClientContext& context, const std::string& token) {
  context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
}

// The directory in `directory`, the referral service in `referral` (the
// same process when all-in-one).
struct Deployment {
  std::unique_ptr<CarebridgeServer> directory;
  std::unique_ptr<CarebridgeServer> referral;
};

class RevocationServerTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "cb-revoke-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    ServerConfig config = Config("directory");
    const bool split = GetParam();
    if (split) config.services = {"directory"};
    auto directory = CarebridgeServer::Start(config);
    ASSERT_TRUE(directory.ok()) << directory.status();
    directory_ = *std::move(directory);
    if (split) {
      ServerConfig referral = Config("referral");
      referral.services = {"referral"};
      referral.directory_address =
          absl::StrCat("127.0.0.1:", directory_->port());
      referral.token_keys_dir = config.data_dir + "/token-keys";
      auto started = CarebridgeServer::Start(referral);
      ASSERT_TRUE(started.ok()) << started.status();
      referral_ = *std::move(started);
    }
    std::ifstream in(directory_->bootstrap_token_path());
    std::stringstream buffer;
    buffer << in.rdbuf();
    admin_ = std::string(absl::StripAsciiWhitespace(buffer.str()));
    directory_stub_ = dir::DirectoryService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", directory_->port()),
                            grpc::InsecureChannelCredentials()));
    const int referral_port =
        referral_ != nullptr ? referral_->port() : directory_->port();
    referral_stub_ = ref::ReferralService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", referral_port),
                            grpc::InsecureChannelCredentials()));

    grpc::ClientContext context;
    Authorize(context, admin_);
    dir::CreateTeamRequest team;
    team.mutable_team()->set_display_name("North CMHT");
    team.mutable_team()->set_sector(dir::COMMUNITY_MENTAL_HEALTH);
    dir::Team created;
    ASSERT_TRUE(directory_stub_->CreateTeam(&context, team, &created).ok());
    team_ = created.name();
    // The admin appoints the team's manager, who adds Sam.
    dir::Member manager;
    {
      grpc::ClientContext context;
      Authorize(context, admin_);
      dir::CreateMemberRequest request;
      request.mutable_member()->set_display_name("Team manager");
      request.mutable_member()->set_team(team_);
      request.mutable_member()->set_role(dir::TEAM_MANAGER);
      ASSERT_TRUE(
          directory_stub_->CreateMember(&context, request, &manager).ok());
      grpc::ClientContext issue_context;
      Authorize(issue_context, admin_);
      dir::IssueTokenRequest issue;
      issue.set_member(manager.name());
      dir::IssueTokenResponse token;
      ASSERT_TRUE(
          directory_stub_->IssueToken(&issue_context, issue, &token).ok());
      manager_ = token.token();
    }
    grpc::ClientContext member_context;
    Authorize(member_context, manager_);
    dir::CreateMemberRequest member;
    member.mutable_member()->set_display_name("Sam Okafor");
    member.mutable_member()->set_team(team_);
    member.mutable_member()->set_role(dir::CLINICIAN);
    ASSERT_TRUE(
        directory_stub_->CreateMember(&member_context, member, &member_).ok());
  }

  void TearDown() override {
    referral_.reset();
    directory_.reset();
    std::filesystem::remove_all(dir_);
  }

  ServerConfig Config(const std::string& name) {
    ServerConfig config;
    config.listen = "127.0.0.1:0";
    config.data_dir = absl::StrCat(dir_, "/", name);
    config.shutdown_grace = absl::Milliseconds(200);
    return config;
  }

  dir::IssueTokenResponse Issue(grpc::Status* status_out = nullptr) {
    grpc::ClientContext context;
    Authorize(context, manager_);
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

  // The referral service's answer to `token` reading its team's inbox.
  grpc::Status ReadInbox(const std::string& token) {
    grpc::ClientContext context;
    Authorize(context, token);
    ref::ListReferralsRequest request;
    request.set_mailbox(ref::INBOX);
    ref::ListReferralsResponse response;
    return referral_stub_->ListReferrals(&context, request, &response);
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

  std::string dir_;
  std::unique_ptr<CarebridgeServer> directory_;
  std::unique_ptr<CarebridgeServer> referral_;
  std::string admin_;
  std::string manager_;
  std::unique_ptr<dir::DirectoryService::Stub> directory_stub_;
  std::unique_ptr<ref::ReferralService::Stub> referral_stub_;
  std::string team_;
  dir::Member member_;
};

TEST_P(RevocationServerTest, ARevokedTokenIsRefusedEverywhereAndOthersStand) {
  dir::IssueTokenResponse lost = Issue();
  dir::IssueTokenResponse kept = Issue();
  ASSERT_TRUE(ReadInbox(lost.token()).ok());
  grpc::ClientContext context;
  Authorize(context, admin_);
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
  Authorize(context, admin_);
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
  Authorize(reactivate_context, manager_);
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
  Authorize(team_context, admin_);
  dir::CreateTeamRequest team;
  team.mutable_team()->set_display_name("Crisis team");
  team.mutable_team()->set_sector(dir::CRISIS);
  dir::Team crisis;
  ASSERT_TRUE(directory_stub_->CreateTeam(&team_context, team, &crisis).ok());
  // The team's manager moves Sam to the crisis team.
  grpc::ClientContext context;
  Authorize(context, manager_);
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

// Sign-in with the organisation's identity provider, end to end: staff
// present the provider's access tokens (signed by a test provider's key)
// to carebridge-server, in one all-in-one process and in a split
// deployment where the referral service runs in a process of its own. The
// token's email names the directory member; their team and role are the
// directory's; a deactivation or a new role reaches every process; the
// provider's key set is replaced by editing the file the admin points to.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "carebridge/directory/v1/directory.grpc.pb.h"
#include "carebridge/referral/v1/referral.grpc.pb.h"
#include "services/common/file_util.h"
#include "services/server/carebridge_server.h"
#include "services/server/test_deployment.h"
#include "tests/support/eventually.h"
#include "tests/support/test_idp.h"

namespace carebridge::server {
namespace {

namespace dir = ::carebridge::directory::v1;
namespace ref = ::carebridge::referral::v1;
using ::carebridge::testing::Eventually;
using ::carebridge::testing::TestIdpKey;
using ::carebridge::testing::TestJwks;

constexpr absl::Duration kWithin = absl::Seconds(5);
constexpr char kIssuer[] = "https://login.example.nhs.uk";
constexpr char kAudience[] = "carebridge-console";

class OidcSignInServerTest : public ::testing::TestWithParam<bool> {
 protected:
  OidcSignInServerTest()
      : idp_("trust-2026-12", /*rsa=*/true), next_("trust-2027-01", false) {}

  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "cb-oidc-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    jwks_file_ = dir_ + "/idp-jwks.json";
    ASSERT_TRUE(WriteFileAtomically(jwks_file_, TestJwks({&idp_}), 0644).ok());
    absl::Status started = deployment_.Start(
        GetParam(), [this](const std::string&, ServerConfig* config) {
          config->oidc_issuer = kIssuer;
          config->oidc_audience = kAudience;
          config->oidc_jwks_file = jwks_file_;
          config->token_keys_reload_interval = absl::Seconds(1);
        });
    ASSERT_TRUE(started.ok()) << started;
    admin_ = deployment_.admin_token;
    directory_stub_ = deployment_.directory_stub.get();
    referral_stub_ = deployment_.referral_stub.get();

    absl::StatusOr<std::string> team = deployment_.CreateTeam("North CMHT");
    ASSERT_TRUE(team.ok()) << team.status();
    team_ = *team;
    // The admin appoints the team's manager (who signs in with the
    // provider and adds Sam) and a second admin.
    ASSERT_TRUE(Create(admin_, "Team manager", team_, dir::TEAM_MANAGER,
                       "Manager@North.example.nhs.uk", &manager_)
                    .ok());
    ASSERT_TRUE(
        Create(admin_, "Ops admin", "", dir::ADMIN, "ops@example.nhs.uk", &ops_)
            .ok());
    ASSERT_TRUE(Known("manager@north.example.nhs.uk", manager_));
    grpc::Status status =
        Create(IdpToken("manager@north.example.nhs.uk"), "Sam Okafor", team_,
               dir::CLINICIAN, "sam.okafor@example.nhs.uk", &sam_);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_TRUE(Known("sam.okafor@example.nhs.uk", sam_));
    ASSERT_TRUE(Known("ops@example.nhs.uk", ops_));
  }

  // True once every process knows `member` by `email` (the directory's
  // feed reached them): their token is judged by role, not refused.
  bool Known(const std::string& email, const dir::Member& member) {
    return Eventually(
        [&] {
          const std::string token = IdpToken(email);
          grpc::ClientContext context;
          AuthorizeForTest(context, token);
          dir::GetMemberRequest request;
          request.set_name(member.name());
          dir::Member got;
          return directory_stub_->GetMember(&context, request, &got)
                         .error_code() != grpc::StatusCode::UNAUTHENTICATED &&
                 ReadInbox(token).error_code() !=
                     grpc::StatusCode::UNAUTHENTICATED;
        },
        kWithin);
  }

  void TearDown() override {
    deployment_.Stop();
    std::filesystem::remove_all(dir_);
  }

  // An access token of the provider for `email`, issued now for an hour.
  // With `jti` when given.
  std::string IdpToken(const std::string& email,
                       const TestIdpKey* key = nullptr,
                       const std::string& audience = kAudience,
                       const std::string& jti = "") {
    const int64_t now = absl::ToUnixSeconds(absl::Now());
    return (key == nullptr ? &idp_ : key)
        ->Sign(absl::StrCat(
            R"({"iss":")", kIssuer, R"(","aud":[")", audience,
            R"(","account"],"sub":"uid-)", email, R"(","email":")", email,
            R"(","iat":)", now, R"(,"exp":)", now + 3600,
            jti.empty() ? "" : absl::StrCat(R"(,"jti":")", jti, R"(")"), "}"));
  }

  grpc::Status Create(const std::string& token, const std::string& name,
                      const std::string& team, dir::Role role,
                      const std::string& email, dir::Member* created) {
    grpc::ClientContext context;
    AuthorizeForTest(context, token);
    dir::CreateMemberRequest request;
    request.mutable_member()->set_display_name(name);
    request.mutable_member()->set_team(team);
    request.mutable_member()->set_role(role);
    request.mutable_member()->set_email(email);
    return directory_stub_->CreateMember(&context, request, created);
  }

  grpc::Status ReadInbox(const std::string& token) {
    return deployment_.ReadInbox(token);
  }

  grpc::Status UpdateRole(const dir::Member& member, dir::Role role) {
    grpc::ClientContext context;
    AuthorizeForTest(context, IdpToken("manager@north.example.nhs.uk"));
    dir::UpdateMemberRequest request;
    request.mutable_member()->set_name(member.name());
    request.mutable_member()->set_role(role);
    request.mutable_update_mask()->add_paths("role");
    request.set_etag(member.etag());
    dir::Member updated;
    return directory_stub_->UpdateMember(&context, request, &updated);
  }

  TestIdpKey idp_;
  TestIdpKey next_;
  std::string dir_;
  std::string jwks_file_;
  TestDeployment deployment_;
  std::string admin_;
  dir::DirectoryService::Stub* directory_stub_ = nullptr;
  ref::ReferralService::Stub* referral_stub_ = nullptr;
  std::string team_;
  dir::Member manager_;
  dir::Member ops_;
  dir::Member sam_;
};

// The role table holds for people signed in with the provider: the
// clinician reads their team's referrals; the team manager manages the
// team's members but reads no clinical record; an admin manages teams but
// neither reads clinical records nor adds clinical staff.
TEST_P(OidcSignInServerTest, SignedInStaffHaveTheirDirectoryRole) {
  const std::string sam = IdpToken("Sam.Okafor@example.nhs.uk");
  grpc::Status status = ReadInbox(sam);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(ReadInbox(IdpToken("manager@north.example.nhs.uk")).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  const std::string ops = IdpToken("ops@example.nhs.uk");
  EXPECT_EQ(ReadInbox(ops).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  dir::Member created;
  EXPECT_EQ(
      Create(ops, "Kim", team_, dir::CLINICIAN, "kim@example.nhs.uk", &created)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  grpc::ClientContext context;
  AuthorizeForTest(context, ops);
  dir::CreateTeamRequest team;
  team.mutable_team()->set_display_name("Crisis team");
  team.mutable_team()->set_sector(dir::CRISIS);
  dir::Team crisis;
  status = directory_stub_->CreateTeam(&context, team, &crisis);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_P(OidcSignInServerTest, BadTokensAreUnauthenticatedSayingWhy) {
  struct Case {
    std::string token;
    std::string says;
  };
  TestIdpKey stranger("trust-2026-12", true);
  const Case cases[] = {
      {IdpToken("eve@example.nhs.uk"),
       "no carebridge member has the email `eve@example.nhs.uk`"},
      {IdpToken("sam.okafor@example.nhs.uk", &stranger),
       "signature is not valid"},
      {IdpToken("sam.okafor@example.nhs.uk", &next_),
       "key `trust-2027-01` is not in the identity provider's key set"},
      {IdpToken("sam.okafor@example.nhs.uk", nullptr, "another-app"),
       "audience does not include `carebridge-console`"},
  };
  for (const Case& c : cases) {
    grpc::Status status = ReadInbox(c.token);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << c.says;
    EXPECT_TRUE(absl::StrContains(status.error_message(), c.says))
        << status.error_message();
  }
}

// Deactivated in the directory: the provider's token no longer works in
// any process, within seconds.
TEST_P(OidcSignInServerTest, ADeactivatedMemberCannotSignIn) {
  const std::string sam = IdpToken("sam.okafor@example.nhs.uk");
  ASSERT_TRUE(ReadInbox(sam).ok());
  grpc::ClientContext context;
  AuthorizeForTest(context, IdpToken("manager@north.example.nhs.uk"));
  dir::DeactivateMemberRequest request;
  request.set_name(sam_.name());
  request.set_reason("left the trust");
  dir::Member deactivated;
  ASSERT_TRUE(
      directory_stub_->DeactivateMember(&context, request, &deactivated).ok());
  EXPECT_TRUE(Eventually(
      [&] {
        grpc::Status status = ReadInbox(IdpToken("sam.okafor@example.nhs.uk"));
        return status.error_code() == grpc::StatusCode::UNAUTHENTICATED &&
               absl::StrContains(status.error_message(), "left the trust");
      },
      kWithin));
}

// One session of the provider ended by its id (`jti`), or all of them
// (sign out everywhere), in every process; a later sign-in works.
TEST_P(OidcSignInServerTest, ProviderSessionsEndLikeCarebridgeTokens) {
  const std::string lost =
      IdpToken("sam.okafor@example.nhs.uk", nullptr, kAudience, "sess-lost");
  const std::string kept =
      IdpToken("sam.okafor@example.nhs.uk", nullptr, kAudience, "sess-kept");
  ASSERT_TRUE(ReadInbox(lost).ok());
  {
    grpc::ClientContext context;
    AuthorizeForTest(context, IdpToken("manager@north.example.nhs.uk"));
    dir::RevokeTokenRequest request;
    request.set_member(sam_.name());
    request.set_token_id("sess-lost");
    request.set_reason("phone stolen");
    dir::TokenRevocation revocation;
    grpc::Status status =
        directory_stub_->RevokeToken(&context, request, &revocation);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_TRUE(Eventually(
      [&] {
        grpc::Status status = ReadInbox(lost);
        return status.error_code() == grpc::StatusCode::UNAUTHENTICATED &&
               absl::StrContains(status.error_message(), "phone stolen");
      },
      kWithin));
  EXPECT_TRUE(ReadInbox(kept).ok());
  {
    grpc::ClientContext context;
    AuthorizeForTest(context, kept);
    dir::RevokeMemberTokensRequest request;
    request.set_name(sam_.name());
    request.set_reason("signed out everywhere");
    dir::Member member;
    grpc::Status status =
        directory_stub_->RevokeMemberTokens(&context, request, &member);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_TRUE(Eventually(
      [&] {
        grpc::Status status = ReadInbox(kept);
        return status.error_code() == grpc::StatusCode::UNAUTHENTICATED &&
               absl::StrContains(status.error_message(),
                                 "signed out everywhere");
      },
      kWithin));
  EXPECT_TRUE(Eventually(
      [&] { return ReadInbox(IdpToken("sam.okafor@example.nhs.uk")).ok(); },
      kWithin));
}

// A new role ends the sessions that carried the old one; signing in again
// gives the new role.
TEST_P(OidcSignInServerTest, ANewRoleAppliesOnceSignedInAgain) {
  const std::string sam = IdpToken("sam.okafor@example.nhs.uk");
  ASSERT_TRUE(ReadInbox(sam).ok());
  grpc::Status status = UpdateRole(sam_, dir::PEER_SUPPORT_WORKER);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(Eventually(
      [&] {
        grpc::Status old = ReadInbox(sam);
        return old.error_code() == grpc::StatusCode::UNAUTHENTICATED &&
               absl::StrContains(old.error_message(), "role or team changed");
      },
      kWithin));
  // Signed in again (a token issued after the change): the new role, which
  // still reads the team's inbox.
  std::string again;
  EXPECT_TRUE(Eventually(
      [&] {
        again = IdpToken("sam.okafor@example.nhs.uk");
        return ReadInbox(again).ok();
      },
      kWithin));
  grpc::ClientContext context;
  AuthorizeForTest(context, again);
  dir::GetMemberRequest get;
  get.set_name(sam_.name());
  dir::Member member;
  ASSERT_TRUE(directory_stub_->GetMember(&context, get, &member).ok());
  EXPECT_EQ(member.role(), dir::PEER_SUPPORT_WORKER);
}

// The provider rotates its keys: the admin replaces the key set file, and
// every process trusts the new key (and no longer the removed one) within
// the reload interval; a file that does not read keeps the keys known.
TEST_P(OidcSignInServerTest, AReplacedKeySetIsPickedUp) {
  const std::string old_key = IdpToken("sam.okafor@example.nhs.uk");
  const std::string new_key = IdpToken("sam.okafor@example.nhs.uk", &next_);
  ASSERT_TRUE(ReadInbox(old_key).ok());
  ASSERT_EQ(ReadInbox(new_key).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  ASSERT_TRUE(WriteFileAtomically(jwks_file_, "{not json", 0644).ok());
  absl::SleepFor(absl::Milliseconds(1500));
  EXPECT_TRUE(ReadInbox(old_key).ok());
  ASSERT_TRUE(WriteFileAtomically(jwks_file_, TestJwks({&next_}), 0644).ok());
  EXPECT_TRUE(Eventually([&] { return ReadInbox(new_key).ok(); }, kWithin));
  EXPECT_TRUE(Eventually(
      [&] {
        return ReadInbox(old_key).error_code() ==
               grpc::StatusCode::UNAUTHENTICATED;
      },
      kWithin));
}

INSTANTIATE_TEST_SUITE_P(Deployments, OidcSignInServerTest,
                         ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Split" : "AllInOne";
                         });

// Sign-in needs all of issuer, audience and key set, and a key set that
// reads: else the server does not start, saying which flag.
TEST(OidcSignInConfigTest, IncompleteOrUnreadableSettingsAreRefused) {
  ServerConfig config;
  config.data_dir = "/tmp/unused";
  config.oidc_issuer = kIssuer;
  absl::StatusOr<ServerConfig> normalized = Normalize(config);
  EXPECT_TRUE(absl::IsInvalidArgument(normalized.status()));
  EXPECT_TRUE(
      absl::StrContains(normalized.status().message(), "--oidc_audience"));
  config.oidc_issuer = "carebridge";
  config.oidc_audience = kAudience;
  config.oidc_jwks_file = "/nonexistent/jwks.json";
  normalized = Normalize(config);
  EXPECT_TRUE(absl::IsInvalidArgument(normalized.status()));
  EXPECT_TRUE(absl::StrContains(normalized.status().message(),
                                "issuer of carebridge's own"));
  config.oidc_issuer = kIssuer;
  config.oidc_member_claim = "";
  EXPECT_TRUE(absl::IsInvalidArgument(Normalize(config).status()));

  std::string pattern =
      (std::filesystem::temp_directory_path() / "cb-oidc-XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  config.data_dir = pattern + "/data";
  config.listen = "127.0.0.1:0";
  config.oidc_member_claim = "email";
  auto started = CarebridgeServer::Start(config);
  EXPECT_TRUE(absl::IsFailedPrecondition(started.status()));
  EXPECT_TRUE(
      absl::StrContains(started.status().message(), "--oidc_jwks_file"));
  ASSERT_TRUE(WriteFileAtomically(pattern + "/jwks.json",
                                  R"({"keys":[{"kty":"oct","kid":"k"}]})", 0644)
                  .ok());
  config.oidc_jwks_file = pattern + "/jwks.json";
  started = CarebridgeServer::Start(config);
  EXPECT_TRUE(absl::IsFailedPrecondition(started.status()));
  EXPECT_TRUE(absl::StrContains(started.status().message(), "kty `oct`"))
      << started.status();
  std::filesystem::remove_all(pattern);
}

}  // namespace
}  // namespace carebridge::server

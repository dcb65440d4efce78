#include "services/server/server_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "tests/support/status_matchers.h"

namespace carebridge::server {
namespace {

using ::carebridge::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(ServerConfigTest, DefaultsToEveryKnownService) {
  auto config = Normalize(ServerConfig());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->services, ElementsAre("directory", "referral", "careplan",
                                            "handover", "record"));
  EXPECT_EQ(config->token_keys_dir, "data/token-keys");
  EXPECT_EQ(config->token_jwks_file, "");
  EXPECT_EQ(config->token_key_overlap, absl::Hours(24 * 90));
}

TEST(ServerConfigTest, UnknownServiceIsRejectedNamingTheFlag) {
  ServerConfig config;
  config.services = {"directory", "careplans"};
  auto normalized = Normalize(config);
  EXPECT_EQ(normalized.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(normalized.status().message(), HasSubstr("--services"));
  EXPECT_THAT(normalized.status().message(), HasSubstr("\"careplans\""));
  EXPECT_THAT(normalized.status().message(),
              HasSubstr("known: directory,referral,careplan"));
}

TEST(ServerConfigTest, RepeatedServiceIsRejected) {
  ServerConfig config;
  config.services = {"referral", "referral"};
  EXPECT_EQ(Normalize(config).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ServerConfigTest, ReferralWithoutDirectoryNeedsItsAddress) {
  ServerConfig config;
  config.services = {"referral"};
  auto normalized = Normalize(config);
  EXPECT_THAT(normalized.status().message(), HasSubstr("--directory_address"));
  config.directory_address = "127.0.0.1:6000";
  EXPECT_TRUE(Normalize(config).ok());
}

TEST(ServerConfigTest, CarePlanAloneNeedsEveryPeerItTalksTo) {
  // The directory it asks, and the referral and handover feeds it follows.
  ServerConfig config;
  config.services = {"careplan"};
  EXPECT_THAT(Normalize(config).status().message(),
              HasSubstr("--directory_address"));
  config.directory_address = "127.0.0.1:6000";
  EXPECT_THAT(Normalize(config).status().message(),
              HasSubstr("--referral_address"));
  config.referral_address = "127.0.0.1:6001";
  EXPECT_THAT(Normalize(config).status().message(),
              HasSubstr("--handover_address"));
  config.handover_address = "127.0.0.1:6002";
  EXPECT_TRUE(Normalize(config).ok());
}

// A referral service alone runs without the care plan service (sector
// defaults), and says so at start; with its address, or hosting both, it
// does not.
TEST(ServerConfigTest, ReferralWithoutTheCarePlanWarns) {
  ServerConfig config;
  config.services = {"referral"};
  config.directory_address = "127.0.0.1:6000";
  absl::StatusOr<ServerConfig> normalized = Normalize(config);
  ASSERT_TRUE(normalized.ok());
  EXPECT_THAT(Warnings(*normalized),
              ElementsAre(HasSubstr("--careplan_address is not set")));
  config.careplan_address = "127.0.0.1:6001";
  EXPECT_THAT(Warnings(*Normalize(config)), IsEmpty());
  config.careplan_address.clear();
  config.services = {"referral", "careplan", "handover"};
  EXPECT_THAT(Warnings(*Normalize(config)), IsEmpty());
  EXPECT_THAT(Warnings(*Normalize(ServerConfig{})), IsEmpty());
}

TEST(ServerConfigTest, HandoverAloneNeedsTheDirectoryAndTheCarePlan) {
  ServerConfig config;
  config.services = {"handover"};
  EXPECT_THAT(Normalize(config).status().message(),
              HasSubstr("--directory_address"));
  config.directory_address = "127.0.0.1:6000";
  EXPECT_THAT(Normalize(config).status().message(),
              HasSubstr("--careplan_address"));
  config.careplan_address = "127.0.0.1:6001";
  EXPECT_TRUE(Normalize(config).ok());
}

TEST(ServerConfigTest, RecordAloneNeedsEveryFeedItFollows) {
  ServerConfig config;
  config.services = {"record"};
  for (const char* peer : {"directory", "referral", "careplan", "handover"}) {
    EXPECT_THAT(Normalize(config).status().message(),
                HasSubstr(absl::StrCat("--", peer, "_address")));
    if (std::string(peer) == "directory") config.directory_address = "a:1";
    if (std::string(peer) == "referral") config.referral_address = "a:2";
    if (std::string(peer) == "careplan") config.careplan_address = "a:3";
    if (std::string(peer) == "handover") config.handover_address = "a:4";
  }
  EXPECT_TRUE(Normalize(config).ok());
}

TEST(ServerConfigTest, PeersHostedHereNeedNoAddress) {
  ServerConfig config;
  config.services = {"careplan", "handover", "referral", "directory"};
  EXPECT_TRUE(Normalize(config).ok());
}

TEST(ServerConfigTest, DeadlineScanIntervalMustBePositive) {
  ServerConfig config;
  config.deadline_scan_interval = absl::ZeroDuration();
  EXPECT_THAT(Normalize(config).status().message(),
              HasSubstr("--deadline_scan_interval"));
}

// Staff tokens last hours by default; an operator may allow from 5 minutes
// to 90 days, and anything else is refused naming the flag.
TEST(ServerConfigTest, MaxTokenLifetimeIsBounded) {
  ServerConfig config;
  EXPECT_EQ(config.max_token_lifetime, absl::Hours(12));
  for (absl::Duration ok : {absl::Minutes(5), absl::Hours(24 * 90)}) {
    config.max_token_lifetime = ok;
    absl::StatusOr<ServerConfig> normalized = Normalize(config);
    ASSERT_TRUE(normalized.ok()) << normalized.status();
    EXPECT_EQ(normalized->max_token_lifetime, ok);
  }
  for (absl::Duration bad :
       {absl::ZeroDuration(), absl::Minutes(5) - absl::Seconds(1),
        absl::Hours(24 * 90) + absl::Seconds(1), -absl::Hours(1)}) {
    config.max_token_lifetime = bad;
    EXPECT_EQ(Normalize(config).status().code(),
              absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(Normalize(config).status().message(),
                HasSubstr("--max_token_lifetime: must be from 5m to 2160h"));
  }
}

TEST(ServerConfigTest, CareGapThresholdsAreCheckedNamingTheFlag) {
  ServerConfig config;
  config.care_gaps.bounce_teams = 2;
  config.care_gaps.onward_route_grace = absl::Hours(48);
  absl::StatusOr<ServerConfig> normalized = Normalize(config);
  ASSERT_TRUE(normalized.ok()) << normalized.status();
  EXPECT_EQ(normalized->care_gaps.bounce_teams, 2);
  EXPECT_EQ(normalized->care_gaps.onward_route_grace, absl::Hours(48));

  config.care_gaps.bounce_teams = 1;
  EXPECT_EQ(Normalize(config).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Normalize(config).status().message(),
              HasSubstr("--gap_bounce_teams"));
  config = ServerConfig();
  config.care_gaps.bounce_window = absl::ZeroDuration();
  EXPECT_THAT(Normalize(config).status().message(),
              HasSubstr("--gap_bounce_window"));
  config = ServerConfig();
  config.care_gaps.onward_route_grace = -absl::Hours(1);
  EXPECT_THAT(Normalize(config).status().message(),
              HasSubstr("--gap_onward_route_grace"));
  config = ServerConfig();
  config.care_gaps.agreement_grace = absl::Hours(24 * 365 * 11);
  EXPECT_THAT(Normalize(config).status().message(),
              HasSubstr("--gap_agreement_grace"));
}

// An unreviewed break-glass access is a gap at once by default; a
// deployment may give the lead team some days, never a negative time.
TEST(ServerConfigTest, TheBreakGlassReviewGraceMayBeZeroNotNegative) {
  ServerConfig config;
  EXPECT_EQ(config.care_gaps.break_glass_review_grace, absl::ZeroDuration());
  ASSERT_TRUE(Normalize(config).ok()) << Normalize(config).status();
  config.care_gaps.break_glass_review_grace = absl::Hours(72);
  absl::StatusOr<ServerConfig> normalized = Normalize(config);
  ASSERT_TRUE(normalized.ok()) << normalized.status();
  EXPECT_EQ(normalized->care_gaps.break_glass_review_grace, absl::Hours(72));
  for (absl::Duration bad : {-absl::Seconds(1), absl::Hours(24 * 365 * 11)}) {
    config.care_gaps.break_glass_review_grace = bad;
    EXPECT_EQ(Normalize(config).status().code(),
              absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(Normalize(config).status().message(),
                HasSubstr("--gap_break_glass_review_grace: must be from 0"));
  }
}

TEST(ServerConfigTest, HalfATlsPairIsRejected) {
  ServerConfig config;
  config.tls_cert_file = "cert.pem";
  EXPECT_THAT(Normalize(config).status().message(),
              HasSubstr("--tls_key_file"));
}

// The console's "Sign in with your organisation" sends browsers to the
// provider: only an https:// address (plain http on this machine, for
// tests), and only with the provider's tokens accepted.
TEST(ServerConfigTest, TheProvidersAuthorizationEndpointIsChecked) {
  ServerConfig config;
  config.oidc_authorization_endpoint = "https://login.trust.example/authorize";
  EXPECT_THAT(Normalize(config).status().message(),
              HasSubstr("needs --oidc_issuer"));
  config.oidc_issuer = "https://login.trust.example";
  config.oidc_audience = "carebridge";
  config.oidc_jwks_file = "jwks.json";
  EXPECT_TRUE(Normalize(config).ok()) << Normalize(config).status();
  config.oidc_authorization_endpoint = "http://127.0.0.1:9000/authorize";
  EXPECT_TRUE(Normalize(config).ok()) << Normalize(config).status();
  for (const char* bad :
       {"http://login.trust.example/authorize", "javascript:alert(1)",
        "https://login.trust.example/a b", "https://x.example/#frag"}) {
    config.oidc_authorization_endpoint = bad;
    EXPECT_THAT(Normalize(config).status().message(),
                HasSubstr("--oidc_authorization_endpoint"))
        << bad;
  }
}

TEST(ServerConfigTest, InboxStreamsAreBounded) {
  ServerConfig config;
  config.http_max_streams = 0;
  EXPECT_THAT(Normalize(config).status().message(),
              HasSubstr("--http_max_streams"));
  config.http_max_streams = 1001;
  EXPECT_FALSE(Normalize(config).ok());
  config.http_max_streams = 1;
  EXPECT_TRUE(Normalize(config).ok());
}

TEST(ServerConfigTest, PublicKeysOnlyAreRefusedWhereTheDirectoryIsHosted) {
  ServerConfig config;
  config.token_jwks_file = "/etc/carebridge/jwks.json";
  EXPECT_THAT(Normalize(config), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("--token_jwks_file")));
  config.services = {"referral"};
  config.directory_address = "127.0.0.1:1";
  EXPECT_TRUE(Normalize(config).ok());
}

TEST(ServerConfigTest, MutualTlsNeedsThisProcesssCertificate) {
  ServerConfig config;
  config.tls_ca_file = "ca.pem";
  EXPECT_THAT(Normalize(config),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--tls_ca_file: needs --tls_cert_file")));
  config.tls_cert_file = "referral.pem";
  config.tls_key_file = "referral.key";
  EXPECT_TRUE(Normalize(config).ok());
}

// A process that only verifies cannot sign its own service identity: it
// needs its certificate, and says so at start when it has none.
TEST(ServerConfigTest, PublicKeysOnlyWithoutMutualTlsIsWarnedAbout) {
  ServerConfig config;
  config.services = {"referral"};
  config.directory_address = "127.0.0.1:1";
  config.careplan_address = "127.0.0.1:2";
  config.token_jwks_file = "jwks.json";
  absl::StatusOr<ServerConfig> normalized = Normalize(config);
  ASSERT_TRUE(normalized.ok());
  EXPECT_THAT(
      Warnings(*normalized),
      ElementsAre(HasSubstr("--token_jwks_file without --tls_ca_file")));
  config.tls_cert_file = "referral.pem";
  config.tls_key_file = "referral.key";
  config.tls_ca_file = "ca.pem";
  normalized = Normalize(config);
  ASSERT_TRUE(normalized.ok());
  EXPECT_THAT(Warnings(*normalized), IsEmpty());
}

TEST(ServerConfigTest, KeyOverlapShorterThanATokenIsRefused) {
  ServerConfig config;
  config.max_token_lifetime = absl::Hours(24);
  config.token_key_overlap = absl::Hours(23);
  EXPECT_THAT(Normalize(config).status().message(),
              HasSubstr("--token_key_overlap"));
}

TEST(ServerConfigTest, ExplicitTokenKeysDirIsKept) {
  ServerConfig config;
  config.token_keys_dir = "/etc/carebridge/token-keys";
  EXPECT_EQ(Normalize(config)->token_keys_dir, "/etc/carebridge/token-keys");
}

}  // namespace
}  // namespace carebridge::server

#include "services/common/service_credentials.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/match.h"
#include "services/common/authenticator.h"
#include "services/common/clock.h"
#include "services/common/principal.h"
#include "services/common/token.h"
#include "tests/support/status_matchers.h"

namespace carebridge {
namespace {

using ::carebridge::testing::IsOk;

class ServiceCredentialsTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  TokenSigner signer_{std::string(32, 'k')};
  Authenticator authenticator_{&signer_, &clock_};
  ServiceCredentials credentials_{"services/careplan", &signer_, &clock_};
};

TEST_F(ServiceCredentialsTest, HeaderAuthenticatesAsTheServiceIdentity) {
  std::string header = credentials_.AuthorizationHeader();
  EXPECT_TRUE(absl::StartsWith(header, "Bearer ")) << header;
  absl::StatusOr<Principal> principal =
      authenticator_.AuthenticateHeader(header);
  ASSERT_THAT(principal, IsOk());
  EXPECT_EQ(principal->subject, "services/careplan");
  EXPECT_EQ(principal->role, Role::kService);
  EXPECT_TRUE(principal->team.empty());
  EXPECT_EQ(principal->expire_time, clock_.Now() + absl::Hours(1));
}

TEST_F(ServiceCredentialsTest, TokenIsReusedWhileItHasMoreThanFiveMinutesLeft) {
  std::string first = credentials_.AuthorizationHeader();
  clock_.Advance(absl::Minutes(54));
  EXPECT_EQ(credentials_.AuthorizationHeader(), first);
}

TEST_F(ServiceCredentialsTest, TokenIsReSignedBeforeItExpires) {
  std::string first = credentials_.AuthorizationHeader();
  clock_.Advance(absl::Minutes(56));
  std::string second = credentials_.AuthorizationHeader();
  EXPECT_NE(second, first);
  // Still valid well after the first would have expired.
  clock_.Advance(absl::Minutes(30));
  EXPECT_THAT(authenticator_.AuthenticateHeader(second), IsOk());
}

}  // namespace
}  // namespace carebridge

#include "services/common/authenticator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "tests/support/status_matchers.h"

namespace carebridge {
namespace {

using ::carebridge::testing::IsOk;
using ::carebridge::testing::StatusIs;
using ::testing::HasSubstr;

constexpr absl::StatusCode kUnauthenticated =
    absl::StatusCode::kUnauthenticated;

class AuthenticatorTest : public ::testing::Test {
 protected:
  AuthenticatorTest()
      : signer_(std::string(32, 'k')), authenticator_(&signer_, &clock_) {}

  std::string TokenExpiringIn(absl::Duration d) {
    Principal p;
    p.subject = "members/m1";
    p.team = "teams/cmht";
    p.role = Role::kClinician;
    p.expire_time = clock_.Now() + d;
    return signer_.Sign(p);
  }

  FakeClock clock_;
  TokenSigner signer_;
  Authenticator authenticator_;
};

TEST_F(AuthenticatorTest, ValidBearerTokenGivesThePrincipal) {
  absl::StatusOr<Principal> principal = authenticator_.AuthenticateHeader(
      absl::StrCat("Bearer ", TokenExpiringIn(absl::Hours(1))));
  ASSERT_THAT(principal, IsOk());
  EXPECT_EQ(principal->subject, "members/m1");
  EXPECT_EQ(principal->team, "teams/cmht");
  EXPECT_EQ(principal->role, Role::kClinician);
}

// A token that verifies but was revoked, or whose member was deactivated,
// is refused with why; others stand.
TEST_F(AuthenticatorTest, RevokedTokensAreUnauthenticated) {
  TokenRevocations revocations(&clock_);
  authenticator_.SetRevocations(&revocations);
  const std::string token = TokenExpiringIn(absl::Hours(1));
  const std::string other = TokenExpiringIn(absl::Hours(1));
  absl::StatusOr<Principal> principal =
      authenticator_.AuthenticateHeader(absl::StrCat("Bearer ", token));
  ASSERT_THAT(principal, IsOk());
  revocations.RevokeToken(principal->token_id, principal->expire_time,
                          "reported lost");
  EXPECT_THAT(authenticator_.AuthenticateHeader(absl::StrCat("Bearer ", token)),
              StatusIs(kUnauthenticated, HasSubstr("reported lost")));
  EXPECT_THAT(authenticator_.AuthenticateHeader(absl::StrCat("Bearer ", other)),
              IsOk());
  revocations.Deactivate("members/m1", "left");
  EXPECT_THAT(authenticator_.AuthenticateHeader(absl::StrCat("Bearer ", other)),
              StatusIs(kUnauthenticated, HasSubstr("deactivated")));
  authenticator_.SetRevocations(nullptr);
}

TEST_F(AuthenticatorTest, SchemeIsCaseInsensitive) {
  EXPECT_THAT(authenticator_.AuthenticateHeader(
                  absl::StrCat("bearer ", TokenExpiringIn(absl::Hours(1)))),
              IsOk());
}

TEST_F(AuthenticatorTest, MissingValueIsUnauthenticated) {
  EXPECT_THAT(authenticator_.AuthenticateHeader(""),
              StatusIs(kUnauthenticated, HasSubstr("Bearer <token>")));
}

TEST_F(AuthenticatorTest, WrongSchemeIsUnauthenticated) {
  std::string token = TokenExpiringIn(absl::Hours(1));
  for (const std::string& value :
       {absl::StrCat("Basic ", token), token, absl::StrCat("Bearer", token),
        std::string("Bearer")}) {
    EXPECT_THAT(authenticator_.AuthenticateHeader(value),
                StatusIs(kUnauthenticated))
        << value;
  }
}

TEST_F(AuthenticatorTest, BearerWithoutATokenIsUnauthenticated) {
  EXPECT_THAT(authenticator_.AuthenticateHeader("Bearer "),
              StatusIs(kUnauthenticated, HasSubstr("malformed")));
}

TEST_F(AuthenticatorTest, ForgedTokenIsUnauthenticated) {
  std::string forged = TokenSigner(std::string(32, 'x'))
                           .Sign(Principal{"members/m1", "", Role::kAdmin,
                                           clock_.Now() + absl::Hours(1),
                                           absl::InfinitePast(), ""});
  EXPECT_THAT(
      authenticator_.AuthenticateHeader(absl::StrCat("Bearer ", forged)),
      StatusIs(kUnauthenticated, HasSubstr("signature")));
}

TEST_F(AuthenticatorTest, ExpiryIsJudgedByTheInjectedClock) {
  std::string header =
      absl::StrCat("Bearer ", TokenExpiringIn(absl::Minutes(10)));
  EXPECT_THAT(authenticator_.AuthenticateHeader(header), IsOk());
  clock_.Advance(absl::Minutes(10));
  EXPECT_THAT(authenticator_.AuthenticateHeader(header),
              StatusIs(kUnauthenticated, HasSubstr("expired")));
}

}  // namespace
}  // namespace carebridge

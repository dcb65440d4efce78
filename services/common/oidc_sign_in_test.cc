#include "services/common/oidc_sign_in.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_idp.h"

namespace carebridge {
namespace {

using ::carebridge::testing::IsOk;
using ::carebridge::testing::StatusIs;
using ::carebridge::testing::TestIdpKey;
using ::carebridge::testing::TestJwks;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr absl::StatusCode kUnauthenticated =
    absl::StatusCode::kUnauthenticated;
const absl::Time kNow = absl::FromUnixSeconds(1780000000);
constexpr char kIssuer[] = "https://login.example.nhs.uk";

int64_t Unix(absl::Time time) { return absl::ToUnixSeconds(time); }

// An access token's claims: issued a minute ago for an hour, for `email`;
// `extra` is added as is.
std::string Claims(absl::string_view email, absl::string_view extra = "",
                   absl::Time iat = kNow - absl::Minutes(1),
                   absl::Time exp = kNow + absl::Hours(1)) {
  return absl::StrCat(R"({"iss":")", kIssuer, R"(","aud":"carebridge",)",
                      R"("sub":"248289761001","email":")", email, R"(","iat":)",
                      Unix(iat), R"(,"exp":)", Unix(exp), extra, "}");
}

class OidcSignInTest : public ::testing::Test {
 protected:
  OidcSignInTest() : key_("idp-1", /*rsa=*/true), ec_("idp-2", false) {
    members_.Put({"members/ada", "teams/north", Role::kClinician, true},
                 "ada@example.nhs.uk");
    members_.Put({"members/max", "teams/north", Role::kTeamManager, true},
                 "max@example.nhs.uk");
    settings_.token.issuer = kIssuer;
    settings_.token.audience = "carebridge";
    settings_.max_lifetime = absl::Hours(12);
  }

  std::shared_ptr<const IdpKeySet> Keys(
      const std::vector<const TestIdpKey*>& keys) {
    absl::StatusOr<std::shared_ptr<const IdpKeySet>> set =
        ParseIdpJwks(TestJwks(keys));
    EXPECT_THAT(set, IsOk());
    return set.ok() ? *set : nullptr;
  }

  OidcSignIn SignIn() {
    return OidcSignIn(settings_, Keys({&key_, &ec_}), &members_);
  }

  TestIdpKey key_;
  TestIdpKey ec_;
  MemberIndex members_;
  OidcSignInSettings settings_;
};

TEST_F(OidcSignInTest, ATokenSignsInTheMemberItsEmailNames) {
  OidcSignIn sign_in = SignIn();
  for (const TestIdpKey* key : {&key_, &ec_}) {
    absl::StatusOr<Principal> principal = sign_in.Authenticate(
        key->Sign(Claims("Ada@Example.nhs.uk", R"(,"jti":"abc-1")")), kNow);
    ASSERT_THAT(principal, IsOk()) << key->alg();
    EXPECT_EQ(principal->subject, "members/ada");
    EXPECT_EQ(principal->team, "teams/north");
    EXPECT_EQ(principal->role, Role::kClinician);
    EXPECT_EQ(principal->issue_time, kNow - absl::Minutes(1));
    // The provider's expiry, with the leeway it is checked with.
    EXPECT_EQ(principal->expire_time, kNow + absl::Hours(1) + absl::Minutes(1));
    EXPECT_EQ(principal->token_id, "abc-1");
  }
  absl::StatusOr<Principal> manager =
      sign_in.Authenticate(key_.Sign(Claims("max@example.nhs.uk")), kNow);
  ASSERT_THAT(manager, IsOk());
  EXPECT_EQ(manager->role, Role::kTeamManager);
  EXPECT_FALSE(manager->is_clinical());
}

TEST_F(OidcSignInTest, WithoutJtiTheTokenIdIsADigestOfTheToken) {
  OidcSignIn sign_in = SignIn();
  const std::string one = key_.Sign(Claims("ada@example.nhs.uk"));
  const std::string two =
      key_.Sign(Claims("ada@example.nhs.uk", "", kNow - absl::Minutes(2)));
  absl::StatusOr<Principal> first = sign_in.Authenticate(one, kNow);
  absl::StatusOr<Principal> again = sign_in.Authenticate(one, kNow);
  absl::StatusOr<Principal> other = sign_in.Authenticate(two, kNow);
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(again, IsOk());
  ASSERT_THAT(other, IsOk());
  EXPECT_THAT(first->token_id, StartsWith("idp-"));
  EXPECT_EQ(first->token_id.size(), 36u);
  EXPECT_EQ(first->token_id, again->token_id);
  EXPECT_NE(first->token_id, other->token_id);
}

TEST_F(OidcSignInTest, AConfiguredClaimNamesTheMember) {
  settings_.member_claim = "preferred_username";
  OidcSignIn sign_in = SignIn();
  absl::StatusOr<Principal> principal = sign_in.Authenticate(
      key_.Sign(Claims("someone@else.example",
                       R"(,"preferred_username":"max@example.nhs.uk")")),
      kNow);
  ASSERT_THAT(principal, IsOk());
  EXPECT_EQ(principal->subject, "members/max");
  // A member's resource name works as the claim's value too.
  principal = sign_in.Authenticate(
      key_.Sign(Claims("x", R"(,"preferred_username":"members/ada")")), kNow);
  ASSERT_THAT(principal, IsOk());
  EXPECT_EQ(principal->subject, "members/ada");
  EXPECT_THAT(
      sign_in.Authenticate(key_.Sign(Claims("max@example.nhs.uk")), kNow),
      StatusIs(kUnauthenticated,
               HasSubstr("no `preferred_username` claim, which names the "
                         "carebridge member")));
}

TEST_F(OidcSignInTest, SomeoneWhoIsNoMemberIsRefusedNamingTheirEmail) {
  OidcSignIn sign_in = SignIn();
  EXPECT_THAT(
      sign_in.Authenticate(key_.Sign(Claims("eve@example.nhs.uk")), kNow),
      StatusIs(kUnauthenticated, HasSubstr("no carebridge member has the email "
                                           "`eve@example.nhs.uk`")));
  members_.Put({"members/bob", "teams/south", Role::kClinician, true},
               "ADA@example.nhs.uk");
  EXPECT_THAT(
      sign_in.Authenticate(key_.Sign(Claims("ada@example.nhs.uk")), kNow),
      StatusIs(kUnauthenticated, HasSubstr("several active")));
}

// The email claim names members by a verified email only: not by resource
// name, not when the provider says the address is unverified, and not
// when the token claims to be issued in the future.
TEST_F(OidcSignInTest, OnlyAVerifiedEmailIssuedByNowSignsIn) {
  OidcSignIn sign_in = SignIn();
  EXPECT_THAT(sign_in.Authenticate(key_.Sign(Claims("members/max")), kNow),
              StatusIs(kUnauthenticated, HasSubstr("not an email address")));
  EXPECT_THAT(
      sign_in.Authenticate(
          key_.Sign(Claims("ada@example.nhs.uk", R"(,"email_verified":false)")),
          kNow),
      StatusIs(kUnauthenticated, HasSubstr("email is not verified")));
  EXPECT_THAT(
      sign_in.Authenticate(
          key_.Sign(Claims("ada@example.nhs.uk", R"(,"email_verified":true)")),
          kNow),
      IsOk());
  EXPECT_THAT(sign_in.Authenticate(key_.Sign(Claims("ada@example.nhs.uk", "",
                                                    kNow + absl::Minutes(10),
                                                    kNow + absl::Hours(2))),
                                   kNow),
              StatusIs(kUnauthenticated, HasSubstr("later than now")));
}

TEST_F(OidcSignInTest, ATokenWithoutAnIssueTimeIsRefused) {
  OidcSignIn sign_in = SignIn();
  std::string claims =
      absl::StrCat(R"({"iss":")", kIssuer, R"(","aud":"carebridge","sub":"1",)",
                   R"("email":"ada@example.nhs.uk","exp":)",
                   Unix(kNow + absl::Hours(1)), "}");
  EXPECT_THAT(sign_in.Authenticate(key_.Sign(claims), kNow),
              StatusIs(kUnauthenticated, HasSubstr("no issue time (iat)")));
}

// What the directory says at the time of the call, not at sign-in: a new
// role applies to a token already verified.
TEST_F(OidcSignInTest, TheMembersRoleAndTeamAreTheDirectorysNow) {
  OidcSignIn sign_in = SignIn();
  const std::string token = key_.Sign(Claims("ada@example.nhs.uk"));
  ASSERT_THAT(sign_in.Authenticate(token, kNow), IsOk());
  members_.Put({"members/ada", "teams/south", Role::kCareCoordinator, true},
               "ada@example.nhs.uk");
  absl::StatusOr<Principal> principal = sign_in.Authenticate(token, kNow);
  ASSERT_THAT(principal, IsOk());
  EXPECT_EQ(principal->team, "teams/south");
  EXPECT_EQ(principal->role, Role::kCareCoordinator);
}

TEST_F(OidcSignInTest, ASessionLastsNoLongerThanConfigured) {
  settings_.max_lifetime = absl::Hours(2);
  OidcSignIn sign_in = SignIn();
  // The provider says a week; carebridge allows two hours from iat.
  const std::string token =
      key_.Sign(Claims("ada@example.nhs.uk", "", kNow - absl::Hours(1),
                       kNow + absl::Hours(168)));
  absl::StatusOr<Principal> principal = sign_in.Authenticate(token, kNow);
  ASSERT_THAT(principal, IsOk());
  EXPECT_EQ(principal->expire_time, kNow + absl::Hours(1));
  // The same token, remembered, ends then.
  EXPECT_THAT(sign_in.Authenticate(token, kNow + absl::Hours(1)),
              StatusIs(kUnauthenticated, HasSubstr("sign in again")));
  // A token issued longer ago than a session lasts is refused outright.
  const std::string old = key_.Sign(Claims(
      "ada@example.nhs.uk", "", kNow - absl::Hours(3), kNow + absl::Hours(1)));
  EXPECT_THAT(sign_in.Authenticate(old, kNow),
              StatusIs(kUnauthenticated, HasSubstr("older than the 2h")));
}

TEST_F(OidcSignInTest, ARememberedTokenExpires) {
  OidcSignIn sign_in = SignIn();
  const std::string token = key_.Sign(Claims("ada@example.nhs.uk"));
  ASSERT_THAT(sign_in.Authenticate(token, kNow), IsOk());
  EXPECT_THAT(
      sign_in.Authenticate(token, kNow + absl::Hours(1) + absl::Minutes(1)),
      StatusIs(kUnauthenticated, HasSubstr("session ended")));
}

// A provider rotates its keys: the admin's new key set is what counts,
// also for tokens already remembered.
TEST_F(OidcSignInTest, NewKeysReplaceTheOld) {
  OidcSignIn sign_in = SignIn();
  TestIdpKey next("idp-3", true);
  const std::string token = key_.Sign(Claims("ada@example.nhs.uk"));
  const std::string new_token = next.Sign(Claims("ada@example.nhs.uk"));
  ASSERT_THAT(sign_in.Authenticate(token, kNow), IsOk());
  EXPECT_THAT(sign_in.Authenticate(new_token, kNow),
              StatusIs(kUnauthenticated, HasSubstr("`idp-3` is not in")));
  sign_in.SetKeys(Keys({&next}));
  EXPECT_THAT(sign_in.Authenticate(new_token, kNow), IsOk());
  EXPECT_THAT(sign_in.Authenticate(token, kNow),
              StatusIs(kUnauthenticated, HasSubstr("`idp-1` is not in")));
}

// Every way a token can be wrong is UNAUTHENTICATED saying which.
TEST_F(OidcSignInTest, BadTokensAreUnauthenticatedSayingWhy) {
  OidcSignIn sign_in = SignIn();
  const std::string good = key_.Sign(Claims("ada@example.nhs.uk"));
  struct Case {
    std::string token;
    std::string says;
  };
  TestIdpKey stranger("idp-1", true);
  const std::string claims = Claims("ada@example.nhs.uk");
  std::vector<Case> cases = {
      {stranger.Sign(claims), "signature is not valid"},
      {key_.Sign(absl::StrCat(R"({"iss":"https://evil.example","aud":)",
                              R"("carebridge","sub":"1","email":"ada@)",
                              R"(example.nhs.uk","iat":)", Unix(kNow),
                              R"(,"exp":)", Unix(kNow + absl::Hours(1)), "}")),
       "issuer `https://evil.example`"},
      {key_.Sign(absl::StrCat(R"({"iss":")", kIssuer, R"(","aud":"other",)",
                              R"("sub":"1","email":"ada@example.nhs.uk",)",
                              R"("iat":)", Unix(kNow), R"(,"exp":)",
                              Unix(kNow + absl::Hours(1)), "}")),
       "audience does not include `carebridge`"},
      {key_.Sign(Claims("ada@example.nhs.uk", "", kNow - absl::Hours(3),
                        kNow - absl::Hours(2))),
       "expired at"},
      {key_.Sign(Claims("ada@example.nhs.uk",
                        absl::StrCat(R"(,"nbf":)", Unix(kNow) + 600))),
       "not valid before"},
      {absl::StrCat(testing::Base64Url(R"({"alg":"none","kid":"idp-1"})"), ".",
                    testing::Base64Url(claims), "."),
       "algorithm `none` is not accepted"},
      {key_.Sign(R"({"alg":"RS256","kid":"nobody"})", claims),
       "key `nobody` is not in"},
      {good.substr(0, good.size() - 4), "signature is not valid"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(sign_in.Authenticate(c.token, kNow),
                StatusIs(kUnauthenticated, HasSubstr(c.says)))
        << c.says;
  }
}

TEST_F(OidcSignInTest, FromIssuerTellsTheProvidersTokensApart) {
  OidcSignIn sign_in = SignIn();
  EXPECT_TRUE(sign_in.FromIssuer(key_.Sign(Claims("ada@example.nhs.uk"))));
  EXPECT_FALSE(sign_in.FromIssuer(key_.Sign(R"({"iss":"carebridge"})")));
  EXPECT_FALSE(sign_in.FromIssuer("not a token"));
  EXPECT_FALSE(sign_in.FromIssuer("a.b.c"));
}

}  // namespace
}  // namespace carebridge

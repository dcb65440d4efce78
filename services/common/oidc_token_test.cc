#include "services/common/oidc_token.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_idp.h"

namespace carebridge {
namespace {

using ::carebridge::testing::IsOk;
using ::carebridge::testing::StatusIs;
using ::testing::HasSubstr;

constexpr absl::StatusCode kUnauthenticated =
    absl::StatusCode::kUnauthenticated;
const absl::Time kNow = absl::FromUnixSeconds(1780000000);

std::string B64(absl::string_view bytes) {
  return ::carebridge::testing::Base64Url(bytes);
}

using TestKey = ::carebridge::testing::TestIdpKey;

std::string Jwks(const std::vector<const TestKey*>& keys) {
  return ::carebridge::testing::TestJwks(keys);
}

std::string Claims(absl::string_view extra = "") {
  return absl::StrCat(
      R"({"iss":"https://login.example.nhs.uk","aud":"carebridge",)",
      R"("sub":"ada@example.nhs.uk","iat":)", absl::ToUnixSeconds(kNow) - 60,
      R"(,"exp":)", absl::ToUnixSeconds(kNow) + 3600, R"(,"jti":"j1")", extra,
      "}");
}

class OidcTokenTest : public ::testing::Test {
 protected:
  OidcTokenTest() : rsa_("rsa-1", true), ec_("ec-1", false) {
    absl::StatusOr<std::shared_ptr<const IdpKeySet>> keys =
        ParseIdpJwks(Jwks({&rsa_, &ec_}));
    EXPECT_THAT(keys, IsOk());
    if (keys.ok()) keys_ = *keys;
    settings_.issuer = "https://login.example.nhs.uk";
    settings_.audience = "carebridge";
  }

  absl::StatusOr<OidcClaims> Verify(const std::string& token,
                                    absl::Time now = kNow) {
    return VerifyOidcToken(token, *keys_, settings_, now);
  }

  TestKey rsa_;
  TestKey ec_;
  std::shared_ptr<const IdpKeySet> keys_;
  OidcSettings settings_;
};

TEST_F(OidcTokenTest, Rs256AndEs256TokensVerify) {
  for (const TestKey* key : {&rsa_, &ec_}) {
    absl::StatusOr<OidcClaims> claims =
        Verify(key->Sign(key->Header(), Claims()));
    ASSERT_THAT(claims, IsOk()) << key->alg();
    EXPECT_EQ(claims->subject, "ada@example.nhs.uk");
    EXPECT_EQ(claims->token_id, "j1");
    EXPECT_EQ(claims->expire_time, kNow + absl::Hours(1));
    EXPECT_EQ(claims->issue_time, kNow - absl::Minutes(1));
  }
}

// The largest RSA keys providers use (4096 bits) verify too.
TEST(IdpJwksTest, A4096BitRsaKeyVerifies) {
  TestKey big("rsa-4096", true, 4096);
  absl::StatusOr<std::shared_ptr<const IdpKeySet>> keys =
      ParseIdpJwks(Jwks({&big}));
  ASSERT_THAT(keys, IsOk());
  OidcSettings settings;
  settings.issuer = "https://login.example.nhs.uk";
  settings.audience = "carebridge";
  absl::StatusOr<OidcClaims> claims =
      VerifyOidcToken(big.Sign(big.Header(), Claims()), **keys, settings, kNow);
  ASSERT_THAT(claims, IsOk());
  EXPECT_EQ(claims->subject, "ada@example.nhs.uk");
}

TEST_F(OidcTokenTest, ABadSignatureIsRefused) {
  for (const TestKey* key : {&rsa_, &ec_}) {
    std::string token = key->Sign(key->Header(), Claims());
    std::string tampered =
        token.substr(0, token.rfind('.') + 1) +
        B64(std::string(key->alg() == "ES256" ? 64 : 256, '\x01'));
    EXPECT_THAT(Verify(tampered),
                StatusIs(kUnauthenticated, HasSubstr("signature is not valid")))
        << key->alg();
    // Signed by another key under this key's kid.
    TestKey impostor(key->kid(), key->alg() == "RS256");
    EXPECT_THAT(Verify(impostor.Sign(key->Header(), Claims())),
                StatusIs(kUnauthenticated, HasSubstr("signature is not valid")))
        << key->alg();
  }
}

TEST_F(OidcTokenTest, OnlyRs256AndEs256ByTheKeysOwnAlgorithm) {
  const std::string claims = Claims();
  // alg none, unsigned.
  std::string none = absl::StrCat(B64(R"({"alg":"none","kid":"rsa-1"})"), ".",
                                  B64(claims), ".");
  EXPECT_THAT(Verify(none),
              StatusIs(kUnauthenticated, HasSubstr("algorithm `none`")));
  for (absl::string_view alg : {"HS256", "EdDSA", "PS256", "RS512", ""}) {
    std::string header =
        absl::StrCat(R"({"alg":")", alg, R"(","kid":"rsa-1"})");
    EXPECT_THAT(Verify(rsa_.Sign(header, claims)),
                StatusIs(kUnauthenticated,
                         HasSubstr(absl::StrCat("algorithm `", alg, "`"))))
        << alg;
  }
  // ES256 claimed for the RSA key.
  EXPECT_THAT(Verify(rsa_.Sign(R"({"alg":"ES256","kid":"rsa-1"})", claims)),
              StatusIs(kUnauthenticated, HasSubstr("signature is not valid")));
}

TEST_F(OidcTokenTest, AnUnknownKeyIdIsRefused) {
  TestKey other("rsa-2", true);
  EXPECT_THAT(Verify(other.Sign(other.Header(), Claims())),
              StatusIs(kUnauthenticated,
                       HasSubstr("`rsa-2` is not in the identity provider's")));
  EXPECT_THAT(Verify(rsa_.Sign(R"({"alg":"RS256"})", Claims())),
              StatusIs(kUnauthenticated, HasSubstr("key ``")));
}

TEST_F(OidcTokenTest, IssuerAudienceExpiryAndNotBeforeAreChecked) {
  auto token = [&](absl::string_view claims) {
    return ec_.Sign(ec_.Header(), claims);
  };
  EXPECT_THAT(
      Verify(token(R"({"iss":"https://evil.example","aud":"carebridge",)"
                   R"("sub":"a","exp":1780003600})")),
      StatusIs(kUnauthenticated, HasSubstr("issuer `https://evil.example`")));
  EXPECT_THAT(Verify(token(R"({"iss":"https://login.example.nhs.uk",)"
                           R"("aud":"other-app","sub":"a","exp":1780003600})")),
              StatusIs(kUnauthenticated,
                       HasSubstr("audience does not include `carebridge`")));
  // An audience list that names this service is enough.
  EXPECT_THAT(Verify(token(R"({"iss":"https://login.example.nhs.uk",)"
                           R"("aud":["other-app","carebridge"],"sub":"a",)"
                           R"("exp":1780003600})")),
              IsOk());
  EXPECT_THAT(Verify(token(R"({"iss":"https://login.example.nhs.uk",)"
                           R"("aud":"carebridge","sub":"a"})")),
              StatusIs(kUnauthenticated, HasSubstr("no expiry")));
  EXPECT_THAT(Verify(token(R"({"iss":"https://login.example.nhs.uk",)"
                           R"("aud":"carebridge","exp":1780003600})")),
              StatusIs(kUnauthenticated, HasSubstr("no subject")));
  const std::string claims = Claims(R"(,"nbf":1780000300)");
  // Expiry and not-before, each with the minute's leeway.
  EXPECT_THAT(
      Verify(token(Claims()), kNow + absl::Hours(1) + absl::Seconds(59)),
      IsOk());
  EXPECT_THAT(Verify(token(Claims()), kNow + absl::Hours(1) + absl::Minutes(1)),
              StatusIs(kUnauthenticated, HasSubstr("expired at")));
  EXPECT_THAT(Verify(token(claims), kNow),
              StatusIs(kUnauthenticated, HasSubstr("not valid before")));
  EXPECT_THAT(Verify(token(claims), kNow + absl::Minutes(4)), IsOk());
}

TEST_F(OidcTokenTest, MalformedTokensAreRefused) {
  for (const std::string& token :
       {std::string(""), std::string("a.b"), std::string("a.b.c.d"),
        std::string(20000, 'a'),
        absl::StrCat(B64("not json"), ".", B64(Claims()), ".x")}) {
    EXPECT_THAT(Verify(token), StatusIs(kUnauthenticated))
        << token.substr(0, 40);
  }
}

TEST(IdpJwksTest, KeysThatAreNotFitForSigningAreRefusedByName) {
  TestKey short_rsa("short", true, 1024);
  EXPECT_THAT(ParseIdpJwks(Jwks({&short_rsa})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("1024 bits is too short")));
  std::string x = B64(std::string(32, '\x01'));
  const struct {
    std::string json;
    std::string message;
  } cases[] = {
      {"[]", "not a JSON object"},
      {R"({"keys":7})", "no `keys` list"},
      {R"({"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]})", ".kid"},
      {R"({"keys":[{"kid":"o","kty":"OKP","crv":"Ed25519","x":")" + x +
           R"("}]})",
       "kty `OKP` is not accepted"},
      {R"({"keys":[{"kid":"h","kty":"oct","k":"c2VjcmV0"}]})",
       "kty `oct` is not accepted"},
      {R"({"keys":[{"kid":"r","kty":"RSA","alg":"HS256","n":"AQAB",)"
       R"("e":"AQAB"}]})",
       "alg `HS256` is not accepted for RSA"},
      {R"({"keys":[{"kid":"r","kty":"RSA","e":"AQAB"}]})", "needs base64url n"},
      {R"({"keys":[{"kid":"e","kty":"EC","crv":"P-384","x":")" + x +
           R"(","y":")" + x + R"("}]})",
       "only EC keys on P-256"},
      {R"({"keys":[{"kid":"e","kty":"EC","crv":"P-256","x":")" + x +
           R"(","y":")" + x + R"("}]})",
       "not a point on P-256"},
  };
  for (const auto& c : cases) {
    EXPECT_THAT(
        ParseIdpJwks(c.json),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << c.json;
  }
  // An encryption key is skipped, not refused.
  absl::StatusOr<std::shared_ptr<const IdpKeySet>> skipped = ParseIdpJwks(
      R"({"keys":[{"kid":"enc","kty":"RSA","use":"enc","n":"AQAB","e":"AQAB"}]})");
  ASSERT_THAT(skipped, IsOk());
  EXPECT_TRUE((*skipped)->keys.empty());
}

}  // namespace
}  // namespace carebridge

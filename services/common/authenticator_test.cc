#include "services/common/authenticator.h"

#include <gmock/gmock.h>
#include <grpc/grpc_security_constants.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_idp.h"

namespace carebridge {
namespace {

using ::carebridge::testing::IsOk;
using ::carebridge::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::StatusCode kUnauthenticated =
    absl::StatusCode::kUnauthenticated;

// What gRPC tells a handler about a call's transport: its security type and,
// for a verified client certificate, the certificate's names.
class FakeAuthContext : public grpc::AuthContext {
 public:
  // `transport` "ssl" or "insecure"; `uris` the certificate's URI names
  // (a verified certificate when not empty).
  FakeAuthContext(std::string transport, std::vector<std::string> uris)
      : transport_(std::move(transport)), uris_(std::move(uris)) {}

  bool IsPeerAuthenticated() const override { return !uris_.empty(); }
  std::vector<grpc::string_ref> GetPeerIdentity() const override {
    return FindPropertyValues(GRPC_PEER_URI_PROPERTY_NAME);
  }
  std::string GetPeerIdentityPropertyName() const override {
    return uris_.empty() ? "" : GRPC_PEER_URI_PROPERTY_NAME;
  }
  std::vector<grpc::string_ref> FindPropertyValues(
      const std::string& name) const override {
    std::vector<grpc::string_ref> values;
    if (name == GRPC_TRANSPORT_SECURITY_TYPE_PROPERTY_NAME) {
      values.emplace_back(transport_);
    } else if (name == GRPC_PEER_URI_PROPERTY_NAME) {
      for (const std::string& uri : uris_) values.emplace_back(uri);
    }
    return values;
  }
  grpc::AuthPropertyIterator begin() const override { return Empty(); }
  grpc::AuthPropertyIterator end() const override { return Empty(); }
  void AddProperty(const std::string&, const grpc::string_ref&) override {}
  bool SetPeerIdentityPropertyName(const std::string&) override {
    return false;
  }

 private:
  struct EmptyIterator : grpc::AuthPropertyIterator {};
  static grpc::AuthPropertyIterator Empty() { return EmptyIterator(); }
  const std::string transport_;
  const std::vector<std::string> uris_;
};

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

// With sign-in by the organisation's identity provider set, its tokens
// sign members in (then face the revocations like carebridge's own), and
// carebridge's own tokens go on working.
TEST_F(AuthenticatorTest, IdentityProviderTokensSignMembersIn) {
  testing::TestIdpKey idp("idp-1", /*rsa=*/false);
  absl::StatusOr<std::shared_ptr<const IdpKeySet>> keys =
      ParseIdpJwks(testing::TestJwks({&idp}));
  ASSERT_THAT(keys, IsOk());
  MemberIndex members;
  members.Put({"members/ada", "teams/north", Role::kCareCoordinator, true},
              "ada@example.nhs.uk");
  OidcSignInSettings settings;
  settings.token.issuer = "https://login.example.nhs.uk";
  settings.token.audience = "carebridge";
  OidcSignIn sign_in(settings, *keys, &members);
  TokenRevocations revocations(&clock_);
  authenticator_.SetOidcSignIn(&sign_in);
  authenticator_.SetRevocations(&revocations);
  const int64_t now = absl::ToUnixSeconds(clock_.Now());
  const std::string token = absl::StrCat(
      "Bearer ", idp.Sign(absl::StrCat(
                     R"({"iss":"https://login.example.nhs.uk","aud":)",
                     R"("carebridge","sub":"1","email":"ada@example.nhs.uk",)",
                     R"("iat":)", now - 10, R"(,"exp":)", now + 3600, "}")));

  // Until the directory's feed is read nobody is known: unavailable, not
  // "no such member".
  revocations.ExpectFeed();
  EXPECT_THAT(
      authenticator_.AuthenticateHeader(token),
      StatusIs(absl::StatusCode::kUnavailable, HasSubstr("directory's feed")));
  revocations.FeedCaughtUp();
  absl::StatusOr<Principal> principal =
      authenticator_.AuthenticateHeader(token);
  ASSERT_THAT(principal, IsOk());
  EXPECT_EQ(principal->subject, "members/ada");
  EXPECT_EQ(principal->team, "teams/north");
  EXPECT_EQ(principal->role, Role::kCareCoordinator);
  // carebridge's own tokens still verify.
  EXPECT_THAT(authenticator_.AuthenticateHeader(
                  absl::StrCat("Bearer ", TokenExpiringIn(absl::Hours(1)))),
              IsOk());
  // A token of another issuer is judged as carebridge's own.
  EXPECT_THAT(authenticator_.AuthenticateHeader(absl::StrCat(
                  "Bearer ", idp.Sign(R"({"iss":"https://other.example"})"))),
              StatusIs(kUnauthenticated, Not(HasSubstr("identity provider"))));
  // Signed out everywhere, or deactivated: refused like any token.
  revocations.RevokeIssuedBefore("members/ada", clock_.Now(), "lost laptop");
  EXPECT_THAT(authenticator_.AuthenticateHeader(token),
              StatusIs(kUnauthenticated, HasSubstr("lost laptop")));
  revocations.Deactivate("members/ada", "left the trust");
  EXPECT_THAT(authenticator_.AuthenticateHeader(token),
              StatusIs(kUnauthenticated, HasSubstr("deactivated")));
  authenticator_.SetRevocations(nullptr);
  authenticator_.SetOidcSignIn(nullptr);
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

// Mutual TLS: a peer process's verified certificate names its service.
TEST_F(AuthenticatorTest, AServiceCertificateIsThatServicesIdentity) {
  FakeAuthContext referral("ssl", {"spiffe://carebridge/services/referral"});
  absl::StatusOr<Principal> principal =
      authenticator_.AuthenticateCall(std::nullopt, &referral);
  ASSERT_THAT(principal, IsOk());
  EXPECT_EQ(principal->subject, "services/referral");
  EXPECT_EQ(principal->role, Role::kService);
  EXPECT_EQ(principal->team, "");
  // A token, when sent, is what counts.
  std::string header = absl::StrCat("Bearer ", TokenExpiringIn(absl::Hours(1)));
  principal = authenticator_.AuthenticateCall(header, &referral);
  ASSERT_THAT(principal, IsOk());
  EXPECT_EQ(principal->subject, "members/m1");
}

TEST_F(AuthenticatorTest, NoServiceIdentityWithoutAVerifiedServiceCertificate) {
  const struct {
    std::string transport;
    std::vector<std::string> uris;
  } cases[] = {
      {"ssl", {}},                                       // none presented
      {"insecure", {"spiffe://carebridge/services/x"}},  // not TLS
      {"ssl", {"spiffe://elsewhere/services/referral"}},
      {"ssl", {"spiffe://carebridge/services/"}},
      {"ssl", {"spiffe://carebridge/services/a/b"}},
      {"ssl", {"spiffe://carebridge/services/a b"}},
      {"ssl", {"spiffe://carebridge/members/m1"}},
      {"ssl", {"https://carebridge/services/referral"}},
  };
  for (const auto& c : cases) {
    FakeAuthContext auth(c.transport, c.uris);
    EXPECT_THAT(authenticator_.AuthenticateCall(std::nullopt, &auth),
                StatusIs(kUnauthenticated, HasSubstr("no credentials")))
        << c.transport << " " << (c.uris.empty() ? "" : c.uris[0]);
  }
  EXPECT_THAT(authenticator_.AuthenticateCall(std::nullopt, nullptr),
              StatusIs(kUnauthenticated, HasSubstr("no credentials")));
}

// With mutual TLS on, a service token over TLS must come with a service's
// certificate: a leaked service token is no use from elsewhere. In-process
// calls (not TLS) and staff tokens are unaffected.
TEST_F(AuthenticatorTest, WithMutualTlsAServiceTokenNeedsAServiceCertificate) {
  Principal service;
  service.subject = "services/careplan";
  service.role = Role::kService;
  service.expire_time = clock_.Now() + absl::Hours(1);
  const std::string service_header =
      absl::StrCat("Bearer ", signer_.Sign(service));
  const std::string staff_header =
      absl::StrCat("Bearer ", TokenExpiringIn(absl::Hours(1)));
  FakeAuthContext bare_tls("ssl", {});
  FakeAuthContext in_process("insecure", {});
  FakeAuthContext certified("ssl", {"spiffe://carebridge/services/careplan"});

  // Off (no --tls_ca_file): the token alone.
  EXPECT_THAT(authenticator_.AuthenticateCall(service_header, &bare_tls),
              IsOk());
  authenticator_.RequireServiceCertificates(true);
  EXPECT_THAT(authenticator_.AuthenticateCall(service_header, &bare_tls),
              StatusIs(kUnauthenticated,
                       HasSubstr("services/careplan) is accepted only with")));
  EXPECT_THAT(authenticator_.AuthenticateCall(service_header, &in_process),
              IsOk());
  EXPECT_THAT(authenticator_.AuthenticateCall(service_header, &certified),
              IsOk());
  EXPECT_THAT(authenticator_.AuthenticateCall(staff_header, &bare_tls), IsOk());
}

}  // namespace
}  // namespace carebridge

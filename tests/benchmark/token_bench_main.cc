// carebridge-token-bench: what verifying a bearer token costs per call, the
// Ed25519-signed JWTs of today against the HMAC-SHA256 tokens before them
// (issue 12): uncached (a token seen for the first time: parse, look up the
// key, check the signature, read the claims), remembered (the same token
// again: one lookup) and signing; and an identity provider's access tokens
// (RS256 and ES256) through sign-in. Prints figures; not a test.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "services/common/hmac.h"
#include "services/common/member_index.h"
#include "services/common/oidc_sign_in.h"
#include "services/common/token.h"
#include "tests/support/test_idp.h"

ABSL_FLAG(int, tokens, 20000, "distinct tokens per measurement");

namespace carebridge {
namespace {

Principal Clinician(absl::Time now, int i) {
  Principal p;
  p.subject = absl::StrCat("members/", 10000000 + i, "abcdefghijkl");
  p.team = "teams/k2d7f0q9xw3m1n8b5v6c";
  p.role = Role::kClinician;
  p.issue_time = now;
  p.expire_time = now + absl::Hours(8);
  return p;
}

// The HMAC token of before (cb2.<payload>.<mac>) verified as it was: split,
// MAC and compare, decode, read the fields.
bool VerifyHmac(const HmacSha256& hmac, absl::string_view token) {
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) return false;
  std::string mac;
  if (!absl::WebSafeBase64Unescape(parts[2], &mac)) return false;
  if (mac != hmac.Mac(parts[1])) return false;
  std::string payload;
  if (!absl::WebSafeBase64Unescape(parts[1], &payload)) return false;
  std::vector<std::string> fields = absl::StrSplit(payload, '|');
  int64_t expiry = 0;
  return fields.size() == 6 && absl::SimpleAtoi(fields[3], &expiry);
}

std::string HmacToken(const HmacSha256& hmac, const Principal& p) {
  std::string payload = absl::WebSafeBase64Escape(
      absl::StrCat(p.subject, "|", p.team, "|", static_cast<int>(p.role), "|",
                   absl::ToUnixSeconds(p.expire_time), "|",
                   absl::ToUnixSeconds(p.issue_time), "|", "0123456789abcdef"));
  return absl::StrCat("cb2.", payload, ".",
                      absl::WebSafeBase64Escape(hmac.Mac(payload)));
}

template <typename F>
double NanosPer(int n, F f) {
  absl::Time start = absl::Now();
  for (int i = 0; i < n; ++i) f(i);
  return absl::ToDoubleNanoseconds(absl::Now() - start) / n;
}

// Sign-in with an identity provider: its access tokens (RSA 2048 and EC
// P-256) verified the first time and remembered, the member found by email.
int RunIdentityProvider(int n, absl::Time now) {
  MemberIndex members;
  for (int i = 0; i < n; ++i) {
    members.Put(
        {absl::StrCat("members/m", i), "teams/north", Role::kClinician, true},
        absl::StrCat("staff", i, "@example.nhs.uk"));
  }
  int failures = 0;
  for (bool rsa : {true, false}) {
    testing::TestIdpKey key("idp-1", rsa);
    absl::StatusOr<std::shared_ptr<const IdpKeySet>> keys =
        ParseIdpJwks(testing::TestJwks({&key}));
    if (!keys.ok()) return 1;
    OidcSignInSettings settings;
    settings.token.issuer = "https://login.example.nhs.uk";
    settings.token.audience = "carebridge";
    OidcSignIn sign_in(settings, *keys, &members);
    std::vector<std::string> tokens;
    const int64_t iat = absl::ToUnixSeconds(now);
    for (int i = 0; i < n; ++i) {
      tokens.push_back(key.Sign(absl::StrCat(
          R"({"iss":"https://login.example.nhs.uk","aud":"carebridge",)",
          R"("sub":"uid-)", i, R"(","email":"staff)", i,
          R"(@example.nhs.uk","iat":)", iat, R"(,"exp":)", iat + 3600, "}")));
    }
    double first_ns = NanosPer(n, [&](int i) {
      if (!sign_in.Authenticate(tokens[i], now).ok()) ++failures;
    });
    double again_ns = NanosPer(n, [&](int i) {
      if (!sign_in.Authenticate(tokens[i % 64], now).ok()) ++failures;
    });
    std::printf("  identity provider %s, first sight:  %8.2f us\n",
                key.alg().c_str(), first_ns / 1000);
    std::printf("  identity provider %s, remembered:   %8.2f us\n",
                key.alg().c_str(), again_ns / 1000);
  }
  return failures;
}

int Run(int n) {
  const absl::Time now = absl::Now();
  TokenSigner signer("benchmark key");
  HmacSha256 hmac(std::string(32, 'h'));
  std::vector<std::string> jwts, hmacs;
  double sign_ns = NanosPer(
      n, [&](int i) { jwts.push_back(signer.Sign(Clinician(now, i))); });
  for (int i = 0; i < n; ++i)
    hmacs.push_back(HmacToken(hmac, Clinician(now, i)));
  int failures = 0;
  double hmac_ns = NanosPer(n, [&](int i) {
    if (!VerifyHmac(hmac, hmacs[i])) ++failures;
  });
  signer.SetKeys(signer.keys());  // forget what was remembered
  double uncached_ns = NanosPer(n, [&](int i) {
    if (!signer.Verify(jwts[i], now).ok()) ++failures;
  });
  double cached_ns = NanosPer(n, [&](int i) {
    if (!signer.Verify(jwts[i % 64], now).ok()) ++failures;
  });
  // The Ed25519 check alone, over a token's signed part.
  std::shared_ptr<const TokenKey> key = signer.keys()->signing;
  const std::string signed_part = jwts[0].substr(0, jwts[0].rfind('.'));
  const std::string signature = key->Sign(signed_part);
  double signature_ns = NanosPer(n / 4, [&](int) {
    if (!key->Verify(signed_part, signature)) ++failures;
  });
  std::printf("token verification, %d distinct tokens, one thread\n", n);
  std::printf("  token size: JWT %zu bytes, HMAC (before) %zu bytes\n",
              jwts[0].size(), hmacs[0].size());
  std::printf("  HMAC-SHA256 verify (before):        %8.2f us\n",
              hmac_ns / 1000);
  std::printf("  Ed25519 JWT verify, first sight:    %8.2f us (%.1fx)\n",
              uncached_ns / 1000, uncached_ns / hmac_ns);
  std::printf("    of which the Ed25519 signature:  %8.2f us\n",
              signature_ns / 1000);
  std::printf("  Ed25519 JWT verify, remembered:     %8.2f us (%.2fx)\n",
              cached_ns / 1000, cached_ns / hmac_ns);
  std::printf("  Ed25519 JWT sign:                   %8.2f us\n",
              sign_ns / 1000);
  failures += RunIdentityProvider(n / 4, now);
  if (failures != 0) {
    std::printf("FAILED: %d verifications failed\n", failures);
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace carebridge

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return carebridge::Run(absl::GetFlag(FLAGS_tokens));
}

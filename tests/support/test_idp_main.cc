// carebridge-test-idp: a stand-in for an organisation's identity provider
// (OpenID Connect) in end-to-end tests and demonstrations: makes a signing
// key, publishes its JSON Web Key Set, and signs access tokens for a
// member's email. Not for production: a real provider signs in real people.
//
//   carebridge-test-idp keygen --key=FILE [--ec]
//   carebridge-test-idp jwks --key=FILE --kid=KID
//   carebridge-test-idp sign --key=FILE --kid=KID --issuer=URL
//       --audience=AUD --email=EMAIL [--ttl=1h]
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "services/common/file_util.h"
#include "tests/support/test_idp.h"

ABSL_FLAG(std::string, key, "", "the signing key's PEM file");
ABSL_FLAG(std::string, kid, "test-idp-1", "the key's id in the key set");
ABSL_FLAG(bool, ec, false, "keygen: an EC P-256 key (ES256), not RSA");
ABSL_FLAG(std::string, issuer, "", "sign: the token's iss");
ABSL_FLAG(std::string, audience, "", "sign: the token's aud");
ABSL_FLAG(std::string, email, "", "sign: the token's email claim");
ABSL_FLAG(absl::Duration, ttl, absl::Hours(1), "sign: how long it lasts");

namespace {

int Fail(const std::string& why) {
  std::fprintf(stderr, "carebridge-test-idp: %s\n", why.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "carebridge-test-idp keygen|jwks|sign --key=FILE [flags]");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() != 2) return Fail("say keygen, jwks or sign");
  const std::string command = args[1];
  const std::string path = absl::GetFlag(FLAGS_key);
  if (path.empty()) return Fail("--key is required");
  using carebridge::testing::TestIdpKey;
  if (command == "keygen") {
    TestIdpKey key(absl::GetFlag(FLAGS_kid), !absl::GetFlag(FLAGS_ec));
    absl::Status written =
        carebridge::WriteFileAtomically(path, key.Pem(), 0600);
    return written.ok() ? 0 : Fail(written.ToString());
  }
  absl::StatusOr<std::string> pem = carebridge::ReadFileToString(path);
  if (!pem.ok()) return Fail(pem.status().ToString());
  absl::StatusOr<TestIdpKey> key =
      TestIdpKey::FromPem(absl::GetFlag(FLAGS_kid), *pem);
  if (!key.ok()) return Fail(key.status().ToString());
  if (command == "jwks") {
    std::printf("%s\n", carebridge::testing::TestJwks({&*key}).c_str());
    return 0;
  }
  if (command != "sign") return Fail("say keygen, jwks or sign");
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  std::string claims =
      absl::StrCat(R"({"iss":")", absl::GetFlag(FLAGS_issuer), R"(","aud":")",
                   absl::GetFlag(FLAGS_audience), R"(","sub":"test-)",
                   absl::GetFlag(FLAGS_email), R"(","email":")",
                   absl::GetFlag(FLAGS_email), R"(","iat":)", now, R"(,"exp":)",
                   now + absl::ToInt64Seconds(absl::GetFlag(FLAGS_ttl)), "}");
  std::printf("%s\n", key->Sign(claims).c_str());
  return 0;
}

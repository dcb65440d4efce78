// carebridge-test-idp: a stand-in for an organisation's identity provider
// (OpenID Connect) in end-to-end tests and demonstrations: makes a signing
// key, publishes its JSON Web Key Set, and signs access tokens for a
// member's email. Not for production: a real provider signs in real people.
//
//   carebridge-test-idp keygen --key=FILE [--ec]
//   carebridge-test-idp jwks --key=FILE --kid=KID
//   carebridge-test-idp sign --key=FILE --kid=KID --issuer=URL
//       --audience=AUD --email=EMAIL [--ttl=1h]
//   carebridge-test-idp serve --key=FILE --kid=KID --issuer=URL
//       --audience=AUD --email=EMAIL --port_file=FILE
//
// `serve` is the provider's authorization endpoint for browser sign-in
// (GET /authorize, the implicit flow for an ID token): it signs EMAIL in at
// once, as if they had typed their password, and sends the browser back to
// the redirect_uri (loopback addresses only) with
// #id_token=...&state=...; the token carries the request's nonce.
#include <httplib.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
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
ABSL_FLAG(std::string, port_file, "",
          "serve: write the port it listens on (127.0.0.1) here");

namespace {

int Fail(const std::string& why) {
  std::fprintf(stderr, "carebridge-test-idp: %s\n", why.c_str());
  return 1;
}

// The claims of a token for --email, with `nonce` when given.
std::string Claims(absl::string_view nonce) {
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  return absl::StrCat(
      R"({"iss":")", absl::GetFlag(FLAGS_issuer), R"(","aud":")",
      absl::GetFlag(FLAGS_audience), R"(","sub":"test-)",
      absl::GetFlag(FLAGS_email), R"(","email":")", absl::GetFlag(FLAGS_email),
      nonce.empty() ? "" : absl::StrCat(R"(","nonce":")", nonce), R"(","iat":)",
      now, R"(,"exp":)", now + absl::ToInt64Seconds(absl::GetFlag(FLAGS_ttl)),
      "}");
}

bool Plain(absl::string_view value) {
  for (char c : value) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' &&
        c != '_' && c != '.') {
      return false;
    }
  }
  return !value.empty() && value.size() <= 200;
}

int Serve(const carebridge::testing::TestIdpKey& key) {
  httplib::Server server;
  server.Get("/authorize", [&key](const httplib::Request& request,
                                  httplib::Response& response) {
    const std::string redirect = request.get_param_value("redirect_uri");
    const std::string state = request.get_param_value("state");
    const std::string nonce = request.get_param_value("nonce");
    std::string problem;
    if (request.get_param_value("response_type") != "id_token") {
      problem = "response_type must be id_token";
    } else if (request.get_param_value("client_id") !=
               absl::GetFlag(FLAGS_audience)) {
      problem = "unknown client_id";
    } else if (!absl::StartsWith(redirect, "http://127.0.0.1:") &&
               !absl::StartsWith(redirect, "http://[::1]:")) {
      problem = "redirect_uri must be on this machine";
    } else if (!Plain(state) || !Plain(nonce)) {
      problem = "state and nonce are required (letters, digits, - _ .)";
    }
    if (!problem.empty()) {
      response.status = 400;
      response.set_content(problem, "text/plain");
      return;
    }
    response.set_redirect(absl::StrCat(
        redirect, "#id_token=", key.Sign(Claims(nonce)), "&state=", state));
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  if (port <= 0) return Fail("cannot listen on 127.0.0.1");
  absl::Status written = carebridge::WriteFileAtomically(
      absl::GetFlag(FLAGS_port_file), absl::StrCat(port, "\n"), 0644);
  if (!written.ok()) return Fail(written.ToString());
  return server.listen_after_bind() ? 0 : Fail("serving stopped");
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "carebridge-test-idp keygen|jwks|sign|serve --key=FILE [flags]");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() != 2) return Fail("say keygen, jwks, sign or serve");
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
  if (command == "serve") {
    if (absl::GetFlag(FLAGS_port_file).empty()) {
      return Fail("serve: --port_file is required");
    }
    return Serve(*key);
  }
  if (command != "sign") return Fail("say keygen, jwks, sign or serve");
  std::printf("%s\n", key->Sign(Claims("")).c_str());
  return 0;
}

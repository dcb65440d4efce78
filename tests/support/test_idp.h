#ifndef CAREBRIDGE_TESTS_SUPPORT_TEST_IDP_H_
#define CAREBRIDGE_TESTS_SUPPORT_TEST_IDP_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

// OpenSSL's key type, without its headers.
typedef struct evp_pkey_st EVP_PKEY;

namespace carebridge::testing {

// A test identity provider's signing key: RSA (RS256) or EC P-256 (ES256),
// which signs access tokens as an organisation's OpenID Connect provider
// would and publishes its public half as a JWK. For tests and the
// carebridge-test-idp tool only.
class TestIdpKey {
 public:
  // A new key.
  TestIdpKey(std::string kid, bool rsa, int rsa_bits = 2048);
  // The key in `pem` (a PKCS#8 private key, as Pem() gives).
  static absl::StatusOr<TestIdpKey> FromPem(std::string kid,
                                            absl::string_view pem);
  TestIdpKey(TestIdpKey&& other) noexcept;
  TestIdpKey& operator=(TestIdpKey&&) = delete;
  TestIdpKey(const TestIdpKey&) = delete;
  TestIdpKey& operator=(const TestIdpKey&) = delete;
  ~TestIdpKey();

  const std::string& kid() const { return kid_; }
  std::string alg() const { return rsa_ ? "RS256" : "ES256"; }
  // The private key, PKCS#8 PEM.
  std::string Pem() const;
  // The public key as a JSON Web Key.
  std::string Jwk() const;
  // The JWS header this key signs under: alg, typ JWT, kid.
  std::string Header() const;
  // A compact JWS of `header` and `claims` (JSON), signed as the key's
  // algorithm says (ES256: the raw r||s).
  std::string Sign(absl::string_view header, absl::string_view claims) const;
  // Sign(Header(), claims).
  std::string Sign(absl::string_view claims) const {
    return Sign(Header(), claims);
  }

 private:
  TestIdpKey(std::string kid, bool rsa, EVP_PKEY* pkey);
  std::string Bn(const char* name) const;

  std::string kid_;
  bool rsa_;
  EVP_PKEY* pkey_ = nullptr;
};

// `{"keys":[...]}` of the keys' public halves.
std::string TestJwks(const std::vector<const TestIdpKey*>& keys);

// Unpadded base64url.
std::string Base64Url(absl::string_view bytes);

}  // namespace carebridge::testing

#endif  // CAREBRIDGE_TESTS_SUPPORT_TEST_IDP_H_

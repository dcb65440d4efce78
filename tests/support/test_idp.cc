#include "tests/support/test_idp.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace carebridge::testing {
namespace {

// DER ECDSA to JWS's r||s.
std::string RawEcdsa(const std::string& der) {
  const unsigned char* in = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &in, static_cast<long>(der.size()));
  std::string raw(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig),
               reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig),
               reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  return raw;
}

}  // namespace

std::string Base64Url(absl::string_view bytes) {
  return absl::WebSafeBase64Escape(bytes);
}

TestIdpKey::TestIdpKey(std::string kid, bool rsa, int rsa_bits)
    : kid_(std::move(kid)), rsa_(rsa) {
  pkey_ = rsa ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA",
                                  static_cast<size_t>(rsa_bits))
              : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
}

TestIdpKey::TestIdpKey(std::string kid, bool rsa, EVP_PKEY* pkey)
    : kid_(std::move(kid)), rsa_(rsa), pkey_(pkey) {}

TestIdpKey::TestIdpKey(TestIdpKey&& other) noexcept
    : kid_(std::move(other.kid_)),
      rsa_(other.rsa_),
      pkey_(std::exchange(other.pkey_, nullptr)) {}

TestIdpKey::~TestIdpKey() { EVP_PKEY_free(pkey_); }

absl::StatusOr<TestIdpKey> TestIdpKey::FromPem(std::string kid,
                                               absl::string_view pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (pkey == nullptr) {
    return absl::InvalidArgumentError("not a PEM private key");
  }
  bool rsa = EVP_PKEY_is_a(pkey, "RSA") == 1;
  if (!rsa && EVP_PKEY_is_a(pkey, "EC") != 1) {
    EVP_PKEY_free(pkey);
    return absl::InvalidArgumentError("neither an RSA nor an EC key");
  }
  return TestIdpKey(std::move(kid), rsa, pkey);
}

std::string TestIdpKey::Pem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, pkey_, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(length));
  BIO_free(bio);
  return pem;
}

std::string TestIdpKey::Bn(const char* name) const {
  BIGNUM* bn = nullptr;
  EVP_PKEY_get_bn_param(pkey_, name, &bn);
  std::string out(BN_num_bytes(bn), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

std::string TestIdpKey::Jwk() const {
  if (rsa_) {
    return absl::StrCat(R"({"kty":"RSA","use":"sig","alg":"RS256","kid":")",
                        kid_, R"(","n":")",
                        Base64Url(Bn(OSSL_PKEY_PARAM_RSA_N)), R"(","e":")",
                        Base64Url(Bn(OSSL_PKEY_PARAM_RSA_E)), R"("})");
  }
  unsigned char point[65];
  size_t length = 0;
  EVP_PKEY_get_octet_string_param(pkey_, OSSL_PKEY_PARAM_PUB_KEY, point,
                                  sizeof(point), &length);
  std::string raw(reinterpret_cast<char*>(point), length);
  return absl::StrCat(R"({"kty":"EC","crv":"P-256","use":"sig","kid":")", kid_,
                      R"(","x":")", Base64Url(raw.substr(1, 32)), R"(","y":")",
                      Base64Url(raw.substr(33, 32)), R"("})");
}

std::string TestIdpKey::Header() const {
  return absl::StrCat(R"({"alg":")", alg(), R"(","typ":"JWT","kid":")", kid_,
                      R"("})");
}

std::string TestIdpKey::Sign(absl::string_view header,
                             absl::string_view claims) const {
  std::string signed_part =
      absl::StrCat(Base64Url(header), ".", Base64Url(claims));
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t length = 0;
  EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, pkey_);
  EVP_DigestSign(ctx, nullptr, &length,
                 reinterpret_cast<const unsigned char*>(signed_part.data()),
                 signed_part.size());
  std::string signature(length, '\0');
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()),
                 &length,
                 reinterpret_cast<const unsigned char*>(signed_part.data()),
                 signed_part.size());
  EVP_MD_CTX_free(ctx);
  signature.resize(length);
  if (!rsa_) signature = RawEcdsa(signature);
  return absl::StrCat(signed_part, ".", Base64Url(signature));
}

std::string TestJwks(const std::vector<const TestIdpKey*>& keys) {
  std::vector<std::string> jwks;
  for (const TestIdpKey* key : keys) jwks.push_back(key->Jwk());
  return absl::StrCat(R"({"keys":[)", absl::StrJoin(jwks, ","), "]}");
}

}  // namespace carebridge::testing

#include "services/common/oidc_token.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/errors.h"
#include "services/common/evp_key.h"
#include "services/common/jwt_parts.h"

namespace carebridge {

struct IdpKey::Pkey : EvpKey {};

namespace {

constexpr size_t kMaxTokenBytes = 16384;
constexpr int kMinRsaBits = 2048;
constexpr size_t kP256Bytes = 32;

using jwt::StringOf;

absl::Status Refused(absl::string_view why) {
  return errors::Unauthenticated(
      absl::StrCat("identity provider token: ", why));
}

// A public key from OpenSSL parameters of `type` ("RSA", "EC").
EVP_PKEY* FromParams(const char* type, OSSL_PARAM_BLD* build) {
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(build);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* pkey = nullptr;
  if (params == nullptr || ctx == nullptr || EVP_PKEY_fromdata_init(ctx) != 1 ||
      EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    pkey = nullptr;
  }
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  if (pkey == nullptr) return nullptr;
  // The point must be on the curve (and the RSA key sane).
  EVP_PKEY_CTX* check = EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr);
  bool ok = check != nullptr && EVP_PKEY_public_check(check) == 1;
  EVP_PKEY_CTX_free(check);
  if (!ok) {
    EVP_PKEY_free(pkey);
    return nullptr;
  }
  return pkey;
}

absl::StatusOr<EVP_PKEY*> RsaKey(const google::protobuf::Struct& jwk,
                                 const std::string& where) {
  std::string n, e;
  if (!jwt::CanonicalBase64(StringOf(jwk, "n"), &n) || n.empty() ||
      !jwt::CanonicalBase64(StringOf(jwk, "e"), &e) || e.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": an RSA key needs base64url n and e"));
  }
  BIGNUM* modulus = BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()),
                              static_cast<int>(n.size()), nullptr);
  BIGNUM* exponent = BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()),
                               static_cast<int>(e.size()), nullptr);
  OSSL_PARAM_BLD* build = OSSL_PARAM_BLD_new();
  EVP_PKEY* pkey = nullptr;
  if (modulus != nullptr && exponent != nullptr && build != nullptr &&
      OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_N, modulus) == 1 &&
      OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_E, exponent) == 1) {
    pkey = FromParams("RSA", build);
  }
  OSSL_PARAM_BLD_free(build);
  BN_free(modulus);
  BN_free(exponent);
  if (pkey == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, " is not a valid RSA public key"));
  }
  if (EVP_PKEY_get_bits(pkey) < kMinRsaBits) {
    int bits = EVP_PKEY_get_bits(pkey);
    EVP_PKEY_free(pkey);
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": an RSA key of ", bits,
                     " bits is too short (at least ", kMinRsaBits, ")"));
  }
  return pkey;
}

absl::StatusOr<EVP_PKEY*> EcKey(const google::protobuf::Struct& jwk,
                                const std::string& where) {
  if (StringOf(jwk, "crv") != "P-256") {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": only EC keys on P-256 are accepted"));
  }
  std::string x, y;
  if (!jwt::CanonicalBase64(StringOf(jwk, "x"), &x) ||
      !jwt::CanonicalBase64(StringOf(jwk, "y"), &y) || x.size() != kP256Bytes ||
      y.size() != kP256Bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": an EC key needs base64url x and y of 32 bytes each"));
  }
  std::string point = absl::StrCat("\x04", x, y);
  OSSL_PARAM_BLD* build = OSSL_PARAM_BLD_new();
  char group[] = "prime256v1";
  EVP_PKEY* pkey = nullptr;
  if (build != nullptr &&
      OSSL_PARAM_BLD_push_utf8_string(build, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                      0) == 1 &&
      OSSL_PARAM_BLD_push_octet_string(build, OSSL_PKEY_PARAM_PUB_KEY,
                                       point.data(), point.size()) == 1) {
    pkey = FromParams("EC", build);
  }
  OSSL_PARAM_BLD_free(build);
  if (pkey == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, " is not a point on P-256"));
  }
  return pkey;
}

// ES256's r||s as the DER an ECDSA verifier reads; empty if not 64 bytes.
std::string DerSignature(absl::string_view raw) {
  if (raw.size() != 2 * kP256Bytes) return "";
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()),
                        kP256Bytes, nullptr);
  BIGNUM* s =
      BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data() + kP256Bytes),
                kP256Bytes, nullptr);
  std::string der;
  if (sig != nullptr && r != nullptr && s != nullptr &&
      ECDSA_SIG_set0(sig, r, s) == 1) {
    r = s = nullptr;  // owned by sig now
    unsigned char* out = nullptr;
    int length = i2d_ECDSA_SIG(sig, &out);
    if (length > 0) der.assign(reinterpret_cast<char*>(out), length);
    OPENSSL_free(out);
  }
  BN_free(r);
  BN_free(s);
  ECDSA_SIG_free(sig);
  return der;
}

}  // namespace

IdpKey::IdpKey(std::string kid, std::string alg, std::unique_ptr<Pkey> pkey)
    : kid_(std::move(kid)), alg_(std::move(alg)), pkey_(std::move(pkey)) {}

IdpKey::~IdpKey() = default;

bool IdpKey::Verify(absl::string_view data, absl::string_view signature) const {
  std::string der;
  if (alg_ == "ES256") {
    der = DerSignature(signature);
    if (der.empty()) return false;
    signature = der;
  }
  return EvpVerify(pkey_->pkey, EVP_sha256(), data, signature);
}

absl::StatusOr<std::shared_ptr<const IdpKeySet>> ParseIdpJwks(
    absl::string_view json) {
  auto set = std::make_shared<IdpKeySet>();
  absl::Status each = jwt::ForEachJwk(
      json, [&](const google::protobuf::Struct& jwk, std::string where) {
        std::string use = StringOf(jwk, "use");
        // Keys for other uses (encryption) are not for us.
        if (!use.empty() && use != "sig") return absl::OkStatus();
        std::string kid = StringOf(jwk, "kid");
        if (kid.empty() || kid.size() > 256) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, ".kid must be 1 to 256 characters"));
        }
        where = absl::StrCat(where, " (", kid, ")");
        std::string kty = StringOf(jwk, "kty");
        std::string alg = StringOf(jwk, "alg");
        std::string expected = kty == "RSA"  ? "RS256"
                               : kty == "EC" ? "ES256"
                                             : "";
        if (expected.empty()) {
          return absl::InvalidArgumentError(absl::StrCat(
              where, ": kty `", kty, "` is not accepted (RSA or EC)"));
        }
        if (!alg.empty() && alg != expected) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, ": alg `", alg, "` is not accepted for ", kty,
                           " (", expected, " only)"));
        }
        absl::StatusOr<EVP_PKEY*> pkey =
            kty == "RSA" ? RsaKey(jwk, where) : EcKey(jwk, where);
        if (!pkey.ok()) return pkey.status();
        auto holder = std::make_unique<IdpKey::Pkey>();
        holder->pkey = *pkey;
        std::shared_ptr<const IdpKey> key(
            new IdpKey(kid, expected, std::move(holder)));
        if (!set->keys.emplace(kid, std::move(key)).second) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, ": kid appears twice"));
        }
        return absl::OkStatus();
      });
  if (!each.ok()) return each;
  return std::shared_ptr<const IdpKeySet>(std::move(set));
}

absl::StatusOr<OidcClaims> VerifyOidcToken(absl::string_view token,
                                           const IdpKeySet& keys,
                                           const OidcSettings& settings,
                                           absl::Time now) {
  if (token.size() > kMaxTokenBytes) {
    return jwt::Malformed(
        absl::StrCat("longer than ", kMaxTokenBytes, " bytes"));
  }
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3 || parts[0].empty() || parts[1].empty()) {
    return jwt::Malformed("not three base64url parts joined by `.`");
  }
  absl::StatusOr<google::protobuf::Struct> header =
      jwt::DecodePart(parts[0], "header");
  if (!header.ok()) return header.status();
  std::string alg = StringOf(*header, "alg");
  if (alg != "RS256" && alg != "ES256") {
    return Refused(absl::StrCat("algorithm `", alg.substr(0, 32),
                                "` is not accepted (RS256 or ES256)"));
  }
  std::string kid = StringOf(*header, "kid");
  auto key = keys.keys.find(kid);
  if (key == keys.keys.end()) {
    return Refused(absl::StrCat(
        "key `", kid.substr(0, 64),
        "` is not in the identity provider's key set (refresh it if the "
        "provider rotated its keys)"));
  }
  std::string signature;
  if (key->second->alg() != alg ||
      !jwt::CanonicalBase64(parts[2], &signature) ||
      !key->second->Verify(
          token.substr(0, parts[0].size() + 1 + parts[1].size()), signature)) {
    return Refused("signature is not valid");
  }
  absl::StatusOr<google::protobuf::Struct> claims =
      jwt::DecodePart(parts[1], "payload");
  if (!claims.ok()) return claims.status();
  OidcClaims out;
  std::string issuer = StringOf(*claims, "iss");
  if (issuer != settings.issuer) {
    return Refused(absl::StrCat("issuer `", issuer.substr(0, 128),
                                "` is not the configured `", settings.issuer,
                                "`"));
  }
  bool audience = StringOf(*claims, "aud") == settings.audience;
  const google::protobuf::Value* auds = jwt::Field(*claims, "aud");
  if (auds != nullptr && auds->has_list_value()) {
    for (const google::protobuf::Value& aud : auds->list_value().values()) {
      if (aud.has_string_value() && aud.string_value() == settings.audience) {
        audience = true;
      }
    }
  }
  if (!audience) {
    return Refused(
        absl::StrCat("audience does not include `", settings.audience, "`"));
  }
  if (!jwt::TimeClaim(*claims, "exp", &out.expire_time)) {
    return Refused("it has no expiry (exp)");
  }
  if (now >= out.expire_time + settings.leeway) {
    return Refused(
        absl::StrCat("expired at ",
                     absl::FormatTime(absl::RFC3339_sec, out.expire_time,
                                      absl::UTCTimeZone()),
                     "; sign in again"));
  }
  absl::Time not_before;
  if (jwt::Field(*claims, "nbf") != nullptr) {
    if (!jwt::TimeClaim(*claims, "nbf", &not_before)) {
      return Refused("nbf is not a time");
    }
    if (now + settings.leeway < not_before) {
      return Refused(absl::StrCat(
          "not valid before ", absl::FormatTime(absl::RFC3339_sec, not_before,
                                                absl::UTCTimeZone())));
    }
  }
  if (jwt::Field(*claims, "iat") != nullptr &&
      !jwt::TimeClaim(*claims, "iat", &out.issue_time)) {
    return Refused("iat is not a time");
  }
  if (!jwt::StringClaim(*claims, "sub", &out.subject) || out.subject.empty()) {
    return Refused("it has no subject (sub)");
  }
  jwt::StringClaim(*claims, "jti", &out.token_id);
  out.claims = *std::move(claims);
  return out;
}

}  // namespace carebridge

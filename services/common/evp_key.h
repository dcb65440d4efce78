#ifndef CAREBRIDGE_SERVICES_COMMON_EVP_KEY_H_
#define CAREBRIDGE_SERVICES_COMMON_EVP_KEY_H_

#include <openssl/evp.h>

#include "absl/strings/string_view.h"

namespace carebridge {

// An OpenSSL key, freed with its holder (carebridge's token keys, an
// identity provider's keys).
struct EvpKey {
  EvpKey() = default;
  EvpKey(const EvpKey&) = delete;
  EvpKey& operator=(const EvpKey&) = delete;
  ~EvpKey() { EVP_PKEY_free(pkey); }
  EVP_PKEY* pkey = nullptr;
};

// Whether `signature` over `data` verifies under `key`, hashing with `md`
// (null for Ed25519, which hashes itself). `signature` in the form OpenSSL
// reads (ECDSA: DER).
bool EvpVerify(EVP_PKEY* key, const EVP_MD* md, absl::string_view data,
               absl::string_view signature);

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_EVP_KEY_H_

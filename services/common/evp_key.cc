#include "services/common/evp_key.h"

namespace carebridge {

bool EvpVerify(EVP_PKEY* key, const EVP_MD* md, absl::string_view data,
               absl::string_view signature) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok =
      ctx != nullptr &&
      EVP_DigestVerifyInit(ctx, nullptr, md, nullptr, key) == 1 &&
      EVP_DigestVerify(
          ctx, reinterpret_cast<const unsigned char*>(signature.data()),
          signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
          data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

}  // namespace carebridge

#include "services/common/hmac.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <cstdlib>

namespace carebridge {

struct HmacSha256::State {
  ~State() {
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
  }
  EVP_MAC* mac = nullptr;
  EVP_MAC_CTX* ctx = nullptr;
};

HmacSha256::HmacSha256(absl::string_view key)
    : state_(std::make_unique<State>()) {
  state_->mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (state_->mac != nullptr) state_->ctx = EVP_MAC_CTX_new(state_->mac);
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end()};
  if (state_->ctx == nullptr ||
      EVP_MAC_init(state_->ctx,
                   reinterpret_cast<const unsigned char*>(key.data()),
                   key.size(), params) != 1) {
    std::abort();
  }
}

HmacSha256::~HmacSha256() = default;

std::string HmacSha256::Mac(absl::string_view data) const {
  std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> ctx(
      EVP_MAC_CTX_dup(state_->ctx), &EVP_MAC_CTX_free);
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t mac_len = 0;
  if (ctx == nullptr ||
      EVP_MAC_update(ctx.get(),
                     reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()) != 1 ||
      EVP_MAC_final(ctx.get(), mac, &mac_len, sizeof(mac)) != 1) {
    return std::string();
  }
  return std::string(reinterpret_cast<const char*>(mac), mac_len);
}

}  // namespace carebridge

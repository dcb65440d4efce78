#ifndef CAREBRIDGE_SERVICES_COMMON_HMAC_H_
#define CAREBRIDGE_SERVICES_COMMON_HMAC_H_

#include <memory>
#include <string>

#include "absl/strings/string_view.h"

namespace carebridge {

// HMAC-SHA256 under one key, keyed once (OpenSSL's one-shot HMAC() fetches
// the algorithm on every call, which costs more than the MAC). This class
// is thread-safe (immutable after construction; each MAC works on a copy).
class HmacSha256 {
 public:
  // Aborts when OpenSSL has no HMAC-SHA256: nothing could be signed or
  // verified safely.
  explicit HmacSha256(absl::string_view key);
  ~HmacSha256();
  HmacSha256(const HmacSha256&) = delete;
  HmacSha256& operator=(const HmacSha256&) = delete;

  // The 32-byte MAC of `data`; empty if OpenSSL fails (an empty MAC never
  // matches one that was made).
  std::string Mac(absl::string_view data) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_HMAC_H_

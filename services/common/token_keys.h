#ifndef CAREBRIDGE_SERVICES_COMMON_TOKEN_KEYS_H_
#define CAREBRIDGE_SERVICES_COMMON_TOKEN_KEYS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace carebridge {

// One Ed25519 key tokens are signed or verified with, named by `kid`. Only
// the process that issues tokens holds the private half; every other process
// holds the public half, so none of them can mint a token. Immutable and
// thread-safe once made.
class TokenKey {
 public:
  // A new random key.
  static std::unique_ptr<TokenKey> Generate(std::string kid,
                                            absl::Time activate_time);
  // The key whose 32-byte private seed is `seed` (tests and tools that want
  // the same key every run); its kid is derived from the public key.
  static std::unique_ptr<TokenKey> FromSeed(absl::string_view seed);
  // A PKCS#8 PEM private key.
  static absl::StatusOr<std::unique_ptr<TokenKey>> FromPrivatePem(
      std::string kid, absl::Time activate_time, absl::string_view pem);
  // The 32 raw bytes of an Ed25519 public key (a JWK's `x`).
  static absl::StatusOr<std::unique_ptr<TokenKey>> FromPublicBytes(
      std::string kid, absl::string_view public_bytes);
  ~TokenKey();
  TokenKey(const TokenKey&) = delete;
  TokenKey& operator=(const TokenKey&) = delete;

  const std::string& kid() const { return kid_; }
  // From when this key signs (the signer uses the newest key whose time has
  // come); InfinitePast for keys that say nothing.
  absl::Time activate_time() const { return activate_time_; }
  bool has_private() const { return has_private_; }
  const std::string& public_bytes() const { return public_bytes_; }

  // The 64-byte signature of `data`; needs the private half.
  std::string Sign(absl::string_view data) const;
  bool Verify(absl::string_view data, absl::string_view signature) const;
  // PKCS#8 PEM of the private half.
  std::string PrivatePem() const;

 private:
  struct Pkey;
  TokenKey(std::string kid, absl::Time activate_time,
           std::unique_ptr<Pkey> pkey, bool has_private);
  const std::string kid_;
  const absl::Time activate_time_;
  std::unique_ptr<Pkey> pkey_;
  const bool has_private_;
  std::string public_bytes_;
};

// The keys one process signs and verifies tokens with: at most one that
// signs (it must hold its private half) and every key a token may still
// carry. Immutable; shared between threads through a shared_ptr.
struct TokenKeySet {
  std::shared_ptr<const TokenKey> signing;  // null: this process only verifies
  absl::flat_hash_map<std::string, std::shared_ptr<const TokenKey>> trusted;

  static std::shared_ptr<const TokenKeySet> Of(
      std::shared_ptr<const TokenKey> signing);
  // The trusted keys' public halves as a JSON Web Key Set (RFC 7517/8037:
  // `{"keys":[{"kty":"OKP","crv":"Ed25519","kid":…,"x":…,"alg":"EdDSA",
  // "use":"sig"}]}`), what a process that only verifies is given.
  std::string ToJwks() const;
  // The same signing kid and the same trusted keys.
  bool SameAs(const TokenKeySet& other) const;
};

// Reads a JSON Web Key Set of Ed25519 public keys (what ToJwks writes): a
// set that verifies and never signs. INVALID_ARGUMENT naming the key and
// the problem for anything else in it.
absl::StatusOr<std::shared_ptr<const TokenKeySet>> ParseJwks(
    absl::string_view json);

// A directory of signing keys, one PKCS#8 PEM file per key named
// `<kid>.pem`, where the kid is the time the key starts signing
// (`20261206T021845Z-1a2b3c4d`). Rotation: a new key is added ahead of time
// (RotateTokenKey); from its time on it signs, and the key before it still
// verifies for `overlap` (the longest a token lives) after that, then is
// dropped and its file deleted. Every load also writes the trusted public
// keys to `<dir>/jwks.json` for processes that only verify. Loads and
// rotations in several processes sharing a directory are serialised by a
// lock file.
class TokenKeyDirectory {
 public:
  TokenKeyDirectory(std::string dir, absl::Duration overlap)
      : dir_(std::move(dir)), overlap_(overlap) {}

  // The keys as of `now`; when the directory holds none, first makes one
  // that signs from `now`.
  absl::StatusOr<std::shared_ptr<const TokenKeySet>> Load(absl::Time now);
  // Adds a key that starts signing at `activate_time`; returns its kid.
  absl::StatusOr<std::string> Rotate(absl::Time activate_time);

  const std::string& dir() const { return dir_; }
  std::string JwksPath() const { return dir_ + "/jwks.json"; }

 private:
  const std::string dir_;
  const absl::Duration overlap_;
};

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_TOKEN_KEYS_H_

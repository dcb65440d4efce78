#include "services/common/token_keys.h"

#include <fcntl.h>
#include <google/protobuf/struct.pb.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/evp_key.h"
#include "services/common/file_util.h"
#include "services/common/jwt_parts.h"
#include "services/common/log.h"

namespace carebridge {

struct TokenKey::Pkey : EvpKey {};

namespace {

constexpr size_t kEd25519Bytes = 32;
constexpr size_t kSignatureBytes = 64;
constexpr char kKidTimeFormat[] = "%E4Y%m%dT%H%M%SZ";
constexpr size_t kKidTimeLength = 16;  // 20261206T021845Z

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()),
                 static_cast<int>(bytes)) != 1) {
    std::abort();
  }
  return absl::BytesToHexString(raw);
}

std::string KidFor(absl::Time activate_time) {
  return absl::StrCat(
      absl::FormatTime(kKidTimeFormat, activate_time, absl::UTCTimeZone()), "-",
      RandomHex(4));
}

// The time a key directory's kid names, or InfinitePast when it names none.
absl::Time KidTime(absl::string_view kid) {
  absl::Time time;
  std::string error;
  if (kid.size() <= kKidTimeLength ||
      !absl::ParseTime(kKidTimeFormat,
                       std::string(kid.substr(0, kKidTimeLength)),
                       absl::UTCTimeZone(), &time, &error)) {
    return absl::InfinitePast();
  }
  return time;
}

// A kid goes into file names and token headers: letters, digits, `-`, `_`.
bool IsKid(absl::string_view kid) {
  if (kid.empty() || kid.size() > 64) return false;
  return std::all_of(kid.begin(), kid.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' ||
           c == '_';
  });
}

// Serialises loads and rotations of one key directory across processes.
class DirectoryLock {
 public:
  explicit DirectoryLock(const std::string& dir) {
    fd_ = open((dir + "/.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ >= 0 && flock(fd_, LOCK_EX) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~DirectoryLock() {
    if (fd_ >= 0) close(fd_);  // releases the lock
  }
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

absl::Status EnsureKeyDir(const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("token keys: cannot create ", dir, ": ", error.message()));
  }
  chmod(dir.c_str(), 0700);
  return absl::OkStatus();
}

struct KeyFile {
  std::string kid;
  absl::Time activate_time;
  std::string path;
};

// Makes `dir` if needed, takes its lock (held while `lock` lives) and lists
// its key files, `<time>-<id>.pem`; other files are logged and ignored.
absl::Status OpenKeyDir(const std::string& dir,
                        std::unique_ptr<DirectoryLock>* lock,
                        std::vector<KeyFile>* files) {
  absl::Status made = EnsureKeyDir(dir);
  if (!made.ok()) return made;
  *lock = std::make_unique<DirectoryLock>(dir);
  if (!(*lock)->ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("token keys: cannot lock ", dir, ": ", strerror(errno)));
  }
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    std::string name = entry.path().filename().string();
    if (!absl::EndsWith(name, ".pem")) continue;
    std::string kid = name.substr(0, name.size() - 4);
    absl::Time activate_time = KidTime(kid);
    if (!IsKid(kid) || activate_time == absl::InfinitePast()) {
      LogLine(absl::StrCat("token keys: ignoring ", entry.path().string(),
                           " (not named <time>-<id>.pem)"));
      continue;
    }
    files->push_back({kid, activate_time, entry.path().string()});
  }
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("token keys: cannot list ", dir, ": ", error.message()));
  }
  return absl::OkStatus();
}

absl::Status WriteKey(const std::string& dir, const TokenKey& key) {
  return WriteFileAtomically(absl::StrCat(dir, "/", key.kid(), ".pem"),
                             key.PrivatePem(), 0600);
}

}  // namespace

TokenKey::TokenKey(std::string kid, absl::Time activate_time,
                   std::unique_ptr<Pkey> pkey, bool has_private)
    : kid_(std::move(kid)),
      activate_time_(activate_time),
      pkey_(std::move(pkey)),
      has_private_(has_private) {
  size_t length = kEd25519Bytes;
  public_bytes_.resize(length);
  if (EVP_PKEY_get_raw_public_key(
          pkey_->pkey, reinterpret_cast<unsigned char*>(public_bytes_.data()),
          &length) != 1 ||
      length != kEd25519Bytes) {
    std::abort();
  }
}

TokenKey::~TokenKey() = default;

std::unique_ptr<TokenKey> TokenKey::Generate(std::string kid,
                                             absl::Time activate_time) {
  auto pkey = std::make_unique<Pkey>();
  pkey->pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (pkey->pkey == nullptr) std::abort();
  return std::unique_ptr<TokenKey>(
      new TokenKey(std::move(kid), activate_time, std::move(pkey), true));
}

std::unique_ptr<TokenKey> TokenKey::FromSeed(absl::string_view seed) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  // Any length of seed makes a 32-byte private key.
  SHA256(reinterpret_cast<const unsigned char*>(seed.data()), seed.size(),
         digest);
  auto pkey = std::make_unique<Pkey>();
  pkey->pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, digest,
                                            kEd25519Bytes);
  if (pkey->pkey == nullptr) std::abort();
  // The kid names the public key: the same seed, the same kid.
  unsigned char public_bytes[kEd25519Bytes];
  size_t length = sizeof(public_bytes);
  if (EVP_PKEY_get_raw_public_key(pkey->pkey, public_bytes, &length) != 1) {
    std::abort();
  }
  unsigned char id[SHA256_DIGEST_LENGTH];
  SHA256(public_bytes, length, id);
  std::string kid =
      absl::StrCat("seed-", absl::BytesToHexString(absl::string_view(
                                reinterpret_cast<const char*>(id), 6)));
  return std::unique_ptr<TokenKey>(new TokenKey(
      std::move(kid), absl::InfinitePast(), std::move(pkey), true));
}

absl::StatusOr<std::unique_ptr<TokenKey>> TokenKey::FromPrivatePem(
    std::string kid, absl::Time activate_time, absl::string_view pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return absl::InternalError("out of memory");
  auto pkey = std::make_unique<Pkey>();
  pkey->pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (pkey->pkey == nullptr ||
      EVP_PKEY_get_id(pkey->pkey) != EVP_PKEY_ED25519) {
    return absl::InvalidArgumentError(absl::StrCat(
        "token key ", kid, " is not an Ed25519 private key in PEM"));
  }
  return std::unique_ptr<TokenKey>(
      new TokenKey(std::move(kid), activate_time, std::move(pkey), true));
}

absl::StatusOr<std::unique_ptr<TokenKey>> TokenKey::FromPublicBytes(
    std::string kid, absl::string_view public_bytes) {
  if (public_bytes.size() != kEd25519Bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("key ", kid, ": an Ed25519 public key is ", kEd25519Bytes,
                     " bytes, not ", public_bytes.size()));
  }
  auto pkey = std::make_unique<Pkey>();
  pkey->pkey = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr,
      reinterpret_cast<const unsigned char*>(public_bytes.data()),
      public_bytes.size());
  if (pkey->pkey == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("key ", kid, " is not an Ed25519 public key"));
  }
  return std::unique_ptr<TokenKey>(new TokenKey(
      std::move(kid), absl::InfinitePast(), std::move(pkey), false));
}

std::string TokenKey::Sign(absl::string_view data) const {
  if (!has_private_) return "";
  std::string signature(kSignatureBytes, '\0');
  size_t length = signature.size();
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok =
      ctx != nullptr &&
      EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, pkey_->pkey) == 1 &&
      EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()),
                     &length,
                     reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok || length != kSignatureBytes) return "";
  return signature;
}

bool TokenKey::Verify(absl::string_view data,
                      absl::string_view signature) const {
  if (signature.size() != kSignatureBytes) return false;
  return EvpVerify(pkey_->pkey, nullptr, data, signature);
}

std::string TokenKey::PrivatePem() const {
  if (!has_private_) return "";
  BIO* bio = BIO_new(BIO_s_mem());
  std::string pem;
  if (bio != nullptr &&
      PEM_write_bio_PrivateKey(bio, pkey_->pkey, nullptr, nullptr, 0, nullptr,
                               nullptr) == 1) {
    char* data = nullptr;
    long length = BIO_get_mem_data(bio, &data);
    pem.assign(data, static_cast<size_t>(length));
  }
  BIO_free(bio);
  return pem;
}

std::shared_ptr<const TokenKeySet> TokenKeySet::Of(
    std::shared_ptr<const TokenKey> signing) {
  auto set = std::make_shared<TokenKeySet>();
  set->trusted[signing->kid()] = signing;
  set->signing = std::move(signing);
  return set;
}

std::string TokenKeySet::ToJwks() const {
  std::vector<const TokenKey*> keys;
  for (const auto& [kid, key] : trusted) keys.push_back(key.get());
  std::sort(keys.begin(), keys.end(), [](const TokenKey* a, const TokenKey* b) {
    return a->kid() < b->kid();
  });
  std::vector<std::string> jwks;
  for (const TokenKey* key : keys) {
    jwks.push_back(absl::StrCat(
        R"({"kty":"OKP","crv":"Ed25519","alg":"EdDSA","use":"sig","kid":")",
        key->kid(), R"(","x":")",
        absl::WebSafeBase64Escape(key->public_bytes()), R"("})"));
  }
  return absl::StrCat("{\"keys\":[\n", absl::StrJoin(jwks, ",\n"), "\n]}\n");
}

bool TokenKeySet::SameAs(const TokenKeySet& other) const {
  auto kid = [](const std::shared_ptr<const TokenKey>& key) {
    return key == nullptr ? std::string() : key->kid();
  };
  if (kid(signing) != kid(other.signing) ||
      trusted.size() != other.trusted.size()) {
    return false;
  }
  for (const auto& [name, key] : trusted) {
    auto it = other.trusted.find(name);
    if (it == other.trusted.end() ||
        it->second->public_bytes() != key->public_bytes()) {
      return false;
    }
  }
  return true;
}

absl::StatusOr<std::shared_ptr<const TokenKeySet>> ParseJwks(
    absl::string_view json) {
  auto set = std::make_shared<TokenKeySet>();
  absl::Status each = jwt::ForEachJwk(
      json, [&](const google::protobuf::Struct& jwk, std::string where) {
        std::string kid = jwt::StringOf(jwk, "kid");
        if (!IsKid(kid)) {
          return absl::InvalidArgumentError(absl::StrCat(
              where, ".kid must be 1 to 64 letters, digits, `-` or `_`"));
        }
        if (jwt::StringOf(jwk, "kty") != "OKP" ||
            jwt::StringOf(jwk, "crv") != "Ed25519") {
          return absl::InvalidArgumentError(
              absl::StrCat(where, " (", kid,
                           ") is not an Ed25519 key (kty OKP, crv Ed25519)"));
        }
        std::string alg = jwt::StringOf(jwk, "alg");
        if (!alg.empty() && alg != "EdDSA") {
          return absl::InvalidArgumentError(
              absl::StrCat(where, " (", kid, ") has alg ", alg, ", not EdDSA"));
        }
        std::string use = jwt::StringOf(jwk, "use");
        if (!use.empty() && use != "sig") {
          return absl::InvalidArgumentError(
              absl::StrCat(where, " (", kid, ") is for ", use, ", not sig"));
        }
        std::string x;
        if (!absl::WebSafeBase64Unescape(jwt::StringOf(jwk, "x"), &x)) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, " (", kid, ").x is not base64url"));
        }
        absl::StatusOr<std::unique_ptr<TokenKey>> key =
            TokenKey::FromPublicBytes(kid, x);
        if (!key.ok()) return key.status();
        if (!set->trusted.emplace(kid, std::move(*key)).second) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, ": kid ", kid, " appears twice"));
        }
        return absl::OkStatus();
      });
  if (!each.ok()) return each;
  return std::shared_ptr<const TokenKeySet>(std::move(set));
}

absl::StatusOr<std::shared_ptr<const TokenKeySet>> TokenKeyDirectory::Load(
    absl::Time now) {
  std::unique_ptr<DirectoryLock> lock;
  std::vector<KeyFile> files;
  absl::Status opened = OpenKeyDir(dir_, &lock, &files);
  if (!opened.ok()) return opened;
  std::vector<std::shared_ptr<const TokenKey>> keys;
  for (const KeyFile& file : files) {
    absl::StatusOr<std::string> pem = ReadFileToString(file.path);
    if (!pem.ok()) return pem.status();
    absl::StatusOr<std::unique_ptr<TokenKey>> key =
        TokenKey::FromPrivatePem(file.kid, file.activate_time, *pem);
    if (!key.ok()) return key.status();
    keys.push_back(std::move(*key));
  }
  if (keys.empty()) {
    std::shared_ptr<const TokenKey> first =
        TokenKey::Generate(KidFor(now), now);
    absl::Status written = WriteKey(dir_, *first);
    if (!written.ok()) return written;
    LogLine(absl::StrCat("token keys: made signing key ", first->kid(), " in ",
                         dir_));
    keys.push_back(std::move(first));
  }
  std::sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) {
    return a->activate_time() != b->activate_time()
               ? a->activate_time() < b->activate_time()
               : a->kid() < b->kid();
  });
  auto set = std::make_shared<TokenKeySet>();
  // The newest key whose time has come signs; if none has (only keys made
  // for later), the earliest does.
  size_t signing = 0;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i]->activate_time() <= now) signing = i;
  }
  set->signing = keys[signing];
  for (size_t i = 0; i < keys.size(); ++i) {
    // A key is dropped once its successor has signed for `overlap`: no
    // token it signed can still be alive.
    bool retired = i + 1 < keys.size() && i < signing &&
                   keys[i + 1]->activate_time() + overlap_ <= now;
    if (!retired) {
      set->trusted[keys[i]->kid()] = keys[i];
      continue;
    }
    std::string path = absl::StrCat(dir_, "/", keys[i]->kid(), ".pem");
    if (unlink(path.c_str()) == 0) {
      LogLine(absl::StrCat("token keys: retired ", keys[i]->kid(),
                           " (its successor has signed for ",
                           absl::FormatDuration(overlap_), ")"));
    }
  }
  std::string jwks = set->ToJwks();
  absl::StatusOr<std::string> current = ReadFileToString(JwksPath());
  if (!current.ok() || *current != jwks) {
    absl::Status published = WriteFileAtomically(JwksPath(), jwks, 0644);
    if (!published.ok()) return published;
  }
  return std::shared_ptr<const TokenKeySet>(std::move(set));
}

absl::StatusOr<std::string> TokenKeyDirectory::Rotate(
    absl::Time activate_time) {
  std::unique_ptr<DirectoryLock> lock;
  std::vector<KeyFile> files;
  absl::Status opened = OpenKeyDir(dir_, &lock, &files);
  if (!opened.ok()) return opened;
  // Kids name whole seconds: a key added in the second of the newest one
  // starts a second after it, so which key is newer is never a tie.
  activate_time = absl::FromUnixSeconds(absl::ToUnixSeconds(activate_time));
  for (const KeyFile& file : files) {
    if (file.activate_time >= activate_time) {
      activate_time = file.activate_time + absl::Seconds(1);
    }
  }
  std::unique_ptr<TokenKey> key =
      TokenKey::Generate(KidFor(activate_time), activate_time);
  absl::Status written = WriteKey(dir_, *key);
  if (!written.ok()) return written;
  return key->kid();
}

}  // namespace carebridge

#include "services/common/token.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/errors.h"
#include "services/common/file_util.h"

namespace carebridge {
namespace {
// cb2 added the issue time and the token's id; cb1 tokens (before
// 2026-12-05, up to 90 days long) are refused.
constexpr absl::string_view kPrefix = "cb2";
constexpr absl::string_view kOldPrefix = "cb1";
constexpr size_t kKeyBytes = 32;
// Random bytes in a token id: 96 bits, 16 characters.
constexpr size_t kTokenIdBytes = 12;

std::string NewTokenId() {
  unsigned char bytes[kTokenIdBytes];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) std::abort();
  return absl::WebSafeBase64Escape(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}
}  // namespace

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kClinician:
      return "clinician";
    case Role::kCareCoordinator:
      return "care_coordinator";
    case Role::kTeamLead:
      return "team_lead";
    case Role::kPeerSupportWorker:
      return "peer_support_worker";
    case Role::kAdmin:
      return "admin";
    case Role::kService:
      return "service";
    case Role::kPerson:
      return "person";
    case Role::kTeamManager:
      return "team_manager";
    case Role::kUnspecified:
      break;
  }
  return "unspecified";
}

TokenSigner::TokenSigner(std::string key)
    : key_(std::move(key)), hmac_(std::make_shared<HmacSha256>(key_)) {}

std::string TokenSigner::Mac(absl::string_view payload) const {
  return hmac_->Mac(payload);
}

std::string TokenSigner::Sign(const Principal& principal) const {
  const int64_t issued = principal.issue_time == absl::InfinitePast()
                             ? 0
                             : absl::ToUnixSeconds(principal.issue_time);
  std::string payload = absl::StrCat(
      principal.subject, "|", principal.team, "|",
      static_cast<int>(principal.role), "|",
      absl::ToUnixSeconds(principal.expire_time), "|", issued, "|",
      principal.token_id.empty() ? NewTokenId() : principal.token_id);
  std::string encoded = absl::WebSafeBase64Escape(payload);
  return absl::StrCat(kPrefix, ".", encoded, ".",
                      absl::WebSafeBase64Escape(Mac(encoded)));
}

absl::StatusOr<Principal> TokenSigner::Verify(absl::string_view token,
                                              absl::Time now) const {
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() == 3 && parts[0] == kOldPrefix) {
    return errors::Unauthenticated(
        "bearer token is of a form no longer accepted (issued before "
        "2026-12-05, without an id); ask for a new one");
  }
  if (parts.size() != 3 || parts[0] != kPrefix || token.size() > 4096) {
    return errors::Unauthenticated("bearer token is malformed");
  }
  std::string mac;
  if (!absl::WebSafeBase64Unescape(parts[2], &mac)) {
    return errors::Unauthenticated("bearer token is malformed");
  }
  std::string expected = Mac(parts[1]);
  if (expected.empty() || mac.size() != expected.size() ||
      CRYPTO_memcmp(mac.data(), expected.data(), mac.size()) != 0) {
    return errors::Unauthenticated("bearer token signature is not valid");
  }
  std::string payload;
  if (!absl::WebSafeBase64Unescape(parts[1], &payload)) {
    return errors::Unauthenticated("bearer token is malformed");
  }
  std::vector<std::string> fields = absl::StrSplit(payload, '|');
  int role = 0;
  int64_t expiry = 0;
  int64_t issued = 0;
  if (fields.size() != 6 || !absl::SimpleAtoi(fields[2], &role) ||
      !absl::SimpleAtoi(fields[3], &expiry) ||
      !absl::SimpleAtoi(fields[4], &issued) || issued < 0 ||
      fields[5].empty()) {
    return errors::Unauthenticated("bearer token payload is malformed");
  }
  Principal principal;
  principal.subject = fields[0];
  principal.team = fields[1];
  principal.role = static_cast<Role>(role);
  principal.expire_time = absl::FromUnixSeconds(expiry);
  if (issued > 0) principal.issue_time = absl::FromUnixSeconds(issued);
  principal.token_id = fields[5];
  if (now >= principal.expire_time) {
    return errors::Unauthenticated(
        absl::StrCat("bearer token expired at ",
                     absl::FormatTime(absl::RFC3339_sec, principal.expire_time,
                                      absl::UTCTimeZone()),
                     "; ask an admin for a new one"));
  }
  return principal;
}

namespace {
absl::StatusOr<std::string> ReadKey(const std::string& path) {
  absl::StatusOr<std::string> key = ReadFileToString(path);
  if (!key.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("token key: ", key.status().message()));
  }
  if (key->size() < kKeyBytes) {
    return absl::FailedPreconditionError(absl::StrCat(
        "token key ", path, " is shorter than ", kKeyBytes, " bytes"));
  }
  return key;
}
}  // namespace

absl::StatusOr<std::string> LoadOrCreateKey(const std::string& path) {
  struct stat existing;
  if (stat(path.c_str(), &existing) == 0) return ReadKey(path);
  std::string key(kKeyBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), kKeyBytes) !=
      1) {
    return absl::InternalError("could not generate a token key");
  }
  // Written under a temporary name and linked into place, so a crash never
  // leaves a short key behind and a concurrent creator's key is never
  // overwritten; the directory is synced so the key outlives a power cut.
  std::string tmp = absl::StrCat(path, ".tmp.XXXXXX");
  int fd = mkstemp(tmp.data());  // mode 0600
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create token key ", path, ": ", strerror(errno)));
  }
  bool ok =
      write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) &&
      fsync(fd) == 0;
  close(fd);
  if (!ok) {
    unlink(tmp.c_str());
    return absl::InternalError(absl::StrCat("cannot write token key ", path));
  }
  int linked = link(tmp.c_str(), path.c_str());
  int link_errno = errno;
  unlink(tmp.c_str());
  if (linked != 0) {
    if (link_errno == EEXIST) return ReadKey(path);
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot create token key ", path, ": ", strerror(link_errno)));
  }
  SyncParentDirectory(path);
  return key;
}

}  // namespace carebridge

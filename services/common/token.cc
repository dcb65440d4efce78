#include "services/common/token.h"

#include <fcntl.h>
#include <google/protobuf/struct.pb.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "services/common/errors.h"
#include "services/common/file_util.h"
#include "services/common/jwt_parts.h"

namespace carebridge {
namespace {
// Tokens before 2026-12-06 were HMAC-signed `cb1.`/`cb2.` strings, made
// with a key every process shared: refused.
constexpr absl::string_view kOldPrefixes[] = {"cb1.", "cb2."};
constexpr absl::string_view kIssuer = "carebridge";
constexpr size_t kMaxTokenBytes = 4096;
constexpr size_t kKeyBytes = 32;
// Random bytes in a token id: 96 bits, 16 characters.
constexpr size_t kTokenIdBytes = 12;
// Verified tokens remembered; past this, the memory starts again.
constexpr size_t kMaxRemembered = 20000;

constexpr Role kRoles[] = {Role::kClinician, Role::kCareCoordinator,
                           Role::kTeamLead,  Role::kPeerSupportWorker,
                           Role::kAdmin,     Role::kService,
                           Role::kPerson,    Role::kTeamManager};

std::string NewTokenId() {
  unsigned char bytes[kTokenIdBytes];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) std::abort();
  return absl::WebSafeBase64Escape(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

// `value` as a JSON string.
std::string JsonString(absl::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      absl::StrAppend(&out, "\\", std::string(1, c));
    } else if (u < 0x20) {
      absl::StrAppend(&out, absl::StrFormat("\\u%04x", u));
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

absl::Status Expired(absl::Time expire_time) {
  return errors::Unauthenticated(absl::StrCat(
      "bearer token expired at ",
      absl::FormatTime(absl::RFC3339_sec, expire_time, absl::UTCTimeZone()),
      "; ask for a new one"));
}
}  // namespace

using jwt::CanonicalBase64;
using jwt::DecodePart;
using jwt::Field;
using jwt::Malformed;
using jwt::StringClaim;
using jwt::TimeClaim;

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

bool RoleFromName(absl::string_view name, Role* role) {
  for (Role candidate : kRoles) {
    if (RoleName(candidate) == name) {
      *role = candidate;
      return true;
    }
  }
  return false;
}

TokenSigner::TokenSigner(absl::string_view seed)
    : TokenSigner(TokenKeySet::Of(TokenKey::FromSeed(seed))) {}

TokenSigner::TokenSigner(std::shared_ptr<const TokenKeySet> keys)
    : keys_(std::move(keys)) {}

void TokenSigner::SetKeys(std::shared_ptr<const TokenKeySet> keys) {
  absl::MutexLock lock(&mu_);
  keys_ = std::move(keys);
  verified_.clear();
}

std::shared_ptr<const TokenKeySet> TokenSigner::keys() const {
  absl::ReaderMutexLock lock(&mu_);
  return keys_;
}

bool TokenSigner::can_sign() const {
  std::shared_ptr<const TokenKeySet> set = keys();
  return set->signing != nullptr && set->signing->has_private();
}

std::string TokenSigner::Sign(const Principal& principal) const {
  std::shared_ptr<const TokenKeySet> set = keys();
  if (set->signing == nullptr || !set->signing->has_private()) return "";
  std::string header = absl::WebSafeBase64Escape(
      absl::StrCat(R"({"alg":"EdDSA","typ":"JWT","kid":)",
                   JsonString(set->signing->kid()), "}"));
  std::string claims =
      absl::StrCat(R"({"iss":)", JsonString(kIssuer), R"(,"sub":)",
                   JsonString(principal.subject));
  if (!principal.team.empty()) {
    absl::StrAppend(&claims, R"(,"team":)", JsonString(principal.team));
  }
  absl::StrAppend(&claims, R"(,"role":)", JsonString(RoleName(principal.role)));
  if (principal.issue_time != absl::InfinitePast()) {
    absl::StrAppend(&claims, R"(,"iat":)",
                    absl::ToUnixSeconds(principal.issue_time));
  }
  absl::StrAppend(&claims, R"(,"exp":)",
                  absl::ToUnixSeconds(principal.expire_time), R"(,"jti":)",
                  JsonString(principal.token_id.empty() ? NewTokenId()
                                                        : principal.token_id),
                  "}");
  std::string signed_part =
      absl::StrCat(header, ".", absl::WebSafeBase64Escape(claims));
  return absl::StrCat(
      signed_part, ".",
      absl::WebSafeBase64Escape(set->signing->Sign(signed_part)));
}

absl::StatusOr<Principal> TokenSigner::Verify(absl::string_view token,
                                              absl::Time now) const {
  for (absl::string_view old : kOldPrefixes) {
    if (absl::StartsWith(token, old)) {
      return errors::Unauthenticated(
          "bearer token is of a form no longer accepted (HMAC-signed, "
          "issued before 2026-12-06); ask for a new one");
    }
  }
  if (token.size() > kMaxTokenBytes) {
    return Malformed(absl::StrCat("longer than ", kMaxTokenBytes, " bytes"));
  }
  std::shared_ptr<const TokenKeySet> set;
  {
    absl::ReaderMutexLock lock(&mu_);
    auto it = verified_.find(token);
    if (it != verified_.end()) {
      if (now >= it->second.expire_time) return Expired(it->second.expire_time);
      return it->second;
    }
    set = keys_;
  }
  absl::StatusOr<Principal> principal = VerifyUncached(token, *set);
  if (!principal.ok()) return principal;
  {
    absl::MutexLock lock(&mu_);
    // Remembered only under the keys it was checked with.
    if (keys_ == set) {
      if (verified_.size() >= kMaxRemembered) verified_.clear();
      verified_.emplace(token, *principal);
    }
  }
  if (now >= principal->expire_time) return Expired(principal->expire_time);
  return principal;
}

absl::StatusOr<Principal> TokenSigner::VerifyUncached(
    absl::string_view token, const TokenKeySet& keys) const {
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3 || parts[0].empty() || parts[1].empty()) {
    return Malformed("not three base64url parts joined by `.`");
  }
  absl::StatusOr<google::protobuf::Struct> header =
      DecodePart(parts[0], "header");
  if (!header.ok()) return header.status();
  std::string alg;
  if (!StringClaim(*header, "alg", &alg)) return Malformed("no `alg`");
  if (alg != "EdDSA") {
    return errors::Unauthenticated(absl::StrCat(
        "bearer token algorithm `", alg, "` is not accepted (EdDSA only)"));
  }
  std::string kid;
  if (!StringClaim(*header, "kid", &kid)) return Malformed("no `kid`");
  auto key = keys.trusted.find(kid);
  if (key == keys.trusted.end()) {
    return errors::Unauthenticated(absl::StrCat(
        "bearer token signature is not valid: its key `", kid.substr(0, 64),
        "` is not one this server trusts (unknown, or retired by rotation)"));
  }
  std::string signature;
  if (!CanonicalBase64(parts[2], &signature) ||
      !key->second->Verify(
          token.substr(0, parts[0].size() + 1 + parts[1].size()), signature)) {
    return errors::Unauthenticated("bearer token signature is not valid");
  }
  absl::StatusOr<google::protobuf::Struct> claims =
      DecodePart(parts[1], "payload");
  if (!claims.ok()) return claims.status();
  std::string issuer;
  if (!StringClaim(*claims, "iss", &issuer) || issuer != kIssuer) {
    return errors::Unauthenticated(absl::StrCat(
        "bearer token issuer `", issuer.substr(0, 64), "` is not ", kIssuer));
  }
  Principal principal;
  std::string role;
  if (!StringClaim(*claims, "sub", &principal.subject) ||
      principal.subject.empty() || !StringClaim(*claims, "role", &role) ||
      !RoleFromName(role, &principal.role) ||
      !TimeClaim(*claims, "exp", &principal.expire_time) ||
      !StringClaim(*claims, "jti", &principal.token_id) ||
      principal.token_id.empty()) {
    return errors::Unauthenticated(
        "bearer token payload is malformed: it needs sub, role, exp and jti");
  }
  if (Field(*claims, "team") != nullptr &&
      !StringClaim(*claims, "team", &principal.team)) {
    return errors::Unauthenticated(
        "bearer token payload is malformed: team is not a string");
  }
  if (Field(*claims, "iat") != nullptr &&
      !TimeClaim(*claims, "iat", &principal.issue_time)) {
    return errors::Unauthenticated(
        "bearer token payload is malformed: iat is not a time");
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

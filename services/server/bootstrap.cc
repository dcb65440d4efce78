#include "services/server/bootstrap.h"

#include <sys/stat.h>

#include <atomic>
#include <cstdint>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "services/common/file_util.h"
#include "services/common/log.h"

namespace carebridge::server {

absl::Status EnsureDataDir(const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("--data_dir: cannot create ", dir, ": ", error.message()));
  }
  chmod(dir.c_str(), 0700);
  return absl::OkStatus();
}

absl::StatusOr<std::string> RotateTokenKey(const ServerConfig& config,
                                           absl::Time now,
                                           absl::Duration activate_in) {
  absl::StatusOr<ServerConfig> normalized = Normalize(config);
  if (!normalized.ok()) return normalized.status();
  if (activate_in < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "--token_key_activate_in: must not be negative");
  }
  TokenKeyDirectory keys(normalized->token_keys_dir,
                         normalized->token_key_overlap);
  absl::StatusOr<std::string> kid = keys.Rotate(now + activate_in);
  if (!kid.ok()) return kid.status();
  absl::StatusOr<std::shared_ptr<const TokenKeySet>> published = keys.Load(now);
  if (!published.ok()) return published.status();
  return kid;
}

absl::StatusOr<std::string> EnsureBootstrapToken(const std::string& data_dir,
                                                 const TokenSigner& signer,
                                                 const Clock& clock) {
  std::string path = absl::StrCat(data_dir, "/bootstrap-admin.token");
  absl::StatusOr<std::string> existing = ReadFileToString(path);
  if (existing.ok()) {
    std::string token(absl::StripAsciiWhitespace(*existing));
    // Keep a token that is still good for a day; else issue a fresh one.
    if (signer.Verify(token, clock.Now() + absl::Hours(24)).ok()) return path;
  }
  Principal admin;
  admin.subject = kBootstrapAdmin;
  admin.role = Role::kAdmin;
  admin.expire_time = clock.Now() + kBootstrapTokenTtl;
  absl::Status status =
      WriteFileAtomically(path, signer.Sign(admin) + "\n", 0600);
  if (status.ok()) return path;
  if (!existing.ok()) return status;
  // The token keys are reloaded every 30 s, and this with them: each of
  // the two warnings is said once an hour, not at every reload.
  static std::atomic<int64_t> near_said_us{0};
  static std::atomic<int64_t> invalid_said_us{0};
  auto say = [](std::atomic<int64_t>& said_us) {
    const int64_t now_us = absl::ToUnixMicros(absl::Now());
    if (now_us - said_us.load() < int64_t{3600} * 1000000) return false;
    said_us.store(now_us);
    return true;
  };
  const std::string token(absl::StripAsciiWhitespace(*existing));
  absl::StatusOr<Principal> valid = signer.Verify(token, clock.Now());
  if (valid.ok()) {
    if (say(near_said_us)) {
      LogLine(absl::StrCat(
          "bootstrap admin token: ", path, " expires at ",
          absl::FormatTime(valid->expire_time, absl::UTCTimeZone()),
          " and cannot be rewritten (", status.message(),
          "); renew it where it comes from (a Kubernetes Secret: "
          "docs/kubernetes.md)"));
    }
    return path;
  }
  if (say(invalid_said_us)) {
    LogLine(absl::StrCat(
        "bootstrap admin token: ", path, " is no longer valid (",
        valid.status().message(), ") and cannot be rewritten (",
        status.message(),
        "); serving without a bootstrap admin token until it is renewed "
        "where it comes from (a Kubernetes Secret: docs/kubernetes.md)"));
  }
  return std::string();
}

}  // namespace carebridge::server

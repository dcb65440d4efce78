#include "services/server/bootstrap.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

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

absl::Status WriteFileAtomically(const std::string& path,
                                 const std::string& contents, int mode) {
  std::string temp = absl::StrCat(path, ".tmp");
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot write ", temp, ": ", strerror(errno)));
  }
  bool ok = write(fd, contents.data(), contents.size()) ==
                static_cast<ssize_t>(contents.size()) &&
            fsync(fd) == 0;
  close(fd);
  if (!ok || rename(temp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(
        absl::StrCat("cannot write ", path, ": ", strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> EnsureBootstrapToken(const std::string& data_dir,
                                                 const TokenSigner& signer,
                                                 const Clock& clock) {
  std::string path = absl::StrCat(data_dir, "/bootstrap-admin.token");
  std::ifstream in(path);
  if (in) {
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string token(absl::StripAsciiWhitespace(buffer.str()));
    // Keep a token that is still good for a day; else issue a fresh one.
    if (signer.Verify(token, clock.Now() + absl::Hours(24)).ok()) return path;
  }
  Principal admin;
  admin.subject = kBootstrapAdmin;
  admin.role = Role::kAdmin;
  admin.expire_time = clock.Now() + kBootstrapTokenTtl;
  absl::Status status =
      WriteFileAtomically(path, signer.Sign(admin) + "\n", 0600);
  if (!status.ok()) return status;
  return path;
}

}  // namespace carebridge::server

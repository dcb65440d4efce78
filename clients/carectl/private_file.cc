#include "clients/carectl/private_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace carebridge::carectl {
namespace {

absl::Status Failed(absl::string_view what, const std::string& path) {
  return absl::InvalidArgumentError(
      absl::StrCat("cannot ", what, " ", path, ": ", std::strerror(errno)));
}

}  // namespace

absl::Status WritePrivateFile(const std::string& path,
                              absl::string_view contents) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Failed("write", path);
  // An existing file keeps its mode through O_CREAT; a token must not.
  if (fchmod(fd, 0600) != 0) {
    absl::Status status = Failed("restrict", path);
    close(fd);
    return status;
  }
  while (!contents.empty()) {
    ssize_t n = write(fd, contents.data(), contents.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      absl::Status status = Failed("write", path);
      close(fd);
      return status;
    }
    contents.remove_prefix(static_cast<size_t>(n));
  }
  if (close(fd) != 0) return Failed("write", path);
  return absl::OkStatus();
}

}  // namespace carebridge::carectl

#include "tools/backup/files.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tools/backup/sqlite_file.h"

namespace carebridge::backup {
namespace fs = std::filesystem;
namespace {

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::FailedPreconditionError(
      absl::StrCat(what, " ", path, ": ", strerror(errno)));
}

// Closes a descriptor however the caller leaves.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

bool LeftOut(const std::string& name) {
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    if (absl::EndsWith(name, suffix)) return true;
  }
  return absl::StrContains(name, ".audit-index");
}

}  // namespace

absl::StatusOr<std::vector<DataFile>> ListDataFiles(
    const std::string& data_dir) {
  std::error_code error;
  if (!fs::is_directory(data_dir, error)) {
    return absl::FailedPreconditionError(
        absl::StrCat("--data_dir: ", data_dir, " is not a directory"));
  }
  std::vector<DataFile> files;
  fs::recursive_directory_iterator it(data_dir, error), end;
  for (; !error && it != end; it.increment(error)) {
    const fs::directory_entry& entry = *it;
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file(error) || LeftOut(name)) continue;
    DataFile file;
    file.path = fs::relative(entry.path(), data_dir, error).generic_string();
    file.sqlite = LooksLikeSqlite(entry.path().string());
    struct stat info;
    if (stat(entry.path().c_str(), &info) != 0) {
      return Errno("cannot read", entry.path().string());
    }
    file.mode = info.st_mode & 07777;
    files.push_back(std::move(file));
  }
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot list ", data_dir, ": ", error.message()));
  }
  std::sort(
      files.begin(), files.end(),
      [](const DataFile& a, const DataFile& b) { return a.path < b.path; });
  return files;
}

absl::StatusOr<bool> IsAbsentOrEmptyDir(const std::string& path) {
  std::error_code error;
  if (!fs::exists(path, error)) return true;
  if (!fs::is_directory(path, error)) return false;
  const bool empty = fs::is_empty(path, error);
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot list ", path, ": ", error.message()));
  }
  return empty;
}

bool IsSafeRelativePath(const std::string& path) {
  if (path.empty() || path[0] == '/') return false;
  for (absl::string_view step : absl::StrSplit(path, '/')) {
    if (step.empty() || step == "." || step == "..") return false;
  }
  return true;
}

absl::StatusOr<Digest> DigestFile(const std::string& path) {
  Fd in{open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (in.fd < 0) return Errno("cannot read", path);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                              EVP_MD_CTX_free);
  if (ctx == nullptr ||
      EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return absl::InternalError("SHA-256 is not available");
  }
  Digest digest;
  std::string buffer(1 << 16, '\0');
  while (true) {
    const ssize_t got = read(in.fd, buffer.data(), buffer.size());
    if (got < 0) {
      if (errno == EINTR) continue;
      return Errno("cannot read", path);
    }
    if (got == 0) break;
    EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<size_t>(got));
    digest.bytes += got;
  }
  unsigned char hash[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx.get(), hash, &length);
  digest.sha256 = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(hash), length));
  return digest;
}

absl::Status CopyFile(const std::string& from, const std::string& to,
                      uint32_t mode) {
  Fd in{open(from.c_str(), O_RDONLY | O_CLOEXEC)};
  if (in.fd < 0) return Errno("cannot read", from);
  Fd out{open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)};
  if (out.fd < 0) return Errno("cannot create", to);
  std::string buffer(1 << 16, '\0');
  while (true) {
    const ssize_t got = read(in.fd, buffer.data(), buffer.size());
    if (got < 0) {
      if (errno == EINTR) continue;
      return Errno("cannot read", from);
    }
    if (got == 0) break;
    for (ssize_t done = 0; done < got;) {
      const ssize_t put =
          write(out.fd, buffer.data() + done, static_cast<size_t>(got - done));
      if (put < 0) {
        if (errno == EINTR) continue;
        return Errno("cannot write", to);
      }
      done += put;
    }
  }
  if (fchmod(out.fd, mode & 07777) != 0) return Errno("cannot chmod", to);
  if (fsync(out.fd) != 0) return Errno("cannot sync", to);
  return absl::OkStatus();
}

absl::Status SyncPath(const std::string& path) {
  Fd fd{open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (fd.fd < 0) return Errno("cannot open", path);
  if (fsync(fd.fd) != 0) return Errno("cannot sync", path);
  return absl::OkStatus();
}

}  // namespace carebridge::backup

#ifndef CAREBRIDGE_SERVICES_COMMON_FILE_UTIL_H_
#define CAREBRIDGE_SERVICES_COMMON_FILE_UTIL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace carebridge {

// The whole file. FAILED_PRECONDITION "cannot read PATH: reason" when it
// cannot be opened; callers prefix the flag or setting it came from.
absl::StatusOr<std::string> ReadFileToString(const std::string& path);

// Replaces `path` with `contents` so that a reader sees the old file or the
// new one, never a part: written to a temporary file, fsynced, renamed into
// place, and the directory fsynced so the rename survives a power cut.
absl::Status WriteFileAtomically(const std::string& path,
                                 const std::string& contents, int mode);

// fsyncs the directory holding `path` (best effort).
void SyncParentDirectory(const std::string& path);

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_FILE_UTIL_H_

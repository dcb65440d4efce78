#ifndef CAREBRIDGE_TESTS_SUPPORT_TEMP_DIR_H_
#define CAREBRIDGE_TESTS_SUPPORT_TEMP_DIR_H_

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

#include "absl/strings/string_view.h"

namespace carebridge::testing {

// A fresh directory for one test, removed with everything in it when the
// object goes out of scope. Header-only and free of gRPC, for unit tests.
class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "carebridge-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed for " << pattern;
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // A path inside the directory.
  std::string File(absl::string_view name) const {
    return path_ + "/" + std::string(name);
  }

 private:
  std::string path_;
};

}  // namespace carebridge::testing

#endif  // CAREBRIDGE_TESTS_SUPPORT_TEMP_DIR_H_

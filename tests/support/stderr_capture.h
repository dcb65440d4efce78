#ifndef CAREBRIDGE_TESTS_SUPPORT_STDERR_CAPTURE_H_
#define CAREBRIDGE_TESTS_SUPPORT_STDERR_CAPTURE_H_

#include <stdio.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_split.h"

namespace carebridge {

// Captures what is written to stderr while it lives.
class StderrCapture {
 public:
  StderrCapture() {
    fflush(stderr);
    saved_ = dup(STDERR_FILENO);
    file_ = tmpfile();
    dup2(fileno(file_), STDERR_FILENO);
  }
  ~StderrCapture() {
    dup2(saved_, STDERR_FILENO);
    close(saved_);
    fclose(file_);
  }
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;

  // Every line written so far.
  std::vector<std::string> Lines() {
    fflush(stderr);
    std::string text;
    rewind(file_);
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof(buffer), file_)) > 0) {
      text.append(buffer, n);
    }
    return absl::StrSplit(text, '\n', absl::SkipEmpty());
  }

 private:
  int saved_;
  FILE* file_;
};

}  // namespace carebridge

#endif  // CAREBRIDGE_TESTS_SUPPORT_STDERR_CAPTURE_H_

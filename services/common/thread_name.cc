#include "services/common/thread_name.h"

#include <pthread.h>

#include <string>

namespace carebridge {

void NameThisThread(absl::string_view name) {
  // The kernel's limit: 16 bytes with the terminating NUL.
  constexpr size_t kMaxName = 15;
  const std::string kept(name.substr(0, kMaxName));
  pthread_setname_np(pthread_self(), kept.c_str());
}

}  // namespace carebridge

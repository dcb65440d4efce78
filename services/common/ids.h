#ifndef CAREBRIDGE_SERVICES_COMMON_IDS_H_
#define CAREBRIDGE_SERVICES_COMMON_IDS_H_

#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace carebridge {

// Makes resource ids: 20 lowercase base32 characters (100 random bits), safe
// in resource names and URLs. Seedable so tests are repeatable. This class is
// thread-safe.
class IdGenerator {
 public:
  // Seeds from std::random_device when no seed is given.
  explicit IdGenerator(std::optional<uint64_t> seed = std::nullopt);
  std::string NewId() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  absl::Mutex mu_;
  std::mt19937_64 engine_ ABSL_GUARDED_BY(mu_);
};

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_IDS_H_

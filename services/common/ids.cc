#include "services/common/ids.h"

namespace carebridge {
namespace {
constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
constexpr int kIdLength = 20;

uint64_t SeedFromDevice() {
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ device();
}
}  // namespace

IdGenerator::IdGenerator(std::optional<uint64_t> seed)
    : engine_(seed.has_value() ? *seed : SeedFromDevice()) {}

std::string IdGenerator::NewId() {
  uint64_t a, b;
  {
    absl::MutexLock lock(&mu_);
    a = engine_();
    b = engine_();
  }
  std::string id(kIdLength, 'a');
  for (int i = 0; i < kIdLength; ++i) {
    uint64_t& source = i < 12 ? a : b;
    id[i] = kAlphabet[source & 31];
    source >>= 5;
  }
  return id;
}

}  // namespace carebridge

#ifndef CAREBRIDGE_TESTS_BENCHMARK_RECORD_GENERATOR_H_
#define CAREBRIDGE_TESTS_BENCHMARK_RECORD_GENERATOR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "carebridge/events/v1/events.pb.h"

namespace carebridge::bench {

// Events of the four feeds as the services would write them, for persons
// whose care goes through referrals (some declined, one accepted), care
// plan versions and handovers: the record's input without running the
// services. Per feed, in sequence order.
struct GeneratedFeeds {
  std::vector<events::v1::Event> directory;
  std::vector<events::v1::Event> referral;
  std::vector<events::v1::Event> careplan;
  std::vector<events::v1::Event> handover;
  int64_t total() const {
    return static_cast<int64_t>(directory.size() + referral.size() +
                                careplan.size() + handover.size());
  }
};

// `persons` persons (`persons/p{n}` from n = `first_person`) with exactly
// `events_per_person` events each (at least 9: a registration and rounds of
// 8, then care plan updates to make up the rest), among `teams` teams,
// starting at `start`, a minute apart. Deterministic.
GeneratedFeeds GenerateFeeds(int first_person, int persons,
                             int events_per_person, int teams,
                             absl::Time start);

}  // namespace carebridge::bench

#endif  // CAREBRIDGE_TESTS_BENCHMARK_RECORD_GENERATOR_H_

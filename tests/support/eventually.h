#ifndef CAREBRIDGE_TESTS_SUPPORT_EVENTUALLY_H_
#define CAREBRIDGE_TESTS_SUPPORT_EVENTUALLY_H_

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace carebridge::testing {

// Polls `done` every millisecond until it holds or `timeout` passes; true
// if it held. For what another thread does in its own time (a feed
// delivered, a task run), never instead of a sync point the code offers.
template <typename Predicate>
bool Eventually(Predicate done, absl::Duration timeout = absl::Seconds(10)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

}  // namespace carebridge::testing

#endif  // CAREBRIDGE_TESTS_SUPPORT_EVENTUALLY_H_

#ifndef CAREBRIDGE_SERVICES_DIRECTORY_LOOKUP_LIMITER_H_
#define CAREBRIDGE_SERVICES_DIRECTORY_LOOKUP_LIMITER_H_

#include <deque>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/directory/lookup_ledger.h"

namespace carebridge::directory {

// How many person lookups one member may make: at most `max_lookups` in
// any `window`. A clinician looks people up to refer them, a few an hour;
// walking the register by NHS number or by name and birth date is bulk
// enumeration and is refused. Counted in `ledger` when given (every
// replica of the directory, and a restart, see the same count), else in
// memory in this process. This class is thread-safe.
class LookupLimiter {
 public:
  static constexpr int kDefaultMaxLookups = 60;
  static constexpr absl::Duration kDefaultWindow = absl::Hours(1);

  // `clock` and `ledger` (may be null) outlive this.
  explicit LookupLimiter(const Clock* clock, LookupLedger* ledger = nullptr,
                         int max_lookups = kDefaultMaxLookups,
                         absl::Duration window = kDefaultWindow)
      : clock_(clock),
        ledger_(ledger),
        max_lookups_(max_lookups),
        window_(window) {}

  // Counts a lookup by `subject`, or RESOURCE_EXHAUSTED (counting nothing)
  // naming the subject, the limit and when the next lookup is allowed.
  absl::Status Admit(absl::string_view subject) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // RESOURCE_EXHAUSTED for `subject`, whose earliest lookup in the window
  // was at `earliest`.
  absl::Status Refused(absl::string_view subject, absl::Time earliest) const;

  const Clock* const clock_;
  LookupLedger* const ledger_;
  const int max_lookups_;
  const absl::Duration window_;
  absl::Mutex mu_;
  // Each subject's lookups within the window, oldest first.
  absl::flat_hash_map<std::string, std::deque<absl::Time>> recent_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace carebridge::directory

#endif  // CAREBRIDGE_SERVICES_DIRECTORY_LOOKUP_LIMITER_H_

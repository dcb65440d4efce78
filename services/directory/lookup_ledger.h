#ifndef CAREBRIDGE_SERVICES_DIRECTORY_LOOKUP_LEDGER_H_
#define CAREBRIDGE_SERVICES_DIRECTORY_LOOKUP_LEDGER_H_

#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace carebridge::directory {

// Where person lookups are counted (LookupLimiter) when the count must
// outlive a process and be shared by the directory's replicas: its
// database (DirectoryStore).
class LookupLedger {
 public:
  virtual ~LookupLedger() = default;
  // Counts a lookup by `subject` at `now`, unless `max` of theirs are
  // counted after `since` (older ones may be forgotten): nullopt when
  // counted, else the earliest of those, counting nothing.
  virtual absl::StatusOr<std::optional<absl::Time>> CountLookup(
      absl::string_view subject, absl::Time now, absl::Time since, int max) = 0;
};

}  // namespace carebridge::directory

#endif  // CAREBRIDGE_SERVICES_DIRECTORY_LOOKUP_LEDGER_H_

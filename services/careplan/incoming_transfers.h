#ifndef CAREBRIDGE_SERVICES_CAREPLAN_INCOMING_TRANSFERS_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_INCOMING_TRANSFERS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace carebridge::careplan {

// The referrals and handovers about a person still awaiting a team's
// answer: what lets a team that is asked to take a person on read their
// crisis plan and communication preferences before it answers (at 3 am, a
// crisis team must know what helps before it accepts). The care plan
// service does not follow those loops; the record service does
// (RecordIncomingTransfers asks it).
class IncomingTransfers {
 public:
  virtual ~IncomingTransfers() = default;
  // The names (`referrals/{id}`, `handovers/{id}`) of the referrals and
  // handovers about `person` (`persons/{id}`) awaiting `team`'s
  // (`teams/{id}`) answer now; empty when none. An error when it cannot be
  // told.
  virtual absl::StatusOr<std::vector<std::string>> AwaitingAnswerFrom(
      absl::string_view person, absl::string_view team) = 0;
};

}  // namespace carebridge::careplan

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_INCOMING_TRANSFERS_H_

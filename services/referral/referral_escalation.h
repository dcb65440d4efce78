#ifndef CAREBRIDGE_SERVICES_REFERRAL_REFERRAL_ESCALATION_H_
#define CAREBRIDGE_SERVICES_REFERRAL_REFERRAL_ESCALATION_H_

// The deadline scan (ARCHITECTURE.md invariant 3: nothing overdue goes
// unseen).

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/referral/referral_store.h"

namespace carebridge::referral {

// Escalates every referral in `store` awaiting an answer past its
// response_due_time at `now` that is not escalated yet: sets escalate_time
// and update_time to `now`, records history ESCALATED (no state change,
// actor `services/referral`) and appends the event `referral.escalated`,
// one compare-and-swap write per referral. A referral that changed since it
// was read is read again and escalated only if it still awaits an answer
// and escalation, so one answered meanwhile is never escalated and none is
// escalated twice, however many scans run at once.
// Returns how many it escalated.
absl::StatusOr<int> EscalateOverdueReferrals(ReferralStore& store,
                                             absl::Time now);

}  // namespace carebridge::referral

#endif  // CAREBRIDGE_SERVICES_REFERRAL_REFERRAL_ESCALATION_H_

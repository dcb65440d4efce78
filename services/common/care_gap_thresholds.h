#ifndef CAREBRIDGE_SERVICES_COMMON_CARE_GAP_THRESHOLDS_H_
#define CAREBRIDGE_SERVICES_COMMON_CARE_GAP_THRESHOLDS_H_

#include "absl/time/time.h"

namespace carebridge {

// When a cause becomes a care gap (the record service's GapKind rules): a
// deployment's setting (carebridge-server --gap_* flags), so a commissioner
// can judge "bounced" by its own local standard.
struct CareGapThresholds {
  // BOUNCED: this many different teams declining or redirecting within
  // `bounce_window`, with no acceptance since.
  int bounce_teams = 3;
  absl::Duration bounce_window = absl::Hours(24 * 90);
  // ONWARD_ROUTE_NOT_TAKEN: no new referral this long after a decline.
  absl::Duration onward_route_grace = absl::Hours(24 * 14);
  // PLAN_NOT_AGREED: the plan not agreed for this long.
  absl::Duration agreement_grace = absl::Hours(24 * 28);
  // BREAK_GLASS_NOT_REVIEWED: a break-glass access not reviewed this long
  // after it was opened (zero: at once, as every access is to be reviewed).
  absl::Duration break_glass_review_grace = absl::ZeroDuration();
};

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_CARE_GAP_THRESHOLDS_H_

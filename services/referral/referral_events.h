#ifndef CAREBRIDGE_SERVICES_REFERRAL_REFERRAL_EVENTS_H_
#define CAREBRIDGE_SERVICES_REFERRAL_REFERRAL_EVENTS_H_

// What the referral service tells other services (feed `referral`): one
// event per change, its payload the referral as the API presents it after
// the change.

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "carebridge/events/v1/events.pb.h"
#include "carebridge/referral/v1/referral.pb.h"
#include "services/referral/referral_state.h"
#include "services/referral/referral_store.h"

namespace carebridge::referral {

// Event types (referral.proto lists them at Subscribe).
inline constexpr char kReferralCreated[] = "referral.created";
inline constexpr char kReferralEscalated[] = "referral.escalated";

// The actor of changes the service makes itself (the deadline scan).
inline constexpr char kReferralServiceActor[] = "services/referral";

// `referral.acknowledged`, `referral.declined`, ...: the event `action`
// writes.
std::string EventTypeFor(ReferralAction action);

// The API view of a stored referral at `now`: etag from the version,
// `overdue` from the deadline.
v1::Referral Present(const StoredReferral& stored, absl::Time now);

// The event for a change `actor` made at `time` that left the referral as
// `after` (the API view, without the risk summary, which the person's
// sharing choices decide on): subject the referral, person its person,
// teams the sending and the receiving team.
events::v1::Event ReferralChangeEvent(absl::string_view type,
                                      const v1::Referral& after,
                                      absl::string_view actor, absl::Time time);

// The etag a referral at `version` shows.
std::string EtagOf(int64_t version);

}  // namespace carebridge::referral

#endif  // CAREBRIDGE_SERVICES_REFERRAL_REFERRAL_EVENTS_H_

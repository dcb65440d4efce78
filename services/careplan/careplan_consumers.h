#ifndef CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_CONSUMERS_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_CONSUMERS_H_

#include <memory>

#include "absl/time/time.h"
#include "services/careplan/careplan_domain.h"
#include "services/common/channel_provider.h"
#include "services/common/event_consumer.h"
#include "services/common/service_credentials.h"

namespace carebridge::careplan {

// The feeds the care plan service applies, as its cursors name them.
inline constexpr char kReferralFeed[] = "referral";
inline constexpr char kHandoverFeed[] = "handover";

// A consumer of the referral service's accepted referrals, applied by
// `domain` (CarePlanDomain::ApplyEvent keeps the cursor). Not started.
// `apply_delay` is for fault-injection tests only: a pause before each
// event, so a test can kill the process part-way through a backlog.
std::unique_ptr<EventConsumer> MakeReferralConsumer(
    ChannelProvider referral_channel, ServiceCredentials* credentials,
    CarePlanDomain* domain, absl::Duration apply_delay = absl::ZeroDuration());
// The same for the handover service's accepted handovers.
std::unique_ptr<EventConsumer> MakeHandoverConsumer(
    ChannelProvider handover_channel, ServiceCredentials* credentials,
    CarePlanDomain* domain, absl::Duration apply_delay = absl::ZeroDuration());

}  // namespace carebridge::careplan

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_CONSUMERS_H_

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

// What every consumer of the care plan service needs: `ledger` (cursors,
// epochs, parked events, in careplan.db), the clock, and `domain`, which
// applies events (CarePlanDomain::ApplyEvent records the position).
// `coordination` is the ledger's database: replicas of the care plan
// service on one PostgreSQL follow each feed one at a time through its
// locks (EventConsumer::Options::coordination).
// `apply_delay` is for fault-injection tests only: a pause before each
// event, so a test can kill the process part-way through a backlog.
struct ConsumerDeps {
  ServiceCredentials* credentials = nullptr;
  const Clock* clock = nullptr;
  ConsumerLedger* ledger = nullptr;
  Database* coordination = nullptr;
  CarePlanDomain* domain = nullptr;
  absl::Duration apply_delay = absl::ZeroDuration();
};

// A consumer of the referral service's accepted referrals
// (`careplan.referral`). Not started.
std::unique_ptr<EventConsumer> MakeReferralConsumer(
    ChannelProvider referral_channel, const ConsumerDeps& deps);
// The same for the handover service's accepted handovers
// (`careplan.handover`).
std::unique_ptr<EventConsumer> MakeHandoverConsumer(
    ChannelProvider handover_channel, const ConsumerDeps& deps);

}  // namespace carebridge::careplan

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_CONSUMERS_H_

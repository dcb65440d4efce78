#include "services/careplan/careplan_consumers.h"

#include <string>
#include <utility>

#include "absl/time/clock.h"
#include "carebridge/handover/v1/handover.grpc.pb.h"
#include "carebridge/referral/v1/referral.grpc.pb.h"
#include "services/common/feed_opener.h"

namespace carebridge::careplan {
namespace {

template <typename Service>
std::unique_ptr<EventConsumer> MakeConsumer(const std::string& feed,
                                            const std::string& type,
                                            ChannelProvider provider,
                                            const ConsumerDeps& deps) {
  EventConsumer::Options options;
  options.consumer = "careplan";
  options.feed = feed;
  options.type_prefixes = {type};
  options.coordination = deps.coordination;
  return std::make_unique<EventConsumer>(
      std::move(options), deps.credentials, deps.clock, deps.ledger,
      OpenFeedOf<Service>(std::move(provider)),
      [domain = deps.domain, apply_delay = deps.apply_delay](
          const events::v1::Event& event, const FeedPosition& position) {
        if (apply_delay > absl::ZeroDuration()) absl::SleepFor(apply_delay);
        return domain->ApplyEvent(event, position);
      });
}

}  // namespace

std::unique_ptr<EventConsumer> MakeReferralConsumer(
    ChannelProvider referral_channel, const ConsumerDeps& deps) {
  return MakeConsumer<referral::v1::ReferralService>(
      kReferralFeed, "referral.accepted", std::move(referral_channel), deps);
}

std::unique_ptr<EventConsumer> MakeHandoverConsumer(
    ChannelProvider handover_channel, const ConsumerDeps& deps) {
  return MakeConsumer<handover::v1::HandoverService>(
      kHandoverFeed, "handover.accepted", std::move(handover_channel), deps);
}

}  // namespace carebridge::careplan

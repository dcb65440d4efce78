#include "services/careplan/careplan_consumers.h"

#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "carebridge/handover/v1/handover.grpc.pb.h"
#include "carebridge/referral/v1/referral.grpc.pb.h"

namespace carebridge::careplan {
namespace {

using events::v1::SubscribeResponse;
using Reader = grpc::ClientReaderInterface<SubscribeResponse>;

// The stream when the provider has no channel yet: it ends at once with
// UNAVAILABLE, so the consumer backs off and asks again.
class NoChannelReader : public Reader {
 public:
  void WaitForInitialMetadata() override {}
  bool NextMessageSize(uint32_t* size) override {
    *size = 0;
    return false;
  }
  bool Read(SubscribeResponse*) override { return false; }
  grpc::Status Finish() override {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        "careplan: no channel to the producing service yet");
  }
};

// Opens `Service`'s Subscribe stream over the provider's channel, made into
// a stub on first success and kept.
template <typename Service>
class FeedOpener {
 public:
  explicit FeedOpener(ChannelProvider provider)
      : provider_(std::move(provider)) {}

  std::unique_ptr<Reader> Open(grpc::ClientContext* context,
                               const events::v1::SubscribeRequest& request)
      ABSL_LOCKS_EXCLUDED(mu_) {
    typename Service::Stub* stub = nullptr;
    {
      absl::MutexLock lock(&mu_);
      if (stub_ == nullptr) {
        std::shared_ptr<grpc::Channel> channel = provider_();
        if (channel == nullptr) return std::make_unique<NoChannelReader>();
        stub_ = Service::NewStub(channel);
      }
      stub = stub_.get();
    }
    return stub->Subscribe(context, request);
  }

 private:
  const ChannelProvider provider_;
  absl::Mutex mu_;
  std::unique_ptr<typename Service::Stub> stub_ ABSL_GUARDED_BY(mu_);
};

template <typename Service>
std::unique_ptr<EventConsumer> MakeConsumer(const std::string& feed,
                                            const std::string& type,
                                            ChannelProvider provider,
                                            const ConsumerDeps& deps) {
  auto opener = std::make_shared<FeedOpener<Service>>(std::move(provider));
  EventConsumer::Options options;
  options.consumer = "careplan";
  options.feed = feed;
  options.type_prefixes = {type};
  return std::make_unique<EventConsumer>(
      std::move(options), deps.credentials, deps.clock, deps.ledger,
      [opener](grpc::ClientContext* context,
               const events::v1::SubscribeRequest& request) {
        return opener->Open(context, request);
      },
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

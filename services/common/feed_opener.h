#ifndef CAREBRIDGE_SERVICES_COMMON_FEED_OPENER_H_
#define CAREBRIDGE_SERVICES_COMMON_FEED_OPENER_H_

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/sync_stream.h>

#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "carebridge/events/v1/events.pb.h"
#include "services/common/channel_provider.h"
#include "services/common/event_consumer.h"

namespace carebridge {

// The stream when the provider has no channel yet: it ends at once with
// UNAVAILABLE, so the consumer backs off and asks again.
class NoChannelReader
    : public grpc::ClientReaderInterface<events::v1::SubscribeResponse> {
 public:
  void WaitForInitialMetadata() override {}
  bool NextMessageSize(uint32_t* size) override {
    *size = 0;
    return false;
  }
  bool Read(events::v1::SubscribeResponse*) override { return false; }
  grpc::Status Finish() override {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        "no channel to the producing service yet");
  }
};

// Opens `Service`'s Subscribe stream over the provider's channel, made into
// a stub on first success and kept. Thread-safe.
template <typename Service>
class FeedOpener {
 public:
  explicit FeedOpener(ChannelProvider provider)
      : provider_(std::move(provider)) {}

  std::unique_ptr<grpc::ClientReaderInterface<events::v1::SubscribeResponse>>
  Open(grpc::ClientContext* context,
       const events::v1::SubscribeRequest& request) ABSL_LOCKS_EXCLUDED(mu_) {
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

// An EventConsumer::StreamOpener for `Service`'s feed over `provider`.
template <typename Service>
EventConsumer::StreamOpener OpenFeedOf(ChannelProvider provider) {
  auto opener = std::make_shared<FeedOpener<Service>>(std::move(provider));
  return [opener](grpc::ClientContext* context,
                  const events::v1::SubscribeRequest& request) {
    return opener->Open(context, request);
  };
}

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_FEED_OPENER_H_

#ifndef CAREBRIDGE_SERVICES_COMMON_FEED_ADMIN_H_
#define CAREBRIDGE_SERVICES_COMMON_FEED_ADMIN_H_

#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "carebridge/events/v1/feed_admin.pb.h"
#include "services/common/clock.h"
#include "services/common/event_consumer.h"
#include "services/common/metrics.h"
#include "services/common/principal.h"

namespace carebridge {

// The operators' view of the consumers one process hosts
// (carebridge.events.v1.FeedAdminService): their lag, their parked events,
// and the administrator's actions on them. Admins only; parked events are
// shown without their payload (admins see metadata, never clinical
// content). This class is thread-safe.
class FeedAdmin {
 public:
  explicit FeedAdmin(const Clock* clock) : clock_(clock) {}

  // Registers a consumer (it outlives this, or is removed first).
  void Add(EventConsumer* consumer) ABSL_LOCKS_EXCLUDED(mu_);
  void Remove(EventConsumer* consumer) ABSL_LOCKS_EXCLUDED(mu_);

  absl::StatusOr<events::v1::ListConsumersResponse> ListConsumers(
      const Principal& caller) ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<events::v1::ListParkedEventsResponse> ListParkedEvents(
      const Principal& caller,
      const events::v1::ListParkedEventsRequest& request)
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<events::v1::ParkedEvent> RetryParkedEvent(
      const Principal& caller,
      const events::v1::RetryParkedEventRequest& request)
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<events::v1::ParkedEvent> DismissParkedEvent(
      const Principal& caller,
      const events::v1::DismissParkedEventRequest& request)
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<events::v1::Consumer> ResetConsumer(
      const Principal& caller, const events::v1::ResetConsumerRequest& request)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Each consumer's cursor, lag (events and seconds), parked events and
  // whether it is following, for a metrics scrape.
  void CollectMetrics(MetricSink& sink) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // The consumer named `consumers/{name}`; NOT_FOUND naming `field`.
  absl::StatusOr<EventConsumer*> Find(absl::string_view field,
                                      absl::string_view name)
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // `consumers/{c}/parkedEvents/{n}`: the consumer and the parked event's id.
  absl::StatusOr<std::pair<EventConsumer*, int64_t>> FindParked(
      absl::string_view name) ABSL_SHARED_LOCKS_REQUIRED(mu_);
  absl::StatusOr<events::v1::Consumer> Describe(EventConsumer* consumer);
  absl::StatusOr<events::v1::ParkedEvent> ReadParked(EventConsumer* consumer,
                                                     int64_t id);

  const Clock* const clock_;
  // Held shared for the whole of each call, so Remove (exclusive) returns
  // only once no call uses the consumer any more.
  absl::Mutex mu_;
  std::vector<EventConsumer*> consumers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_FEED_ADMIN_H_

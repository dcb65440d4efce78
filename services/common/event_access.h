#ifndef CAREBRIDGE_SERVICES_COMMON_EVENT_ACCESS_H_
#define CAREBRIDGE_SERVICES_COMMON_EVENT_ACCESS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "carebridge/events/v1/events.pb.h"
#include "services/common/policy.h"
#include "services/common/principal.h"

namespace carebridge {

// Decides, when an event is about to be delivered, what a subscriber may see
// of it: need to know at the moment of delivery, not at the moment the event
// was written. A feed asks once per event per subscriber, so answers must be
// cheap (from memory where they can). Implementations are thread-safe.
class EventAccess {
 public:
  virtual ~EventAccess() = default;

  virtual absl::StatusOr<policy::EventVisibility> VisibilityNow(
      const Principal& caller, const events::v1::Event& event) = 0;

  // Whether `caller` may open the subscription `request` asks for (a valid
  // one): OK or why not, before anything is sent. Only a feed of team
  // inboxes is read by team (SubscribeRequest.team); the others refuse it.
  virtual absl::Status Admit(const Principal& caller,
                             const events::v1::SubscribeRequest& request) {
    (void)caller;
    if (request.team().empty()) return absl::OkStatus();
    return absl::InvalidArgumentError(
        "team: only the record's team inbox (RecordService.Subscribe) is "
        "read by team; this feed has no inboxes");
  }

  // `event` as `caller` receives it, shaped in place: VisibilityNow, and
  // without its payload when that says kMetadataOnly. A feed may narrow
  // more of it (the teams it names, say) for callers the resource's rules
  // show less to. What the feeds call.
  virtual absl::StatusOr<policy::EventVisibility> Present(
      const Principal& caller, events::v1::Event& event) {
    absl::StatusOr<policy::EventVisibility> visibility =
        VisibilityNow(caller, event);
    if (visibility.ok() &&
        *visibility == policy::EventVisibility::kMetadataOnly) {
      event.clear_payload();
    }
    return visibility;
  }
};

// policy::EventVisibilityFor alone: right for feeds whose events name, in
// `teams`, the teams entitled to the resource for its whole life (a
// referral's or handover's sending and receiving team).
class StaticEventAccess : public EventAccess {
 public:
  absl::StatusOr<policy::EventVisibility> VisibilityNow(
      const Principal& caller, const events::v1::Event& event) override {
    return policy::EventVisibilityFor(caller, event);
  }
};

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_EVENT_ACCESS_H_

#ifndef CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_EVENT_ACCESS_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_EVENT_ACCESS_H_

#include <functional>
#include <string>
#include <utility>

#include "services/careplan/careplan_sharing.h"
#include "services/careplan/careplan_store.h"
#include "services/common/event_access.h"

namespace carebridge::careplan {

// Need to know for the `careplan` feed at the moment of delivery
// (policy::CarePlanEventVisibility): a clinical subscriber's team must be on
// the person's care team in the current plan, read from `store` (the
// caching store answers from memory). This class is thread-safe.
class CarePlanEventAccess : public EventAccess {
 public:
  // What `caller` is shown, under the person's sharing choices, of the
  // plan whose current version is the one given.
  using PartsShown = std::function<absl::StatusOr<SharedParts>(
      const Principal& caller, const v1::CarePlan& current)>;

  // `store` and `durable` outlive this. `durable` is the store `store`
  // caches (or null when it caches nothing): it is asked when an event is
  // newer than what `store` shows, as it is between a commit (which wakes
  // the feeds) and the cache taking the new version in; a version written
  // after the event may have ended the subscriber's involvement.
  explicit CarePlanEventAccess(CarePlanStore* store,
                               CarePlanStore* durable = nullptr)
      : store_(store), durable_(durable) {}

  // From now on a subscriber `parts_shown` says is not shown the whole
  // plan gets events without their payload, and one not shown the care
  // team gets events naming, of the teams, only its own and the lead team.
  // Call before serving.
  void SetSharing(PartsShown parts_shown) {
    parts_shown_ = std::move(parts_shown);
  }

  absl::StatusOr<policy::EventVisibility> VisibilityNow(
      const Principal& caller, const events::v1::Event& event) override;
  absl::StatusOr<policy::EventVisibility> Present(
      const Principal& caller, events::v1::Event& event) override;

 private:
  CarePlanStore* const store_;
  CarePlanStore* const durable_;
  PartsShown parts_shown_;

  // VisibilityNow, and in `parts` what sharing shows the caller (all of it
  // when sharing is not what hides or narrows the event).
  absl::StatusOr<policy::EventVisibility> Decide(const Principal& caller,
                                                 const events::v1::Event& event,
                                                 SharedParts& parts,
                                                 std::string& lead_team);
};

// True when `event` (a care plan version) is the one in which `team`'s
// involvement ended: the version changed the care team, and shows the team
// no longer involved, its entry ended at the version's time.
bool EventEndedInvolvement(const events::v1::Event& event,
                           absl::string_view team);

}  // namespace carebridge::careplan

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_EVENT_ACCESS_H_

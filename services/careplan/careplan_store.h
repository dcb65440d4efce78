#ifndef CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_STORE_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "carebridge/careplan/v1/careplan.pb.h"
#include "services/common/consumer_ledger.h"

namespace carebridge::careplan {

// A write's idempotency key: the team that wrote, its request_id, and a
// fingerprint of the change so a retry can be told from a reused id.
struct PlanRequestKey {
  std::string team;
  std::string request_id;
  std::string fingerprint;
};

// What a request_id made the first time.
struct PlanRequestRecord {
  int64_t version = 0;
  std::string fingerprint;
};

// An event of another service's feed (`referral`, `handover`) that the care
// plan service applies is named by a FeedPosition (consumer_ledger.h): its
// cursor moves, or its parked record is marked applied, with the version.

// The newest version of a plan, shared read-only between calls.
struct CurrentPlan {
  // As stored (no `name` or `etag`).
  v1::CarePlan plan;
  // `plan` serialized.
  std::string wire;
};

// Persists care plans as a chain of immutable versions per person. Plans
// are keyed by the person's id (the `{person_id}` of `persons/{person_id}`);
// the plan stored is the whole resource at that version, with `version`,
// `change`, `section_stamps`, `care_team`, `agreement` filled in and `name`
// and `etag` left for the caller to present. Every method is atomic.
//
// The store is also the care plan service's outbox: every version appended
// commits, in the same transaction, with its event in the `careplan` feed
// (VersionEvent in careplan_events.h: the event is determined by the version,
// so no version can be stored without it). And it keeps the consumer cursors
// of the feeds the service applies, moved in the same transaction as the
// version an event made. Implementations must be thread-safe.
class CarePlanStore {
 public:
  virtual ~CarePlanStore() = default;

  // The newest version; NOT_FOUND when the person has no plan.
  virtual absl::StatusOr<v1::CarePlan> GetCurrent(
      absl::string_view person_id) = 0;

  // The newest version as shared, immutable data with its wire form, for
  // the hot read path. This default reads and serializes it; a caching
  // store answers from memory.
  virtual absl::StatusOr<std::shared_ptr<const CurrentPlan>> GetCurrentShared(
      absl::string_view person_id);

  // Appends `plan` as version `plan.version()` in one transaction, which
  // must be exactly one after the newest stored (1 for a new plan): when
  // another write got there first it is ABORTED and nothing is stored (the
  // compare-and-swap that makes etags safe). When `request` is given, the
  // key is recorded with the version in the same transaction; a key the team
  // already used for this person is ALREADY_EXISTS and nothing is stored.
  virtual absl::Status Append(absl::string_view person_id,
                              const v1::CarePlan& plan,
                              const PlanRequestKey* request) = 0;

  // Append for a version made by applying another service's event: the
  // cursor of `applied.feed` moves to `applied.sequence` (or, for a retry of
  // a parked event, it is marked applied) in the same transaction. When the
  // event is not pending any more (applied already), ALREADY_EXISTS and
  // nothing is stored.
  virtual absl::Status AppendApplied(absl::string_view person_id,
                                     const v1::CarePlan& plan,
                                     const FeedPosition& applied) = 0;
  // Records the event applied alone, for an event that changes no plan. An
  // event not pending any more was applied already: OK, nothing written.
  virtual absl::Status RecordApplied(const FeedPosition& applied) = 0;
  // Whether the event still needs applying (see IsPending).
  virtual absl::StatusOr<bool> IsPending(const FeedPosition& position) = 0;
  // The last sequence applied from `feed`; 0 when none was.
  virtual absl::StatusOr<int64_t> AppliedThrough(absl::string_view feed) = 0;

  // What `team` made with `request_id` on this person's plan, if anything.
  virtual absl::StatusOr<std::optional<PlanRequestRecord>> FindRequest(
      absl::string_view person_id, absl::string_view team,
      absl::string_view request_id) = 0;

  // One version; NOT_FOUND when the plan or the version does not exist.
  virtual absl::StatusOr<v1::CarePlan> GetVersion(absl::string_view person_id,
                                                  int64_t version) = 0;

  // Up to `limit` versions, newest first, starting below `before_version`
  // (exclusive; 0 starts at the newest). Empty when there are none.
  virtual absl::StatusOr<std::vector<v1::CarePlan>> ListVersions(
      absl::string_view person_id, int64_t before_version, int limit) = 0;
};

}  // namespace carebridge::careplan

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_STORE_H_

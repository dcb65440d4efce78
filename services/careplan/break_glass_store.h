#ifndef CAREBRIDGE_SERVICES_CAREPLAN_BREAK_GLASS_STORE_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_BREAK_GLASS_STORE_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "carebridge/careplan/v1/careplan.pb.h"

namespace carebridge::careplan {

// Whether two reviews are the same review: one reviewer, outcome and reason
// (a retry sends the same; its time is the retry's own).
bool SameBreakGlassReview(const v1::BreakGlassReview& a,
                          const v1::BreakGlassReview& b);

// Keeps every break-glass access to a person's plan, never changed or
// removed, numbered in the order they were made (the number is the access's
// id), and its review, once made. Stored without `name` or `crisis_plan`;
// read back with `review` when reviewed. Implementations must be
// thread-safe.
class BreakGlassStore {
 public:
  virtual ~BreakGlassStore() = default;

  // Records `access` to person `person_id`'s plan; returns its number.
  virtual absl::StatusOr<int64_t> Insert(
      absl::string_view person_id, const v1::BreakGlassAccess& access) = 0;

  // The newest access `member` made to the person's plan, if any.
  virtual absl::StatusOr<std::optional<v1::BreakGlassAccess>> Latest(
      absl::string_view person_id, absl::string_view member) = 0;

  // Access number `seq` to the person's plan; NOT_FOUND when the person has
  // none of that number.
  virtual absl::StatusOr<v1::BreakGlassAccess> Get(absl::string_view person_id,
                                                   int64_t seq) = 0;

  // Records `review` of access `seq` to the person's plan, in one
  // transaction, and returns the access with it. The team told of the
  // review is the person's lead team when it commits (none when nobody
  // leads), decided in that transaction: not the access's `lead_team`, the
  // lead when it was opened, which may have handed over since, nor a lead
  // read before a handover that commits first. When the access has a
  // review already: the same review (SameBreakGlassReview: a retry) returns
  // it, with nothing written; another is FAILED_PRECONDITION naming who
  // reviewed it and when, and nothing commits (nor the call's audit record
  // as a success). NOT_FOUND as Get.
  virtual absl::StatusOr<v1::BreakGlassAccess> Review(
      absl::string_view person_id, int64_t seq,
      const v1::BreakGlassReview& review) = 0;

  // Up to `limit` accesses with their numbers, newest first, numbered below
  // `before` (0: from the newest): the person's, or every person's when
  // `person_id` is empty; only those with no review when `unreviewed_only`.
  virtual absl::StatusOr<std::vector<std::pair<int64_t, v1::BreakGlassAccess>>>
  List(absl::string_view person_id, int64_t before, int limit,
       bool unreviewed_only) = 0;
};

}  // namespace carebridge::careplan

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_BREAK_GLASS_STORE_H_

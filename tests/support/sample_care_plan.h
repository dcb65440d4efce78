#ifndef CAREBRIDGE_TESTS_SUPPORT_SAMPLE_CARE_PLAN_H_
#define CAREBRIDGE_TESTS_SUPPORT_SAMPLE_CARE_PLAN_H_

#include <string>

#include "absl/types/span.h"
#include "carebridge/careplan/v1/careplan.pb.h"
#include "google/protobuf/field_mask.pb.h"

namespace carebridge::testing {

// The content of a realistic, co-produced care plan, the same on every call:
// 10 goals in the person's own words, 20 actions with statuses and dates, a
// crisis plan with every field written and 3 contacts, communication
// preferences with 2 supporters, and a review date. Only the content
// sections are set (no name, care team, version or etag): set `name` and
// send it with SampleCarePlanMask() as a plan's first UpdateCarePlan.
//
// `owning_teams` (`teams/{id}`) are, in order, the care coordination team
// (which should write the plan first and so lead), a crisis team and a
// voluntary-sector team; each action is owned by the one whose work it
// describes. With fewer than three teams the roles wrap around (one team owns
// everything). `owning_teams` must not be empty.
// Free of gtest and gRPC, for tests and the benchmark alike.
carebridge::careplan::v1::CarePlan SampleCarePlan(
    absl::Span<const std::string> owning_teams);

// The update_mask that writes every section SampleCarePlan fills.
google::protobuf::FieldMask SampleCarePlanMask();

}  // namespace carebridge::testing

#endif  // CAREBRIDGE_TESTS_SUPPORT_SAMPLE_CARE_PLAN_H_

#include "services/careplan/careplan_size.h"

#include "services/common/resource_size.h"

namespace carebridge::careplan {

absl::Status CheckPlanSize(const v1::CarePlan& plan) {
  return CheckSerializedSize(plan, "care_plan", kMaxPlanBytes);
}

}  // namespace carebridge::careplan

#include "services/careplan/careplan_store.h"

#include <utility>

namespace carebridge::careplan {

absl::StatusOr<std::shared_ptr<const CurrentPlan>>
CarePlanStore::GetCurrentShared(absl::string_view person_id) {
  absl::StatusOr<v1::CarePlan> plan = GetCurrent(person_id);
  if (!plan.ok()) return plan.status();
  auto current = std::make_shared<CurrentPlan>();
  current->plan = *std::move(plan);
  current->wire = current->plan.SerializeAsString();
  return current;
}

}  // namespace carebridge::careplan

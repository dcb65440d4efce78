#include "services/careplan/careplan_mask.h"

#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/field_mask_util.h"
#include "services/careplan/careplan_validation.h"
#include "services/careplan/errors.h"
#include "services/common/fingerprint.h"
#include "services/common/macros.h"

namespace carebridge::careplan {
namespace {

using ::google::protobuf::FieldMask;
using ::google::protobuf::util::FieldMaskUtil;

// Copies what `mask` names from `from` into `to`, AIP-134 style: a named
// field is replaced as a whole, and cleared when `from` does not have it.
void CopyMasked(const UpdateMask& mask, const v1::CarePlan& from,
                v1::CarePlan& to) {
  FieldMask paths;
  for (const std::string& path : mask.paths) paths.add_paths(path);
  FieldMaskUtil::MergeOptions options;
  options.set_replace_message_fields(true);
  options.set_replace_repeated_fields(true);
  FieldMaskUtil::MergeMessageTo(from, paths, options, &to);
}

// The sent plan without fields this server does not know, which must not be
// stored or change a fingerprint.
v1::CarePlan KnownFields(const v1::CarePlan& sent) {
  v1::CarePlan known = sent;
  known.DiscardUnknownFields();
  return known;
}

// Gives new items ids `{prefix}{version}-{k}`; checks the others are items
// of `current` (their ids collected before the copy replaced them).
template <typename Item>
absl::Status AssignIds(google::protobuf::RepeatedPtrField<Item>& items,
                       const std::set<std::string>& current_ids,
                       absl::string_view list, absl::string_view kind,
                       absl::string_view prefix, int64_t version,
                       absl::string_view plan_name) {
  int next = 1;
  for (int i = 0; i < items.size(); ++i) {
    Item& item = items[i];
    if (item.id().empty()) {
      item.set_id(absl::StrCat(prefix, version, "-", next++));
    } else if (current_ids.count(item.id()) == 0) {
      return errors::UnknownItemId(absl::StrCat(list, "[", i, "].id"),
                                   plan_name, kind, item.id());
    }
  }
  return absl::OkStatus();
}

template <typename Item>
std::set<std::string> IdsOf(
    const google::protobuf::RepeatedPtrField<Item>& items) {
  std::set<std::string> ids;
  for (const Item& item : items) ids.insert(item.id());
  return ids;
}

// One representation of "nothing": unset dates and empty sections are
// absent, so comparing versions never sees a difference that is not one.
void Normalize(v1::CarePlan& plan) {
  for (v1::Goal& goal : *plan.mutable_goals()) {
    if (goal.status() == v1::Goal::STATUS_UNSPECIFIED) {
      goal.set_status(v1::Goal::ACTIVE);
    }
    if (goal.has_target_date() && !IsDateSet(goal.target_date())) {
      goal.clear_target_date();
    }
  }
  for (v1::Action& action : *plan.mutable_actions()) {
    if (action.status() == v1::Action::STATUS_UNSPECIFIED) {
      action.set_status(v1::Action::NOT_STARTED);
    }
    if (action.has_due_date() && !IsDateSet(action.due_date())) {
      action.clear_due_date();
    }
    if (action.has_review_date() && !IsDateSet(action.review_date())) {
      action.clear_review_date();
    }
  }
  if (plan.has_review_date() && !IsDateSet(plan.review_date())) {
    plan.clear_review_date();
  }
  if (plan.has_crisis_plan() && plan.crisis_plan().ByteSizeLong() == 0) {
    plan.clear_crisis_plan();
  }
  if (plan.has_communication_preferences() &&
      plan.communication_preferences().ByteSizeLong() == 0) {
    plan.clear_communication_preferences();
  }
}

}  // namespace

absl::Status ApplyUpdate(const v1::UpdateCarePlanRequest& request,
                         int64_t new_version, v1::CarePlan& plan) {
  ASSIGN_OR_RETURN(UpdateMask mask, ParseUpdateMask(request.update_mask()));
  v1::CarePlan next = plan;
  CopyMasked(mask, KnownFields(request.care_plan()), next);
  const std::string plan_name = absl::StrCat(plan.person(), "/carePlan");
  if (mask.goals) {
    RETURN_IF_ERROR(AssignIds(*next.mutable_goals(), IdsOf(plan.goals()),
                              "care_plan.goals", "goal", "g", new_version,
                              plan_name));
  }
  if (mask.actions) {
    RETURN_IF_ERROR(AssignIds(*next.mutable_actions(), IdsOf(plan.actions()),
                              "care_plan.actions", "action", "a", new_version,
                              plan_name));
  }
  Normalize(next);
  plan = std::move(next);
  return absl::OkStatus();
}

absl::StatusOr<std::string> UpdateFingerprint(
    const v1::UpdateCarePlanRequest& request) {
  ASSIGN_OR_RETURN(UpdateMask mask, ParseUpdateMask(request.update_mask()));
  v1::CarePlan masked;
  CopyMasked(mask, KnownFields(request.care_plan()), masked);
  const std::string content = DeterministicBytes(masked);
  // Lengths first, so no two different requests concatenate to the same
  // bytes.
  std::string paths = absl::StrJoin(mask.paths, ",");
  return Sha256Hex(absl::StrCat(paths.size(), ":", paths,
                                request.reason().size(), ":", request.reason(),
                                content));
}

}  // namespace carebridge::careplan

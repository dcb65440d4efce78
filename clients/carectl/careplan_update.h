#ifndef CAREBRIDGE_CLIENTS_CARECTL_CAREPLAN_UPDATE_H_
#define CAREBRIDGE_CLIENTS_CARECTL_CAREPLAN_UPDATE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "carebridge/careplan/v1/careplan.pb.h"
#include "clients/carectl/args.h"

namespace carebridge::carectl {

// The flags of `careplan update`.
std::vector<FlagSpec> CarePlanUpdateFlags();

// `careplan update`: the change the flags (or a JSON file) describe. Goals
// and actions are lists, so editing them is read-modify-write: the caller
// reads the current plan when NeedsCurrentPlan() and passes it to Build,
// which applies the edits and sends the whole section. Everything that can
// be checked without the plan is checked when parsing.
class CarePlanUpdate {
 public:
  // Field flags: each crisis plan or communication field is its own mask
  // path (`crisis_plan.what_helps`); goal and action flags make `goals` and
  // `actions`. Paths follow the order of the flags.
  static absl::StatusOr<CarePlanUpdate> FromFlags(absl::string_view plan,
                                                  const Flags& flags);
  // --from_file: `json` is a CarePlan in proto JSON (output-only fields such
  // as `care_team` are ignored, so `careplan show --json` output can be
  // edited and sent back). The mask is --mask, else the content sections
  // present in the file. The etag is --etag, else the file's.
  static absl::StatusOr<CarePlanUpdate> FromFile(absl::string_view plan,
                                                 const Flags& flags,
                                                 absl::string_view json);

  bool NeedsCurrentPlan() const;

  // The request. `current` is the plan just read when NeedsCurrentPlan()
  // (a default CarePlan when it does not exist yet) and is ignored
  // otherwise; its etag is used unless --etag was given. Fails when an edit
  // names a goal or action id the plan does not have, and when field flags
  // are combined with goal or action flags on an existing plan without
  // --etag (the etag just read would let them overwrite unseen changes).
  absl::StatusOr<careplan::v1::UpdateCarePlanRequest> Build(
      const careplan::v1::CarePlan& current) const;

 private:
  careplan::v1::UpdateCarePlanRequest request_;
  bool etag_given_ = false;
  std::vector<careplan::v1::Goal> added_goals_;
  std::vector<std::pair<std::string, careplan::v1::Goal::Status>>
      goal_statuses_;
  std::vector<std::string> removed_goals_;
  std::vector<careplan::v1::Action> added_actions_;
  std::vector<std::pair<std::string, careplan::v1::Action::Status>>
      action_statuses_;
  std::vector<std::string> removed_actions_;
};

}  // namespace carebridge::carectl

#endif  // CAREBRIDGE_CLIENTS_CARECTL_CAREPLAN_UPDATE_H_

#ifndef CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_VALIDATION_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_VALIDATION_H_

// Request checks that need nothing but the request: each returns
// INVALID_ARGUMENT naming the field, with 0-based indexes
// (`care_plan.goals[0].description: must be set`). Checks against the plan
// (do these goal ids exist?) and the directory (does the owning team?) are
// the domain's.

#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "carebridge/careplan/v1/careplan.pb.h"
#include "google/protobuf/field_mask.pb.h"

namespace carebridge::careplan {

// Limits the proto promises.
inline constexpr size_t kMaxGoals = 50;
inline constexpr size_t kMaxActions = 100;
inline constexpr size_t kMaxCrisisContacts = 20;
inline constexpr size_t kMaxSupporters = 10;
inline constexpr size_t kMaxReasonChars = 500;

// What an UpdateCarePlan mask names. A message section is written either
// whole (`crisis_plan`) or field by field (`crisis_plan.what_helps`).
struct UpdateMask {
  bool goals = false;
  bool actions = false;
  bool review_date = false;
  bool crisis_plan = false;
  std::set<std::string> crisis_plan_fields;
  bool communication_preferences = false;
  std::set<std::string> communication_preferences_fields;
  // The paths as given, sorted, each once.
  std::vector<std::string> paths;

  bool CoversCrisisPlanField(const std::string& field) const {
    return crisis_plan || crisis_plan_fields.count(field) > 0;
  }
  bool CoversCommunicationField(const std::string& field) const {
    return communication_preferences ||
           communication_preferences_fields.count(field) > 0;
  }
};

// `update_mask: must be set` when it has no paths; a path the update may
// not write names the method that writes it (`care_team` ->
// AddCareTeamMember, ...), or is `unknown path "foo"`. Repeats are fine.
absl::StatusOr<UpdateMask> ParseUpdateMask(
    const google::protobuf::FieldMask& mask);

// True when any part of the date is set.
bool IsDateSet(const v1::Date& date);
// OK for an unset date; else year 1900..9999 and a real calendar day:
// `care_plan.review_date: 2026-02-30 is not a date`.
absl::Status CheckDate(absl::string_view field, const v1::Date& date);

// The content `mask` names in `plan` (careplan_content_validation.cc).
absl::Status ValidateMaskedContent(const UpdateMask& mask,
                                   const v1::CarePlan& plan);

absl::Status ValidateGet(const v1::GetCarePlanRequest& request);
// Name, mask, reason, request_id, etag, and the content the mask names
// (only that: fields outside the mask are ignored).
absl::Status ValidateUpdate(const v1::UpdateCarePlanRequest& request);
absl::Status ValidateListVersions(
    const v1::ListCarePlanVersionsRequest& request);
absl::Status ValidateGetVersion(const v1::GetCarePlanVersionRequest& request);
absl::Status ValidateDiff(const v1::DiffCarePlanVersionsRequest& request);
absl::Status ValidateRecordAgreement(const v1::RecordAgreementRequest& request);
absl::Status ValidateAddCareTeamMember(
    const v1::AddCareTeamMemberRequest& request);
absl::Status ValidateEndCareTeamInvolvement(
    const v1::EndCareTeamInvolvementRequest& request);
absl::Status ValidateReviewCareTeamJoin(
    const v1::ReviewCareTeamJoinRequest& request);
absl::Status ValidateSetLeadTeam(const v1::SetLeadTeamRequest& request);
// CarePlanDomain::TransferLead's arguments (`person_id` is the bare id).
absl::Status ValidateTransferLead(absl::string_view person_id,
                                  absl::string_view from_team,
                                  absl::string_view to_team,
                                  absl::string_view role,
                                  absl::string_view reason);

}  // namespace carebridge::careplan

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_VALIDATION_H_

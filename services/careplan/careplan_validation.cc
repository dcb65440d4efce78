#include "services/careplan/careplan_validation.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "services/careplan/careplan_names.h"
#include "services/careplan/errors.h"
#include "services/common/errors.h"
#include "services/common/macros.h"
#include "services/common/validation.h"

namespace carebridge::careplan {
namespace {

constexpr char kCareTeamMethods[] =
    "AddCareTeamMember, EndCareTeamInvolvement, ReviewCareTeamJoin or "
    "SetLeadTeam";

bool IsOutputOnly(absl::string_view field) {
  static constexpr absl::string_view kOutputOnly[] = {
      "name",           "person",      "version",     "change",
      "section_stamps", "create_time", "update_time", "etag"};
  return std::find(std::begin(kOutputOnly), std::end(kOutputOnly), field) !=
         std::end(kOutputOnly);
}

// Records one path in `mask`, or says why it cannot be written.
absl::Status AddPath(int index, const std::string& path, UpdateMask& mask) {
  std::vector<std::string> parts = absl::StrSplit(path, '.');
  const std::string& head = parts[0];
  if (head == "care_team") {
    return errors::PathHasOwnMethod(index, path, kCareTeamMethods);
  }
  if (head == "lead_team") {
    return errors::PathHasOwnMethod(index, path, "SetLeadTeam");
  }
  if (head == "agreement" || head == "agreed") {
    return errors::PathHasOwnMethod(index, path, "RecordAgreement");
  }
  if (IsOutputOnly(head)) return errors::PathOutputOnly(index, path);
  if (head == "goals" || head == "actions" || head == "review_date") {
    if (parts.size() > 1) {
      return errors::PathInsideWholeSection(index, path, head);
    }
    if (head == "goals") {
      mask.goals = true;
    } else if (head == "actions") {
      mask.actions = true;
    } else {
      mask.review_date = true;
    }
    return absl::OkStatus();
  }
  const google::protobuf::Descriptor* section = nullptr;
  bool* whole = nullptr;
  std::set<std::string>* fields = nullptr;
  if (head == "crisis_plan") {
    section = v1::CrisisPlan::descriptor();
    whole = &mask.crisis_plan;
    fields = &mask.crisis_plan_fields;
  } else if (head == "communication_preferences") {
    section = v1::CommunicationPreferences::descriptor();
    whole = &mask.communication_preferences;
    fields = &mask.communication_preferences_fields;
  } else {
    return errors::UnknownPath(index, path);
  }
  if (parts.size() == 1) {
    *whole = true;
    return absl::OkStatus();
  }
  if (section->FindFieldByName(parts[1]) == nullptr) {
    return errors::UnknownPath(index, path);
  }
  if (parts.size() > 2) {
    return errors::PathInsideWholeSection(
        index, path, absl::StrCat(parts[0], ".", parts[1]));
  }
  fields->insert(parts[1]);
  return absl::OkStatus();
}

// Etags are short decimal strings; anything long is not one of ours.
absl::Status CheckEtag(absl::string_view etag) {
  return CheckText("etag", etag, 64);
}

absl::Status CheckReason(absl::string_view reason) {
  return CheckRequiredText("reason", reason, kMaxReasonChars);
}

absl::Status CheckPlanName(absl::string_view field, absl::string_view name) {
  return ParseCarePlanName(field, name).status();
}

absl::Status CheckTeam(absl::string_view field, absl::string_view team) {
  return ParseResourceName(field, team, "teams").status();
}

bool IsLeapYear(int year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

}  // namespace

absl::StatusOr<UpdateMask> ParseUpdateMask(
    const google::protobuf::FieldMask& mask) {
  if (mask.paths_size() == 0) {
    return carebridge::errors::MustBeSet("update_mask");
  }
  UpdateMask parsed;
  for (int i = 0; i < mask.paths_size(); ++i) {
    RETURN_IF_ERROR(AddPath(i, mask.paths(i), parsed));
    parsed.paths.push_back(mask.paths(i));
  }
  std::sort(parsed.paths.begin(), parsed.paths.end());
  parsed.paths.erase(std::unique(parsed.paths.begin(), parsed.paths.end()),
                     parsed.paths.end());
  return parsed;
}

bool IsDateSet(const v1::Date& date) {
  return date.year() != 0 || date.month() != 0 || date.day() != 0;
}

absl::Status CheckDate(absl::string_view field, const v1::Date& date) {
  if (!IsDateSet(date)) return absl::OkStatus();
  std::string text =
      absl::StrFormat("%04d-%02d-%02d", date.year(), date.month(), date.day());
  if (date.year() < 1900 || date.year() > 9999) {
    return errors::NotADate(field, text, "years 1900 to 9999");
  }
  if (date.month() < 1 || date.month() > 12 || date.day() < 1 ||
      date.day() > DaysInMonth(date.year(), date.month())) {
    return errors::NotADate(field, text, "");
  }
  return absl::OkStatus();
}

absl::Status ValidateGet(const v1::GetCarePlanRequest& request) {
  return CheckPlanName("name", request.name());
}

absl::Status ValidateUpdate(const v1::UpdateCarePlanRequest& request) {
  RETURN_IF_ERROR(CheckPlanName("care_plan.name", request.care_plan().name()));
  ASSIGN_OR_RETURN(UpdateMask mask, ParseUpdateMask(request.update_mask()));
  RETURN_IF_ERROR(ValidateMaskedContent(mask, request.care_plan()));
  RETURN_IF_ERROR(CheckReason(request.reason()));
  RETURN_IF_ERROR(CheckRequestId("request_id", request.request_id()));
  return CheckEtag(request.etag());
}

absl::Status ValidateListVersions(
    const v1::ListCarePlanVersionsRequest& request) {
  RETURN_IF_ERROR(CheckPlanName("parent", request.parent()));
  RETURN_IF_ERROR(CheckPageSize("page_size", request.page_size()).status());
  if (!v1::VersionView_IsValid(request.view())) {
    return carebridge::errors::Invalid(
        "view",
        absl::StrCat("unknown value ", request.view(), "; use BASIC or FULL"));
  }
  return absl::OkStatus();
}

absl::Status ValidateGetVersion(const v1::GetCarePlanVersionRequest& request) {
  return ParseCarePlanVersionName("name", request.name()).status();
}

absl::Status ValidateDiff(const v1::DiffCarePlanVersionsRequest& request) {
  RETURN_IF_ERROR(CheckPlanName("name", request.name()));
  if (request.from_version() == 0) {
    return carebridge::errors::MustBeSet("from_version");
  }
  if (request.from_version() < 0) {
    return carebridge::errors::Invalid("from_version", "must be at least 1");
  }
  if (request.to_version() < 0) {
    return carebridge::errors::Invalid(
        "to_version", "must not be negative (0 is the current version)");
  }
  if (request.to_version() != 0 &&
      request.to_version() < request.from_version()) {
    return errors::ToBeforeFrom(request.to_version(), request.from_version());
  }
  return absl::OkStatus();
}

absl::Status ValidateRecordAgreement(
    const v1::RecordAgreementRequest& request) {
  RETURN_IF_ERROR(CheckPlanName("name", request.name()));
  if (request.version() == 0) return carebridge::errors::MustBeSet("version");
  if (request.version() < 0) {
    return carebridge::errors::Invalid("version", "must be at least 1");
  }
  return CheckText("person_comment", request.person_comment(),
                   kMaxShortTextChars);
}

absl::Status ValidateAddCareTeamMember(
    const v1::AddCareTeamMemberRequest& request) {
  RETURN_IF_ERROR(CheckPlanName("name", request.name()));
  RETURN_IF_ERROR(CheckTeam("team", request.team()));
  RETURN_IF_ERROR(CheckRequiredText("role", request.role(), kMaxNameChars));
  RETURN_IF_ERROR(CheckEtag(request.etag()));
  return CheckReason(request.reason());
}

absl::Status ValidateEndCareTeamInvolvement(
    const v1::EndCareTeamInvolvementRequest& request) {
  RETURN_IF_ERROR(CheckPlanName("name", request.name()));
  RETURN_IF_ERROR(CheckTeam("team", request.team()));
  RETURN_IF_ERROR(CheckEtag(request.etag()));
  return CheckReason(request.reason());
}

absl::Status ValidateReviewCareTeamJoin(
    const v1::ReviewCareTeamJoinRequest& request) {
  RETURN_IF_ERROR(CheckPlanName("name", request.name()));
  RETURN_IF_ERROR(CheckTeam("team", request.team()));
  RETURN_IF_ERROR(CheckEtag(request.etag()));
  return CheckReason(request.reason());
}

absl::Status ValidateSetLeadTeam(const v1::SetLeadTeamRequest& request) {
  RETURN_IF_ERROR(CheckPlanName("name", request.name()));
  RETURN_IF_ERROR(CheckTeam("team", request.team()));
  RETURN_IF_ERROR(CheckEtag(request.etag()));
  RETURN_IF_ERROR(CheckReason(request.reason()));
  return CheckText("role", request.role(), kMaxNameChars);
}

absl::Status ValidateTransferLead(absl::string_view person_id,
                                  absl::string_view from_team,
                                  absl::string_view to_team,
                                  absl::string_view role,
                                  absl::string_view reason) {
  RETURN_IF_ERROR(
      ParseResourceName("person", PersonName(person_id), "persons").status());
  RETURN_IF_ERROR(CheckTeam("from_team", from_team));
  RETURN_IF_ERROR(CheckTeam("to_team", to_team));
  RETURN_IF_ERROR(CheckText("role", role, kMaxNameChars));
  return CheckReason(reason);
}

}  // namespace carebridge::careplan

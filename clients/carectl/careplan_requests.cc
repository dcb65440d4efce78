#include "clients/carectl/careplan_requests.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "clients/carectl/names.h"
#include "services/common/macros.h"

namespace carebridge::carectl {
namespace {

namespace cp = ::carebridge::careplan::v1;

constexpr char kPlanSuffix[] = "/carePlan";

bool IsLeapYear(int year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

bool AllDigits(absl::string_view text) {
  for (char c : text) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::string> CarePlanName(absl::string_view plan) {
  absl::string_view person = plan;
  absl::ConsumeSuffix(&person, kPlanSuffix);
  std::string name = ResourceName("persons", person);
  absl::string_view id = name;
  if (!absl::ConsumePrefix(&id, "persons/") || id.empty() ||
      absl::StrContains(id, '/')) {
    return absl::InvalidArgumentError(absl::StrCat(
        "PLAN: expected persons/ID or persons/ID/carePlan, not '", plan, "'"));
  }
  return absl::StrCat(name, kPlanSuffix);
}

absl::StatusOr<std::string> TeamName(absl::string_view what,
                                     absl::string_view team) {
  std::string name = ResourceName("teams", team);
  absl::string_view id = name;
  if (!absl::ConsumePrefix(&id, "teams/") || id.empty() ||
      absl::StrContains(id, '/')) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": expected teams/ID or ID, not '", team, "'"));
  }
  return name;
}

absl::StatusOr<std::string> CarePlanVersionName(absl::string_view plan,
                                                absl::string_view number) {
  ASSIGN_OR_RETURN(std::string name, CarePlanName(plan));
  ASSIGN_OR_RETURN(int64_t version, ParseVersionNumber("N", number));
  return absl::StrCat(name, "/versions/", version);
}

absl::StatusOr<int64_t> ParseVersionNumber(absl::string_view what,
                                           absl::string_view text) {
  int64_t version = 0;
  if (!AllDigits(text) || !absl::SimpleAtoi(text, &version) || version < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": must be a version number (1, 2, ...), not '", text, "'"));
  }
  return version;
}

absl::StatusOr<cp::Date> ParseDate(absl::string_view what,
                                   absl::string_view text) {
  auto bad = [&]() {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": '", text, "' is not a date (use YYYY-MM-DD)"));
  };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return bad();
  absl::string_view y = text.substr(0, 4), m = text.substr(5, 2),
                    d = text.substr(8, 2);
  cp::Date date;
  int year = 0, month = 0, day = 0;
  if (!AllDigits(y) || !AllDigits(m) || !AllDigits(d) ||
      !absl::SimpleAtoi(y, &year) || !absl::SimpleAtoi(m, &month) ||
      !absl::SimpleAtoi(d, &day)) {
    return bad();
  }
  if (year < 1900 || month < 1 || month > 12 || day < 1 ||
      day > DaysInMonth(year, month)) {
    return bad();
  }
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  return date;
}

absl::StatusOr<cp::GetCarePlanRequest> BuildGetCarePlanRequest(
    absl::string_view plan) {
  cp::GetCarePlanRequest request;
  ASSIGN_OR_RETURN(*request.mutable_name(), CarePlanName(plan));
  return request;
}

absl::StatusOr<cp::GetCarePlanVersionRequest> BuildGetCarePlanVersionRequest(
    absl::string_view plan, absl::string_view number) {
  cp::GetCarePlanVersionRequest request;
  ASSIGN_OR_RETURN(*request.mutable_name(), CarePlanVersionName(plan, number));
  return request;
}

absl::StatusOr<cp::ListCarePlanVersionsRequest>
BuildListCarePlanVersionsRequest(absl::string_view plan, const Flags& flags) {
  cp::ListCarePlanVersionsRequest request;
  ASSIGN_OR_RETURN(*request.mutable_parent(), CarePlanName(plan));
  request.set_view(flags.GetBool("full") ? cp::FULL : cp::BASIC);
  ASSIGN_OR_RETURN(int page_size, flags.GetPositiveInt("page_size"));
  request.set_page_size(page_size);
  request.set_page_token(flags.Get("page_token"));
  return request;
}

absl::StatusOr<cp::DiffCarePlanVersionsRequest>
BuildDiffCarePlanVersionsRequest(absl::string_view plan, absl::string_view from,
                                 std::optional<std::string> to) {
  cp::DiffCarePlanVersionsRequest request;
  ASSIGN_OR_RETURN(*request.mutable_name(), CarePlanName(plan));
  ASSIGN_OR_RETURN(int64_t from_version, ParseVersionNumber("FROM", from));
  request.set_from_version(from_version);
  if (to.has_value()) {
    ASSIGN_OR_RETURN(int64_t to_version, ParseVersionNumber("TO", *to));
    if (to_version < from_version) {
      return absl::InvalidArgumentError(absl::StrCat(
          "TO: version ", to_version, " is before FROM (", from_version, ")"));
    }
    request.set_to_version(to_version);
  }
  return request;
}

absl::StatusOr<cp::RecordAgreementRequest> BuildRecordAgreementRequest(
    absl::string_view plan, const Flags& flags) {
  cp::RecordAgreementRequest request;
  ASSIGN_OR_RETURN(*request.mutable_name(), CarePlanName(plan));
  ASSIGN_OR_RETURN(int64_t version,
                   ParseVersionNumber("--version", flags.Get("version")));
  request.set_version(version);
  request.set_person_comment(flags.Get("comment"));
  return request;
}

namespace {

// What every care team request carries: the plan, --team, --reason and
// --etag.
template <typename Request>
absl::StatusOr<Request> BuildCareTeamRequest(absl::string_view plan,
                                             const Flags& flags) {
  Request request;
  ASSIGN_OR_RETURN(*request.mutable_name(), CarePlanName(plan));
  ASSIGN_OR_RETURN(*request.mutable_team(),
                   TeamName("--team", flags.Get("team")));
  request.set_reason(flags.Get("reason"));
  request.set_etag(flags.Get("etag"));
  return request;
}

}  // namespace

absl::StatusOr<cp::AddCareTeamMemberRequest> BuildAddCareTeamMemberRequest(
    absl::string_view plan, const Flags& flags) {
  ASSIGN_OR_RETURN(
      cp::AddCareTeamMemberRequest request,
      BuildCareTeamRequest<cp::AddCareTeamMemberRequest>(plan, flags));
  request.set_role(flags.Get("role"));
  return request;
}

absl::StatusOr<cp::EndCareTeamInvolvementRequest>
BuildEndCareTeamInvolvementRequest(absl::string_view plan, const Flags& flags) {
  return BuildCareTeamRequest<cp::EndCareTeamInvolvementRequest>(plan, flags);
}

absl::StatusOr<cp::ReviewCareTeamJoinRequest> BuildReviewCareTeamJoinRequest(
    absl::string_view plan, const Flags& flags) {
  return BuildCareTeamRequest<cp::ReviewCareTeamJoinRequest>(plan, flags);
}

absl::StatusOr<cp::BreakGlassRequest> BuildBreakGlassRequest(
    absl::string_view plan, const Flags& flags) {
  cp::BreakGlassRequest request;
  ASSIGN_OR_RETURN(*request.mutable_name(), CarePlanName(plan));
  if (flags.Get("reason").empty()) {
    return absl::InvalidArgumentError(
        "--reason: required: say why the crisis plan is needed now");
  }
  request.set_reason(flags.Get("reason"));
  return request;
}

absl::StatusOr<cp::ListBreakGlassAccessesRequest>
BuildListBreakGlassAccessesRequest(absl::string_view person,
                                   const Flags& flags) {
  cp::ListBreakGlassAccessesRequest request;
  if (person == "-" || person == "persons/-") {
    request.set_parent("persons/-");
  } else {
    ASSIGN_OR_RETURN(std::string plan, CarePlanName(person));
    request.set_parent(
        plan.substr(0, plan.size() - absl::string_view(kPlanSuffix).size()));
  }
  request.set_unreviewed_only(flags.GetBool("unreviewed"));
  ASSIGN_OR_RETURN(int page_size, flags.GetPositiveInt("page_size"));
  request.set_page_size(page_size);
  request.set_page_token(flags.Get("page_token"));
  return request;
}

absl::StatusOr<cp::ReviewBreakGlassAccessRequest>
BuildReviewBreakGlassAccessRequest(absl::string_view access,
                                   const Flags& flags) {
  cp::ReviewBreakGlassAccessRequest request;
  std::vector<absl::string_view> parts = absl::StrSplit(access, '/');
  if (parts.size() != 4 || parts[0] != "persons" || parts[1].empty() ||
      parts[2] != "breakGlassAccesses" || parts[3].empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ACCESS: ", access,
        " is not persons/{id}/breakGlassAccesses/{n} (as `careplan "
        "break-glass list` shows)"));
  }
  request.set_name(std::string(access));
  const std::string outcome = absl::AsciiStrToLower(flags.Get("outcome"));
  if (outcome == "justified") {
    request.set_outcome(cp::BreakGlassReview::JUSTIFIED);
  } else if (outcome == "not_justified" || outcome == "not-justified") {
    request.set_outcome(cp::BreakGlassReview::NOT_JUSTIFIED);
  } else {
    return absl::InvalidArgumentError(
        "--outcome: required: justified or not_justified");
  }
  if (flags.Get("reason").empty()) {
    return absl::InvalidArgumentError(
        "--reason: required: say what the review found");
  }
  request.set_reason(flags.Get("reason"));
  return request;
}

absl::StatusOr<cp::SetLeadTeamRequest> BuildSetLeadTeamRequest(
    absl::string_view plan, const Flags& flags) {
  ASSIGN_OR_RETURN(cp::SetLeadTeamRequest request,
                   BuildCareTeamRequest<cp::SetLeadTeamRequest>(plan, flags));
  request.set_role(flags.Get("role"));
  return request;
}

}  // namespace carebridge::carectl

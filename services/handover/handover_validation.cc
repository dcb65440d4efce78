#include "services/handover/handover_validation.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "services/common/errors.h"
#include "services/common/macros.h"
#include "services/common/validation.h"

namespace carebridge::handover {
namespace {

namespace common_errors = ::carebridge::errors;

// google.protobuf.Timestamp's range: 0001-01-01 to 9999-12-31 UTC.
constexpr int64_t kMinTimestampSeconds = -62135596800;
constexpr int64_t kMaxTimestampSeconds = 253402300799;

absl::Status CheckHandoverName(absl::string_view name) {
  return ParseResourceName("name", name, "handovers").status();
}

// Etags are short opaque strings; anything long is not one of ours.
absl::Status CheckEtag(absl::string_view etag) {
  return CheckText("etag", etag, 64);
}

absl::Status CheckTimestamp(absl::string_view field,
                            const google::protobuf::Timestamp& time) {
  if (time.seconds() < kMinTimestampSeconds ||
      time.seconds() > kMaxTimestampSeconds || time.nanos() < 0 ||
      time.nanos() > 999999999) {
    return common_errors::Invalid(field, "is not a valid time");
  }
  return absl::OkStatus();
}

// `value` is set and one of the enum's known values; `choices` names them.
template <typename IsValid>
absl::Status CheckEnum(absl::string_view field, int value, IsValid is_valid,
                       absl::string_view choices) {
  if (value == 0) return common_errors::MustBeSet(field);
  if (!is_valid(value)) {
    return common_errors::Invalid(
        field, absl::StrCat("unknown value ", value, "; use ", choices));
  }
  return absl::OkStatus();
}

absl::Status CheckActions(const v1::Handover& handover) {
  if (static_cast<size_t>(handover.actions_size()) > kMaxActions) {
    return common_errors::TooMany("handover.actions", kMaxActions);
  }
  for (int i = 0; i < handover.actions_size(); ++i) {
    const v1::HandoverAction& action = handover.actions(i);
    const std::string prefix = absl::StrCat("handover.actions[", i, "]");
    RETURN_IF_ERROR(CheckRequiredText(absl::StrCat(prefix, ".description"),
                                      action.description(),
                                      kMaxShortTextChars));
    RETURN_IF_ERROR(ParseResourceName(absl::StrCat(prefix, ".owning_team"),
                                      action.owning_team(), "teams")
                        .status());
    if (action.has_due_time()) {
      RETURN_IF_ERROR(
          CheckTimestamp(absl::StrCat(prefix, ".due_time"), action.due_time()));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckContingencies(const v1::Handover& handover) {
  if (static_cast<size_t>(handover.contingencies_size()) > kMaxContingencies) {
    return common_errors::TooMany("handover.contingencies", kMaxContingencies);
  }
  for (int i = 0; i < handover.contingencies_size(); ++i) {
    const v1::Contingency& contingency = handover.contingencies(i);
    const std::string prefix = absl::StrCat("handover.contingencies[", i, "]");
    RETURN_IF_ERROR(CheckRequiredText(absl::StrCat(prefix, ".if_this"),
                                      contingency.if_this(),
                                      kMaxShortTextChars));
    RETURN_IF_ERROR(CheckRequiredText(absl::StrCat(prefix, ".then_do"),
                                      contingency.then_do(),
                                      kMaxShortTextChars));
  }
  return absl::OkStatus();
}

// A reason that answers or withdraws a handover.
absl::Status CheckReasonedStep(absl::string_view name, absl::string_view etag,
                               absl::string_view reason) {
  RETURN_IF_ERROR(CheckHandoverName(name));
  RETURN_IF_ERROR(CheckEtag(etag));
  return CheckRequiredText("reason", reason, kMaxShortTextChars);
}

}  // namespace

absl::Status ValidateCreate(const v1::CreateHandoverRequest& request) {
  if (!request.has_handover()) return common_errors::MustBeSet("handover");
  const v1::Handover& handover = request.handover();
  RETURN_IF_ERROR(
      ParseResourceName("handover.person", handover.person(), "persons")
          .status());
  RETURN_IF_ERROR(ParseResourceName("handover.receiving_team",
                                    handover.receiving_team(), "teams")
                      .status());
  RETURN_IF_ERROR(CheckEnum("handover.kind", handover.kind(), v1::Kind_IsValid,
                            "TRANSFER_OF_RESPONSIBILITY, SHARED_CARE or "
                            "INFORMATION_ONLY"));
  RETURN_IF_ERROR(CheckEnum("handover.urgency", handover.urgency(),
                            referral::v1::Urgency_IsValid,
                            "ROUTINE, URGENT or CRISIS"));
  RETURN_IF_ERROR(CheckRequiredText("handover.situation", handover.situation(),
                                    kMaxLongTextChars));
  RETURN_IF_ERROR(CheckText("handover.background", handover.background(),
                            kMaxLongTextChars));
  RETURN_IF_ERROR(CheckRequiredText("handover.assessment",
                                    handover.assessment(), kMaxLongTextChars));
  RETURN_IF_ERROR(CheckRequiredText(
      "handover.recommendation", handover.recommendation(), kMaxLongTextChars));
  RETURN_IF_ERROR(
      CheckEnum("handover.illness_severity", handover.illness_severity(),
                v1::IllnessSeverity_IsValid, "STABLE, WATCHER or UNSTABLE"));
  RETURN_IF_ERROR(CheckActions(handover));
  RETURN_IF_ERROR(CheckContingencies(handover));
  if (handover.care_plan_version() < 0) {
    return common_errors::Invalid("handover.care_plan_version",
                                  "must not be negative (0: the current one)");
  }
  return CheckRequestId("request_id", request.request_id());
}

absl::Status ValidateGet(const v1::GetHandoverRequest& request) {
  return CheckHandoverName(request.name());
}

absl::Status ValidateList(const v1::ListHandoversRequest& request) {
  RETURN_IF_ERROR(CheckEnum("mailbox", request.mailbox(), v1::Mailbox_IsValid,
                            "INBOX or SENT_BY_TEAM"));
  if (static_cast<size_t>(request.states_size()) > kMaxStateFilters) {
    return common_errors::TooMany("states", kMaxStateFilters);
  }
  for (int state : request.states()) {
    if (state == v1::STATE_UNSPECIFIED || !v1::State_IsValid(state)) {
      return common_errors::Invalid("states",
                                    absl::StrCat("unknown state ", state));
    }
  }
  if (!request.person().empty()) {
    RETURN_IF_ERROR(
        ParseResourceName("person", request.person(), "persons").status());
  }
  return CheckPageSize("page_size", request.page_size()).status();
}

absl::Status ValidateReadBack(const v1::ReadBack& read_back) {
  RETURN_IF_ERROR(
      CheckText("read_back.summary", read_back.summary(), kMaxLongTextChars));
  if (static_cast<size_t>(read_back.actions_taken_on_size()) >
      kMaxActionsTakenOn) {
    return common_errors::TooMany("read_back.actions_taken_on",
                                  kMaxActionsTakenOn);
  }
  for (int i = 0; i < read_back.actions_taken_on_size(); ++i) {
    RETURN_IF_ERROR(
        CheckRequiredText(absl::StrCat("read_back.actions_taken_on[", i, "]"),
                          read_back.actions_taken_on(i), kMaxShortTextChars));
  }
  return absl::OkStatus();
}

absl::Status ValidateAccept(const v1::AcceptHandoverRequest& request) {
  RETURN_IF_ERROR(CheckHandoverName(request.name()));
  RETURN_IF_ERROR(CheckEtag(request.etag()));
  if (request.has_read_back()) {
    RETURN_IF_ERROR(ValidateReadBack(request.read_back()));
  }
  return CheckText("note", request.note(), kMaxShortTextChars);
}

absl::Status ValidateDecline(const v1::DeclineHandoverRequest& request) {
  return CheckReasonedStep(request.name(), request.etag(), request.reason());
}

absl::Status ValidateCancel(const v1::CancelHandoverRequest& request) {
  return CheckReasonedStep(request.name(), request.etag(), request.reason());
}

}  // namespace carebridge::handover

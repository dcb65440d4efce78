// ValidateMaskedContent: the limits careplan.proto states for each section.

#include <set>
#include <string>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/careplan/careplan_validation.h"
#include "services/careplan/errors.h"
#include "services/common/errors.h"
#include "services/common/macros.h"
#include "services/common/validation.h"

namespace carebridge::careplan {
namespace {

std::string Item(absl::string_view list, int index, absl::string_view field) {
  return absl::StrCat(list, "[", index, "].", field);
}

absl::Status UnknownEnumValue(absl::string_view field, int value) {
  return carebridge::errors::Invalid(field,
                                     absl::StrCat("unknown value ", value));
}

// Ids are optional (empty: a new item); one id names one item.
absl::Status CheckItemId(absl::string_view list, int index,
                         const std::string& id, std::set<std::string>& seen) {
  if (id.empty()) return absl::OkStatus();
  std::string field = Item(list, index, "id");
  RETURN_IF_ERROR(CheckText(field, id, 64));
  if (!seen.insert(id).second) return errors::DuplicateItemId(field, id);
  return absl::OkStatus();
}

absl::Status CheckGoals(const v1::CarePlan& plan) {
  constexpr char kList[] = "care_plan.goals";
  if (static_cast<size_t>(plan.goals_size()) > kMaxGoals) {
    return carebridge::errors::TooMany(kList, kMaxGoals);
  }
  std::set<std::string> ids;
  for (int i = 0; i < plan.goals_size(); ++i) {
    const v1::Goal& goal = plan.goals(i);
    RETURN_IF_ERROR(CheckItemId(kList, i, goal.id(), ids));
    RETURN_IF_ERROR(CheckRequiredText(Item(kList, i, "description"),
                                      goal.description(), kMaxShortTextChars));
    if (!v1::Goal::Status_IsValid(goal.status())) {
      return UnknownEnumValue(Item(kList, i, "status"), goal.status());
    }
    RETURN_IF_ERROR(
        CheckDate(Item(kList, i, "target_date"), goal.target_date()));
  }
  return absl::OkStatus();
}

absl::Status CheckActions(const v1::CarePlan& plan) {
  constexpr char kList[] = "care_plan.actions";
  if (static_cast<size_t>(plan.actions_size()) > kMaxActions) {
    return carebridge::errors::TooMany(kList, kMaxActions);
  }
  std::set<std::string> ids;
  for (int i = 0; i < plan.actions_size(); ++i) {
    const v1::Action& action = plan.actions(i);
    RETURN_IF_ERROR(CheckItemId(kList, i, action.id(), ids));
    RETURN_IF_ERROR(CheckRequiredText(Item(kList, i, "description"),
                                      action.description(),
                                      kMaxShortTextChars));
    RETURN_IF_ERROR(ParseResourceName(Item(kList, i, "owning_team"),
                                      action.owning_team(), "teams")
                        .status());
    if (!v1::Action::Status_IsValid(action.status())) {
      return UnknownEnumValue(Item(kList, i, "status"), action.status());
    }
    RETURN_IF_ERROR(CheckDate(Item(kList, i, "due_date"), action.due_date()));
    RETURN_IF_ERROR(
        CheckDate(Item(kList, i, "review_date"), action.review_date()));
  }
  return absl::OkStatus();
}

absl::Status CheckCrisisContacts(const v1::CrisisPlan& crisis) {
  constexpr char kList[] = "care_plan.crisis_plan.contacts";
  if (static_cast<size_t>(crisis.contacts_size()) > kMaxCrisisContacts) {
    return carebridge::errors::TooMany(kList, kMaxCrisisContacts);
  }
  for (int i = 0; i < crisis.contacts_size(); ++i) {
    const v1::CrisisContact& contact = crisis.contacts(i);
    RETURN_IF_ERROR(CheckRequiredText(Item(kList, i, "name"), contact.name(),
                                      kMaxNameChars));
    RETURN_IF_ERROR(CheckText(Item(kList, i, "relationship"),
                              contact.relationship(), kMaxNameChars));
    RETURN_IF_ERROR(CheckRequiredText(Item(kList, i, "how_to_contact"),
                                      contact.how_to_contact(), kMaxNameChars));
    RETURN_IF_ERROR(CheckText(Item(kList, i, "when_to_contact"),
                              contact.when_to_contact(), kMaxShortTextChars));
  }
  return absl::OkStatus();
}

absl::Status CheckCrisisPlan(const UpdateMask& mask,
                             const v1::CrisisPlan& crisis) {
  const std::pair<const char*, const std::string*> texts[] = {
      {"early_warning_signs", &crisis.early_warning_signs()},
      {"triggers", &crisis.triggers()},
      {"what_helps", &crisis.what_helps()},
      {"what_to_avoid", &crisis.what_to_avoid()},
      {"preferred_response", &crisis.preferred_response()},
      {"advance_statements", &crisis.advance_statements()},
  };
  for (const auto& [field, text] : texts) {
    if (!mask.CoversCrisisPlanField(field)) continue;
    RETURN_IF_ERROR(CheckText(absl::StrCat("care_plan.crisis_plan.", field),
                              *text, kMaxLongTextChars));
  }
  if (mask.CoversCrisisPlanField("contacts")) {
    RETURN_IF_ERROR(CheckCrisisContacts(crisis));
  }
  return absl::OkStatus();
}

absl::Status CheckContactMethods(const v1::CommunicationPreferences& prefs) {
  constexpr char kList[] =
      "care_plan.communication_preferences.contact_methods";
  std::set<int> seen;
  for (int i = 0; i < prefs.contact_methods_size(); ++i) {
    const int method = prefs.contact_methods(i);
    std::string field = absl::StrCat(kList, "[", i, "]");
    if (method == v1::CONTACT_METHOD_UNSPECIFIED) {
      return carebridge::errors::MustBeSet(field);
    }
    if (!v1::ContactMethod_IsValid(method)) {
      return UnknownEnumValue(field, method);
    }
    if (!seen.insert(method).second) {
      return errors::DuplicateContactMethod(
          field,
          v1::ContactMethod_Name(static_cast<v1::ContactMethod>(method)));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckSupporters(const v1::CommunicationPreferences& prefs) {
  constexpr char kList[] = "care_plan.communication_preferences.supporters";
  if (static_cast<size_t>(prefs.supporters_size()) > kMaxSupporters) {
    return carebridge::errors::TooMany(kList, kMaxSupporters);
  }
  for (int i = 0; i < prefs.supporters_size(); ++i) {
    const v1::Supporter& supporter = prefs.supporters(i);
    RETURN_IF_ERROR(CheckRequiredText(Item(kList, i, "name"), supporter.name(),
                                      kMaxNameChars));
    RETURN_IF_ERROR(CheckText(Item(kList, i, "relationship"),
                              supporter.relationship(), kMaxNameChars));
    RETURN_IF_ERROR(CheckText(Item(kList, i, "contact"), supporter.contact(),
                              kMaxNameChars));
  }
  return absl::OkStatus();
}

absl::Status CheckCommunicationPreferences(
    const UpdateMask& mask, const v1::CommunicationPreferences& prefs) {
  const std::tuple<const char*, const std::string*, size_t> texts[] = {
      {"contact_times", &prefs.contact_times(), kMaxShortTextChars},
      {"interpreter_language", &prefs.interpreter_language(), kMaxNameChars},
      {"accessibility_needs", &prefs.accessibility_needs(), kMaxShortTextChars},
      {"other", &prefs.other(), kMaxShortTextChars},
  };
  for (const auto& [field, text, max_chars] : texts) {
    if (!mask.CoversCommunicationField(field)) continue;
    RETURN_IF_ERROR(
        CheckText(absl::StrCat("care_plan.communication_preferences.", field),
                  *text, max_chars));
  }
  if (mask.CoversCommunicationField("contact_methods")) {
    RETURN_IF_ERROR(CheckContactMethods(prefs));
  }
  if (mask.CoversCommunicationField("supporters")) {
    RETURN_IF_ERROR(CheckSupporters(prefs));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateMaskedContent(const UpdateMask& mask,
                                   const v1::CarePlan& plan) {
  if (mask.goals) RETURN_IF_ERROR(CheckGoals(plan));
  if (mask.actions) RETURN_IF_ERROR(CheckActions(plan));
  RETURN_IF_ERROR(CheckCrisisPlan(mask, plan.crisis_plan()));
  RETURN_IF_ERROR(
      CheckCommunicationPreferences(mask, plan.communication_preferences()));
  if (mask.review_date) {
    RETURN_IF_ERROR(CheckDate("care_plan.review_date", plan.review_date()));
  }
  return absl::OkStatus();
}

}  // namespace carebridge::careplan

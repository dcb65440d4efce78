#include "services/careplan/careplan_sharing.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "services/careplan/careplan_names.h"
#include "services/common/call_audit.h"
#include "services/common/errors.h"
#include "services/common/macros.h"
#include "services/common/validation.h"

namespace carebridge::careplan {
namespace {

namespace dir = ::carebridge::directory::v1;

// Only what helps, what to avoid and the preferred response stay.
void KeepWhatHelps(v1::CrisisPlan& crisis_plan) {
  v1::CrisisPlan kept;
  kept.set_what_helps(crisis_plan.what_helps());
  kept.set_what_to_avoid(crisis_plan.what_to_avoid());
  kept.set_preferred_response(crisis_plan.preferred_response());
  crisis_plan = std::move(kept);
}

std::string SectorName(dir::Sector sector) { return dir::Sector_Name(sector); }

}  // namespace

void ListWithheld(const SharedParts& parts,
                  google::protobuf::RepeatedField<int>* withheld) {
  withheld->Clear();
  parts.AppendMissingPlanPartsTo(withheld);
}

std::string SectionsShown(const SharedParts& parts) {
  if (parts.HasWholePlan()) return "whole plan";
  v1::SharingRule shown;
  parts.AppendTo(shown);
  std::vector<std::string> names;
  for (int part : shown.parts()) {
    // A referral's or handover's, not the plan's.
    if (part == v1::SHARED_RISK) continue;
    names.push_back(absl::AsciiStrToLower(absl::StripPrefix(
        v1::SharedPart_Name(static_cast<v1::SharedPart>(part)), "SHARED_")));
  }
  return names.empty() ? "none" : absl::StrJoin(names, ",");
}

void NoteSectionsShown(const SharedParts& parts) {
  NoteAuditedSections(SectionsShown(parts));
}

void Withhold(const SharedParts& parts, absl::string_view team,
              v1::CarePlan& plan) {
  NoteSectionsShown(parts);
  if (parts.HasWholePlan()) {
    plan.clear_withheld();
    return;
  }
  if (!parts.Has(v1::SHARED_GOALS)) plan.clear_goals();
  if (!parts.Has(v1::SHARED_ALL_ACTIONS)) {
    google::protobuf::RepeatedPtrField<v1::Action> kept;
    if (parts.Has(v1::SHARED_OWN_ACTIONS)) {
      for (v1::Action& action : *plan.mutable_actions()) {
        if (action.owning_team() == team) *kept.Add() = std::move(action);
      }
    }
    plan.mutable_actions()->Swap(&kept);
  }
  if (!parts.Has(v1::SHARED_CRISIS_PLAN)) {
    if (parts.Has(v1::SHARED_WHAT_HELPS) && plan.has_crisis_plan()) {
      KeepWhatHelps(*plan.mutable_crisis_plan());
    } else {
      plan.clear_crisis_plan();
    }
  }
  if (!parts.Has(v1::SHARED_COMMUNICATION_PREFERENCES)) {
    plan.clear_communication_preferences();
  }
  if (!parts.Has(v1::SHARED_REVIEW_DATE)) plan.clear_review_date();
  if (!parts.Has(v1::SHARED_CARE_TEAM)) plan.clear_care_team();
  if (!parts.Has(v1::SHARED_AGREEMENT)) plan.clear_agreement();
  if (plan.has_change() &&
      !sharing::ShowsChangeTo(parts, plan.change().sections())) {
    plan.mutable_change()->clear_reason();
  }
  ListWithheld(parts, plan.mutable_withheld());
}

absl::Status RequireSharedForWrite(const SharedParts& parts,
                                   absl::string_view team,
                                   const UpdateMask& mask) {
  auto denied = [&](v1::SharedPart part, absl::string_view path) {
    return carebridge::errors::PermissionDenied(absl::StrCat(
        "update_mask: ", path, " cannot be changed by ", team,
        ": the person's ", "sharing choices do not share ",
        v1::SharedPart_Name(part), " with it (ask the lead team)"));
  };
  if (mask.goals && !parts.Has(v1::SHARED_GOALS)) {
    return denied(v1::SHARED_GOALS, "goals");
  }
  // Writing actions replaces the list, including other teams' actions.
  if (mask.actions && !parts.Has(v1::SHARED_ALL_ACTIONS)) {
    return denied(v1::SHARED_ALL_ACTIONS, "actions");
  }
  if (!parts.Has(v1::SHARED_CRISIS_PLAN)) {
    static constexpr const char* kWhatHelpsFields[] = {
        "what_helps", "what_to_avoid", "preferred_response"};
    if (mask.crisis_plan) return denied(v1::SHARED_CRISIS_PLAN, "crisis_plan");
    for (const std::string& field : mask.crisis_plan_fields) {
      bool what_helps = false;
      for (const char* shown : kWhatHelpsFields) what_helps |= field == shown;
      if (!what_helps || !parts.Has(v1::SHARED_WHAT_HELPS)) {
        return denied(
            what_helps ? v1::SHARED_WHAT_HELPS : v1::SHARED_CRISIS_PLAN,
            absl::StrCat("crisis_plan.", field));
      }
    }
  }
  if ((mask.communication_preferences ||
       !mask.communication_preferences_fields.empty()) &&
      !parts.Has(v1::SHARED_COMMUNICATION_PREFERENCES)) {
    return denied(v1::SHARED_COMMUNICATION_PREFERENCES,
                  "communication_preferences");
  }
  if (mask.review_date && !parts.Has(v1::SHARED_REVIEW_DATE)) {
    return denied(v1::SHARED_REVIEW_DATE, "review_date");
  }
  return absl::OkStatus();
}

absl::Status ValidateSharingUpdate(const v1::UpdateSharingChoicesRequest& req) {
  const v1::SharingChoices& choices = req.sharing_choices();
  if (choices.name().empty()) {
    return carebridge::errors::MustBeSet("sharing_choices.name");
  }
  RETURN_IF_ERROR(
      ParseSharingChoicesName("sharing_choices.name", choices.name()).status());
  if (static_cast<size_t>(choices.rules_size()) > kMaxSharingRules) {
    return carebridge::errors::TooMany("sharing_choices.rules",
                                       kMaxSharingRules);
  }
  std::set<int> sectors;
  std::set<std::string> teams;
  for (int i = 0; i < choices.rules_size(); ++i) {
    const v1::SharingRule& rule = choices.rules(i);
    const std::string field = absl::StrCat("sharing_choices.rules[", i, "]");
    const bool has_sector = rule.sector() != dir::SECTOR_UNSPECIFIED;
    if (has_sector == !rule.team().empty()) {
      return carebridge::errors::Invalid(
          field, "must name exactly one of sector and team");
    }
    if (has_sector) {
      if (!dir::Sector_IsValid(rule.sector())) {
        return carebridge::errors::Invalid(absl::StrCat(field, ".sector"),
                                           "is not a known sector");
      }
      if (!sectors.insert(rule.sector()).second) {
        return carebridge::errors::Invalid(
            absl::StrCat(field, ".sector"),
            absl::StrCat(SectorName(rule.sector()), " has a rule already"));
      }
    } else {
      RETURN_IF_ERROR(
          ParseResourceName(absl::StrCat(field, ".team"), rule.team(), "teams")
              .status());
      if (!teams.insert(rule.team()).second) {
        return carebridge::errors::Invalid(
            absl::StrCat(field, ".team"),
            absl::StrCat(rule.team(), " has a rule already"));
      }
    }
    std::set<int> seen;
    for (int j = 0; j < rule.parts_size(); ++j) {
      const int part = rule.parts(j);
      const std::string part_field = absl::StrCat(field, ".parts[", j, "]");
      if (part == v1::SHARED_PART_UNSPECIFIED ||
          !v1::SharedPart_IsValid(part)) {
        return carebridge::errors::Invalid(part_field, "is not a shared part");
      }
      if (!seen.insert(part).second) {
        return carebridge::errors::Invalid(part_field, "is listed twice");
      }
    }
  }
  return CheckRequiredText("reason", req.reason(), kMaxReasonChars);
}

void FillEffective(v1::SharingChoices& choices) {
  choices.clear_effective();
  for (int sector = dir::Sector_MIN; sector <= dir::Sector_MAX; ++sector) {
    if (sector == dir::SECTOR_UNSPECIFIED || !dir::Sector_IsValid(sector)) {
      continue;
    }
    v1::SharingRule* rule = choices.add_effective();
    rule->set_sector(static_cast<dir::Sector>(sector));
    PartsFor(&choices, /*team=*/"", static_cast<dir::Sector>(sector))
        .AppendTo(*rule);
  }
}

bool ReadsChoicesInFull(const Principal& caller, absl::string_view person,
                        absl::string_view lead_team) {
  if (caller.is_service() || caller.is_person(person)) return true;
  return caller.is_clinical() && !lead_team.empty() && caller.team == lead_team;
}

void OutlineChoices(v1::SharingChoices& choices) {
  choices.clear_rules();
  choices.clear_effective();
  choices.clear_reason();
}

}  // namespace carebridge::careplan

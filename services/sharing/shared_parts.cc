#include "services/sharing/shared_parts.h"

#include <initializer_list>

namespace carebridge::sharing {
namespace {

namespace cp = ::carebridge::careplan::v1;
namespace dir = ::carebridge::directory::v1;

constexpr cp::SharedPart kEveryPart[] = {
    cp::SHARED_GOALS,       cp::SHARED_ALL_ACTIONS,
    cp::SHARED_OWN_ACTIONS, cp::SHARED_CRISIS_PLAN,
    cp::SHARED_WHAT_HELPS,  cp::SHARED_COMMUNICATION_PREFERENCES,
    cp::SHARED_REVIEW_DATE, cp::SHARED_CARE_TEAM,
    cp::SHARED_AGREEMENT,   cp::SHARED_RISK,
};

SharedParts PartsOf(std::initializer_list<cp::SharedPart> parts) {
  SharedParts result;
  for (cp::SharedPart part : parts) result.Add(part);
  return result;
}

}  // namespace

SharedParts SharedParts::All() {
  SharedParts all;
  for (cp::SharedPart part : kEveryPart) all.Add(part);
  return all;
}

SharedParts SharedParts::Of(const cp::SharingRule& rule) {
  SharedParts parts;
  for (int part : rule.parts()) {
    if (cp::SharedPart_IsValid(part)) {
      parts.Add(static_cast<cp::SharedPart>(part));
    }
  }
  return parts;
}

bool SharedParts::HasWholePlan() const {
  SharedParts with_risk = *this;
  with_risk.Add(cp::SHARED_RISK);
  return with_risk.IsAll();
}

void SharedParts::Add(cp::SharedPart part) {
  if (part == cp::SHARED_PART_UNSPECIFIED) return;
  bits_ |= Bit(part);
  if (part == cp::SHARED_ALL_ACTIONS) bits_ |= Bit(cp::SHARED_OWN_ACTIONS);
  if (part == cp::SHARED_CRISIS_PLAN) bits_ |= Bit(cp::SHARED_WHAT_HELPS);
}

void SharedParts::AppendTo(cp::SharingRule& rule) const {
  for (cp::SharedPart part : kEveryPart) {
    if (!Has(part)) continue;
    if (part == cp::SHARED_OWN_ACTIONS && Has(cp::SHARED_ALL_ACTIONS)) continue;
    if (part == cp::SHARED_WHAT_HELPS && Has(cp::SHARED_CRISIS_PLAN)) continue;
    rule.add_parts(part);
  }
}

void SharedParts::AppendMissingTo(
    google::protobuf::RepeatedField<int>* missing) const {
  for (cp::SharedPart part : kEveryPart) {
    if (Has(part)) continue;
    // Own actions alone withhold the others': SHARED_ALL_ACTIONS is listed.
    if (part == cp::SHARED_OWN_ACTIONS && Has(cp::SHARED_ALL_ACTIONS)) {
      continue;
    }
    missing->Add(part);
  }
}

void SharedParts::AppendMissingPlanPartsTo(
    google::protobuf::RepeatedField<int>* missing) const {
  SharedParts with_risk = *this;
  with_risk.Add(cp::SHARED_RISK);
  with_risk.AppendMissingTo(missing);
}

SharedParts DefaultParts(dir::Sector sector) {
  switch (sector) {
    case dir::COMMUNITY_MENTAL_HEALTH:
    case dir::CRISIS:
    case dir::INPATIENT:
    case dir::PRIMARY_CARE:
      return SharedParts::All();
    case dir::SOCIAL_CARE:
      return PartsOf(
          {cp::SHARED_GOALS, cp::SHARED_ALL_ACTIONS, cp::SHARED_WHAT_HELPS,
           cp::SHARED_COMMUNICATION_PREFERENCES, cp::SHARED_REVIEW_DATE,
           cp::SHARED_CARE_TEAM, cp::SHARED_AGREEMENT, cp::SHARED_RISK});
    default:
      // Voluntary sector, other, and a sector not known.
      return PartsOf(
          {cp::SHARED_GOALS, cp::SHARED_OWN_ACTIONS, cp::SHARED_WHAT_HELPS,
           cp::SHARED_COMMUNICATION_PREFERENCES, cp::SHARED_REVIEW_DATE,
           cp::SHARED_CARE_TEAM, cp::SHARED_AGREEMENT});
  }
}

SharedParts PartsFor(const cp::SharingChoices* choices, absl::string_view team,
                     dir::Sector sector) {
  if (choices != nullptr) {
    for (const cp::SharingRule& rule : choices->rules()) {
      if (!rule.team().empty() && rule.team() == team) {
        return SharedParts::Of(rule);
      }
    }
    for (const cp::SharingRule& rule : choices->rules()) {
      if (rule.team().empty() && rule.sector() == sector &&
          sector != dir::SECTOR_UNSPECIFIED) {
        return SharedParts::Of(rule);
      }
    }
  }
  return DefaultParts(sector);
}

SharedParts PersonSharing::PartsFor(absl::string_view team,
                                    dir::Sector sector) const {
  if (!lead_team.empty() && team == lead_team) return SharedParts::All();
  return sharing::PartsFor(choices.has_value() ? &*choices : nullptr, team,
                           sector);
}

careplan::v1::SharedPart WholePartOf(careplan::v1::Section section) {
  namespace cp = careplan::v1;
  switch (section) {
    case cp::GOALS:
      return cp::SHARED_GOALS;
    case cp::ACTIONS:
      return cp::SHARED_ALL_ACTIONS;
    case cp::CRISIS_PLAN:
      return cp::SHARED_CRISIS_PLAN;
    case cp::COMMUNICATION_PREFERENCES:
      return cp::SHARED_COMMUNICATION_PREFERENCES;
    case cp::REVIEW_DATE:
      return cp::SHARED_REVIEW_DATE;
    case cp::CARE_TEAM:
      return cp::SHARED_CARE_TEAM;
    case cp::AGREEMENT:
      return cp::SHARED_AGREEMENT;
    default:
      return cp::SHARED_PART_UNSPECIFIED;
  }
}

bool ShowsChangeTo(const SharedParts& parts, absl::Span<const int> sections) {
  for (int section : sections) {
    const careplan::v1::SharedPart whole =
        WholePartOf(static_cast<careplan::v1::Section>(section));
    if (whole != careplan::v1::SHARED_PART_UNSPECIFIED && !parts.Has(whole)) {
      return false;
    }
  }
  return true;
}

}  // namespace carebridge::sharing

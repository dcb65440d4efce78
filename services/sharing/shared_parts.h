#ifndef CAREBRIDGE_SERVICES_SHARING_SHARED_PARTS_H_
#define CAREBRIDGE_SERVICES_SHARING_SHARED_PARTS_H_

// The person's sharing choices as rules: what each team sees (its own rule,
// else its sector's, else the sector's default; everything for the lead
// team). Pure functions over the sharing protos, with no service behind
// them, so every service that shows a person's data (the care plan, a
// referral's risk summary, a handover's assessment) applies the same rules.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "carebridge/careplan/v1/careplan.pb.h"
#include "carebridge/careplan/v1/sharing.pb.h"
#include "carebridge/directory/v1/directory.pb.h"

namespace carebridge::sharing {

// A set of SharedParts, with the inclusions applied (all actions includes
// the team's own; the crisis plan includes what helps).
class SharedParts {
 public:
  static SharedParts All();
  static SharedParts None() { return SharedParts(); }
  static SharedParts Of(const careplan::v1::SharingRule& rule);

  bool Has(careplan::v1::SharedPart part) const {
    return (bits_ & Bit(part)) != 0;
  }
  bool IsAll() const { return bits_ == All().bits_; }
  // Every part of the care plan itself (SHARED_RISK, a referral's or
  // handover's, aside).
  bool HasWholePlan() const;
  void Add(careplan::v1::SharedPart part);
  // The parts in both sets.
  SharedParts Intersect(const SharedParts& other) const {
    SharedParts both;
    both.bits_ = bits_ & other.bits_;
    return both;
  }
  bool operator==(const SharedParts& other) const {
    return bits_ == other.bits_;
  }

  // The parts in this set, in SharedPart order, without the ones another
  // part implies (SHARED_OWN_ACTIONS when SHARED_ALL_ACTIONS is there).
  void AppendTo(careplan::v1::SharingRule& rule) const;

  // The parts missing from this set, in SharedPart order, without
  // SHARED_OWN_ACTIONS when only the others' actions are missing (what a
  // `withheld` list names).
  void AppendMissingTo(google::protobuf::RepeatedField<int>* missing) const;
  // As AppendMissingTo, for the care plan's parts only (never SHARED_RISK,
  // which referrals and handovers name in their own lists).
  void AppendMissingPlanPartsTo(
      google::protobuf::RepeatedField<int>* missing) const;

 private:
  static uint32_t Bit(careplan::v1::SharedPart part) {
    return uint32_t{1} << part;
  }
  uint32_t bits_ = 0;
};

// The part that shares the whole of a care plan `section`
// (SHARED_PART_UNSPECIFIED for none).
careplan::v1::SharedPart WholePartOf(careplan::v1::Section section);

// Whether a team shown `parts` reads why the plan changed when the change
// touched `sections` (careplan::v1::Section values): when none of them is
// withheld from it in whole (the reason may tell what changed).
bool ShowsChangeTo(const SharedParts& parts, absl::Span<const int> sections);

// What a team of `sector` sees when the person has made no rule for it or
// its sector (documented in sharing.proto, SharingChoices).
SharedParts DefaultParts(directory::v1::Sector sector);

// What `team` (of `sector`) sees under `choices` (null: no choices made),
// by the rules alone (the lead team's exception is PersonSharing's).
SharedParts PartsFor(const careplan::v1::SharingChoices* choices,
                     absl::string_view team, directory::v1::Sector sector);

// A person's choices and who leads their care, as another service learns
// them from the care plan service.
struct PersonSharing {
  // Unset when the person has made no choices (the defaults hold).
  std::optional<careplan::v1::SharingChoices> choices;
  // `teams/{id}`; empty when nobody leads.
  std::string lead_team;

  // What `team` (of `sector`) sees: everything when it leads, else its
  // parts under the choices.
  SharedParts PartsFor(absl::string_view team,
                       directory::v1::Sector sector) const;
};

}  // namespace carebridge::sharing

#endif  // CAREBRIDGE_SERVICES_SHARING_SHARED_PARTS_H_

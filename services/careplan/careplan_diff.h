#ifndef CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_DIFF_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_DIFF_H_

#include <vector>

#include "carebridge/careplan/v1/careplan.pb.h"

namespace carebridge::careplan {

// The differences between two versions of a plan, section by section, in
// Section order, only for sections that differ (see CarePlanDiff and
// FieldChange in careplan.proto for the paths and renderings). Goals and
// actions are matched by id, care team entries by team and start time,
// crisis contacts and supporters by position. `last_changed` is left unset:
// the caller fills it from the versions in between.
std::vector<v1::SectionDiff> DiffSections(const v1::CarePlan& from,
                                          const v1::CarePlan& to);

// The sections whose content differs between two plans (GOALS, ACTIONS,
// CRISIS_PLAN, COMMUNICATION_PREFERENCES, REVIEW_DATE, CARE_TEAM,
// AGREEMENT), in Section order. Cheaper than DiffSections: compares
// messages, renders nothing.
std::vector<v1::Section> ChangedSections(const v1::CarePlan& from,
                                         const v1::CarePlan& to);

}  // namespace carebridge::careplan

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_DIFF_H_

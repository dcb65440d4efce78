#ifndef CAREBRIDGE_CLIENTS_CARECTL_RECORD_FORMAT_H_
#define CAREBRIDGE_CLIENTS_CARECTL_RECORD_FORMAT_H_

#include <ostream>

#include "carebridge/record/v1/record.pb.h"
#include "clients/carectl/name_labels.h"

namespace carebridge::carectl {

// Each takes the labels persons, teams and members are shown by (ids when
// there are none).

// One line per entry (time, kind, what happened, who), its reason indented
// under it, then how far behind the record is when it is.
void PrintTimeline(std::ostream& out,
                   const record::v1::ListTimelineEntriesResponse& response,
                   const NameLabels& names = NameLabels());
// One timeline entry as a stream prints it: time, kind, what happened,
// who (two spaces between), and its reason on an indented line under it
// (`  RESOURCE: REASON`) when it has one.
void PrintTimelineEntry(std::ostream& out,
                        const record::v1::TimelineEntry& entry,
                        const NameLabels& names = NameLabels());
// One line per gap (since, kind, person, subject), why under the table.
void PrintCareGaps(std::ostream& out,
                   const record::v1::ListCareGapsResponse& response,
                   const NameLabels& names = NameLabels());
// The team's figures for the period, in sections.
void PrintTeamReport(std::ostream& out, const record::v1::TeamReport& report,
                     const NameLabels& names = NameLabels());
// The person (label, then id), who leads, the care team, the plan's state,
// open loops, last contacts.
void PrintCareSummary(std::ostream& out, const record::v1::CareSummary& summary,
                      const NameLabels& names = NameLabels());

}  // namespace carebridge::carectl

#endif  // CAREBRIDGE_CLIENTS_CARECTL_RECORD_FORMAT_H_

#ifndef CAREBRIDGE_CLIENTS_CARECTL_RECORD_FORMAT_H_
#define CAREBRIDGE_CLIENTS_CARECTL_RECORD_FORMAT_H_

#include <ostream>

#include "carebridge/record/v1/record.pb.h"

namespace carebridge::carectl {

// One line per entry (time, kind, what happened, who), its reason indented
// under it, then how far behind the record is when it is.
void PrintTimeline(std::ostream& out,
                   const record::v1::ListTimelineEntriesResponse& response);
// One line per gap (since, kind, person, subject), why under the table.
void PrintCareGaps(std::ostream& out,
                   const record::v1::ListCareGapsResponse& response);
// The team's figures for the period, in sections.
void PrintTeamReport(std::ostream& out, const record::v1::TeamReport& report);
// Who leads, the care team, the plan's state, open loops, last contacts.
void PrintCareSummary(std::ostream& out,
                      const record::v1::CareSummary& summary);

}  // namespace carebridge::carectl

#endif  // CAREBRIDGE_CLIENTS_CARECTL_RECORD_FORMAT_H_

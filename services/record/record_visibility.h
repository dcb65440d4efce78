#ifndef CAREBRIDGE_SERVICES_RECORD_RECORD_VISIBILITY_H_
#define CAREBRIDGE_SERVICES_RECORD_RECORD_VISIBILITY_H_

#include "services/common/policy.h"
#include "services/common/principal.h"
#include "services/record/record_projection.h"

namespace carebridge::record {

// Need to know for one timeline entry, judged now, by the same rules as
// the entry's source service (policy.h): a registration step to anyone who
// may read the person; a referral or handover step to its sending and
// receiving teams; a care plan or care team step to the teams on the care
// team now (`caller_team_involved_now`), and, without its content, the
// step that ended the caller's team's involvement. Services see all.
// kMetadataOnly: the caller sees that the step happened, not its reason.
policy::EventVisibility EntryVisibility(const Principal& caller,
                                        const TimelineRow& row,
                                        bool caller_team_involved_now);

}  // namespace carebridge::record

#endif  // CAREBRIDGE_SERVICES_RECORD_RECORD_VISIBILITY_H_

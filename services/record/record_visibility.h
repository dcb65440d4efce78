#ifndef CAREBRIDGE_SERVICES_RECORD_RECORD_VISIBILITY_H_
#define CAREBRIDGE_SERVICES_RECORD_RECORD_VISIBILITY_H_

#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "carebridge/record/v1/record.pb.h"
#include "services/common/policy.h"
#include "services/common/principal.h"
#include "services/record/record_projection.h"
#include "services/sharing/shared_parts.h"

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

// A care plan step (`row`, already judged `visibility`) as the person's
// sharing choices show it to the caller's team (`parts`; `lead_team` leads
// the care now): a team not shown the whole plan reads a change that
// touched a section withheld from it (or touched what the record does not
// know) without its summary and reason (they may tell what changed), as
// the care plan service shows its versions; one not shown the care team
// reads only its own care team steps and changes of lead, and no team but
// its own and the lead named on any step. Other steps, and callers shown
// the whole plan, are unchanged.
policy::EventVisibility ShareEntry(const Principal& caller,
                                   const sharing::SharedParts& parts,
                                   absl::string_view lead_team,
                                   policy::EventVisibility visibility,
                                   TimelineRow& row);

// What one caller sees of one person's timeline, judged once for a read
// from the care relationship and the person's sharing choices at that
// moment (RecordDomain::ViewFor): EntryVisibility, then ShareEntry, then
// the entry shaped to what they allow. Every read of timeline entries
// shows them through this (ListTimelineEntries and WatchTimeline), so the
// rules have one copy. Not thread-safe; immutable once made.
class TimelineView {
 public:
  // `involved`: the caller's team is on the care team now; `parts`: what
  // the person's choices show it of the plan; `lead_team`: who leads now.
  TimelineView(const Principal& caller, bool involved,
               const sharing::SharedParts& parts, std::string lead_team)
      : caller_(caller),
        involved_(involved),
        parts_(parts),
        lead_team_(std::move(lead_team)) {}

  // Appends `row` to `entries` as the caller may see it; false (and
  // nothing appended) when it may not. `row` may be narrowed (ShareEntry).
  bool Show(
      TimelineRow& row,
      google::protobuf::RepeatedPtrField<v1::TimelineEntry>* entries) const;

 private:
  const Principal caller_;
  const bool involved_;
  const sharing::SharedParts parts_;
  const std::string lead_team_;
};

// The summary's care plan part as the person's sharing choices show it to
// `team` (`parts`), with what is left out named in `withheld`: the care
// team and last contacts but the lead and `team` (SHARED_CARE_TEAM), the
// review date, the crisis-plan flag (neither the crisis plan nor what
// helps), when the person agreed (SHARED_AGREEMENT; whether they agree is
// always shown). Last contacts other than care plan steps stay (a referral
// or handover the caller's team is party to).
void ShareSummary(const sharing::SharedParts& parts, absl::string_view team,
                  v1::CareSummary& summary);

// Whether a team the person's sharing choices show `parts` of the care plan
// is told of a gap of `kind` (on its list, in its summary and inbox): a
// review overdue tells the review date passed (SHARED_REVIEW_DATE), a plan
// unagreed for weeks when the person last agreed (SHARED_AGREEMENT), no
// crisis plan that there is none (SHARED_WHAT_HELPS). The other kinds are
// about hand-offs and the lead, for the teams they name.
bool GapShown(v1::GapKind kind, const sharing::SharedParts& parts);

}  // namespace carebridge::record

#endif  // CAREBRIDGE_SERVICES_RECORD_RECORD_VISIBILITY_H_

// `carectl person timeline|summary`: carebridge.record.v1.RecordService,
// the continuous view of a person's care across services.

#include "clients/carectl/command.h"
#include "clients/carectl/record_format.h"
#include "clients/carectl/record_requests.h"

namespace carebridge::carectl {
namespace {

namespace rv = ::carebridge::record::v1;
using Stub = rv::RecordService::Stub;

int Timeline(Session& s, const Invocation& in) {
  auto request = BuildTimelineRequest(in.args[0], in.flags);
  if (!request.ok()) return s.UsageError(request.status());
  return CallAndFinish(s, s.record(), &Stub::ListTimelineEntries, *request,
                       PrintTimeline);
}

int Summary(Session& s, const Invocation& in) {
  return CallAndFinish(s, s.record(), &Stub::GetCareSummary,
                       BuildSummaryRequest(in.args[0]), PrintCareSummary);
}

}  // namespace

std::vector<Command> RecordCommands() {
  std::vector<FlagSpec> timeline_flags = {{"kind", FlagKind::kRepeated},
                                          {"since", FlagKind::kValue},
                                          {"until", FlagKind::kValue},
                                          {"newest_first", FlagKind::kBool}};
  for (FlagSpec& f : PagingFlags()) timeline_flags.push_back(f);
  return {
      {"person",
       "timeline",
       "person timeline PERSON [--kind=KIND,...] [--since=WHEN] "
       "[--until=WHEN] [--newest_first] [--page_size=N] [--page_token=TOKEN]",
       "Everything that happened in a person's care across services, in time "
       "order: referral and handover steps, care plan versions, care team "
       "changes, escalations, registration; each with who and why, as far as "
       "your team may see it. KIND: referral, handover, care_plan, care_team, "
       "escalation, person. WHEN: YYYY-MM-DD or an RFC 3339 time.",
       {"PERSON"},
       timeline_flags,
       Timeline},
      {"person",
       "summary",
       "person summary PERSON",
       "Where a person's care stands now: who leads and since when, the care "
       "team, the plan's version, agreement, crisis plan and review date (for "
       "teams on the care team), referrals and handovers still waiting for "
       "an answer, and each team's last step.",
       {"PERSON"},
       {},
       Summary},
  };
}

}  // namespace carebridge::carectl

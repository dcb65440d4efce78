#ifndef CAREBRIDGE_CLIENTS_CARECTL_RECORD_REQUESTS_H_
#define CAREBRIDGE_CLIENTS_CARECTL_RECORD_REQUESTS_H_

#include "absl/status/statusor.h"
#include "carebridge/record/v1/record.pb.h"
#include "clients/carectl/args.h"

namespace carebridge::carectl {

// `person timeline PERSON [--kind=KIND,...] [--since=WHEN] [--until=WHEN]
// [--newest_first] [--page_size=N] [--page_token=TOKEN]`; PERSON is an id or
// persons/ID, WHEN a date (YYYY-MM-DD) or an RFC 3339 time.
absl::StatusOr<record::v1::ListTimelineEntriesRequest> BuildTimelineRequest(
    absl::string_view person, const Flags& flags);

// `person timeline PERSON --follow [--kind=KIND,...] [--after=CURSOR]`:
// the stream of the person's timeline, after CURSOR (a cursor carectl
// printed) or from the start. The paged call's other flags are usage
// errors with --follow.
absl::StatusOr<record::v1::WatchTimelineRequest> BuildWatchTimelineRequest(
    absl::string_view person, const Flags& flags);

// `gaps [--team=TEAM | --all_teams] [--kind=KIND,...] [--person=PERSON]
// [--closed] [--page_size=N] [--page_token=TOKEN]`; the caller's own team
// when neither --team nor --all_teams is given (`my_team`, from the token).
absl::StatusOr<record::v1::ListCareGapsRequest> BuildGapsRequest(
    const Flags& flags);

// `team report TEAM --since=WHEN [--until=WHEN]` (until: now).
absl::StatusOr<record::v1::GetTeamReportRequest> BuildTeamReportRequest(
    absl::string_view team, const Flags& flags);

// `person summary PERSON`.
record::v1::GetCareSummaryRequest BuildSummaryRequest(absl::string_view person);

}  // namespace carebridge::carectl

#endif  // CAREBRIDGE_CLIENTS_CARECTL_RECORD_REQUESTS_H_

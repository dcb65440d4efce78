#include "clients/carectl/record_requests.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "clients/carectl/enums.h"
#include "clients/carectl/handover_requests.h"
#include "clients/carectl/names.h"
#include "services/common/macros.h"

namespace carebridge::carectl {

namespace rv = ::carebridge::record::v1;

namespace {

// --kind=KIND,... (may repeat).
template <typename Request>
absl::Status AddKinds(const Flags& flags, Request& request) {
  for (const std::string& words : flags.GetAll("kind")) {
    for (absl::string_view word :
         absl::StrSplit(words, ',', absl::SkipWhitespace())) {
      ASSIGN_OR_RETURN(rv::EntryKind kind,
                       ParseEnumFlag<rv::EntryKind>("kind", word));
      request.add_kinds(kind);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<rv::ListTimelineEntriesRequest> BuildTimelineRequest(
    absl::string_view person, const Flags& flags) {
  rv::ListTimelineEntriesRequest request;
  request.set_parent(ResourceName("persons", person));
  RETURN_IF_ERROR(AddKinds(flags, request));
  if (flags.Has("after")) {
    return FlagError("after", "resumes a stream: give it with --follow");
  }
  if (flags.Has("since")) {
    ASSIGN_OR_RETURN(*request.mutable_start_time(),
                     ParseDueTime("--since", flags.Get("since")));
  }
  if (flags.Has("until")) {
    ASSIGN_OR_RETURN(*request.mutable_end_time(),
                     ParseDueTime("--until", flags.Get("until")));
  }
  request.set_newest_first(flags.GetBool("newest_first"));
  ASSIGN_OR_RETURN(int page_size, flags.GetPositiveInt("page_size"));
  request.set_page_size(page_size);
  request.set_page_token(flags.Get("page_token"));
  return request;
}

absl::StatusOr<rv::WatchTimelineRequest> BuildWatchTimelineRequest(
    absl::string_view person, const Flags& flags) {
  for (const char* paged : {"since", "until", "newest_first", "page_size",
                            "page_token", "wait_caught_up"}) {
    if (flags.Has(paged)) {
      return FlagError(paged,
                       "pages the timeline; --follow streams it from the "
                       "start (or --after=CURSOR), filtered by --kind only");
    }
  }
  rv::WatchTimelineRequest request;
  request.set_parent(ResourceName("persons", person));
  RETURN_IF_ERROR(AddKinds(flags, request));
  request.set_cursor(flags.Get("after"));
  return request;
}

absl::StatusOr<rv::ListCareGapsRequest> BuildGapsRequest(const Flags& flags) {
  rv::ListCareGapsRequest request;
  if (flags.Has("team") && flags.GetBool("all_teams")) {
    return FlagError("team", "give --team or --all_teams, not both");
  }
  if (flags.GetBool("all_teams")) {
    request.set_parent("teams/-");
  } else if (flags.Has("team")) {
    request.set_parent(ResourceName("teams", flags.Get("team")));
  } else {
    return FlagError("team",
                     "say whose work list: --team=TEAM (yours) or "
                     "--all_teams (services)");
  }
  for (const std::string& words : flags.GetAll("kind")) {
    for (absl::string_view word :
         absl::StrSplit(words, ',', absl::SkipWhitespace())) {
      ASSIGN_OR_RETURN(rv::GapKind kind,
                       ParseEnumFlag<rv::GapKind>("kind", word));
      request.add_kinds(kind);
    }
  }
  if (flags.Has("person")) {
    request.set_person(ResourceName("persons", flags.Get("person")));
  }
  request.set_include_closed(flags.GetBool("closed"));
  ASSIGN_OR_RETURN(int page_size, flags.GetPositiveInt("page_size"));
  request.set_page_size(page_size);
  request.set_page_token(flags.Get("page_token"));
  return request;
}

absl::StatusOr<rv::GetTeamReportRequest> BuildTeamReportRequest(
    absl::string_view team, const Flags& flags) {
  rv::GetTeamReportRequest request;
  request.set_team(ResourceName("teams", team));
  if (!flags.Has("since")) {
    return FlagError("since", "say from when (YYYY-MM-DD or an RFC 3339 time)");
  }
  ASSIGN_OR_RETURN(*request.mutable_start_time(),
                   ParseDueTime("--since", flags.Get("since")));
  if (flags.Has("until")) {
    ASSIGN_OR_RETURN(*request.mutable_end_time(),
                     ParseDueTime("--until", flags.Get("until")));
  } else {
    request.mutable_end_time()->set_seconds(absl::ToUnixSeconds(absl::Now()) +
                                            1);
  }
  return request;
}

rv::GetCareSummaryRequest BuildSummaryRequest(absl::string_view person) {
  std::string name = ResourceName("persons", person);
  if (!absl::EndsWith(name, "/careSummary"))
    absl::StrAppend(&name, "/careSummary");
  rv::GetCareSummaryRequest request;
  request.set_name(name);
  return request;
}

}  // namespace carebridge::carectl

#include "services/record/record_grpc.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/errors.h"
#include "services/common/event_feed_grpc.h"
#include "services/common/grpc_handler.h"
#include "services/common/macros.h"
#include "services/common/validation.h"
#include "services/record/timeline_watch_grpc.h"

namespace carebridge::record {

grpc::ServerUnaryReactor* RecordGrpcService::ListTimelineEntries(
    grpc::CallbackServerContext* context,
    const v1::ListTimelineEntriesRequest* request,
    v1::ListTimelineEntriesResponse* response) {
  // Inline unless a care team member needs the person's sharing choices.
  return HandleInlineOrBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::ListTimelineEntriesRequest& r,
             RemoteCalls remote) {
        return domain_->ListTimelineEntries(caller, r, remote);
      });
}

grpc::ServerUnaryReactor* RecordGrpcService::GetCareSummary(
    grpc::CallbackServerContext* context,
    const v1::GetCareSummaryRequest* request, v1::CareSummary* response) {
  // Inline unless a care team member needs the person's sharing choices.
  return HandleInlineOrBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::GetCareSummaryRequest& r,
             RemoteCalls remote) {
        return domain_->GetCareSummary(caller, r, remote);
      });
}

grpc::ServerUnaryReactor* RecordGrpcService::ListCareGaps(
    grpc::CallbackServerContext* context,
    const v1::ListCareGapsRequest* request,
    v1::ListCareGapsResponse* response) {
  // Inline unless a gap on a care team member's list needs the person's
  // sharing choices.
  return HandleInlineOrBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::ListCareGapsRequest& r,
             RemoteCalls remote) {
        return domain_->ListCareGaps(caller, r, remote);
      });
}

grpc::ServerUnaryReactor* RecordGrpcService::GetTeamReport(
    grpc::CallbackServerContext* context,
    const v1::GetTeamReportRequest* request, v1::TeamReport* response) {
  return HandleInline(
      *authenticator_, context, request, response,
      [this](const Principal& caller, const v1::GetTeamReportRequest& r) {
        return domain_->GetTeamReport(caller, r);
      });
}

absl::StatusOr<policy::EventVisibility> InboxAccess::VisibilityNow(
    const Principal& caller, const events::v1::Event& event) {
  // Every item is about a person: admins see nothing of it.
  if (caller.is_admin()) return policy::EventVisibility::kHidden;
  // Each item names the one team whose inbox it is in.
  const policy::EventVisibility visibility =
      policy::EventVisibilityFor(caller, event);
  // A gap tells no more than the person's choices show the team (on the
  // executor, where the feed is read: the care plan service may be asked).
  if (visibility != policy::EventVisibility::kHidden &&
      absl::StartsWith(event.type(), "inbox.gap_")) {
    ASSIGN_OR_RETURN(bool told, domain_->TellsOfGap(caller, event.subject(),
                                                    event.person()));
    if (!told) return policy::EventVisibility::kHidden;
  }
  return visibility;
}

absl::Status InboxAccess::Admit(const Principal& caller,
                                const events::v1::SubscribeRequest& request) {
  if (request.team().empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::string team_id,
                   ParseResourceName("team", request.team(), "teams"));
  const std::string team = absl::StrCat("teams/", team_id);
  // The staff who receive a team's items (InboxAccess::VisibilityNow):
  // its clinical members.
  if (caller.is_clinical() && caller.team == team) return absl::OkStatus();
  return carebridge::errors::PermissionDenied(absl::StrCat(
      "Subscribe: ", team, "'s inbox is its own staff's; ", caller.subject,
      caller.team.empty() ? std::string(" is on no team")
                          : absl::StrCat(" is on ", caller.team)));
}

grpc::ServerWriteReactor<events::v1::SubscribeResponse>*
RecordGrpcService::Subscribe(grpc::CallbackServerContext* context,
                             const events::v1::SubscribeRequest* request) {
  return ServeEventFeed(context, request, *authenticator_, event_log_,
                        executor_, &inbox_access_);
}

grpc::ServerWriteReactor<v1::WatchTimelineResponse>*
RecordGrpcService::WatchTimeline(grpc::CallbackServerContext* context,
                                 const v1::WatchTimelineRequest* request) {
  return ServeTimelineWatch(context, request, *authenticator_, executor_,
                            domain_, timeline_changes_);
}

}  // namespace carebridge::record

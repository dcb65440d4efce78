#ifndef CAREBRIDGE_SERVICES_RECORD_RECORD_GRPC_H_
#define CAREBRIDGE_SERVICES_RECORD_RECORD_GRPC_H_

#include "carebridge/record/v1/record.grpc.pb.h"
#include "services/common/authenticator.h"
#include "services/common/event_access.h"
#include "services/common/event_log.h"
#include "services/common/executor.h"
#include "services/record/record_domain.h"
#include "services/record/timeline_changes.h"

namespace carebridge::record {

// Need to know for the record's feed (the team inbox items): a clinical
// subscriber receives its own team's items, but a gap's only when the
// person's sharing choices let its team be told of it (RecordDomain::
// TellsOfGap); admins nothing, as every item is about a person; services
// everything.
class InboxAccess : public EventAccess {
 public:
  // `domain` outlives this.
  explicit InboxAccess(RecordDomain* domain) : domain_(domain) {}

  absl::StatusOr<policy::EventVisibility> VisibilityNow(
      const Principal& caller, const events::v1::Event& event) override;

  // A team named (SubscribeRequest.team) must be the caller's own: a
  // team's inbox is its own staff's.
  absl::Status Admit(const Principal& caller,
                     const events::v1::SubscribeRequest& request) override;

 private:
  RecordDomain* const domain_;
};

// carebridge.record.v1.RecordService over gRPC's callback API. Every method
// reads the record's own store, inline unless the person's sharing choices
// must be asked; Subscribe serves the record's feed (the team inbox items),
// WatchTimeline a person's timeline as it grows. This class is thread-safe.
class RecordGrpcService final : public v1::RecordService::CallbackService {
 public:
  // `timeline_changes` wakes the timeline streams (WatchTimeline).
  RecordGrpcService(const Authenticator* authenticator,
                    BlockingExecutor* executor, RecordDomain* domain,
                    EventLog* event_log, TimelineChanges* timeline_changes)
      : authenticator_(authenticator),
        executor_(executor),
        domain_(domain),
        event_log_(event_log),
        timeline_changes_(timeline_changes),
        inbox_access_(domain) {}

  grpc::ServerUnaryReactor* ListTimelineEntries(
      grpc::CallbackServerContext* context,
      const v1::ListTimelineEntriesRequest* request,
      v1::ListTimelineEntriesResponse* response) override;
  grpc::ServerUnaryReactor* GetCareSummary(
      grpc::CallbackServerContext* context,
      const v1::GetCareSummaryRequest* request,
      v1::CareSummary* response) override;
  grpc::ServerUnaryReactor* ListCareGaps(
      grpc::CallbackServerContext* context,
      const v1::ListCareGapsRequest* request,
      v1::ListCareGapsResponse* response) override;
  grpc::ServerUnaryReactor* GetTeamReport(
      grpc::CallbackServerContext* context,
      const v1::GetTeamReportRequest* request,
      v1::TeamReport* response) override;
  grpc::ServerWriteReactor<events::v1::SubscribeResponse>* Subscribe(
      grpc::CallbackServerContext* context,
      const events::v1::SubscribeRequest* request) override;
  grpc::ServerWriteReactor<v1::WatchTimelineResponse>* WatchTimeline(
      grpc::CallbackServerContext* context,
      const v1::WatchTimelineRequest* request) override;

 private:
  const Authenticator* const authenticator_;
  BlockingExecutor* const executor_;
  RecordDomain* const domain_;
  EventLog* const event_log_;
  TimelineChanges* const timeline_changes_;
  InboxAccess inbox_access_;
};

}  // namespace carebridge::record

#endif  // CAREBRIDGE_SERVICES_RECORD_RECORD_GRPC_H_

#ifndef CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_GRPC_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_GRPC_H_

#include "carebridge/careplan/v1/careplan.grpc.pb.h"
#include "services/careplan/careplan_domain.h"
#include "services/common/authenticator.h"
#include "services/common/event_access.h"
#include "services/common/event_log.h"
#include "services/common/executor.h"

namespace carebridge::careplan {

// carebridge.careplan.v1.CarePlanService over gRPC's callback API: each
// method authenticates the caller, hands the request to the domain and
// converts the result. Reads run inline (they ask the directory only about
// a plan that does not exist); writes, which wait for a durable commit and
// may ask the directory, run on the blocking executor. This class is
// thread-safe.
//
// GetCarePlan, the most frequent call, is served as raw bytes: the current
// plan's wire form is kept in memory (CachingCarePlanStore), so answering
// costs no message building, copying or serialization.
class CarePlanGrpcService final
    : public v1::CarePlanService::WithRawCallbackMethod_GetCarePlan<
          v1::CarePlanService::CallbackService> {
 public:
  // `event_log` is the `careplan` feed Subscribe serves.
  // `event_access` decides per event what a subscriber sees when it is
  // delivered.
  CarePlanGrpcService(const Authenticator* authenticator,
                      BlockingExecutor* executor, CarePlanDomain* domain,
                      EventLog* event_log, EventAccess* event_access)
      : authenticator_(authenticator),
        executor_(executor),
        domain_(domain),
        event_log_(event_log),
        event_access_(event_access) {}

  // A serialized GetCarePlanRequest in, a serialized CarePlan out.
  grpc::ServerUnaryReactor* GetCarePlan(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* UpdateCarePlan(
      grpc::CallbackServerContext* context,
      const v1::UpdateCarePlanRequest* request,
      v1::CarePlan* response) override;
  grpc::ServerUnaryReactor* ListCarePlanVersions(
      grpc::CallbackServerContext* context,
      const v1::ListCarePlanVersionsRequest* request,
      v1::ListCarePlanVersionsResponse* response) override;
  grpc::ServerUnaryReactor* GetCarePlanVersion(
      grpc::CallbackServerContext* context,
      const v1::GetCarePlanVersionRequest* request,
      v1::CarePlan* response) override;
  grpc::ServerUnaryReactor* DiffCarePlanVersions(
      grpc::CallbackServerContext* context,
      const v1::DiffCarePlanVersionsRequest* request,
      v1::CarePlanDiff* response) override;
  grpc::ServerUnaryReactor* RecordAgreement(
      grpc::CallbackServerContext* context,
      const v1::RecordAgreementRequest* request,
      v1::CarePlan* response) override;
  grpc::ServerUnaryReactor* IssuePersonToken(
      grpc::CallbackServerContext* context,
      const v1::IssuePersonTokenRequest* request,
      v1::IssuePersonTokenResponse* response) override;
  grpc::ServerUnaryReactor* RevokePersonTokens(
      grpc::CallbackServerContext* context,
      const v1::RevokePersonTokensRequest* request,
      directory::v1::PersonTokenRevocation* response) override;
  grpc::ServerUnaryReactor* AddCareTeamMember(
      grpc::CallbackServerContext* context,
      const v1::AddCareTeamMemberRequest* request,
      v1::CarePlan* response) override;
  grpc::ServerUnaryReactor* EndCareTeamInvolvement(
      grpc::CallbackServerContext* context,
      const v1::EndCareTeamInvolvementRequest* request,
      v1::CarePlan* response) override;
  grpc::ServerUnaryReactor* ReviewCareTeamJoin(
      grpc::CallbackServerContext* context,
      const v1::ReviewCareTeamJoinRequest* request,
      v1::CarePlan* response) override;
  grpc::ServerUnaryReactor* SetLeadTeam(grpc::CallbackServerContext* context,
                                        const v1::SetLeadTeamRequest* request,
                                        v1::CarePlan* response) override;
  grpc::ServerUnaryReactor* GetSharingChoices(
      grpc::CallbackServerContext* context,
      const v1::GetSharingChoicesRequest* request,
      v1::SharingChoices* response) override;
  grpc::ServerUnaryReactor* UpdateSharingChoices(
      grpc::CallbackServerContext* context,
      const v1::UpdateSharingChoicesRequest* request,
      v1::SharingChoices* response) override;
  grpc::ServerUnaryReactor* ListSharingChoicesVersions(
      grpc::CallbackServerContext* context,
      const v1::ListSharingChoicesVersionsRequest* request,
      v1::ListSharingChoicesVersionsResponse* response) override;
  grpc::ServerUnaryReactor* BreakGlass(grpc::CallbackServerContext* context,
                                       const v1::BreakGlassRequest* request,
                                       v1::BreakGlassAccess* response) override;
  grpc::ServerUnaryReactor* ListBreakGlassAccesses(
      grpc::CallbackServerContext* context,
      const v1::ListBreakGlassAccessesRequest* request,
      v1::ListBreakGlassAccessesResponse* response) override;
  grpc::ServerUnaryReactor* ReviewBreakGlassAccess(
      grpc::CallbackServerContext* context,
      const v1::ReviewBreakGlassAccessRequest* request,
      v1::BreakGlassAccess* response) override;
  grpc::ServerWriteReactor<events::v1::SubscribeResponse>* Subscribe(
      grpc::CallbackServerContext* context,
      const events::v1::SubscribeRequest* request) override;

 private:
  const Authenticator* const authenticator_;
  BlockingExecutor* const executor_;
  CarePlanDomain* const domain_;
  EventLog* const event_log_;
  EventAccess* const event_access_;
};

}  // namespace carebridge::careplan

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_GRPC_H_

#ifndef CAREBRIDGE_SERVICES_DIRECTORY_DIRECTORY_GRPC_H_
#define CAREBRIDGE_SERVICES_DIRECTORY_DIRECTORY_GRPC_H_

#include "carebridge/directory/v1/directory.grpc.pb.h"
#include "carebridge/events/v1/events.pb.h"
#include "services/common/authenticator.h"
#include "services/common/event_log.h"
#include "services/common/executor.h"
#include "services/directory/directory_domain.h"

namespace carebridge::directory {

// The gRPC edge of the directory, on gRPC's callback API: each method
// authenticates the caller, hands the request to DirectoryDomain and
// converts the result. Reads (and IssueToken, which only reads and signs)
// run inline; writes wait for a durable commit on the blocking executor;
// Subscribe serves `event_log` (event_feed_grpc.h). This class is
// thread-safe.
class DirectoryGrpcService final
    : public v1::DirectoryService::CallbackService {
 public:
  // The pointees outlive this object.
  DirectoryGrpcService(const Authenticator* authenticator,
                       BlockingExecutor* executor, DirectoryDomain* domain,
                       EventLog* event_log)
      : authenticator_(authenticator),
        executor_(executor),
        domain_(domain),
        event_log_(event_log) {}

  grpc::ServerUnaryReactor* CreateTeam(grpc::CallbackServerContext* context,
                                       const v1::CreateTeamRequest* request,
                                       v1::Team* response) override;
  grpc::ServerUnaryReactor* GetTeam(grpc::CallbackServerContext* context,
                                    const v1::GetTeamRequest* request,
                                    v1::Team* response) override;
  grpc::ServerUnaryReactor* ListTeams(grpc::CallbackServerContext* context,
                                      const v1::ListTeamsRequest* request,
                                      v1::ListTeamsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateTeam(grpc::CallbackServerContext* context,
                                       const v1::UpdateTeamRequest* request,
                                       v1::Team* response) override;
  grpc::ServerUnaryReactor* CreateMember(grpc::CallbackServerContext* context,
                                         const v1::CreateMemberRequest* request,
                                         v1::Member* response) override;
  grpc::ServerUnaryReactor* GetMember(grpc::CallbackServerContext* context,
                                      const v1::GetMemberRequest* request,
                                      v1::Member* response) override;
  grpc::ServerUnaryReactor* ListMembers(
      grpc::CallbackServerContext* context,
      const v1::ListMembersRequest* request,
      v1::ListMembersResponse* response) override;
  grpc::ServerUnaryReactor* UpdateMember(grpc::CallbackServerContext* context,
                                         const v1::UpdateMemberRequest* request,
                                         v1::Member* response) override;
  grpc::ServerUnaryReactor* DeactivateMember(
      grpc::CallbackServerContext* context,
      const v1::DeactivateMemberRequest* request,
      v1::Member* response) override;
  grpc::ServerUnaryReactor* ReactivateMember(
      grpc::CallbackServerContext* context,
      const v1::ReactivateMemberRequest* request,
      v1::Member* response) override;
  grpc::ServerUnaryReactor* RevokeMemberTokens(
      grpc::CallbackServerContext* context,
      const v1::RevokeMemberTokensRequest* request,
      v1::Member* response) override;
  grpc::ServerUnaryReactor* RevokeToken(grpc::CallbackServerContext* context,
                                        const v1::RevokeTokenRequest* request,
                                        v1::TokenRevocation* response) override;
  grpc::ServerUnaryReactor* IssueToken(
      grpc::CallbackServerContext* context,
      const v1::IssueTokenRequest* request,
      v1::IssueTokenResponse* response) override;
  grpc::ServerUnaryReactor* RevokePersonTokens(
      grpc::CallbackServerContext* context,
      const v1::RevokePersonTokensRequest* request,
      v1::PersonTokenRevocation* response) override;
  grpc::ServerUnaryReactor* CreatePerson(grpc::CallbackServerContext* context,
                                         const v1::CreatePersonRequest* request,
                                         v1::Person* response) override;
  grpc::ServerUnaryReactor* MergePersons(grpc::CallbackServerContext* context,
                                         const v1::MergePersonsRequest* request,
                                         v1::Person* response) override;
  grpc::ServerUnaryReactor* UpdatePerson(grpc::CallbackServerContext* context,
                                         const v1::UpdatePersonRequest* request,
                                         v1::Person* response) override;
  grpc::ServerUnaryReactor* GetPerson(grpc::CallbackServerContext* context,
                                      const v1::GetPersonRequest* request,
                                      v1::Person* response) override;
  grpc::ServerUnaryReactor* FindPersons(
      grpc::CallbackServerContext* context,
      const v1::FindPersonsRequest* request,
      v1::FindPersonsResponse* response) override;
  grpc::ServerWriteReactor<events::v1::SubscribeResponse>* Subscribe(
      grpc::CallbackServerContext* context,
      const events::v1::SubscribeRequest* request) override;

 private:
  const Authenticator* const authenticator_;
  BlockingExecutor* const executor_;
  DirectoryDomain* const domain_;
  EventLog* const event_log_;
};

}  // namespace carebridge::directory

#endif  // CAREBRIDGE_SERVICES_DIRECTORY_DIRECTORY_GRPC_H_

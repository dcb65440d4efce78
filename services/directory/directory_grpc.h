#ifndef CAREBRIDGE_SERVICES_DIRECTORY_DIRECTORY_GRPC_H_
#define CAREBRIDGE_SERVICES_DIRECTORY_DIRECTORY_GRPC_H_

#include "carebridge/directory/v1/directory.grpc.pb.h"
#include "services/common/authenticator.h"
#include "services/directory/directory_domain.h"

namespace carebridge::directory {

// The gRPC edge of the directory: each method authenticates the caller,
// hands the request to DirectoryDomain and converts the result. This class
// is thread-safe.
class DirectoryGrpcService final : public v1::DirectoryService::Service {
 public:
  // The pointees outlive this object.
  DirectoryGrpcService(const Authenticator* authenticator,
                       DirectoryDomain* domain)
      : authenticator_(authenticator), domain_(domain) {}

  grpc::Status CreateTeam(grpc::ServerContext* context,
                          const v1::CreateTeamRequest* request,
                          v1::Team* response) override;
  grpc::Status GetTeam(grpc::ServerContext* context,
                       const v1::GetTeamRequest* request,
                       v1::Team* response) override;
  grpc::Status ListTeams(grpc::ServerContext* context,
                         const v1::ListTeamsRequest* request,
                         v1::ListTeamsResponse* response) override;
  grpc::Status UpdateTeam(grpc::ServerContext* context,
                          const v1::UpdateTeamRequest* request,
                          v1::Team* response) override;
  grpc::Status CreateMember(grpc::ServerContext* context,
                            const v1::CreateMemberRequest* request,
                            v1::Member* response) override;
  grpc::Status GetMember(grpc::ServerContext* context,
                         const v1::GetMemberRequest* request,
                         v1::Member* response) override;
  grpc::Status ListMembers(grpc::ServerContext* context,
                           const v1::ListMembersRequest* request,
                           v1::ListMembersResponse* response) override;
  grpc::Status IssueToken(grpc::ServerContext* context,
                          const v1::IssueTokenRequest* request,
                          v1::IssueTokenResponse* response) override;
  grpc::Status CreatePerson(grpc::ServerContext* context,
                            const v1::CreatePersonRequest* request,
                            v1::Person* response) override;
  grpc::Status GetPerson(grpc::ServerContext* context,
                         const v1::GetPersonRequest* request,
                         v1::Person* response) override;
  grpc::Status FindPersons(grpc::ServerContext* context,
                           const v1::FindPersonsRequest* request,
                           v1::FindPersonsResponse* response) override;

 private:
  // Authenticates, runs `method` of the domain and moves its result into
  // `response`.
  template <typename Request, typename Response>
  grpc::Status Handle(grpc::ServerContext* context, const Request& request,
                      Response* response,
                      absl::StatusOr<Response> (DirectoryDomain::*method)(
                          const Principal&, const Request&));

  const Authenticator* authenticator_;
  DirectoryDomain* domain_;
};

}  // namespace carebridge::directory

#endif  // CAREBRIDGE_SERVICES_DIRECTORY_DIRECTORY_GRPC_H_

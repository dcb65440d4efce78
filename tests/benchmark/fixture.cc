#include "tests/benchmark/fixture.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "carebridge/directory/v1/directory.grpc.pb.h"
#include "services/common/macros.h"
#include "services/common/status.h"

namespace carebridge::bench {
namespace {

namespace dir = ::carebridge::directory::v1;

constexpr auto kSetupTimeout = std::chrono::seconds(30);

// Runs one setup call as `token`; errors say which step failed.
template <typename Request, typename Response, typename Method>
absl::StatusOr<Response> Call(dir::DirectoryService::Stub& stub, Method method,
                              absl::string_view step, absl::string_view token,
                              const Request& request) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kSetupTimeout);
  AddBearer(context, token);
  Response response;
  const grpc::Status status = (stub.*method)(&context, request, &response);
  if (!status.ok()) {
    const absl::Status error = FromGrpcStatus(status);
    return absl::Status(error.code(),
                        absl::StrCat("setup ", step, ": ", error.message()));
  }
  return response;
}

absl::StatusOr<dir::Team> CreateTeam(dir::DirectoryService::Stub& stub,
                                     absl::string_view admin_token,
                                     absl::string_view display_name,
                                     dir::Sector sector) {
  dir::CreateTeamRequest request;
  request.mutable_team()->set_display_name(std::string(display_name));
  request.mutable_team()->set_sector(sector);
  request.mutable_team()->set_accepting_referrals(true);
  return Call<dir::CreateTeamRequest, dir::Team>(
      stub, &dir::DirectoryService::Stub::CreateTeam, "CreateTeam", admin_token,
      request);
}

// A member of `team` with `role`, added by `by_token`, and a token for them
// (issued by the same: duties are separated, so an admin appoints a team's
// manager and the manager adds the team's clinicians).
absl::StatusOr<std::string> CreateMemberToken(dir::DirectoryService::Stub& stub,
                                              absl::string_view by_token,
                                              const std::string& team,
                                              dir::Role role,
                                              absl::string_view display_name) {
  dir::CreateMemberRequest member_request;
  member_request.mutable_member()->set_display_name(std::string(display_name));
  member_request.mutable_member()->set_team(team);
  member_request.mutable_member()->set_role(role);
  ASSIGN_OR_RETURN(dir::Member member,
                   (Call<dir::CreateMemberRequest, dir::Member>(
                       stub, &dir::DirectoryService::Stub::CreateMember,
                       "CreateMember", by_token, member_request)));
  dir::IssueTokenRequest token_request;
  token_request.set_member(member.name());
  ASSIGN_OR_RETURN(dir::IssueTokenResponse token,
                   (Call<dir::IssueTokenRequest, dir::IssueTokenResponse>(
                       stub, &dir::DirectoryService::Stub::IssueToken,
                       "IssueToken", by_token, token_request)));
  return token.token();
}

// A clinician in `team` and a token for them, through the team's manager.
absl::StatusOr<std::string> CreateClinicianToken(
    dir::DirectoryService::Stub& stub, absl::string_view admin_token,
    const std::string& team, absl::string_view display_name) {
  ASSIGN_OR_RETURN(std::string manager,
                   CreateMemberToken(stub, admin_token, team, dir::TEAM_MANAGER,
                                     absl::StrCat(display_name, "'s manager")));
  return CreateMemberToken(stub, manager, team, dir::CLINICIAN, display_name);
}

}  // namespace

absl::StatusOr<std::string> ReadAdminToken(const std::string& path) {
  if (path.empty()) {
    return absl::InvalidArgumentError("--admin_token_file: must be set");
  }
  std::ifstream file(path);
  if (!file) {
    return absl::NotFoundError(
        absl::StrCat("--admin_token_file: cannot read ", path));
  }
  std::stringstream contents;
  contents << file.rdbuf();
  std::string token(absl::StripAsciiWhitespace(contents.str()));
  if (token.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--admin_token_file: ", path, " is empty"));
  }
  return token;
}

void AddBearer(grpc::ClientContext& context, absl::string_view token) {
  context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
}

absl::StatusOr<Fixture> CreateFixture(
    const std::shared_ptr<grpc::Channel>& channel,
    absl::string_view admin_token, absl::string_view run_id, int persons) {
  auto stub = dir::DirectoryService::NewStub(channel);
  Fixture fixture;
  ASSIGN_OR_RETURN(dir::Team sending,
                   CreateTeam(*stub, admin_token,
                              absl::StrCat("Bench sending CMHT ", run_id),
                              dir::COMMUNITY_MENTAL_HEALTH));
  ASSIGN_OR_RETURN(
      dir::Team receiving,
      CreateTeam(*stub, admin_token,
                 absl::StrCat("Bench receiving crisis team ", run_id),
                 dir::CRISIS));
  ASSIGN_OR_RETURN(
      dir::Team voluntary,
      CreateTeam(*stub, admin_token,
                 absl::StrCat("Bench peer support service ", run_id),
                 dir::VOLUNTARY_SECTOR));
  fixture.sending_team = sending.name();
  fixture.receiving_team = receiving.name();
  fixture.voluntary_team = voluntary.name();
  ASSIGN_OR_RETURN(fixture.sender_token,
                   CreateClinicianToken(*stub, admin_token, sending.name(),
                                        "Bench sending clinician"));
  ASSIGN_OR_RETURN(fixture.receiver_token,
                   CreateClinicianToken(*stub, admin_token, receiving.name(),
                                        "Bench receiving clinician"));

  // Persons are registered by clinical staff, not admins. No NHS number, so
  // repeated runs never collide on it.
  for (int i = 0; i < std::max(1, persons); ++i) {
    dir::CreatePersonRequest person_request;
    dir::Person* person = person_request.mutable_person();
    person->set_given_name(i == 0 ? "Alex" : absl::StrCat("Alex ", i + 1));
    person->set_family_name(absl::StrCat("Bench-", run_id));
    person->set_birth_date("1990-04-01");
    ASSIGN_OR_RETURN(
        dir::Person created,
        (Call<dir::CreatePersonRequest, dir::Person>(
            *stub, &dir::DirectoryService::Stub::CreatePerson, "CreatePerson",
            fixture.sender_token, person_request)));
    fixture.referred_persons.push_back(created.name());
  }
  fixture.person = fixture.referred_persons.front();
  return fixture;
}

}  // namespace carebridge::bench

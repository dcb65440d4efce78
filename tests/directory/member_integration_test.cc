// Members and IssueToken over a real gRPC channel.

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/time_util.h"
#include "tests/directory/directory_test_fixture.h"

namespace carebridge::directory {
namespace {

using ::carebridge::testing::EqualsProto;
using ::carebridge::testing::HasCode;
using ::carebridge::testing::HasCodeAndMessage;
using ::testing::HasSubstr;
using Stub = v1::DirectoryService::Stub;

TEST_F(DirectoryTest, CreateMemberAndReadItBack) {
  v1::Team team = MakeTeam("North");
  v1::CreateMemberRequest request =
      MemberRequest(team.name(), v1::CARE_COORDINATOR, "Sam Patel");
  request.mutable_member()->set_email("sam@example.org");
  v1::Member member;
  ASSERT_GRPC_OK(
      Call(&Stub::CreateMember, Manager(team.name()), request, &member));
  EXPECT_THAT(member.name(), ::testing::StartsWith("members/"));
  EXPECT_EQ(member.team(), team.name());
  EXPECT_EQ(member.role(), v1::CARE_COORDINATOR);
  EXPECT_EQ(member.email(), "sam@example.org");
  EXPECT_EQ(FromProtoTimestamp(member.create_time()), server_.clock().Now());
  EXPECT_FALSE(member.etag().empty());

  v1::GetMemberRequest get;
  get.set_name(member.name());
  v1::Member read;
  ASSERT_GRPC_OK(Call(&Stub::GetMember, Admin(), get, &read));
  EXPECT_THAT(read, EqualsProto(member));
}

TEST_F(DirectoryTest, AdminMembersNeedNoTeam) {
  v1::Member admin = MakeMember("", v1::ADMIN, "Directory Admin");
  EXPECT_TRUE(admin.team().empty());
  EXPECT_EQ(admin.role(), v1::ADMIN);
}

TEST_F(DirectoryTest, CreateMemberRejectsInvalidFieldsNamingThem) {
  v1::Team team = MakeTeam("North");
  struct Case {
    std::string description;
    std::function<void(v1::CreateMemberRequest*)> mutate;
    grpc::StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"no member", [](auto* r) { r->clear_member(); },
       grpc::StatusCode::INVALID_ARGUMENT, "member: must be set"},
      {"no display name",
       [](auto* r) { r->mutable_member()->clear_display_name(); },
       grpc::StatusCode::INVALID_ARGUMENT, "member.display_name: must be set"},
      {"long display name",
       [](auto* r) {
         r->mutable_member()->set_display_name(std::string(201, 'x'));
       },
       grpc::StatusCode::INVALID_ARGUMENT,
       "member.display_name: must be at most"},
      {"no role", [](auto* r) { r->mutable_member()->clear_role(); },
       grpc::StatusCode::INVALID_ARGUMENT, "member.role: must be set"},
      {"unknown role",
       [](auto* r) {
         r->mutable_member()->set_role(static_cast<v1::Role>(77));
       },
       grpc::StatusCode::INVALID_ARGUMENT, "member.role"},
      {"clinician without team",
       [](auto* r) { r->mutable_member()->clear_team(); },
       grpc::StatusCode::INVALID_ARGUMENT, "member.team: must be set"},
      {"malformed team",
       [](auto* r) { r->mutable_member()->set_team("North"); },
       grpc::StatusCode::INVALID_ARGUMENT, "member.team:"},
      {"unknown team",
       [](auto* r) { r->mutable_member()->set_team("teams/nosuchteam"); },
       grpc::StatusCode::NOT_FOUND, "member.team: teams/nosuchteam not found"},
      {"bad email",
       [](auto* r) { r->mutable_member()->set_email("not an email"); },
       grpc::StatusCode::INVALID_ARGUMENT, "member.email"},
      {"long email",
       [](auto* r) {
         r->mutable_member()->set_email(std::string(320, 'a') + "@x.org");
       },
       grpc::StatusCode::INVALID_ARGUMENT, "member.email: must be at most 320"},
      {"bad request id", [](auto* r) { r->set_request_id("has space"); },
       grpc::StatusCode::INVALID_ARGUMENT, "request_id"},
  };
  for (const Case& c : cases) {
    v1::CreateMemberRequest request =
        MemberRequest(team.name(), v1::CLINICIAN, "Sam");
    c.mutate(&request);
    v1::Member member;
    // As the manager of the team asked for (who manages its members).
    EXPECT_THAT(Call(&Stub::CreateMember,
                     ManagerFor(request.member().team(), v1::CLINICIAN),
                     request, &member),
                HasCodeAndMessage(c.code, HasSubstr(c.message)))
        << c.description;
  }
  v1::ListMembersRequest list;
  list.set_team(team.name());
  v1::ListMembersResponse members;
  ASSERT_GRPC_OK(Call(&Stub::ListMembers, Admin(), list, &members));
  EXPECT_EQ(members.members_size(), 0);
}

TEST_F(DirectoryTest, NoStaffRoleAdministersTheDirectory) {
  // Only admins create teams and members and hand out tokens: a clinician
  // who could do any of these could give themselves any role.
  v1::Team team = MakeTeam("North");
  v1::Member colleague = MakeMember(team.name(), v1::CLINICIAN, "Colleague");
  v1::IssueTokenRequest issue;
  issue.set_member(colleague.name());
  for (Role role : {Role::kClinician, Role::kCareCoordinator, Role::kTeamLead,
                    Role::kPeerSupportWorker}) {
    const Principal staff = Staff(team.name(), role);
    const std::string label(RoleName(role));
    v1::Team created_team;
    EXPECT_THAT(
        Call(&Stub::CreateTeam, staff, TeamRequest("Mine"), &created_team),
        HasCodeAndMessage(grpc::StatusCode::PERMISSION_DENIED,
                          HasSubstr("CreateTeam")))
        << label;
    v1::Member created_member;
    EXPECT_THAT(Call(&Stub::CreateMember, staff,
                     MemberRequest(team.name(), v1::ADMIN, "Me Again"),
                     &created_member),
                HasCodeAndMessage(grpc::StatusCode::PERMISSION_DENIED,
                                  HasSubstr("CreateMember")))
        << label;
    v1::IssueTokenResponse token;
    EXPECT_THAT(Call(&Stub::IssueToken, staff, issue, &token),
                HasCodeAndMessage(grpc::StatusCode::PERMISSION_DENIED,
                                  HasSubstr("IssueToken")))
        << label;
    EXPECT_TRUE(token.token().empty()) << label;
  }
  v1::ListTeamsResponse teams;
  ASSERT_GRPC_OK(
      Call(&Stub::ListTeams, Admin(), v1::ListTeamsRequest(), &teams));
  EXPECT_EQ(teams.teams_size(), 1);
  v1::ListMembersRequest list;
  list.set_team(team.name());
  v1::ListMembersResponse members;
  ASSERT_GRPC_OK(Call(&Stub::ListMembers, Admin(), list, &members));
  EXPECT_EQ(members.members_size(), 1);
}

TEST_F(DirectoryTest, OnlyAdminsCreateMembers) {
  v1::Team team = MakeTeam("North");
  v1::Member member;
  EXPECT_THAT(Call(&Stub::CreateMember, Staff(team.name(), Role::kTeamLead),
                   MemberRequest(team.name(), v1::CLINICIAN, "Sam"), &member),
              HasCodeAndMessage(grpc::StatusCode::PERMISSION_DENIED,
                                HasSubstr("CreateMember")));
  EXPECT_THAT(CallAnonymously(&Stub::CreateMember,
                              MemberRequest(team.name(), v1::CLINICIAN, "Sam"),
                              &member),
              HasCode(grpc::StatusCode::UNAUTHENTICATED));
}

TEST_F(DirectoryTest, RetriedCreateMemberReturnsTheFirstMember) {
  v1::Team team = MakeTeam("North");
  v1::CreateMemberRequest request =
      MemberRequest(team.name(), v1::CLINICIAN, "Sam");
  request.set_request_id("member-sam");
  v1::Member first;
  v1::Member second;
  ASSERT_GRPC_OK(
      Call(&Stub::CreateMember, Manager(team.name()), request, &first));
  ASSERT_GRPC_OK(
      Call(&Stub::CreateMember, Manager(team.name()), request, &second));
  EXPECT_THAT(second, EqualsProto(first));
  v1::ListMembersRequest list;
  list.set_team(team.name());
  v1::ListMembersResponse members;
  ASSERT_GRPC_OK(Call(&Stub::ListMembers, Admin(), list, &members));
  EXPECT_EQ(members.members_size(), 1);
}

TEST_F(DirectoryTest, MembersAreVisibleToAdminsAndTheirOwnTeam) {
  v1::Team team = MakeTeam("North");
  v1::Team other = MakeTeam("South");
  v1::Member member = MakeMember(team.name(), v1::CLINICIAN);
  v1::GetMemberRequest get;
  get.set_name(member.name());
  v1::Member read;
  ASSERT_GRPC_OK(Call(&Stub::GetMember, Admin(), get, &read));
  ASSERT_GRPC_OK(Call(&Stub::GetMember,
                      Staff(team.name(), Role::kPeerSupportWorker), get,
                      &read));
  EXPECT_THAT(read, EqualsProto(member));
  EXPECT_THAT(
      Call(&Stub::GetMember, Staff(other.name(), Role::kTeamLead), get, &read),
      HasCodeAndMessage(grpc::StatusCode::PERMISSION_DENIED,
                        HasSubstr("GetMember")));

  v1::ListMembersRequest list;
  list.set_team(team.name());
  v1::ListMembersResponse members;
  ASSERT_GRPC_OK(Call(&Stub::ListMembers, Staff(team.name(), Role::kClinician),
                      list, &members));
  EXPECT_EQ(members.members_size(), 1);
  EXPECT_THAT(Call(&Stub::ListMembers, Staff(other.name(), Role::kTeamLead),
                   list, &members),
              HasCodeAndMessage(grpc::StatusCode::PERMISSION_DENIED,
                                HasSubstr("ListMembers")));
  EXPECT_THAT(CallAnonymously(&Stub::ListMembers, list, &members),
              HasCode(grpc::StatusCode::UNAUTHENTICATED));
}

TEST_F(DirectoryTest, MemberLookupErrors) {
  v1::GetMemberRequest get;
  v1::Member read;
  EXPECT_THAT(Call(&Stub::GetMember, Admin(), get, &read),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                HasSubstr("name: must be set")));
  get.set_name("members/nosuchmember");
  EXPECT_THAT(Call(&Stub::GetMember, Admin(), get, &read),
              HasCodeAndMessage(grpc::StatusCode::NOT_FOUND,
                                HasSubstr("members/nosuchmember")));
  v1::ListMembersRequest list;
  v1::ListMembersResponse members;
  EXPECT_THAT(Call(&Stub::ListMembers, Admin(), list, &members),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                HasSubstr("team: must be set")));
  list.set_team("teams/nosuchteam");
  EXPECT_THAT(Call(&Stub::ListMembers, Admin(), list, &members),
              HasCodeAndMessage(grpc::StatusCode::NOT_FOUND,
                                HasSubstr("teams/nosuchteam")));
}

TEST_F(DirectoryTest, ListMembersPagesWithoutGapsOrDuplicates) {
  v1::Team team = MakeTeam("North");
  v1::Team other = MakeTeam("South");
  std::set<std::string> created;
  for (int i = 0; i < 7; ++i) {
    created.insert(
        MakeMember(team.name(), v1::CLINICIAN, absl::StrCat("Member ", i % 3))
            .name());
  }
  MakeMember(other.name(), v1::CLINICIAN, "Elsewhere");

  v1::ListMembersRequest request;
  request.set_team(team.name());
  request.set_page_size(3);
  int pages = 0;
  std::vector<std::string> seen = NamesOnAllPages(
      &Stub::ListMembers, Admin(), request,
      [&](const v1::ListMembersResponse& response) -> const auto& {
        for (const v1::Member& member : response.members()) {
          EXPECT_EQ(member.team(), team.name());
        }
        return response.members();
      },
      &pages);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen.size(), 7u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), created);

  // A token for one team's list is no good for another's.
  request.set_page_size(3);
  request.clear_page_token();
  v1::ListMembersResponse first;
  ASSERT_GRPC_OK(Call(&Stub::ListMembers, Admin(), request, &first));
  request.set_team(other.name());
  request.set_page_token(first.next_page_token());
  v1::ListMembersResponse response;
  EXPECT_THAT(Call(&Stub::ListMembers, Admin(), request, &response),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                HasSubstr("page_token")));
}

TEST_F(DirectoryTest, ListMembersIsInNameOrderIgnoringCase) {
  v1::Team team = MakeTeam("North");
  v1::Member zoe = MakeMember(team.name(), v1::CLINICIAN, "zoe");
  v1::Member amir = MakeMember(team.name(), v1::TEAM_LEAD, "Amir");
  v1::Member bea = MakeMember(team.name(), v1::CLINICIAN, "bea");
  v1::ListMembersRequest request;
  request.set_team(team.name());
  v1::ListMembersResponse response;
  ASSERT_GRPC_OK(Call(&Stub::ListMembers, Admin(), request, &response));
  ASSERT_EQ(response.members_size(), 3);
  EXPECT_EQ(response.members(0).name(), amir.name());
  EXPECT_EQ(response.members(1).name(), bea.name());
  EXPECT_EQ(response.members(2).name(), zoe.name());
  EXPECT_TRUE(response.next_page_token().empty());
}

TEST_F(DirectoryTest, ListMembersRejectsBadPageTokensAndSizes) {
  v1::Team team = MakeTeam("North");
  v1::ListMembersRequest request;
  request.set_team(team.name());
  request.set_page_size(-1);
  v1::ListMembersResponse response;
  EXPECT_THAT(Call(&Stub::ListMembers, Admin(), request, &response),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                HasSubstr("page_size")));
  request.set_page_size(0);
  request.set_page_token("not-a-token");
  EXPECT_THAT(Call(&Stub::ListMembers, Admin(), request, &response),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                HasSubstr("page_token")));
}

TEST_F(DirectoryTest, IssuedTokenAuthenticatesTheMemberUntilItExpires) {
  v1::Team team = MakeTeam("North");
  v1::Member member = MakeMember(team.name(), v1::CLINICIAN);
  v1::IssueTokenRequest request;
  request.set_member(member.name());
  v1::IssueTokenResponse issued;
  ASSERT_GRPC_OK(
      Call(&Stub::IssueToken, Manager(team.name()), request, &issued));
  // A working shift by default.
  EXPECT_EQ(FromProtoTimestamp(issued.expire_time()),
            server_.clock().Now() + absl::Hours(8));
  EXPECT_EQ(FromProtoTimestamp(issued.issue_time()), server_.clock().Now());
  EXPECT_FALSE(issued.token_id().empty());

  // The token acts as the member: it may list its own team...
  v1::ListMembersRequest list;
  list.set_team(team.name());
  v1::ListMembersResponse members;
  ASSERT_GRPC_OK(
      CallWithToken(&Stub::ListMembers, issued.token(), list, &members));
  EXPECT_EQ(members.members_size(), 1);
  // ... may register persons, as clinical staff ...
  v1::Person person;
  ASSERT_GRPC_OK(CallWithToken(&Stub::CreatePerson, issued.token(),
                               PersonRequest(), &person));
  // ... but is no admin.
  v1::Team refused;
  EXPECT_THAT(CallWithToken(&Stub::CreateTeam, issued.token(), TeamRequest("X"),
                            &refused),
              HasCode(grpc::StatusCode::PERMISSION_DENIED));

  server_.clock().Advance(absl::Hours(8));
  EXPECT_THAT(CallWithToken(&Stub::ListMembers, issued.token(), list, &members),
              HasCodeAndMessage(grpc::StatusCode::UNAUTHENTICATED,
                                HasSubstr("expired")));
}

TEST_F(DirectoryTest, IssueTokenHonoursTtl) {
  v1::Team team = MakeTeam("North");
  v1::Member member = MakeMember(team.name(), v1::TEAM_LEAD);
  v1::IssueTokenRequest request;
  request.set_member(member.name());
  // The deployment's longest (--max_token_lifetime, 12 hours by default).
  *request.mutable_ttl() = ToProtoDuration(absl::Hours(12));
  v1::IssueTokenResponse issued;
  ASSERT_GRPC_OK(
      Call(&Stub::IssueToken, Manager(team.name()), request, &issued));
  EXPECT_EQ(FromProtoTimestamp(issued.expire_time()),
            server_.clock().Now() + absl::Hours(12));

  *request.mutable_ttl() = ToProtoDuration(absl::Minutes(5));
  ASSERT_GRPC_OK(
      Call(&Stub::IssueToken, Manager(team.name()), request, &issued));
  server_.clock().Advance(absl::Minutes(4));
  v1::GetTeamRequest get;
  get.set_name(team.name());
  v1::Team read;
  ASSERT_GRPC_OK(CallWithToken(&Stub::GetTeam, issued.token(), get, &read));
  server_.clock().Advance(absl::Minutes(1));
  EXPECT_THAT(CallWithToken(&Stub::GetTeam, issued.token(), get, &read),
              HasCode(grpc::StatusCode::UNAUTHENTICATED));
}

TEST_F(DirectoryTest, IssueTokenErrors) {
  v1::Team team = MakeTeam("North");
  v1::Member member = MakeMember(team.name(), v1::CLINICIAN);
  v1::IssueTokenRequest request;
  request.set_member(member.name());
  v1::IssueTokenResponse issued;

  *request.mutable_ttl() = ToProtoDuration(absl::Hours(12) + absl::Seconds(1));
  EXPECT_THAT(
      Call(&Stub::IssueToken, Admin(), request, &issued),
      HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                        HasSubstr("ttl: must be at most 12h (this "
                                  "deployment's --max_token_lifetime)")));
  *request.mutable_ttl() = ToProtoDuration(absl::Hours(90 * 24));
  EXPECT_THAT(Call(&Stub::IssueToken, Admin(), request, &issued),
              HasCode(grpc::StatusCode::INVALID_ARGUMENT));
  *request.mutable_ttl() = ToProtoDuration(absl::ZeroDuration());
  EXPECT_THAT(Call(&Stub::IssueToken, Admin(), request, &issued),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                HasSubstr("ttl: must be positive")));
  *request.mutable_ttl() = ToProtoDuration(absl::Hours(-1));
  EXPECT_THAT(
      Call(&Stub::IssueToken, Admin(), request, &issued),
      HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT, HasSubstr("ttl")));
  request.clear_ttl();
  EXPECT_THAT(Call(&Stub::IssueToken, Staff(team.name(), Role::kTeamLead),
                   request, &issued),
              HasCodeAndMessage(grpc::StatusCode::PERMISSION_DENIED,
                                HasSubstr("IssueToken")));
  request.set_member("members/nosuchmember");
  EXPECT_THAT(Call(&Stub::IssueToken, Admin(), request, &issued),
              HasCodeAndMessage(grpc::StatusCode::NOT_FOUND,
                                HasSubstr("members/nosuchmember")));
  request.clear_member();
  EXPECT_THAT(Call(&Stub::IssueToken, Admin(), request, &issued),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                HasSubstr("member: must be set")));
}

}  // namespace
}  // namespace carebridge::directory

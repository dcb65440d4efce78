// request_id over a real gRPC channel: a retry (same request_id, same body)
// returns the first resource; the same request_id with a different body is
// ALREADY_EXISTS naming the resource it made, also when the two race.

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/directory/directory_test_fixture.h"

namespace carebridge::directory {
namespace {

using ::carebridge::testing::EqualsProto;
using ::carebridge::testing::HasCodeAndMessage;
using ::testing::AllOf;
using ::testing::HasSubstr;
using Stub = v1::DirectoryService::Stub;

// ALREADY_EXISTS for `request_id` reused, naming `existing`.
::testing::Matcher<grpc::Status> RequestIdReused(const std::string& request_id,
                                                 const std::string& existing) {
  return HasCodeAndMessage(
      grpc::StatusCode::ALREADY_EXISTS,
      AllOf(HasSubstr(absl::StrCat("request_id: \"", request_id, "\"")),
            HasSubstr(existing), HasSubstr("differs from this request")));
}

TEST_F(DirectoryTest, CreateTeamReusingARequestIdForAnotherTeamFails) {
  v1::CreateTeamRequest request = TeamRequest("North CMHT");
  request.set_request_id("create-north");
  v1::Team first;
  ASSERT_GRPC_OK(Call(&Stub::CreateTeam, Admin(), request, &first));

  v1::CreateTeamRequest other = TeamRequest("South CMHT");
  other.set_request_id("create-north");
  v1::Team team;
  EXPECT_THAT(Call(&Stub::CreateTeam, Admin(), other, &team),
              RequestIdReused("create-north", first.name()));
  // A change to any field the client sets makes another request.
  other = request;
  other.mutable_team()->set_accepting_referrals(false);
  EXPECT_THAT(Call(&Stub::CreateTeam, Admin(), other, &team),
              RequestIdReused("create-north", first.name()));

  v1::ListTeamsResponse list;
  ASSERT_GRPC_OK(
      Call(&Stub::ListTeams, Admin(), v1::ListTeamsRequest(), &list));
  ASSERT_EQ(list.teams_size(), 1);
  EXPECT_THAT(list.teams(0), EqualsProto(first));
  // The first request is still answered as a retry.
  ASSERT_GRPC_OK(Call(&Stub::CreateTeam, Admin(), request, &team));
  EXPECT_THAT(team, EqualsProto(first));
}

TEST_F(DirectoryTest, CreateMemberReusingARequestIdForAnotherMemberFails) {
  v1::Team team = MakeTeam("North");
  v1::CreateMemberRequest request =
      MemberRequest(team.name(), v1::CLINICIAN, "Sam Patel");
  request.set_request_id("member-sam");
  v1::Member first;
  ASSERT_GRPC_OK(
      Call(&Stub::CreateMember, Manager(team.name()), request, &first));

  v1::CreateMemberRequest other =
      MemberRequest(team.name(), v1::CLINICIAN, "Jo Byrne");
  other.set_request_id("member-sam");
  v1::Member member;
  EXPECT_THAT(Call(&Stub::CreateMember, Manager(team.name()), other, &member),
              RequestIdReused("member-sam", first.name()));

  v1::ListMembersRequest list;
  list.set_team(team.name());
  v1::ListMembersResponse members;
  ASSERT_GRPC_OK(Call(&Stub::ListMembers, Admin(), list, &members));
  ASSERT_EQ(members.members_size(), 1);
  EXPECT_EQ(members.members(0).name(), first.name());
}

TEST_F(DirectoryTest, CreatePersonReusingARequestIdForAnotherPersonFails) {
  v1::Team team = MakeTeam("North");
  const Principal clinician = Staff(team.name(), Role::kClinician);
  v1::CreatePersonRequest request = PersonRequest("", "Okafor");
  request.set_request_id("register-1");
  v1::Person first;
  ASSERT_GRPC_OK(Call(&Stub::CreatePerson, clinician, request, &first));

  // Without the check this would silently hand back Ada Okafor's record as
  // if it were the newly registered person.
  v1::CreatePersonRequest other = PersonRequest("", "Mensah");
  other.set_request_id("register-1");
  v1::Person person;
  EXPECT_THAT(Call(&Stub::CreatePerson, clinician, other, &person),
              RequestIdReused("register-1", first.name()));
  v1::FindPersonsRequest find;
  find.set_family_name("Mensah");
  find.set_birth_date("1990-04-01");
  v1::FindPersonsResponse found;
  ASSERT_GRPC_OK(Call(&Stub::FindPersons, clinician, find, &found));
  EXPECT_EQ(found.persons_size(), 0);
}

TEST_F(DirectoryTest, RacingCreatesReusingARequestIdMakeOnePerson) {
  v1::Team team = MakeTeam("North");
  const Principal clinician = Staff(team.name(), Role::kClinician);
  // Even threads retry one registration, odd ones send another under the
  // same request_id: whichever lands first is the only person made.
  constexpr int kThreads = 8;
  std::vector<grpc::Status> statuses(kThreads);
  std::vector<v1::Person> persons(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      v1::CreatePersonRequest request =
          PersonRequest("", i % 2 == 0 ? "Okafor" : "Mensah");
      request.set_request_id("register-race");
      statuses[i] = Call(&Stub::CreatePerson, clinician, request, &persons[i]);
    });
  }
  for (std::thread& thread : threads) thread.join();

  std::string winner;
  for (int i = 0; i < kThreads && winner.empty(); ++i) {
    if (statuses[i].ok()) winner = persons[i].name();
  }
  ASSERT_FALSE(winner.empty());
  int refused = 0;
  for (int i = 0; i < kThreads; ++i) {
    if (statuses[i].ok()) {
      EXPECT_EQ(persons[i].name(), winner) << "thread " << i;
    } else {
      ++refused;
      EXPECT_THAT(statuses[i], RequestIdReused("register-race", winner))
          << "thread " << i;
    }
  }
  EXPECT_EQ(refused, kThreads / 2);
  int registered = 0;
  for (const char* family_name : {"Okafor", "Mensah"}) {
    v1::FindPersonsRequest find;
    find.set_family_name(family_name);
    find.set_birth_date("1990-04-01");
    v1::FindPersonsResponse found;
    ASSERT_GRPC_OK(Call(&Stub::FindPersons, clinician, find, &found));
    registered += found.persons_size();
  }
  EXPECT_EQ(registered, 1);
}

}  // namespace
}  // namespace carebridge::directory

// Teams and authentication, over a real gRPC channel. Listing teams is in
// team_list_integration_test.cc, members and tokens in
// member_integration_test.cc, persons in person_integration_test.cc.

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "services/common/time_util.h"
#include "tests/directory/directory_test_fixture.h"

namespace carebridge::directory {
namespace {

using ::carebridge::testing::EqualsProto;
using ::carebridge::testing::HasCode;
using ::carebridge::testing::HasCodeAndMessage;
using ::testing::HasSubstr;
using Stub = v1::DirectoryService::Stub;

TEST_F(DirectoryTest, CreateTeamAssignsNameTimesEtagAndDefaultDeadlines) {
  v1::CreateTeamRequest request =
      TeamRequest("North CMHT", v1::COMMUNITY_MENTAL_HEALTH);
  request.mutable_team()->set_service_description("Community support");
  request.mutable_team()->set_eligibility("Adults 18+");
  request.mutable_team()->set_contact("0100 000 000");
  v1::Team team;
  ASSERT_GRPC_OK(Call(&Stub::CreateTeam, Admin(), request, &team));
  EXPECT_THAT(team.name(), ::testing::StartsWith("teams/"));
  EXPECT_EQ(team.display_name(), "North CMHT");
  EXPECT_EQ(team.sector(), v1::COMMUNITY_MENTAL_HEALTH);
  EXPECT_TRUE(team.accepting_referrals());
  EXPECT_EQ(team.service_description(), "Community support");
  EXPECT_EQ(FromProtoTimestamp(team.create_time()), server_.clock().Now());
  EXPECT_EQ(FromProtoTimestamp(team.update_time()), server_.clock().Now());
  EXPECT_FALSE(team.etag().empty());
  EXPECT_EQ(FromProtoDuration(team.response_deadlines().crisis()),
            absl::Hours(4));
  EXPECT_EQ(FromProtoDuration(team.response_deadlines().urgent()),
            absl::Hours(72));
  EXPECT_EQ(FromProtoDuration(team.response_deadlines().routine()),
            absl::Hours(14 * 24));

  v1::GetTeamRequest get;
  get.set_name(team.name());
  v1::Team read;
  ASSERT_GRPC_OK(Call(&Stub::GetTeam, Admin(), get, &read));
  EXPECT_THAT(read, EqualsProto(team));
}

TEST_F(DirectoryTest, CreateTeamIgnoresOutputOnlyFields) {
  v1::CreateTeamRequest request = TeamRequest("North");
  request.mutable_team()->set_name("teams/chosen-by-client");
  request.mutable_team()->set_etag("client-etag");
  *request.mutable_team()->mutable_create_time() =
      ToProtoTimestamp(absl::FromUnixSeconds(1));
  *request.mutable_team()->mutable_update_time() =
      ToProtoTimestamp(absl::FromUnixSeconds(1));
  v1::Team team;
  ASSERT_GRPC_OK(Call(&Stub::CreateTeam, Admin(), request, &team));
  EXPECT_NE(team.name(), "teams/chosen-by-client");
  EXPECT_NE(team.etag(), "client-etag");
  EXPECT_EQ(FromProtoTimestamp(team.create_time()), server_.clock().Now());
  EXPECT_EQ(FromProtoTimestamp(team.update_time()), server_.clock().Now());
  v1::GetTeamRequest get;
  get.set_name("teams/chosen-by-client");
  v1::Team read;
  EXPECT_THAT(Call(&Stub::GetTeam, Admin(), get, &read),
              HasCode(grpc::StatusCode::NOT_FOUND));
}

TEST_F(DirectoryTest, CreateTeamKeepsGivenDeadlines) {
  v1::CreateTeamRequest request = TeamRequest("Crisis");
  *request.mutable_team()->mutable_response_deadlines()->mutable_crisis() =
      ToProtoDuration(absl::Hours(1));
  v1::Team team;
  ASSERT_GRPC_OK(Call(&Stub::CreateTeam, Admin(), request, &team));
  EXPECT_EQ(FromProtoDuration(team.response_deadlines().crisis()),
            absl::Hours(1));
  EXPECT_EQ(FromProtoDuration(team.response_deadlines().urgent()),
            absl::Hours(72));
}

struct InvalidTeamCase {
  std::string description;
  std::function<void(v1::CreateTeamRequest*)> mutate;
  std::string message;
};

TEST_F(DirectoryTest, CreateTeamRejectsInvalidFieldsNamingThem) {
  const std::vector<InvalidTeamCase> cases = {
      {"no team", [](auto* r) { r->clear_team(); }, "team: must be set"},
      {"no display name",
       [](auto* r) { r->mutable_team()->clear_display_name(); },
       "team.display_name: must be set"},
      {"blank display name",
       [](auto* r) { r->mutable_team()->set_display_name("   "); },
       "team.display_name: must be set"},
      {"long display name",
       [](auto* r) {
         r->mutable_team()->set_display_name(std::string(201, 'x'));
       },
       "team.display_name: must be at most 200"},
      {"no sector", [](auto* r) { r->mutable_team()->clear_sector(); },
       "team.sector: must be set"},
      {"unknown sector",
       [](auto* r) {
         r->mutable_team()->set_sector(static_cast<v1::Sector>(42));
       },
       "team.sector"},
      {"crisis deadline too short",
       [](auto* r) {
         *r->mutable_team()->mutable_response_deadlines()->mutable_crisis() =
             ToProtoDuration(absl::Minutes(10));
       },
       "team.response_deadlines.crisis: must be between 15 minutes and 90 "
       "days"},
      {"urgent deadline too long",
       [](auto* r) {
         *r->mutable_team()->mutable_response_deadlines()->mutable_urgent() =
             ToProtoDuration(absl::Hours(91 * 24));
       },
       "team.response_deadlines.urgent"},
      {"negative routine deadline",
       [](auto* r) {
         *r->mutable_team()->mutable_response_deadlines()->mutable_routine() =
             ToProtoDuration(absl::Hours(-1));
       },
       "team.response_deadlines.routine"},
      {"long service description",
       [](auto* r) {
         r->mutable_team()->set_service_description(std::string(4001, 'x'));
       },
       "team.service_description: must be at most 4000"},
      {"long eligibility",
       [](auto* r) {
         r->mutable_team()->set_eligibility(std::string(4001, 'x'));
       },
       "team.eligibility: must be at most 4000"},
      {"long contact",
       [](auto* r) { r->mutable_team()->set_contact(std::string(1001, 'x')); },
       "team.contact: must be at most 1000"},
      {"long request id",
       [](auto* r) { r->set_request_id(std::string(65, 'r')); },
       "request_id: must be at most 64"},
  };
  for (const InvalidTeamCase& c : cases) {
    v1::CreateTeamRequest request = TeamRequest("Valid");
    c.mutate(&request);
    v1::Team team;
    EXPECT_THAT(Call(&Stub::CreateTeam, Admin(), request, &team),
                HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                  HasSubstr(c.message)))
        << c.description;
  }
  // None of the failed calls created anything.
  v1::ListTeamsResponse list;
  ASSERT_GRPC_OK(
      Call(&Stub::ListTeams, Admin(), v1::ListTeamsRequest(), &list));
  EXPECT_EQ(list.teams_size(), 0);
}

TEST_F(DirectoryTest, OnlyAdminsCreateTeams) {
  v1::Team home = MakeTeam("Home");
  v1::Team team;
  EXPECT_THAT(Call(&Stub::CreateTeam, Staff(home.name(), Role::kClinician),
                   TeamRequest("X"), &team),
              HasCodeAndMessage(grpc::StatusCode::PERMISSION_DENIED,
                                HasSubstr("CreateTeam")));
  EXPECT_THAT(Call(&Stub::CreateTeam, Staff(home.name(), Role::kTeamLead),
                   TeamRequest("X"), &team),
              HasCode(grpc::StatusCode::PERMISSION_DENIED));
  EXPECT_THAT(CallAnonymously(&Stub::CreateTeam, TeamRequest("X"), &team),
              HasCode(grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_THAT(CallWithToken(&Stub::CreateTeam, "cb2.forged.token",
                            TeamRequest("X"), &team),
              HasCode(grpc::StatusCode::UNAUTHENTICATED));
}

TEST_F(DirectoryTest, EveryCallNeedsAValidToken) {
  v1::Team team = MakeTeam("Home");
  v1::GetTeamRequest get;
  get.set_name(team.name());
  v1::Team read;
  EXPECT_THAT(CallAnonymously(&Stub::GetTeam, get, &read),
              HasCode(grpc::StatusCode::UNAUTHENTICATED));
  v1::ListTeamsResponse list;
  EXPECT_THAT(CallAnonymously(&Stub::ListTeams, v1::ListTeamsRequest(), &list),
              HasCode(grpc::StatusCode::UNAUTHENTICATED));
  v1::Person person;
  EXPECT_THAT(CallAnonymously(&Stub::CreatePerson, PersonRequest(), &person),
              HasCode(grpc::StatusCode::UNAUTHENTICATED));
  v1::IssueTokenResponse token;
  EXPECT_THAT(
      CallAnonymously(&Stub::IssueToken, v1::IssueTokenRequest(), &token),
      HasCode(grpc::StatusCode::UNAUTHENTICATED));
}

TEST_F(DirectoryTest, RetriedCreateTeamReturnsTheFirstTeam) {
  v1::CreateTeamRequest request = TeamRequest("North CMHT");
  request.set_request_id("create-north-1");
  v1::Team first;
  v1::Team second;
  ASSERT_GRPC_OK(Call(&Stub::CreateTeam, Admin(), request, &first));
  server_.clock().Advance(absl::Minutes(1));
  ASSERT_GRPC_OK(Call(&Stub::CreateTeam, Admin(), request, &second));
  EXPECT_THAT(second, EqualsProto(first));
  v1::ListTeamsResponse list;
  ASSERT_GRPC_OK(
      Call(&Stub::ListTeams, Admin(), v1::ListTeamsRequest(), &list));
  EXPECT_EQ(list.teams_size(), 1);

  // The same request id from another admin is another request.
  Principal other_admin = Admin();
  other_admin.subject = "members/other-admin";
  v1::Team third;
  ASSERT_GRPC_OK(Call(&Stub::CreateTeam, other_admin, request, &third));
  EXPECT_NE(third.name(), first.name());
}

TEST_F(DirectoryTest, AnyAuthenticatedCallerReadsTeams) {
  v1::Team team = MakeTeam("Crisis");
  v1::Team other = MakeTeam("Other");
  v1::GetTeamRequest get;
  get.set_name(team.name());
  for (const Principal& caller :
       {Admin(), Staff(other.name(), Role::kClinician),
        Staff(other.name(), Role::kPeerSupportWorker), Service()}) {
    v1::Team read;
    ASSERT_GRPC_OK(Call(&Stub::GetTeam, caller, get, &read));
    EXPECT_THAT(read, EqualsProto(team));
  }
}

TEST_F(DirectoryTest, GetTeamErrors) {
  v1::GetTeamRequest get;
  v1::Team read;
  EXPECT_THAT(Call(&Stub::GetTeam, Admin(), get, &read),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                HasSubstr("name: must be set")));
  get.set_name("persons/abc");
  EXPECT_THAT(Call(&Stub::GetTeam, Admin(), get, &read),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                HasSubstr("name:")));
  get.set_name("teams/nosuchteam");
  EXPECT_THAT(Call(&Stub::GetTeam, Admin(), get, &read),
              HasCodeAndMessage(grpc::StatusCode::NOT_FOUND,
                                HasSubstr("teams/nosuchteam")));
}

v1::UpdateTeamRequest RenameRequest(const v1::Team& team,
                                    const std::string& display_name) {
  v1::UpdateTeamRequest request;
  request.mutable_team()->set_name(team.name());
  request.mutable_team()->set_display_name(display_name);
  request.mutable_update_mask()->add_paths("display_name");
  request.set_etag(team.etag());
  return request;
}

TEST_F(DirectoryTest, UpdateTeamChangesOnlyMaskedFields) {
  v1::Team team = MakeTeam("North");
  server_.clock().Advance(absl::Hours(1));
  v1::UpdateTeamRequest request = RenameRequest(team, "North CMHT");
  request.mutable_team()->set_accepting_referrals(false);
  request.mutable_team()->set_contact("ignored: not in the mask");
  request.mutable_update_mask()->add_paths("accepting_referrals");
  v1::Team updated;
  ASSERT_GRPC_OK(Call(&Stub::UpdateTeam, Admin(), request, &updated));
  EXPECT_EQ(updated.display_name(), "North CMHT");
  EXPECT_FALSE(updated.accepting_referrals());
  EXPECT_EQ(updated.contact(), "");
  EXPECT_NE(updated.etag(), team.etag());
  EXPECT_EQ(FromProtoTimestamp(updated.update_time()), server_.clock().Now());
  EXPECT_THAT(updated.create_time(), EqualsProto(team.create_time()));
  EXPECT_THAT(updated.response_deadlines(),
              EqualsProto(team.response_deadlines()));

  v1::GetTeamRequest get;
  get.set_name(team.name());
  v1::Team read;
  ASSERT_GRPC_OK(Call(&Stub::GetTeam, Admin(), get, &read));
  EXPECT_THAT(read, EqualsProto(updated));
}

TEST_F(DirectoryTest, UpdateTeamAlwaysReturnsEffectiveDeadlines) {
  v1::Team team = MakeTeam("North");
  v1::UpdateTeamRequest request;
  request.mutable_team()->set_name(team.name());
  *request.mutable_team()->mutable_response_deadlines()->mutable_routine() =
      ToProtoDuration(absl::Hours(24 * 7));
  request.mutable_update_mask()->add_paths("response_deadlines");
  request.set_etag(team.etag());
  v1::Team updated;
  ASSERT_GRPC_OK(Call(&Stub::UpdateTeam, Admin(), request, &updated));
  EXPECT_EQ(FromProtoDuration(updated.response_deadlines().routine()),
            absl::Hours(24 * 7));
  EXPECT_EQ(FromProtoDuration(updated.response_deadlines().urgent()),
            absl::Hours(72));
  EXPECT_EQ(FromProtoDuration(updated.response_deadlines().crisis()),
            absl::Hours(4));
}

TEST_F(DirectoryTest, StaleEtagIsAbortedAndChangesNothing) {
  v1::Team team = MakeTeam("North");
  v1::Team first;
  ASSERT_GRPC_OK(
      Call(&Stub::UpdateTeam, Admin(), RenameRequest(team, "A"), &first));
  v1::Team second;
  EXPECT_THAT(
      Call(&Stub::UpdateTeam, Admin(), RenameRequest(team, "B"), &second),
      HasCodeAndMessage(grpc::StatusCode::ABORTED, HasSubstr(team.name())));
  v1::GetTeamRequest get;
  get.set_name(team.name());
  v1::Team read;
  ASSERT_GRPC_OK(Call(&Stub::GetTeam, Admin(), get, &read));
  EXPECT_THAT(read, EqualsProto(first));
  // The etag may also travel on the team itself.
  v1::UpdateTeamRequest on_team = RenameRequest(first, "C");
  on_team.clear_etag();
  on_team.mutable_team()->set_etag(first.etag());
  ASSERT_GRPC_OK(Call(&Stub::UpdateTeam, Admin(), on_team, &second));
  EXPECT_EQ(second.display_name(), "C");
}

TEST_F(DirectoryTest, ConcurrentUpdatesFromOneReadLetExactlyOneWin) {
  v1::Team team = MakeTeam("North");
  constexpr int kWriters = 16;
  std::vector<grpc::StatusCode> codes(kWriters);
  std::vector<v1::Team> results(kWriters);
  std::vector<std::thread> threads;
  // Released together, so reads of the old etag overlap the first write.
  absl::Notification start;
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      start.WaitForNotification();
      codes[i] =
          Call(&Stub::UpdateTeam, Admin(),
               RenameRequest(team, absl::StrCat("North ", i)), &results[i])
              .error_code();
    });
  }
  start.Notify();
  for (std::thread& thread : threads) thread.join();
  int winner = -1;
  for (int i = 0; i < kWriters; ++i) {
    if (codes[i] == grpc::StatusCode::OK) {
      EXPECT_EQ(winner, -1)
          << "writers " << winner << " and " << i << " both won";
      winner = i;
    } else {
      EXPECT_EQ(codes[i], grpc::StatusCode::ABORTED) << "writer " << i;
    }
  }
  ASSERT_NE(winner, -1);
  v1::GetTeamRequest get;
  get.set_name(team.name());
  v1::Team read;
  ASSERT_GRPC_OK(Call(&Stub::GetTeam, Admin(), get, &read));
  EXPECT_THAT(read, EqualsProto(results[winner]));
}

TEST_F(DirectoryTest, UpdateTeamRejectsBadRequestsAndChangesNothing) {
  v1::Team team = MakeTeam("North");
  struct Case {
    std::string description;
    std::function<void(v1::UpdateTeamRequest*)> mutate;
    grpc::StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"no team", [](auto* r) { r->clear_team(); },
       grpc::StatusCode::INVALID_ARGUMENT, "team: must be set"},
      {"no name", [](auto* r) { r->mutable_team()->clear_name(); },
       grpc::StatusCode::INVALID_ARGUMENT, "team.name: must be set"},
      {"no mask", [](auto* r) { r->clear_update_mask(); },
       grpc::StatusCode::INVALID_ARGUMENT, "update_mask: must be set"},
      {"unknown path",
       [](auto* r) { r->mutable_update_mask()->add_paths("etag"); },
       grpc::StatusCode::INVALID_ARGUMENT,
       "update_mask: unknown path \"etag\""},
      {"output-only path",
       [](auto* r) { r->mutable_update_mask()->add_paths("create_time"); },
       grpc::StatusCode::INVALID_ARGUMENT, "update_mask"},
      {"no etag", [](auto* r) { r->clear_etag(); },
       grpc::StatusCode::INVALID_ARGUMENT, "etag: must be set"},
      {"empty display name",
       [](auto* r) { r->mutable_team()->set_display_name(""); },
       grpc::StatusCode::INVALID_ARGUMENT, "team.display_name: must be set"},
      {"sector cleared",
       [](auto* r) { r->mutable_update_mask()->add_paths("sector"); },
       grpc::StatusCode::INVALID_ARGUMENT, "team.sector: must be set"},
      {"crisis deadline out of range",
       [](auto* r) {
         *r->mutable_team()->mutable_response_deadlines()->mutable_crisis() =
             ToProtoDuration(absl::Minutes(1));
         r->mutable_update_mask()->add_paths("response_deadlines.crisis");
       },
       grpc::StatusCode::INVALID_ARGUMENT, "team.response_deadlines.crisis"},
      {"unknown team",
       [](auto* r) { r->mutable_team()->set_name("teams/nosuchteam"); },
       grpc::StatusCode::NOT_FOUND, "teams/nosuchteam"},
  };
  for (const Case& c : cases) {
    v1::UpdateTeamRequest request = RenameRequest(team, "Renamed");
    c.mutate(&request);
    v1::Team updated;
    EXPECT_THAT(Call(&Stub::UpdateTeam, Admin(), request, &updated),
                HasCodeAndMessage(c.code, HasSubstr(c.message)))
        << c.description;
  }
  v1::GetTeamRequest get;
  get.set_name(team.name());
  v1::Team read;
  ASSERT_GRPC_OK(Call(&Stub::GetTeam, Admin(), get, &read));
  EXPECT_THAT(read, EqualsProto(team));
}

TEST_F(DirectoryTest, TeamLeadUpdatesOwnTeamOnly) {
  v1::Team team = MakeTeam("North");
  v1::Team other = MakeTeam("South");
  v1::Team updated;
  ASSERT_GRPC_OK(Call(&Stub::UpdateTeam, Staff(team.name(), Role::kTeamLead),
                      RenameRequest(team, "North CMHT"), &updated));
  EXPECT_EQ(updated.display_name(), "North CMHT");

  v1::Team refused;
  EXPECT_THAT(Call(&Stub::UpdateTeam, Staff(other.name(), Role::kTeamLead),
                   RenameRequest(updated, "Taken over"), &refused),
              HasCodeAndMessage(grpc::StatusCode::PERMISSION_DENIED,
                                HasSubstr("UpdateTeam")));
  EXPECT_THAT(Call(&Stub::UpdateTeam, Staff(team.name(), Role::kClinician),
                   RenameRequest(updated, "Renamed by clinician"), &refused),
              HasCode(grpc::StatusCode::PERMISSION_DENIED));
  EXPECT_THAT(CallAnonymously(&Stub::UpdateTeam,
                              RenameRequest(updated, "Anonymous"), &refused),
              HasCode(grpc::StatusCode::UNAUTHENTICATED));
}

}  // namespace
}  // namespace carebridge::directory

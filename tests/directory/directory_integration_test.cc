// Teams and authentication, over a real gRPC channel. Members and tokens are
// in member_integration_test.cc, persons in person_integration_test.cc.

#include <algorithm>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
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
  EXPECT_THAT(CallWithToken(&Stub::CreateTeam, "cb1.forged.token",
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

// Walks every page of ListTeams with `request` and returns the teams' names.
std::vector<std::string> AllPages(
    v1::ListTeamsRequest request,
    const std::function<grpc::Status(const v1::ListTeamsRequest&,
                                     v1::ListTeamsResponse*)>& list,
    int* pages) {
  std::vector<std::string> names;
  *pages = 0;
  do {
    v1::ListTeamsResponse response;
    grpc::Status status = list(request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    if (!status.ok()) break;
    ++*pages;
    for (const v1::Team& team : response.teams()) names.push_back(team.name());
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty() && *pages < 100);
  return names;
}

TEST_F(DirectoryTest, ListTeamsPagesInNameOrderWithoutGapsOrDuplicates) {
  // Created out of order, with clashing case, so order must come from the
  // display name (case-insensitive) and then the resource name.
  std::vector<v1::Team> teams;
  for (const char* name :
       {"delta", "Alpha", "charlie", "Bravo", "alpha", "Echo", "bravo"}) {
    teams.push_back(MakeTeam(name));
  }
  auto list = [&](const v1::ListTeamsRequest& request,
                  v1::ListTeamsResponse* response) {
    return Call(&Stub::ListTeams, Staff("teams/x", Role::kClinician), request,
                response);
  };
  v1::ListTeamsRequest request;
  request.set_page_size(2);
  int pages = 0;
  std::vector<std::string> names = AllPages(request, list, &pages);
  EXPECT_EQ(pages, 4);
  ASSERT_EQ(names.size(), 7u);
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), 7u);

  v1::ListTeamsResponse everything;
  ASSERT_GRPC_OK(list(v1::ListTeamsRequest(), &everything));
  ASSERT_EQ(everything.teams_size(), 7);
  EXPECT_TRUE(everything.next_page_token().empty());
  std::vector<std::string> display_names;
  for (int i = 0; i < everything.teams_size(); ++i) {
    EXPECT_EQ(everything.teams(i).name(), names[i]);
    display_names.push_back(
        absl::AsciiStrToLower(everything.teams(i).display_name()));
  }
  EXPECT_TRUE(std::is_sorted(display_names.begin(), display_names.end()));
  for (int i = 1; i < everything.teams_size(); ++i) {
    if (display_names[i] == display_names[i - 1]) {
      EXPECT_LT(everything.teams(i - 1).name(), everything.teams(i).name());
    }
  }
}

TEST_F(DirectoryTest, ListTeamsFiltersBySectorAndAccepting) {
  v1::Team crisis = MakeTeam("Crisis", v1::CRISIS);
  v1::Team cmht = MakeTeam("CMHT", v1::COMMUNITY_MENTAL_HEALTH);
  v1::CreateTeamRequest closed_request = TeamRequest("Closed", v1::CRISIS);
  closed_request.mutable_team()->set_accepting_referrals(false);
  v1::Team closed;
  ASSERT_GRPC_OK(Call(&Stub::CreateTeam, Admin(), closed_request, &closed));

  v1::ListTeamsRequest request;
  request.set_sector(v1::CRISIS);
  v1::ListTeamsResponse response;
  ASSERT_GRPC_OK(Call(&Stub::ListTeams, Admin(), request, &response));
  ASSERT_EQ(response.teams_size(), 2);
  EXPECT_EQ(response.teams(0).name(), closed.name());
  EXPECT_EQ(response.teams(1).name(), crisis.name());

  request.set_accepting_referrals_only(true);
  ASSERT_GRPC_OK(Call(&Stub::ListTeams, Admin(), request, &response));
  ASSERT_EQ(response.teams_size(), 1);
  EXPECT_EQ(response.teams(0).name(), crisis.name());

  request.clear_sector();
  ASSERT_GRPC_OK(Call(&Stub::ListTeams, Admin(), request, &response));
  ASSERT_EQ(response.teams_size(), 2);
  EXPECT_EQ(response.teams(0).name(), cmht.name());
}

TEST_F(DirectoryTest, ListTeamsRejectsBadPageTokensAndSizes) {
  for (int i = 0; i < 3; ++i) MakeTeam(absl::StrCat("Team ", i));
  v1::ListTeamsRequest request;
  request.set_page_size(1);
  v1::ListTeamsResponse first;
  ASSERT_GRPC_OK(Call(&Stub::ListTeams, Admin(), request, &first));
  ASSERT_FALSE(first.next_page_token().empty());

  v1::ListTeamsResponse response;
  request.set_page_token("not-a-token");
  EXPECT_THAT(Call(&Stub::ListTeams, Admin(), request, &response),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                HasSubstr("page_token")));
  // A token is bound to the filters it was made with.
  request.set_page_token(first.next_page_token());
  request.set_sector(v1::CRISIS);
  EXPECT_THAT(Call(&Stub::ListTeams, Admin(), request, &response),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                HasSubstr("page_token")));
  request.clear_sector();
  request.set_accepting_referrals_only(true);
  EXPECT_THAT(Call(&Stub::ListTeams, Admin(), request, &response),
              HasCode(grpc::StatusCode::INVALID_ARGUMENT));
  // The page size may change between pages.
  request.set_accepting_referrals_only(false);
  request.set_page_size(10);
  ASSERT_GRPC_OK(Call(&Stub::ListTeams, Admin(), request, &response));
  EXPECT_EQ(response.teams_size(), 2);

  v1::ListTeamsRequest negative;
  negative.set_page_size(-1);
  EXPECT_THAT(Call(&Stub::ListTeams, Admin(), negative, &response),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                HasSubstr("page_size")));
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

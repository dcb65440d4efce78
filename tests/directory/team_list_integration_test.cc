// ListTeams over a real gRPC channel: order, filters and pagination.

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "tests/directory/directory_test_fixture.h"

namespace carebridge::directory {
namespace {

using ::carebridge::testing::HasCode;
using ::carebridge::testing::HasCodeAndMessage;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Stub = v1::DirectoryService::Stub;

const auto& TeamsOf(const v1::ListTeamsResponse& response) {
  return response.teams();
}

TEST_F(DirectoryTest, ListTeamsPagesInNameOrderWithoutGapsOrDuplicates) {
  // Created out of order, with clashing case, so order must come from the
  // display name (case-insensitive) and then the resource name.
  std::vector<v1::Team> teams;
  for (const char* name :
       {"delta", "Alpha", "charlie", "Bravo", "alpha", "Echo", "bravo"}) {
    teams.push_back(MakeTeam(name));
  }
  const Principal reader = Staff("teams/x", Role::kClinician);
  v1::ListTeamsRequest request;
  request.set_page_size(2);
  int pages = 0;
  std::vector<std::string> names =
      NamesOnAllPages(&Stub::ListTeams, reader, request, TeamsOf, &pages);
  EXPECT_EQ(pages, 4);
  ASSERT_EQ(names.size(), 7u);
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), 7u);

  v1::ListTeamsResponse everything;
  ASSERT_GRPC_OK(
      Call(&Stub::ListTeams, reader, v1::ListTeamsRequest(), &everything));
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

TEST_F(DirectoryTest, ListTeamsRejectsUnknownSector) {
  v1::ListTeamsRequest request;
  request.set_sector(static_cast<v1::Sector>(42));
  v1::ListTeamsResponse response;
  EXPECT_THAT(Call(&Stub::ListTeams, Admin(), request, &response),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                HasSubstr("sector: is not a known sector")));
}

TEST_F(DirectoryTest, ListTeamsPagesStayStableWhileTeamsAreCreated) {
  // Pages continue after the last team returned, not at an offset: a team
  // created before the cursor neither pushes a seen team onto the next page
  // nor hides an unseen one.
  std::map<std::string, std::string> by_display_name;
  for (const char* name : {"bravo", "delta", "foxtrot", "hotel"}) {
    by_display_name[name] = MakeTeam(name).name();
  }
  v1::ListTeamsRequest request;
  request.set_page_size(2);
  v1::ListTeamsResponse first;
  ASSERT_GRPC_OK(Call(&Stub::ListTeams, Admin(), request, &first));
  ASSERT_EQ(first.teams_size(), 2);
  EXPECT_EQ(first.teams(0).name(), by_display_name["bravo"]);
  EXPECT_EQ(first.teams(1).name(), by_display_name["delta"]);

  by_display_name["alpha"] = MakeTeam("alpha").name();
  by_display_name["echo"] = MakeTeam("echo").name();
  request.set_page_token(first.next_page_token());
  int pages = 0;
  std::vector<std::string> rest =
      NamesOnAllPages(&Stub::ListTeams, Admin(), request, TeamsOf, &pages);
  EXPECT_THAT(rest,
              ElementsAre(by_display_name["echo"], by_display_name["foxtrot"],
                          by_display_name["hotel"]));
}

}  // namespace
}  // namespace carebridge::directory

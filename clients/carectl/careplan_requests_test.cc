#include "clients/carectl/careplan_requests.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace carebridge::carectl {
namespace {

namespace cp = ::carebridge::careplan::v1;
using ::testing::HasSubstr;

Flags MakeFlags(const std::vector<std::string>& args,
                const std::vector<FlagSpec>& specs) {
  auto line = Tokenize(args);
  EXPECT_TRUE(line.ok());
  auto flags = Flags::Bind(line->flags, specs);
  EXPECT_TRUE(flags.ok()) << flags.status();
  return *flags;
}

TEST(CarePlanNameTest, AcceptsThePersonThePlanOrABareId) {
  for (const char* plan :
       {"persons/p1", "persons/p1/carePlan", "p1", "p1/carePlan"}) {
    auto name = CarePlanName(plan);
    ASSERT_TRUE(name.ok()) << plan << ": " << name.status();
    EXPECT_EQ(*name, "persons/p1/carePlan") << plan;
  }
}

TEST(CarePlanNameTest, OtherNamesAreUsageErrors) {
  for (const char* plan : {"", "teams/t1", "persons/", "persons/p1/goals",
                           "persons/p1/carePlan/versions/3", "/carePlan"}) {
    auto name = CarePlanName(plan);
    ASSERT_FALSE(name.ok()) << plan;
    EXPECT_THAT(name.status().message(),
                HasSubstr("PLAN: expected persons/ID or persons/ID/carePlan"));
  }
}

TEST(CarePlanVersionNameTest, NamesTheVersion) {
  auto name = CarePlanVersionName("persons/p1", "12");
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(*name, "persons/p1/carePlan/versions/12");
}

TEST(CarePlanVersionNameTest, VersionMustBeAPositiveNumber) {
  for (const char* n :
       {"0", "-1", "x", "1.5", "", "+2", "99999999999999999999"}) {
    auto name = CarePlanVersionName("p1", n);
    ASSERT_FALSE(name.ok()) << n;
    EXPECT_THAT(name.status().message(),
                HasSubstr("N: must be a version number (1, 2, ...), not '"));
  }
  EXPECT_FALSE(CarePlanVersionName("teams/t", "1").ok());
}

TEST(ParseDateTest, ReadsRealCalendarDays) {
  auto date = ParseDate("--review_date", "2026-06-30");
  ASSERT_TRUE(date.ok());
  EXPECT_EQ(date->year(), 2026);
  EXPECT_EQ(date->month(), 6);
  EXPECT_EQ(date->day(), 30);
  EXPECT_TRUE(ParseDate("d", "2024-02-29").ok());  // leap year
  EXPECT_TRUE(ParseDate("d", "2000-02-29").ok());  // leap century
  EXPECT_TRUE(ParseDate("d", "1900-01-01").ok());
  EXPECT_TRUE(ParseDate("d", "9999-12-31").ok());
}

TEST(ParseDateTest, RejectsWhatIsNotADate) {
  for (const char* text :
       {"2026-02-30", "2026-02-29", "1900-02-29", "2026-13-01", "2026-00-10",
        "2026-04-31", "2026-01-00", "1899-12-31", "2026-6-1", "2026/06/01",
        "tomorrow", "", "+026-06-01", "2026-06-01T00:00:00Z"}) {
    auto date = ParseDate("--review_date", text);
    ASSERT_FALSE(date.ok()) << text;
    EXPECT_EQ(date.status().message(),
              absl::StrCat("--review_date: '", text,
                           "' is not a date (use YYYY-MM-DD)"));
  }
}

TEST(GetCarePlanRequestTest, NamesThePlan) {
  auto request = BuildGetCarePlanRequest("persons/p1");
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->name(), "persons/p1/carePlan");
  EXPECT_FALSE(BuildGetCarePlanRequest("referrals/r1").ok());
}

TEST(GetCarePlanVersionRequestTest, NamesTheVersion) {
  auto request = BuildGetCarePlanVersionRequest("persons/p1/carePlan", "3");
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->name(), "persons/p1/carePlan/versions/3");
  EXPECT_FALSE(BuildGetCarePlanVersionRequest("p1", "three").ok());
}

std::vector<FlagSpec> VersionsSpecs() {
  return {{"full", FlagKind::kBool},
          {"page_size", FlagKind::kValue},
          {"page_token", FlagKind::kValue},
          {"all", FlagKind::kBool}};
}

TEST(ListCarePlanVersionsRequestTest, BasicByDefault) {
  auto request =
      BuildListCarePlanVersionsRequest("p1", MakeFlags({}, VersionsSpecs()));
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->parent(), "persons/p1/carePlan");
  EXPECT_EQ(request->view(), cp::BASIC);
  EXPECT_EQ(request->page_size(), 0);
  EXPECT_EQ(request->page_token(), "");
}

TEST(ListCarePlanVersionsRequestTest, FullAndPaging) {
  auto request = BuildListCarePlanVersionsRequest(
      "persons/p1", MakeFlags({"--full", "--page_size=5", "--page_token=tok"},
                              VersionsSpecs()));
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->view(), cp::FULL);
  EXPECT_EQ(request->page_size(), 5);
  EXPECT_EQ(request->page_token(), "tok");
}

TEST(ListCarePlanVersionsRequestTest, BadPageSizeOrPlan) {
  auto request = BuildListCarePlanVersionsRequest(
      "p1", MakeFlags({"--page_size=0"}, VersionsSpecs()));
  ASSERT_FALSE(request.ok());
  EXPECT_THAT(request.status().message(), HasSubstr("--page_size:"));
  EXPECT_FALSE(BuildListCarePlanVersionsRequest("teams/t",
                                                MakeFlags({}, VersionsSpecs()))
                   .ok());
}

TEST(DiffCarePlanVersionsRequestTest, ToDefaultsToTheCurrentVersion) {
  auto request = BuildDiffCarePlanVersionsRequest("p1", "3", std::nullopt);
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->name(), "persons/p1/carePlan");
  EXPECT_EQ(request->from_version(), 3);
  EXPECT_EQ(request->to_version(), 0);
}

TEST(DiffCarePlanVersionsRequestTest, FromAndTo) {
  auto request = BuildDiffCarePlanVersionsRequest("p1", "3", "7");
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->from_version(), 3);
  EXPECT_EQ(request->to_version(), 7);
  EXPECT_TRUE(BuildDiffCarePlanVersionsRequest("p1", "3", "3").ok());
}

TEST(DiffCarePlanVersionsRequestTest, UsageErrors) {
  auto before = BuildDiffCarePlanVersionsRequest("p1", "5", "2");
  ASSERT_FALSE(before.ok());
  EXPECT_EQ(before.status().message(), "TO: version 2 is before FROM (5)");
  auto from = BuildDiffCarePlanVersionsRequest("p1", "0", std::nullopt);
  ASSERT_FALSE(from.ok());
  EXPECT_THAT(from.status().message(), HasSubstr("FROM: must be a version"));
  auto to = BuildDiffCarePlanVersionsRequest("p1", "1", "latest");
  ASSERT_FALSE(to.ok());
  EXPECT_THAT(to.status().message(), HasSubstr("TO: must be a version"));
  EXPECT_FALSE(BuildDiffCarePlanVersionsRequest("", "1", std::nullopt).ok());
}

std::vector<FlagSpec> AgreeSpecs() {
  return {{"version", FlagKind::kValue}, {"comment", FlagKind::kValue}};
}

TEST(RecordAgreementRequestTest, VersionAndThePersonsComment) {
  auto request = BuildRecordAgreementRequest(
      "persons/p1", MakeFlags({"--version=4", "--comment=I'm happy with this"},
                              AgreeSpecs()));
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->name(), "persons/p1/carePlan");
  EXPECT_EQ(request->version(), 4);
  EXPECT_EQ(request->person_comment(), "I'm happy with this");
}

TEST(RecordAgreementRequestTest, BadVersionIsNamed) {
  for (const char* arg : {"--version=0", "--version=four", "--version="}) {
    auto request =
        BuildRecordAgreementRequest("p1", MakeFlags({arg}, AgreeSpecs()));
    ASSERT_FALSE(request.ok()) << arg;
    EXPECT_THAT(request.status().message(),
                HasSubstr("--version: must be a version number"));
  }
}

std::vector<FlagSpec> TeamSpecs() {
  return {{"team", FlagKind::kValue},
          {"role", FlagKind::kValue},
          {"reason", FlagKind::kValue},
          {"etag", FlagKind::kValue}};
}

TEST(CareTeamRequestTest, AddCarriesTeamRoleReasonAndEtag) {
  auto request = BuildAddCareTeamMemberRequest(
      "persons/p1/carePlan",
      MakeFlags({"--team=crisis", "--role=crisis support",
                 "--reason=Seen in crisis", "--etag=4"},
                TeamSpecs()));
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->name(), "persons/p1/carePlan");
  EXPECT_EQ(request->team(), "teams/crisis");
  EXPECT_EQ(request->role(), "crisis support");
  EXPECT_EQ(request->reason(), "Seen in crisis");
  EXPECT_EQ(request->etag(), "4");
}

TEST(CareTeamRequestTest, EndCarriesTeamReasonAndEtag) {
  auto request = BuildEndCareTeamInvolvementRequest(
      "p1",
      MakeFlags({"--team=teams/crisis", "--reason=Discharged"}, TeamSpecs()));
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->name(), "persons/p1/carePlan");
  EXPECT_EQ(request->team(), "teams/crisis");
  EXPECT_EQ(request->reason(), "Discharged");
  EXPECT_EQ(request->etag(), "");
}

TEST(CareTeamRequestTest, LeadCarriesAnOptionalRole) {
  auto request = BuildSetLeadTeamRequest(
      "p1", MakeFlags({"--team=cmht", "--reason=Coordinator", "--etag=9"},
                      TeamSpecs()));
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->team(), "teams/cmht");
  EXPECT_EQ(request->role(), "");
  EXPECT_EQ(request->reason(), "Coordinator");
  EXPECT_EQ(request->etag(), "9");
  auto with_role = BuildSetLeadTeamRequest(
      "p1", MakeFlags({"--team=cmht", "--reason=R", "--role=coordination"},
                      TeamSpecs()));
  ASSERT_TRUE(with_role.ok());
  EXPECT_EQ(with_role->role(), "coordination");
}

TEST(CareTeamRequestTest, TeamMustBeATeamName) {
  for (const char* team : {"members/m1", "teams/", "teams/a/b"}) {
    Flags flags = MakeFlags(
        {absl::StrCat("--team=", team), "--reason=R", "--role=x"}, TeamSpecs());
    const std::string expected =
        absl::StrCat("--team: expected teams/ID or ID, not '", team, "'");
    auto add = BuildAddCareTeamMemberRequest("p1", flags);
    ASSERT_FALSE(add.ok()) << team;
    EXPECT_EQ(add.status().message(), expected);
    auto end = BuildEndCareTeamInvolvementRequest("p1", flags);
    ASSERT_FALSE(end.ok()) << team;
    EXPECT_EQ(end.status().message(), expected);
    auto lead = BuildSetLeadTeamRequest("p1", flags);
    ASSERT_FALSE(lead.ok()) << team;
    EXPECT_EQ(lead.status().message(), expected);
  }
}

TEST(CareTeamRequestTest, BadPlanIsAUsageError) {
  Flags flags = MakeFlags({"--team=t", "--reason=R", "--role=x"}, TeamSpecs());
  EXPECT_FALSE(BuildAddCareTeamMemberRequest("teams/t", flags).ok());
  EXPECT_FALSE(BuildEndCareTeamInvolvementRequest("teams/t", flags).ok());
  EXPECT_FALSE(BuildSetLeadTeamRequest("teams/t", flags).ok());
}

}  // namespace
}  // namespace carebridge::carectl

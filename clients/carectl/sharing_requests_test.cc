#include "clients/carectl/sharing_requests.h"

#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace carebridge::carectl {
namespace {

namespace cp = ::carebridge::careplan::v1;
namespace dir = ::carebridge::directory::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

TEST(SharingRequestsTest, RulesNameASectorOrATeamAndTheirParts) {
  absl::StatusOr<std::vector<cp::SharingRule>> rules = ParseSharingRules(
      "voluntary_sector=goals, own_actions,what_helps; teams/peer=all;"
      "crisis=");
  ASSERT_TRUE(rules.ok()) << rules.status();
  ASSERT_EQ(rules->size(), 3u);
  EXPECT_EQ((*rules)[0].sector(), dir::VOLUNTARY_SECTOR);
  EXPECT_THAT((*rules)[0].parts(),
              ElementsAre(cp::SHARED_GOALS, cp::SHARED_OWN_ACTIONS,
                          cp::SHARED_WHAT_HELPS));
  EXPECT_EQ((*rules)[1].team(), "teams/peer");
  EXPECT_THAT(
      (*rules)[1].parts(),
      ElementsAre(cp::SHARED_GOALS, cp::SHARED_ALL_ACTIONS,
                  cp::SHARED_CRISIS_PLAN, cp::SHARED_COMMUNICATION_PREFERENCES,
                  cp::SHARED_REVIEW_DATE, cp::SHARED_CARE_TEAM,
                  cp::SHARED_AGREEMENT, cp::SHARED_RISK));
  EXPECT_EQ((*rules)[2].sector(), dir::CRISIS);
  EXPECT_THAT((*rules)[2].parts(), IsEmpty());
  EXPECT_EQ(SharedPartsText((*rules)[2]), "nothing");
  EXPECT_EQ(SharedPartsText((*rules)[0]), "goals, own_actions, what_helps");

  absl::StatusOr<std::vector<cp::SharingRule>> none = ParseSharingRules("");
  ASSERT_TRUE(none.ok());
  EXPECT_THAT(*none, IsEmpty());
}

TEST(SharingRequestsTest, BadRulesAreUsageErrorsNamingTheRule) {
  struct Case {
    const char* text;
    const char* message;
  };
  for (const Case& c : {
           Case{"voluntary_sector", "--rules: 'voluntary_sector' is not WHO="},
           Case{"pharmacy=goals", "--rules: 'pharmacy=goals' does not name"},
           Case{"crisis=goals,secrets",
                "shares 'secrets', which is not one of all, goals"},
       }) {
    absl::StatusOr<std::vector<cp::SharingRule>> rules =
        ParseSharingRules(c.text);
    EXPECT_EQ(rules.status().code(), absl::StatusCode::kInvalidArgument)
        << c.text;
    EXPECT_THAT(rules.status().message(), HasSubstr(c.message));
  }
}

TEST(SharingRequestsTest, ChoicesPrintWhoWhyAndEverySector) {
  cp::SharingChoices choices;
  choices.set_name("persons/p1/sharingChoices");
  choices.set_version(2);
  choices.set_etag("2");
  choices.set_updated_by("persons/p1");
  choices.set_reason("I want the cafe to know what helps");
  cp::SharingRule* rule = choices.add_rules();
  rule->set_sector(dir::VOLUNTARY_SECTOR);
  rule->add_parts(cp::SHARED_CRISIS_PLAN);
  cp::SharingRule* effective = choices.add_effective();
  effective->set_sector(dir::CRISIS);
  std::ostringstream out;
  PrintSharingChoices(out, choices);
  EXPECT_THAT(out.str(), HasSubstr("version 2 (etag 2)"));
  EXPECT_THAT(out.str(),
              HasSubstr("by persons/p1: I want the cafe to know what helps"));
  EXPECT_THAT(out.str(), HasSubstr("voluntary_sector"));
  EXPECT_THAT(out.str(), HasSubstr("crisis_plan"));
  EXPECT_THAT(out.str(), HasSubstr("crisis"));
  EXPECT_THAT(out.str(), HasSubstr("nothing"));
}

// A team other than the lead is given who changed the choices and when,
// not the rules nor why: carectl says where its own view is.
TEST(SharingPrintTest, AnOutlineSaysWhereToLookInsteadOfAnEmptyTable) {
  cp::SharingChoices choices;
  choices.set_name("persons/p1/sharingChoices");
  choices.set_version(3);
  choices.set_etag("3");
  choices.set_updated_by("members/alice");
  choices.set_updated_by_team("teams/cmht");
  std::ostringstream out;
  PrintSharingChoices(out, choices);
  EXPECT_THAT(out.str(), HasSubstr("version 3 (etag 3)"));
  EXPECT_THAT(out.str(), HasSubstr("by members/alice of teams/cmht\n"));
  EXPECT_THAT(out.str(), HasSubstr("for the person and their lead team"));
  EXPECT_THAT(out.str(), Not(HasSubstr("what each sector sees")));
}

}  // namespace
}  // namespace carebridge::carectl

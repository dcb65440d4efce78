#include "clients/carectl/name_labels.h"

#include "carebridge/referral/v1/referral.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace carebridge::carectl {
namespace {

using ::testing::ElementsAre;

TEST(NameLabelsTest, UnlabelledNamesShowAsThemselves) {
  NameLabels names;
  names.Set("teams/crisis", "Crisis Team");
  EXPECT_EQ(names.Label("teams/crisis"), "Crisis Team");
  EXPECT_EQ(names.Label("teams/other"), "teams/other");
  EXPECT_EQ(names.LabelOverName("teams/crisis"), "Crisis Team\nteams/crisis");
  EXPECT_EQ(names.LabelOverName("teams/other"), "teams/other");
}

TEST(NameLabelsTest, InTextReplacesWholeNamesOnly) {
  NameLabels names;
  names.Set("teams/crisis", "Crisis Team");
  names.Set("persons/p1", "Ada Lovelace (NHS 943 476 5919)");
  EXPECT_EQ(names.InText("Referral declined by teams/crisis."),
            "Referral declined by Crisis Team.");
  EXPECT_EQ(names.InText("persons/p1/careSummary, teams/crisis2, persons/p1"),
            "persons/p1/careSummary, teams/crisis2, Ada Lovelace (NHS 943 476 "
            "5919)");
}

// How servers write ids into text: first or last, in brackets, quotes,
// parentheses, before a colon or semicolon.
TEST(NameLabelsTest, InTextReplacesNamesWhereverTheyStandInTheText) {
  NameLabels names;
  names.Set("teams/crisis", "Crisis Team");
  names.Set("members/kim", "Kim Jones");
  EXPECT_EQ(names.InText("teams/crisis"), "Crisis Team");
  EXPECT_EQ(names.InText("teams/crisis took the lead"),
            "Crisis Team took the lead");
  EXPECT_EQ(names.InText("care_team[teams/crisis]"), "care_team[Crisis Team]");
  EXPECT_EQ(names.InText("owner: teams/crisis; by: members/kim"),
            "owner: Crisis Team; by: Kim Jones");
  EXPECT_EQ(names.InText("(members/kim), \"teams/crisis\": teams/crisis"),
            "(Kim Jones), \"Crisis Team\": Crisis Team");
  // Names without a label, and text without names, stay as they are.
  EXPECT_EQ(names.InText("from teams/unknown to teams/crisis"),
            "from teams/unknown to Crisis Team");
  EXPECT_EQ(names.InText("no names here: teams, persons/"),
            "no names here: teams, persons/");
  EXPECT_EQ(NameLabels().InText("by teams/crisis"), "by teams/crisis");
}

TEST(NameLabelsTest, FindsPersonsTeamsAndMembersOnceEach) {
  EXPECT_THAT(ResourceNamesInText("teams/a to teams/b (members/m1) teams/a "
                                  "referrals/r1 persons/p1/careSummary "
                                  "teams/- persons/p2"),
              ElementsAre("teams/a", "teams/b", "members/m1", "persons/p2"));
}

TEST(NameLabelsTest, FindsNamesInNestedAndRepeatedFields) {
  referral::v1::ListReferralsResponse response;
  referral::v1::Referral& r = *response.add_referrals();
  r.set_name("referrals/r1");
  r.set_person("persons/p1");
  r.set_sending_team("teams/cmht");
  r.add_history()->set_actor("members/kim");
  response.add_referrals()->set_person("persons/p1");
  EXPECT_THAT(ResourceNamesIn(response),
              ElementsAre("persons/p1", "teams/cmht", "members/kim"));
}

TEST(NameLabelsTest, LabelNamesReplacesWholeValuesOnly) {
  NameLabels names;
  names.Set("teams/cmht", "CMHT North");
  names.Set("members/kim", "Kim Jones");
  referral::v1::Referral r;
  r.set_name("referrals/r1");
  r.set_sending_team("teams/cmht");
  r.set_reason("Known to teams/cmht");
  r.add_history()->set_actor("members/kim");
  r.add_withheld_from_receiving_team("teams/cmht");
  LabelNames(&r, names);
  EXPECT_EQ(r.name(), "referrals/r1");
  EXPECT_EQ(r.sending_team(), "CMHT North");
  EXPECT_EQ(r.reason(), "Known to teams/cmht");
  EXPECT_EQ(r.history(0).actor(), "Kim Jones");
  EXPECT_EQ(r.withheld_from_receiving_team(0), "CMHT North");
}

}  // namespace
}  // namespace carebridge::carectl

#include "services/sharing/shared_parts.h"

#include <algorithm>
#include <initializer_list>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace carebridge::sharing {
namespace {

namespace cp = ::carebridge::careplan::v1;
namespace dir = ::carebridge::directory::v1;
using ::testing::ElementsAre;

SharedParts Parts(std::initializer_list<cp::SharedPart> parts) {
  SharedParts result;
  for (cp::SharedPart part : parts) result.Add(part);
  return result;
}

// Each sector's default, part by part: the table sharing.proto documents.
TEST(SharedPartsTest, DefaultsPerSectorPartByPart) {
  struct Row {
    dir::Sector sector;
    std::vector<cp::SharedPart> not_shared;
  };
  const std::vector<Row> rows = {
      {dir::COMMUNITY_MENTAL_HEALTH, {}},
      {dir::CRISIS, {}},
      {dir::INPATIENT, {}},
      {dir::PRIMARY_CARE, {}},
      {dir::SOCIAL_CARE, {cp::SHARED_CRISIS_PLAN}},
      {dir::VOLUNTARY_SECTOR,
       {cp::SHARED_ALL_ACTIONS, cp::SHARED_CRISIS_PLAN, cp::SHARED_RISK}},
      {dir::OTHER,
       {cp::SHARED_ALL_ACTIONS, cp::SHARED_CRISIS_PLAN, cp::SHARED_RISK}},
      {dir::SECTOR_UNSPECIFIED,
       {cp::SHARED_ALL_ACTIONS, cp::SHARED_CRISIS_PLAN, cp::SHARED_RISK}},
  };
  for (const Row& row : rows) {
    const SharedParts parts = DefaultParts(row.sector);
    for (int part = cp::SharedPart_MIN + 1; part <= cp::SharedPart_MAX;
         ++part) {
      const bool expected =
          std::find(row.not_shared.begin(), row.not_shared.end(), part) ==
          row.not_shared.end();
      EXPECT_EQ(parts.Has(static_cast<cp::SharedPart>(part)), expected)
          << dir::Sector_Name(row.sector) << " "
          << cp::SharedPart_Name(static_cast<cp::SharedPart>(part));
    }
  }
}

TEST(SharedPartsTest, ATeamsRuleComesBeforeItsSectorsBeforeTheDefault) {
  cp::SharingChoices choices;
  cp::SharingRule* sector = choices.add_rules();
  sector->set_sector(dir::VOLUNTARY_SECTOR);
  sector->add_parts(cp::SHARED_GOALS);
  cp::SharingRule* team = choices.add_rules();
  team->set_team("teams/peer");
  team->add_parts(cp::SHARED_CRISIS_PLAN);
  team->add_parts(cp::SHARED_RISK);

  EXPECT_EQ(PartsFor(&choices, "teams/peer", dir::VOLUNTARY_SECTOR),
            Parts({cp::SHARED_CRISIS_PLAN, cp::SHARED_RISK}));
  EXPECT_EQ(PartsFor(&choices, "teams/other", dir::VOLUNTARY_SECTOR),
            Parts({cp::SHARED_GOALS}));
  EXPECT_EQ(PartsFor(&choices, "teams/other", dir::SOCIAL_CARE),
            DefaultParts(dir::SOCIAL_CARE));
  EXPECT_EQ(PartsFor(nullptr, "teams/peer", dir::VOLUNTARY_SECTOR),
            DefaultParts(dir::VOLUNTARY_SECTOR));
  // The person may also narrow what an NHS sector sees.
  cp::SharingRule* crisis = choices.add_rules();
  crisis->set_sector(dir::CRISIS);
  crisis->add_parts(cp::SHARED_CRISIS_PLAN);
  EXPECT_EQ(PartsFor(&choices, "teams/crisis", dir::CRISIS),
            Parts({cp::SHARED_CRISIS_PLAN}));
}

// The lead team is responsible for the person's care: no rule narrows what
// it sees, not even one naming it.
TEST(SharedPartsTest, TheLeadTeamSeesEverythingWhateverTheRules) {
  PersonSharing sharing;
  sharing.lead_team = "teams/cmht";
  sharing.choices.emplace();
  cp::SharingRule* rule = sharing.choices->add_rules();
  rule->set_team("teams/cmht");
  rule->add_parts(cp::SHARED_GOALS);
  cp::SharingRule* sector = sharing.choices->add_rules();
  sector->set_sector(dir::CRISIS);

  EXPECT_TRUE(
      sharing.PartsFor("teams/cmht", dir::COMMUNITY_MENTAL_HEALTH).IsAll());
  EXPECT_EQ(sharing.PartsFor("teams/crisis", dir::CRISIS), SharedParts::None());
  // Without choices, the defaults; without a lead, nobody is excepted.
  PersonSharing none;
  EXPECT_EQ(none.PartsFor("teams/peer", dir::VOLUNTARY_SECTOR),
            DefaultParts(dir::VOLUNTARY_SECTOR));
  EXPECT_EQ(none.PartsFor("", dir::VOLUNTARY_SECTOR),
            DefaultParts(dir::VOLUNTARY_SECTOR));
}

TEST(SharedPartsTest, WholePartsIncludeTheirNarrowerParts) {
  const SharedParts parts =
      Parts({cp::SHARED_ALL_ACTIONS, cp::SHARED_CRISIS_PLAN});
  EXPECT_TRUE(parts.Has(cp::SHARED_OWN_ACTIONS));
  EXPECT_TRUE(parts.Has(cp::SHARED_WHAT_HELPS));
  cp::SharingRule rule;
  parts.AppendTo(rule);
  EXPECT_THAT(rule.parts(),
              ElementsAre(cp::SHARED_ALL_ACTIONS, cp::SHARED_CRISIS_PLAN));
}

TEST(SharedPartsTest, MissingPartsNameTheWholePartNotItsNarrowerOne) {
  google::protobuf::RepeatedField<int> missing;
  DefaultParts(dir::VOLUNTARY_SECTOR).AppendMissingTo(&missing);
  EXPECT_THAT(missing, ElementsAre(cp::SHARED_ALL_ACTIONS,
                                   cp::SHARED_CRISIS_PLAN, cp::SHARED_RISK));
  missing.Clear();
  SharedParts::All().AppendMissingTo(&missing);
  EXPECT_TRUE(missing.empty());
  SharedParts::None().AppendMissingTo(&missing);
  EXPECT_EQ(missing.size(), cp::SharedPart_MAX);
}

TEST(SharedPartsTest, TheWholePlanLeavesRiskAside) {
  SharedParts plan = SharedParts::None();
  for (int part = cp::SharedPart_MIN + 1; part <= cp::SharedPart_MAX; ++part) {
    if (part != cp::SHARED_RISK) plan.Add(static_cast<cp::SharedPart>(part));
  }
  EXPECT_TRUE(plan.HasWholePlan());
  EXPECT_FALSE(plan.IsAll());
  EXPECT_TRUE(SharedParts::All().HasWholePlan());
  EXPECT_TRUE(DefaultParts(dir::SOCIAL_CARE).Intersect(plan) ==
              DefaultParts(dir::SOCIAL_CARE)
                  .Intersect(SharedParts::All())
                  .Intersect(plan));
  EXPECT_FALSE(DefaultParts(dir::SOCIAL_CARE).HasWholePlan());
  SharedParts risk_only;
  risk_only.Add(cp::SHARED_RISK);
  EXPECT_FALSE(risk_only.HasWholePlan());
  google::protobuf::RepeatedField<int> missing;
  DefaultParts(dir::VOLUNTARY_SECTOR).AppendMissingPlanPartsTo(&missing);
  EXPECT_THAT(missing,
              ElementsAre(cp::SHARED_ALL_ACTIONS, cp::SHARED_CRISIS_PLAN));
}

TEST(SharedPartsTest, IntersectKeepsWhatBothShare) {
  const SharedParts crisis_plan = Parts({cp::SHARED_CRISIS_PLAN});
  EXPECT_TRUE(SharedParts::All().Intersect(crisis_plan) == crisis_plan);
  const SharedParts what_helps =
      DefaultParts(dir::VOLUNTARY_SECTOR).Intersect(crisis_plan);
  EXPECT_TRUE(what_helps == Parts({cp::SHARED_WHAT_HELPS}));
  EXPECT_TRUE(Parts({cp::SHARED_GOALS}).Intersect(crisis_plan) ==
              SharedParts::None());
}

// Why the plan changed is told to a team when nothing the change touched
// is withheld from it in whole (as the care plan's versions show it).
TEST(SharedPartsTest, AChangeIsToldWhenItTouchedNothingWithheld) {
  const SharedParts goals = Parts({cp::SHARED_GOALS});
  EXPECT_TRUE(ShowsChangeTo(goals, {cp::GOALS}));
  EXPECT_TRUE(ShowsChangeTo(goals, {}));
  EXPECT_FALSE(ShowsChangeTo(goals, {cp::GOALS, cp::ACTIONS}));
  EXPECT_FALSE(ShowsChangeTo(goals, {cp::CARE_TEAM}));
  // Its own actions are not all the actions.
  EXPECT_FALSE(ShowsChangeTo(Parts({cp::SHARED_OWN_ACTIONS}), {cp::ACTIONS}));
  // What helps is not the whole crisis plan.
  EXPECT_FALSE(
      ShowsChangeTo(Parts({cp::SHARED_WHAT_HELPS}), {cp::CRISIS_PLAN}));
  EXPECT_TRUE(
      ShowsChangeTo(Parts({cp::SHARED_CRISIS_PLAN}), {cp::CRISIS_PLAN}));
  for (int section = cp::Section_MIN; section <= cp::Section_MAX; ++section) {
    if (!cp::Section_IsValid(section)) continue;
    EXPECT_TRUE(ShowsChangeTo(SharedParts::All(), {section}));
    EXPECT_EQ(ShowsChangeTo(SharedParts::None(), {section}),
              WholePartOf(static_cast<cp::Section>(section)) ==
                  cp::SHARED_PART_UNSPECIFIED)
        << cp::Section_Name(static_cast<cp::Section>(section));
  }
}

}  // namespace
}  // namespace carebridge::sharing

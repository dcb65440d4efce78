#include "services/careplan/careplan_sharing.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/support/sample_care_plan.h"

namespace carebridge::careplan {
namespace {

namespace dir = ::carebridge::directory::v1;
using ::google::protobuf::util::MessageDifferencer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::vector<std::string> kTeams = {"teams/cmht", "teams/crisis",
                                         "teams/peer"};

// Sample content with a care team, an agreement and a change.
v1::CarePlan FullPlan() {
  v1::CarePlan plan = testing::SampleCarePlan(kTeams);
  plan.set_person("persons/p1");
  plan.set_lead_team("teams/cmht");
  for (const std::string& team : kTeams) {
    plan.add_care_team()->set_team(team);
  }
  plan.mutable_agreement()->set_person_comment("I agree, mostly.");
  plan.mutable_change()->set_reason("Reviewed together after the admission");
  plan.mutable_change()->add_sections(v1::GOALS);
  return plan;
}

SharedParts Parts(std::initializer_list<v1::SharedPart> parts) {
  SharedParts result;
  for (v1::SharedPart part : parts) result.Add(part);
  return result;
}

std::vector<int> Withheld(const v1::CarePlan& plan) {
  return std::vector<int>(plan.withheld().begin(), plan.withheld().end());
}

TEST(CarePlanSharingTest, WithholdsEachPartAloneSectionBySection) {
  const v1::CarePlan full = FullPlan();
  struct Row {
    v1::SharedPart part;
    // What the plan looks like with that part withheld.
    void (*expected)(v1::CarePlan&);
  };
  const std::vector<Row> rows = {
      {v1::SHARED_GOALS, [](v1::CarePlan& p) { p.clear_goals(); }},
      // Without all actions the team still has its own (the default here
      // keeps SHARED_OWN_ACTIONS): teams/peer's only.
      {v1::SHARED_ALL_ACTIONS,
       [](v1::CarePlan& p) {
         google::protobuf::RepeatedPtrField<v1::Action> own;
         for (const v1::Action& a : p.actions()) {
           if (a.owning_team() == "teams/peer") *own.Add() = a;
         }
         p.mutable_actions()->Swap(&own);
       }},
      {v1::SHARED_CRISIS_PLAN,
       [](v1::CarePlan& p) {
         v1::CrisisPlan kept;
         kept.set_what_helps(p.crisis_plan().what_helps());
         kept.set_what_to_avoid(p.crisis_plan().what_to_avoid());
         kept.set_preferred_response(p.crisis_plan().preferred_response());
         *p.mutable_crisis_plan() = kept;
       }},
      {v1::SHARED_COMMUNICATION_PREFERENCES,
       [](v1::CarePlan& p) { p.clear_communication_preferences(); }},
      {v1::SHARED_REVIEW_DATE, [](v1::CarePlan& p) { p.clear_review_date(); }},
      {v1::SHARED_CARE_TEAM, [](v1::CarePlan& p) { p.clear_care_team(); }},
      {v1::SHARED_AGREEMENT, [](v1::CarePlan& p) { p.clear_agreement(); }},
  };
  for (const Row& row : rows) {
    SharedParts parts;
    for (int part = v1::SharedPart_MIN + 1; part <= v1::SharedPart_MAX;
         ++part) {
      if (part != row.part) parts.Add(static_cast<v1::SharedPart>(part));
    }
    v1::CarePlan shown = full;
    Withhold(parts, "teams/peer", shown);
    v1::CarePlan expected = full;
    row.expected(expected);
    if (row.part == v1::SHARED_GOALS) {
      // The change was to the goals: its reason goes with them.
      expected.mutable_change()->clear_reason();
    }
    expected.add_withheld(row.part);
    EXPECT_TRUE(MessageDifferencer::Equals(shown, expected))
        << v1::SharedPart_Name(row.part);
    // The lead team is named whatever is withheld.
    EXPECT_EQ(shown.lead_team(), "teams/cmht");
  }
}

TEST(CarePlanSharingTest, WithholdingEverythingLeavesWhoLeadsAndTheVersion) {
  v1::CarePlan shown = FullPlan();
  shown.set_version(7);
  Withhold(SharedParts::None(), "teams/peer", shown);
  EXPECT_THAT(shown.goals(), IsEmpty());
  EXPECT_THAT(shown.actions(), IsEmpty());
  EXPECT_FALSE(shown.has_crisis_plan());
  EXPECT_FALSE(shown.has_communication_preferences());
  EXPECT_FALSE(shown.has_review_date());
  EXPECT_THAT(shown.care_team(), IsEmpty());
  EXPECT_FALSE(shown.has_agreement());
  EXPECT_EQ(shown.change().reason(), "");
  EXPECT_EQ(shown.lead_team(), "teams/cmht");
  EXPECT_EQ(shown.version(), 7);
  EXPECT_THAT(
      Withheld(shown),
      ElementsAre(v1::SHARED_GOALS, v1::SHARED_ALL_ACTIONS,
                  v1::SHARED_OWN_ACTIONS, v1::SHARED_CRISIS_PLAN,
                  v1::SHARED_WHAT_HELPS, v1::SHARED_COMMUNICATION_PREFERENCES,
                  v1::SHARED_REVIEW_DATE, v1::SHARED_CARE_TEAM,
                  v1::SHARED_AGREEMENT));
}

TEST(CarePlanSharingTest, TheWholePlanIsUnchangedAndNamesNothing) {
  v1::CarePlan shown = FullPlan();
  Withhold(SharedParts::All(), "teams/peer", shown);
  EXPECT_TRUE(MessageDifferencer::Equals(shown, FullPlan()));
}

TEST(CarePlanSharingTest, VoluntarySectorDefaultIsTheIssuesExample) {
  v1::CarePlan shown = FullPlan();
  Withhold(DefaultParts(dir::VOLUNTARY_SECTOR), "teams/peer", shown);
  EXPECT_EQ(shown.goals_size(), FullPlan().goals_size());
  ASSERT_GT(shown.actions_size(), 0);
  EXPECT_LT(shown.actions_size(), FullPlan().actions_size());
  for (const v1::Action& action : shown.actions()) {
    EXPECT_EQ(action.owning_team(), "teams/peer");
  }
  EXPECT_NE(shown.crisis_plan().what_helps(), "");
  EXPECT_EQ(shown.crisis_plan().early_warning_signs(), "");
  EXPECT_EQ(shown.crisis_plan().triggers(), "");
  EXPECT_THAT(shown.crisis_plan().contacts(), IsEmpty());
  EXPECT_EQ(shown.crisis_plan().advance_statements(), "");
  EXPECT_TRUE(shown.has_communication_preferences());
  EXPECT_THAT(Withheld(shown),
              ElementsAre(v1::SHARED_ALL_ACTIONS, v1::SHARED_CRISIS_PLAN));
}

TEST(CarePlanSharingTest, AChangeKeepsItsReasonWhenItsSectionsAreShown) {
  v1::CarePlan shown = FullPlan();
  Withhold(Parts({v1::SHARED_GOALS}), "teams/peer", shown);
  EXPECT_EQ(shown.change().reason(), "Reviewed together after the admission");
  shown = FullPlan();
  shown.mutable_change()->add_sections(v1::CRISIS_PLAN);
  Withhold(Parts({v1::SHARED_GOALS, v1::SHARED_WHAT_HELPS}), "teams/peer",
           shown);
  EXPECT_EQ(shown.change().reason(), "");
  EXPECT_THAT(shown.change().sections(),
              ElementsAre(v1::GOALS, v1::CRISIS_PLAN));
}

UpdateMask Mask(std::vector<std::string> paths) {
  google::protobuf::FieldMask mask;
  for (const std::string& path : paths) mask.add_paths(path);
  absl::StatusOr<UpdateMask> parsed = ParseUpdateMask(mask);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return *parsed;
}

TEST(CarePlanSharingTest, ATeamWritesOnlyWhatIsSharedWithItWhole) {
  const SharedParts voluntary = DefaultParts(dir::VOLUNTARY_SECTOR);
  EXPECT_TRUE(
      RequireSharedForWrite(voluntary, "teams/peer", Mask({"goals"})).ok());
  EXPECT_TRUE(RequireSharedForWrite(voluntary, "teams/peer",
                                    Mask({"crisis_plan.what_helps"}))
                  .ok());
  EXPECT_TRUE(RequireSharedForWrite(voluntary, "teams/peer",
                                    Mask({"communication_preferences"}))
                  .ok());
  struct Denied {
    std::vector<std::string> paths;
    std::string names;
  };
  for (const Denied& denied :
       std::vector<Denied>{{{"actions"}, "SHARED_ALL_ACTIONS"},
                           {{"crisis_plan"}, "SHARED_CRISIS_PLAN"},
                           {{"crisis_plan.triggers"}, "SHARED_CRISIS_PLAN"},
                           {{"goals", "crisis_plan.early_warning_signs"},
                            "SHARED_CRISIS_PLAN"}}) {
    absl::Status status =
        RequireSharedForWrite(voluntary, "teams/peer", Mask(denied.paths));
    EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
    EXPECT_THAT(status.message(), HasSubstr(denied.names));
    EXPECT_THAT(status.message(), HasSubstr("teams/peer"));
  }
  const SharedParts none = SharedParts::None();
  for (const char* path : {"goals", "review_date", "communication_preferences",
                           "crisis_plan.what_helps"}) {
    EXPECT_EQ(RequireSharedForWrite(none, "teams/peer", Mask({path})).code(),
              absl::StatusCode::kPermissionDenied)
        << path;
  }
}

v1::UpdateSharingChoicesRequest ValidUpdate() {
  v1::UpdateSharingChoicesRequest request;
  request.mutable_sharing_choices()->set_name("persons/p1/sharingChoices");
  v1::SharingRule* rule = request.mutable_sharing_choices()->add_rules();
  rule->set_sector(dir::VOLUNTARY_SECTOR);
  rule->add_parts(v1::SHARED_GOALS);
  request.set_reason("Alex chose this at the review");
  return request;
}

TEST(CarePlanSharingTest, BadUpdatesNameTheFieldAndTheProblem) {
  EXPECT_TRUE(ValidateSharingUpdate(ValidUpdate()).ok());
  struct Case {
    void (*edit)(v1::UpdateSharingChoicesRequest&);
    std::string message;
  };
  const std::vector<Case> cases = {
      {[](v1::UpdateSharingChoicesRequest& r) {
         r.mutable_sharing_choices()->clear_name();
       },
       "sharing_choices.name: must be set"},
      {[](v1::UpdateSharingChoicesRequest& r) {
         r.mutable_sharing_choices()->set_name("persons/p1/carePlan");
       },
       "sharing_choices.name"},
      {[](v1::UpdateSharingChoicesRequest& r) { r.clear_reason(); },
       "reason: must be set"},
      {[](v1::UpdateSharingChoicesRequest& r) {
         r.set_reason(std::string(501, 'x'));
       },
       "reason"},
      {[](v1::UpdateSharingChoicesRequest& r) {
         r.mutable_sharing_choices()->mutable_rules(0)->set_team("teams/a");
       },
       "sharing_choices.rules[0]: must name exactly one of sector and team"},
      {[](v1::UpdateSharingChoicesRequest& r) {
         r.mutable_sharing_choices()->mutable_rules(0)->clear_sector();
       },
       "sharing_choices.rules[0]: must name exactly one of sector and team"},
      {[](v1::UpdateSharingChoicesRequest& r) {
         r.mutable_sharing_choices()->mutable_rules(0)->set_sector(
             static_cast<dir::Sector>(99));
       },
       "sharing_choices.rules[0].sector: is not a known sector"},
      {[](v1::UpdateSharingChoicesRequest& r) {
         *r.mutable_sharing_choices()->add_rules() =
             r.sharing_choices().rules(0);
       },
       "sharing_choices.rules[1].sector: VOLUNTARY_SECTOR has a rule "
       "already"},
      {[](v1::UpdateSharingChoicesRequest& r) {
         v1::SharingRule* rule = r.mutable_sharing_choices()->add_rules();
         rule->set_team("Teams/A B");
       },
       "sharing_choices.rules[1].team"},
      {[](v1::UpdateSharingChoicesRequest& r) {
         for (int i = 0; i < 2; ++i) {
           r.mutable_sharing_choices()->add_rules()->set_team("teams/a");
         }
       },
       "sharing_choices.rules[2].team: teams/a has a rule already"},
      {[](v1::UpdateSharingChoicesRequest& r) {
         r.mutable_sharing_choices()->mutable_rules(0)->add_parts(
             v1::SHARED_PART_UNSPECIFIED);
       },
       "sharing_choices.rules[0].parts[1]: is not a shared part"},
      {[](v1::UpdateSharingChoicesRequest& r) {
         r.mutable_sharing_choices()->mutable_rules(0)->add_parts(
             static_cast<v1::SharedPart>(42));
       },
       "sharing_choices.rules[0].parts[1]: is not a shared part"},
      {[](v1::UpdateSharingChoicesRequest& r) {
         r.mutable_sharing_choices()->mutable_rules(0)->add_parts(
             v1::SHARED_GOALS);
       },
       "sharing_choices.rules[0].parts[1]: is listed twice"},
      {[](v1::UpdateSharingChoicesRequest& r) {
         for (int i = 0; i < 50; ++i) {
           r.mutable_sharing_choices()->add_rules()->set_team(
               "teams/t" + std::to_string(i));
         }
       },
       "sharing_choices.rules"},
  };
  for (const Case& c : cases) {
    v1::UpdateSharingChoicesRequest request = ValidUpdate();
    c.edit(request);
    absl::Status status = ValidateSharingUpdate(request);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_THAT(status.message(), HasSubstr(c.message));
  }
}

TEST(CarePlanSharingTest, TheMaximalRuleSetIsAccepted) {
  v1::UpdateSharingChoicesRequest request = ValidUpdate();
  for (int i = 1; i < static_cast<int>(kMaxSharingRules); ++i) {
    v1::SharingRule* rule = request.mutable_sharing_choices()->add_rules();
    rule->set_team("teams/t" + std::to_string(i));
    for (int part = v1::SharedPart_MIN + 1; part <= v1::SharedPart_MAX;
         ++part) {
      rule->add_parts(static_cast<v1::SharedPart>(part));
    }
  }
  request.set_reason(std::string(kMaxReasonChars, 'r'));
  EXPECT_TRUE(ValidateSharingUpdate(request).ok());
}

TEST(CarePlanSharingTest, EffectiveShowsEverySectorsParts) {
  v1::SharingChoices choices;
  v1::SharingRule* rule = choices.add_rules();
  rule->set_sector(dir::CRISIS);
  rule->add_parts(v1::SHARED_CRISIS_PLAN);
  FillEffective(choices);
  ASSERT_EQ(choices.effective_size(), dir::Sector_MAX);
  for (const v1::SharingRule& effective : choices.effective()) {
    const SharedParts parts = SharedParts::Of(effective);
    if (effective.sector() == dir::CRISIS) {
      EXPECT_EQ(parts, Parts({v1::SHARED_CRISIS_PLAN}));
    } else {
      EXPECT_EQ(parts, DefaultParts(effective.sector()))
          << dir::Sector_Name(effective.sector());
    }
  }
}

}  // namespace
}  // namespace carebridge::careplan

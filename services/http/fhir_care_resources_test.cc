#include "services/http/fhir_care_resources.h"

#include <gtest/gtest.h>

#include "services/common/time_util.h"

namespace carebridge::http::fhir {
namespace {

namespace cp = ::carebridge::careplan::v1;
namespace ho = ::carebridge::handover::v1;

cp::CarePlan Plan() {
  cp::CarePlan plan;
  plan.set_name("persons/p1/carePlan");
  plan.set_person("persons/p1");
  plan.set_version(3);
  cp::Goal* goal = plan.add_goals();
  goal->set_id("g1");
  goal->set_description("Back to work");
  goal->set_status(cp::Goal::ACHIEVED);
  goal->mutable_target_date()->set_year(2027);
  goal->mutable_target_date()->set_month(6);
  goal->mutable_target_date()->set_day(30);
  cp::Action* action = plan.add_actions();
  action->set_id("a1");
  action->set_description("Weekly call");
  action->set_owning_team("teams/north");
  action->set_status(cp::Action::IN_PROGRESS);
  plan.mutable_crisis_plan()->set_what_helps("Her sister Jo");
  cp::CareTeamMember* lead = plan.add_care_team();
  lead->set_team("teams/north");
  lead->set_lead(true);
  cp::CareTeamMember* left = plan.add_care_team();
  left->set_team("teams/crisis");
  *left->mutable_end_time() =
      ToProtoTimestamp(absl::FromUnixSeconds(1765000000));
  plan.set_lead_team("teams/north");
  plan.mutable_change()->set_kind(cp::Change::CONTENT_UPDATED);
  plan.mutable_change()->set_reason("Alex asked");
  plan.mutable_change()->set_actor("members/sam");
  plan.mutable_change()->set_actor_team("teams/north");
  return plan;
}

TEST(FhirCareResourcesTest, ThePlanWithItsGoalsActionsAndCrisisPlan) {
  Json plan = CarePlan(Plan());
  EXPECT_EQ(plan["id"], "p1");
  EXPECT_EQ(plan["meta"]["versionId"], "3");
  EXPECT_EQ(plan["intent"], "plan");
  EXPECT_EQ(plan["contained"][0]["resourceType"], "Goal");
  EXPECT_EQ(plan["contained"][0]["lifecycleStatus"], "completed");
  EXPECT_EQ(plan["contained"][0]["target"][0]["dueDate"], "2027-06-30");
  EXPECT_EQ(plan["goal"][0]["reference"], "#goal-g1");
  EXPECT_EQ(plan["activity"][0]["detail"]["status"], "in-progress");
  EXPECT_EQ(plan["activity"][0]["detail"]["performer"][0]["reference"],
            "HealthcareService/north");
  EXPECT_EQ(plan["note"][0]["text"], "Crisis plan: what helps: Her sister Jo");
  EXPECT_EQ(plan["careTeam"][0]["reference"], "CareTeam/p1");
}

TEST(FhirCareResourcesTest, TheCareTeamMarksTheLeadAndWhoLeft) {
  Json team = CareTeam(Plan());
  EXPECT_EQ(team["participant"][0]["role"][0]["text"], "Lead team");
  EXPECT_EQ(team["participant"][1]["role"][0]["text"], "Involved team");
  EXPECT_TRUE(team["participant"][1]["period"].contains("end"));
  EXPECT_EQ(team["managingOrganization"][0]["reference"], "Organization/north");
}

TEST(FhirCareResourcesTest, ProvenanceSaysWhoWhenAndWhy) {
  Json provenance = Provenance(Plan());
  EXPECT_EQ(provenance["id"], "p1-v3");
  EXPECT_EQ(provenance["target"][0]["reference"], "CarePlan/p1/_history/3");
  EXPECT_EQ(provenance["reason"][0]["text"], "Alex asked");
  EXPECT_EQ(provenance["agent"][0]["who"]["identifier"]["value"],
            "members/sam");
  EXPECT_EQ(provenance["agent"][0]["onBehalfOf"]["reference"],
            "Organization/north");
}

TEST(FhirCareResourcesTest, AHandoverIsACommunicationInSbar) {
  ho::Handover handover;
  handover.set_name("handovers/h1");
  handover.set_person("persons/p1");
  handover.set_sending_team("teams/north");
  handover.set_receiving_team("teams/crisis");
  handover.set_kind(ho::TRANSFER_OF_RESPONSIBILITY);
  handover.set_urgency(referral::v1::CRISIS);
  handover.set_situation("In crisis");
  handover.set_recommendation("Home treatment");
  handover.set_state(ho::DECLINED);
  handover.set_answer_note("No capacity tonight");
  Json communication = Communication(handover);
  EXPECT_EQ(communication["status"], "not-done");
  EXPECT_EQ(communication["statusReason"]["text"], "No capacity tonight");
  EXPECT_EQ(communication["priority"], "stat");
  EXPECT_EQ(communication["payload"][0]["contentString"],
            "Situation: In crisis");
  EXPECT_EQ(communication["payload"][1]["contentString"],
            "Recommendation: Home treatment");
  EXPECT_EQ(communication["recipient"][0]["reference"],
            "HealthcareService/crisis");
  handover.set_state(ho::PENDING);
  EXPECT_EQ(Communication(handover)["status"], "in-progress");
}

}  // namespace
}  // namespace carebridge::http::fhir

// UpdateCarePlan over real gRPC: field masks, validation naming the field,
// failed updates changing nothing, ids, section stamps and etags.

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "google/protobuf/message.h"
#include "tests/careplan/careplan_test_fixture.h"

namespace carebridge::careplan {
namespace {

TEST_F(CarePlanTest, UpdateMaskIsRequired) {
  CreateRealisticPlan();
  const Snapshot before = Take();
  v1::CarePlan out;
  EXPECT_THAT(Update(alice_, UpdateRequest(WhatHelps("Tea."), {}, "1"), &out),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                "update_mask: must be set"));
  ExpectUnchanged(before);
}

TEST_F(CarePlanTest, MaskPathsOutsideTheContentNameTheRightMethod) {
  CreateRealisticPlan();
  const Snapshot before = Take();
  struct Case {
    std::string path;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"care_team", "AddCareTeamMember"},
      {"lead_team", "SetLeadTeam"},
      {"agreement", "RecordAgreement"},
      {"agreed", "RecordAgreement"},
      {"foo", "unknown path \"foo\""},
      {"crisis_plan.nonsense", "unknown path \"crisis_plan.nonsense\""},
      {"communication_preferences.foo",
       "unknown path \"communication_preferences.foo\""},
      {"version", ""},
      {"etag", ""},
      {"name", ""},
      {"section_stamps", ""},
      {"goals.description", ""},
  };
  v1::CarePlan out;
  for (const Case& c : cases) {
    EXPECT_THAT(
        Update(alice_,
               UpdateRequest(WhatHelps("Tea."), {"crisis_plan", c.path}, "1"),
               &out),
        HasCodeAndMessage(
            grpc::StatusCode::INVALID_ARGUMENT,
            AllOf(StartsWith("update_mask.paths[1]: "), HasSubstr(c.message))))
        << c.path;
  }
  EXPECT_THAT(
      Update(alice_, UpdateRequest(WhatHelps("Tea."), {"care_team"}, "1"),
             &out),
      HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                        AllOf(StartsWith("update_mask.paths[0]: "),
                              HasSubstr("EndCareTeamInvolvement"))));
  ExpectUnchanged(before);
}

// `content` with empty message sections dropped, so that "cleared" and
// "never written" compare equal.
v1::CarePlan Normalized(v1::CarePlan content) {
  if (content.crisis_plan().ByteSizeLong() == 0) content.clear_crisis_plan();
  if (content.communication_preferences().ByteSizeLong() == 0) {
    content.clear_communication_preferences();
  }
  if (content.review_date().ByteSizeLong() == 0) content.clear_review_date();
  return content;
}

// `content` with the field at `path` (`crisis_plan.what_helps`, `goals`)
// cleared, normalized.
v1::CarePlan WithoutPath(v1::CarePlan content, const std::string& path) {
  std::vector<std::string> parts = absl::StrSplit(path, '.');
  google::protobuf::Message* message = &content;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    message = message->GetReflection()->MutableMessage(
        message, message->GetDescriptor()->FindFieldByName(parts[i]));
  }
  const google::protobuf::FieldDescriptor* field =
      message->GetDescriptor()->FindFieldByName(parts.back());
  EXPECT_NE(field, nullptr) << path;
  if (field != nullptr) message->GetReflection()->ClearField(message, field);
  return Normalized(content);
}

TEST_F(CarePlanTest, EveryContentPathReplacesJustWhatItNames) {
  const std::vector<std::string> paths = {
      "crisis_plan.early_warning_signs",
      "crisis_plan.triggers",
      "crisis_plan.what_helps",
      "crisis_plan.what_to_avoid",
      "crisis_plan.contacts",
      "crisis_plan.preferred_response",
      "crisis_plan.advance_statements",
      "communication_preferences.contact_methods",
      "communication_preferences.contact_times",
      "communication_preferences.interpreter_language",
      "communication_preferences.accessibility_needs",
      "communication_preferences.supporters",
      "communication_preferences.other",
      "goals",
      "actions",
      "crisis_plan",
      "communication_preferences",
      "review_date",
  };
  const v1::CarePlan realistic = RealisticCarePlan();
  for (const std::string& path : paths) {
    SCOPED_TRACE(path);
    // A plan of its own for each path, with every field written.
    const std::string plan_name = PlanName(MakePerson("Ada", "Okafor"));
    v1::UpdateCarePlanRequest create =
        UpdateRequest(realistic, AllContentPaths(), /*etag=*/"");
    create.mutable_care_plan()->set_name(plan_name);
    v1::CarePlan before;
    ASSERT_GRPC_OK(Update(alice_, create, &before));

    // Sending it back unchanged under the path changes nothing.
    v1::UpdateCarePlanRequest same = UpdateRequest(before, {path}, "1");
    same.mutable_care_plan()->set_name(plan_name);
    v1::CarePlan out;
    ASSERT_GRPC_OK(Update(alice_, same, &out));
    EXPECT_EQ(out.version(), 1);

    // An empty plan under the path clears that path and nothing else.
    v1::UpdateCarePlanRequest clear =
        UpdateRequest(v1::CarePlan(), {path}, "1");
    clear.mutable_care_plan()->set_name(plan_name);
    ASSERT_GRPC_OK(Update(alice_, clear, &out));
    EXPECT_EQ(out.version(), 2);
    EXPECT_THAT(Normalized(ContentOf(out)),
                EqualsProto(WithoutPath(ContentOf(before), path)));
    // The realistic plan fills every path, so clearing one is a change.
    EXPECT_THAT(WithoutPath(ContentOf(before), path),
                Not(EqualsProto(Normalized(ContentOf(before)))));
  }
}

TEST_F(CarePlanTest, OneFieldPathReplacesOnlyThatField) {
  v1::CarePlan plan = CreateRealisticPlan();
  v1::CarePlan content;
  content.mutable_crisis_plan()->set_what_helps("Cold water on my face.");
  content.mutable_crisis_plan()->set_triggers("Ignored: not in the mask.");
  content.mutable_communication_preferences()->set_interpreter_language("");
  content.mutable_communication_preferences()->set_other("Ignored too.");
  v1::CarePlan updated =
      Write(alice_, content,
            {"crisis_plan.what_helps",
             "communication_preferences.interpreter_language"},
            plan.etag());

  v1::CrisisPlan expected_crisis = plan.crisis_plan();
  expected_crisis.set_what_helps("Cold water on my face.");
  EXPECT_THAT(updated.crisis_plan(), EqualsProto(expected_crisis));
  v1::CommunicationPreferences expected_comms =
      plan.communication_preferences();
  expected_comms.clear_interpreter_language();
  EXPECT_THAT(updated.communication_preferences(), EqualsProto(expected_comms));
  EXPECT_THAT(updated.change().sections(),
              ElementsAre(v1::CRISIS_PLAN, v1::COMMUNICATION_PREFERENCES));
  EXPECT_THAT(updated.goals(), SizeIs(10));
  EXPECT_THAT(updated.actions(), SizeIs(20));
}

TEST_F(CarePlanTest, SectionNamedInTheMaskAndEmptyIsCleared) {
  v1::CarePlan plan = CreateRealisticPlan();
  v1::CarePlan cleared =
      Write(alice_, v1::CarePlan(), {"crisis_plan", "review_date"}, plan.etag(),
            "Ada wants to rewrite it from scratch.");
  EXPECT_EQ(cleared.version(), 2);
  EXPECT_THAT(cleared.crisis_plan(), EqualsProto(v1::CrisisPlan()));
  EXPECT_THAT(cleared.review_date(), EqualsProto(v1::Date()));
  EXPECT_THAT(cleared.change().sections(),
              ElementsAre(v1::CRISIS_PLAN, v1::REVIEW_DATE));
  EXPECT_THAT(cleared.goals(), SizeIs(10));
}

TEST_F(CarePlanTest, DuplicateMaskPathsAreFine) {
  v1::CarePlan plan = CreateRealisticPlan();
  v1::CarePlan updated =
      Write(alice_, WhatHelps("Tea."),
            {"crisis_plan.what_helps", "crisis_plan.what_helps"}, plan.etag());
  EXPECT_EQ(updated.version(), 2);
  EXPECT_EQ(updated.crisis_plan().what_helps(), "Tea.");
}

TEST_F(CarePlanTest, ReasonAndRequestIdAreChecked) {
  CreateRealisticPlan();
  const Snapshot before = Take();
  v1::CarePlan out;
  EXPECT_THAT(
      Update(alice_, UpdateRequest(WhatHelps("Tea."), {"crisis_plan"}, "1", ""),
             &out),
      HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                        "reason: must be set"));
  EXPECT_THAT(Update(alice_,
                     UpdateRequest(WhatHelps("Tea."), {"crisis_plan"}, "1",
                                   std::string(501, 'r')),
                     &out),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                StartsWith("reason: ")));
  for (const std::string& id : {std::string(65, 'x'), std::string("a b\n")}) {
    v1::UpdateCarePlanRequest request =
        UpdateRequest(WhatHelps("Tea."), {"crisis_plan"}, "1");
    request.set_request_id(id);
    EXPECT_THAT(Update(alice_, request, &out),
                HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                  StartsWith("request_id: ")));
  }
  ExpectUnchanged(before);
}

// One invalid update: what to send and what the error must say.
struct BadContent {
  std::string name;
  std::vector<std::string> paths;
  std::function<void(v1::CarePlan&)> mutate;
  grpc::StatusCode code;
  std::string message;  // a substring; starts with the field
};

std::vector<BadContent> BadContents() {
  using P = v1::CarePlan&;
  const auto invalid = grpc::StatusCode::INVALID_ARGUMENT;
  std::vector<BadContent> cases = {
      {"goal without description",
       {"goals"},
       [](P p) { p.mutable_goals(0)->clear_description(); },
       invalid,
       "care_plan.goals[0].description: must be set"},
      {"goal of blanks",
       {"goals"},
       [](P p) { p.mutable_goals(2)->set_description("   "); },
       invalid,
       "care_plan.goals[2].description: must be set"},
      {"goal too long",
       {"goals"},
       [](P p) { p.mutable_goals(1)->set_description(std::string(2001, 'g')); },
       invalid,
       "care_plan.goals[1].description: "},
      {"goal status unknown",
       {"goals"},
       [](P p) {
         p.mutable_goals(3)->set_status(static_cast<v1::Goal::Status>(17));
       },
       invalid,
       "care_plan.goals[3].status"},
      {"goal target date not a date",
       {"goals"},
       [](P p) {
         *p.mutable_goals(0)->mutable_target_date() = MakeDate(2026, 2, 30);
       },
       invalid,
       "care_plan.goals[0].target_date: 2026-02-30 is not a date"},
      {"goal unknown id",
       {"goals"},
       [](P p) { p.mutable_goals(4)->set_id("g99-1"); },
       invalid,
       "care_plan.goals[4].id"},
      {"goal id twice",
       {"goals"},
       [](P p) {
         p.mutable_goals(0)->set_id("g1-1");
         p.mutable_goals(1)->set_id("g1-1");
       },
       invalid,
       "care_plan.goals[1].id"},
      {"too many goals",
       {"goals"},
       [](P p) {
         while (p.goals_size() <= 50) p.add_goals()->set_description("More.");
       },
       invalid,
       "care_plan.goals: "},
      {"action without description",
       {"actions"},
       [](P p) { p.mutable_actions(0)->clear_description(); },
       invalid,
       "care_plan.actions[0].description: must be set"},
      {"action too long",
       {"actions"},
       [](P p) {
         p.mutable_actions(5)->set_description(std::string(2001, 'a'));
       },
       invalid,
       "care_plan.actions[5].description: "},
      {"action without owning team",
       {"actions"},
       [](P p) { p.mutable_actions(1)->clear_owning_team(); },
       invalid,
       "care_plan.actions[1].owning_team: must be set"},
      {"action owning team not a team name",
       {"actions"},
       [](P p) { p.mutable_actions(1)->set_owning_team("crisis"); },
       invalid,
       "care_plan.actions[1].owning_team: "},
      {"action owned by an unknown team",
       {"actions"},
       [](P p) { p.mutable_actions(2)->set_owning_team("teams/nowhere"); },
       invalid,
       "care_plan.actions[2].owning_team: teams/nowhere does not exist"},
      {"action status unknown",
       {"actions"},
       [](P p) {
         p.mutable_actions(0)->set_status(static_cast<v1::Action::Status>(99));
       },
       invalid,
       "care_plan.actions[0].status"},
      {"action due date month 13",
       {"actions"},
       [](P p) {
         *p.mutable_actions(3)->mutable_due_date() = MakeDate(2026, 13, 1);
       },
       invalid,
       "care_plan.actions[3].due_date: "},
      {"action review date partial",
       {"actions"},
       [](P p) {
         p.mutable_actions(3)->mutable_review_date()->Clear();
         p.mutable_actions(3)->mutable_review_date()->set_year(2026);
       },
       invalid,
       "care_plan.actions[3].review_date: "},
      {"too many actions",
       {"actions"},
       [](P p) {
         while (p.actions_size() <= 100) {
           v1::Action* a = p.add_actions();
           a->set_description("More.");
           a->set_owning_team(p.actions(0).owning_team());
         }
       },
       invalid,
       "care_plan.actions: "},
      {"review date not a date",
       {"review_date"},
       [](P p) { *p.mutable_review_date() = MakeDate(2026, 2, 30); },
       invalid,
       "care_plan.review_date: 2026-02-30 is not a date"},
      {"review date year 1899",
       {"review_date"},
       [](P p) { *p.mutable_review_date() = MakeDate(1899, 12, 31); },
       invalid,
       "care_plan.review_date: "},
      {"crisis text too long",
       {"crisis_plan"},
       [](P p) {
         p.mutable_crisis_plan()->set_what_helps(std::string(4001, 'h'));
       },
       invalid,
       "care_plan.crisis_plan.what_helps: "},
      {"crisis text too long, one-field path",
       {"crisis_plan.triggers"},
       [](P p) {
         p.mutable_crisis_plan()->set_triggers(std::string(4001, 't'));
       },
       invalid,
       "care_plan.crisis_plan.triggers: "},
      {"contact without name",
       {"crisis_plan"},
       [](P p) { p.mutable_crisis_plan()->mutable_contacts(0)->clear_name(); },
       invalid,
       "care_plan.crisis_plan.contacts[0].name: must be set"},
      {"contact without how to contact",
       {"crisis_plan.contacts"},
       [](P p) {
         p.mutable_crisis_plan()->mutable_contacts(2)->clear_how_to_contact();
       },
       invalid,
       "care_plan.crisis_plan.contacts[2].how_to_contact: must be set"},
      {"contact relationship too long",
       {"crisis_plan"},
       [](P p) {
         p.mutable_crisis_plan()->mutable_contacts(1)->set_relationship(
             std::string(201, 'r'));
       },
       invalid,
       "care_plan.crisis_plan.contacts[1].relationship: "},
      {"contact when too long",
       {"crisis_plan"},
       [](P p) {
         p.mutable_crisis_plan()->mutable_contacts(1)->set_when_to_contact(
             std::string(2001, 'w'));
       },
       invalid,
       "care_plan.crisis_plan.contacts[1].when_to_contact: "},
      {"too many contacts",
       {"crisis_plan"},
       [](P p) {
         while (p.crisis_plan().contacts_size() <= 20) {
           *p.mutable_crisis_plan()->add_contacts() =
               p.crisis_plan().contacts(0);
         }
       },
       invalid,
       "care_plan.crisis_plan.contacts: "},
      {"unspecified contact method",
       {"communication_preferences"},
       [](P p) {
         p.mutable_communication_preferences()->add_contact_methods(
             v1::CONTACT_METHOD_UNSPECIFIED);
       },
       invalid,
       "care_plan.communication_preferences.contact_methods[3]"},
      {"contact method twice",
       {"communication_preferences.contact_methods"},
       [](P p) {
         p.mutable_communication_preferences()->add_contact_methods(
             v1::TEXT_MESSAGE);
       },
       invalid,
       "care_plan.communication_preferences.contact_methods[3]"},
      {"unknown contact method",
       {"communication_preferences"},
       [](P p) {
         p.mutable_communication_preferences()->set_contact_methods(
             0, static_cast<v1::ContactMethod>(42));
       },
       invalid,
       "care_plan.communication_preferences.contact_methods[0]"},
      {"interpreter language too long",
       {"communication_preferences"},
       [](P p) {
         p.mutable_communication_preferences()->set_interpreter_language(
             std::string(201, 'l'));
       },
       invalid,
       "care_plan.communication_preferences.interpreter_language: "},
      {"contact times too long",
       {"communication_preferences.contact_times"},
       [](P p) {
         p.mutable_communication_preferences()->set_contact_times(
             std::string(2001, 't'));
       },
       invalid,
       "care_plan.communication_preferences.contact_times: "},
      {"supporter without name",
       {"communication_preferences"},
       [](P p) {
         p.mutable_communication_preferences()
             ->mutable_supporters(1)
             ->clear_name();
       },
       invalid,
       "care_plan.communication_preferences.supporters[1].name: must be set"},
      {"supporter contact too long",
       {"communication_preferences.supporters"},
       [](P p) {
         p.mutable_communication_preferences()
             ->mutable_supporters(0)
             ->set_contact(std::string(201, 'c'));
       },
       invalid,
       "care_plan.communication_preferences.supporters[0].contact: "},
      {"too many supporters",
       {"communication_preferences"},
       [](P p) {
         auto* comms = p.mutable_communication_preferences();
         while (comms->supporters_size() <= 10) {
           *comms->add_supporters() = comms->supporters(0);
         }
       },
       invalid,
       "care_plan.communication_preferences.supporters: "},
  };
  return cases;
}

TEST_F(CarePlanTest, InvalidContentIsRejectedNamingTheFieldAndChangesNothing) {
  v1::CarePlan plan = CreateRealisticPlan();
  // Send the plan back as it is (with its ids), then break one thing.
  const Snapshot before = Take();
  for (const BadContent& c : BadContents()) {
    SCOPED_TRACE(c.name);
    v1::CarePlan content = plan;
    c.mutate(content);
    v1::CarePlan out;
    EXPECT_THAT(
        Update(alice_, UpdateRequest(content, c.paths, plan.etag()), &out),
        HasCodeAndMessage(c.code, StartsWith(c.message)));
    ExpectUnchanged(before);
  }
}

TEST_F(CarePlanTest, InvalidFirstWriteCreatesNoPlan) {
  v1::CarePlan content = Goals({"Feel safe.", ""});
  v1::CarePlan out;
  EXPECT_THAT(Update(alice_, UpdateRequest(content, {"goals"}, ""), &out),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                "care_plan.goals[1].description: must be set"));
  EXPECT_THAT(TryGet(alice_, plan_, &out),
              HasCodeAndMessage(grpc::StatusCode::NOT_FOUND,
                                HasSubstr("no care plan yet")));
}

TEST_F(CarePlanTest, FieldsOutsideTheMaskAreIgnoredEvenWhenInvalid) {
  v1::CarePlan plan = CreateRealisticPlan();
  v1::CarePlan content = WhatHelps("A walk by the river.");
  content.add_goals();  // no description: would be invalid under `goals`
  content.add_actions()->set_owning_team("teams/nowhere");
  *content.mutable_review_date() = MakeDate(2026, 2, 30);
  content.set_version(99);
  content.set_lead_team(housing_.name());
  v1::CarePlan updated =
      Write(alice_, content, {"crisis_plan.what_helps"}, plan.etag());
  EXPECT_EQ(updated.version(), 2);
  EXPECT_THAT(updated.change().sections(), ElementsAre(v1::CRISIS_PLAN));
  v1::CarePlan expected = ContentOf(plan);
  expected.mutable_crisis_plan()->set_what_helps("A walk by the river.");
  EXPECT_THAT(ContentOf(updated), EqualsProto(expected));
  EXPECT_EQ(updated.lead_team(), community_.name());
}

}  // namespace
}  // namespace carebridge::careplan

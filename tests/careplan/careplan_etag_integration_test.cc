// UpdateCarePlan over real gRPC: how versions are made (ids, changed
// sections, stamps, updates that change nothing), etags and request ids.

#include <string>
#include <vector>

#include "tests/careplan/careplan_test_fixture.h"

namespace carebridge::careplan {
namespace {

TEST_F(CarePlanTest, NewIdsFollowTheVersionAndRequestOrder) {
  v1::CarePlan v1_plan =
      Write(alice_, Goals({"Feel safe.", "Sleep.", "Cook."}), {"goals"}, "");
  ASSERT_THAT(v1_plan.goals(), SizeIs(3));
  EXPECT_EQ(v1_plan.goals(2).id(), "g1-3");

  // Keep g1-1 (changed), drop g1-2, keep g1-3, add two new ones in between.
  v1::CarePlan content;
  v1::Goal* kept = content.add_goals();
  *kept = v1_plan.goals(0);
  kept->set_status(v1::Goal::ACHIEVED);
  content.add_goals()->set_description("Volunteer with animals.");
  *content.add_goals() = v1_plan.goals(2);
  content.add_goals()->set_description("See my sister.");
  v1::Action* action = content.add_actions();
  action->set_description("Weekly sessions.");
  action->set_owning_team(community_.name());
  v1::Action* second = content.add_actions();
  second->set_description("Crisis line introduction.");
  second->set_owning_team(crisis_.name());
  v1::CarePlan v2_plan =
      Write(alice_, content, {"goals", "actions"}, v1_plan.etag());

  ASSERT_EQ(v2_plan.version(), 2);
  ASSERT_THAT(v2_plan.goals(), SizeIs(4));
  EXPECT_EQ(v2_plan.goals(0).id(), "g1-1");
  EXPECT_EQ(v2_plan.goals(0).status(), v1::Goal::ACHIEVED);
  EXPECT_EQ(v2_plan.goals(1).id(), "g2-1");
  EXPECT_EQ(v2_plan.goals(2).id(), "g1-3");
  EXPECT_EQ(v2_plan.goals(3).id(), "g2-2");
  ASSERT_THAT(v2_plan.actions(), SizeIs(2));
  EXPECT_EQ(v2_plan.actions(0).id(), "a2-1");
  EXPECT_EQ(v2_plan.actions(0).status(), v1::Action::NOT_STARTED);
  EXPECT_EQ(v2_plan.actions(1).id(), "a2-2");

  // A removed id is never reused, and cannot be sent back.
  v1::CarePlan revived = ContentOf(v2_plan);
  revived.add_goals()->set_id("g1-2");
  revived.mutable_goals(4)->set_description("Sleep.");
  v1::CarePlan out;
  EXPECT_THAT(Update(alice_, UpdateRequest(revived, {"goals"}, "2"), &out),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                StartsWith("care_plan.goals[4].id")));
}

TEST_F(CarePlanTest, OnlyChangedSectionsAreStampedOnePerSection) {
  v1::CarePlan first = CreateRealisticPlan();
  server_.clock().Advance(absl::Hours(1));
  MustAddTeam(alice_, crisis_.name(), "crisis support");
  server_.clock().Advance(absl::Hours(1));
  v1::CarePlan content = ContentOf(first);
  content.mutable_crisis_plan()->set_what_helps("Being met at the door.");
  // Goals and actions sent back unchanged: not changed sections.
  v1::CarePlan updated =
      Write(bob_, content, {"goals", "actions", "crisis_plan"}, "2",
            "Learned at the 3am visit.");
  EXPECT_EQ(updated.version(), 3);
  EXPECT_THAT(updated.change().sections(), ElementsAre(v1::CRISIS_PLAN));
  EXPECT_EQ(FromProtoTimestamp(updated.update_time()), Now());
  EXPECT_EQ(FromProtoTimestamp(updated.create_time()),
            FromProtoTimestamp(first.create_time()));

  EXPECT_THAT(updated.section_stamps(), SizeIs(6));  // all but AGREEMENT
  const v1::SectionStamp* crisis = StampFor(updated, v1::CRISIS_PLAN);
  ASSERT_NE(crisis, nullptr);
  EXPECT_EQ(crisis->version(), 3);
  EXPECT_EQ(crisis->updated_by(), "members/bob");
  EXPECT_EQ(crisis->updated_by_team(), crisis_.name());
  EXPECT_EQ(FromProtoTimestamp(crisis->update_time()), Now());
  const v1::SectionStamp* goals = StampFor(updated, v1::GOALS);
  ASSERT_NE(goals, nullptr);
  EXPECT_EQ(goals->version(), 1);
  EXPECT_EQ(goals->updated_by(), "members/alice");
  const v1::SectionStamp* care_team = StampFor(updated, v1::CARE_TEAM);
  ASSERT_NE(care_team, nullptr);
  EXPECT_EQ(care_team->version(), 2);
}

TEST_F(CarePlanTest, UpdateThatChangesNothingMakesNoVersion) {
  v1::CarePlan plan = CreateRealisticPlan();
  MustAgree(alice_, plan.version());
  const Snapshot before = Take();
  server_.clock().Advance(absl::Minutes(3));
  v1::CarePlan out;
  ASSERT_GRPC_OK(Update(
      alice_,
      UpdateRequest(before.current, AllContentPaths(), before.current.etag()),
      &out));
  EXPECT_THAT(out, EqualsProto(before.current));
  EXPECT_TRUE(out.agreed());
  ExpectUnchanged(before);
}

TEST_F(CarePlanTest, StaleEtagIsAbortedNamingTheCurrentVersion) {
  v1::CarePlan first = CreateRealisticPlan();
  Write(alice_, WhatHelps("Tea."), {"crisis_plan.what_helps"}, first.etag());
  const Snapshot before = Take();
  ASSERT_EQ(before.current.etag(), "2");
  v1::CarePlan out;
  for (const std::string& etag : {std::string("1"), std::string(""),
                                  std::string("3"), std::string("two")}) {
    EXPECT_THAT(
        Update(alice_,
               UpdateRequest(WhatHelps("Music."), {"crisis_plan.what_helps"},
                             etag),
               &out),
        HasCodeAndMessage(grpc::StatusCode::ABORTED,
                          AllOf(StartsWith("etag: "), HasSubstr("version 2"))))
        << "etag \"" << etag << "\"";
  }
  ExpectUnchanged(before);
}

TEST_F(CarePlanTest, EtagOnAPlanNotWrittenYetIsAborted) {
  v1::CarePlan out;
  EXPECT_THAT(
      Update(alice_, UpdateRequest(WhatHelps("Tea."), {"crisis_plan"}, "1"),
             &out),
      HasCodeAndMessage(
          grpc::StatusCode::ABORTED,
          AllOf(StartsWith("etag: "), HasSubstr("no care plan yet"))));
  EXPECT_THAT(TryGet(alice_, plan_, &out),
              HasCodeAndMessage(grpc::StatusCode::NOT_FOUND,
                                HasSubstr("no care plan yet")));
}

TEST_F(CarePlanTest, WritesToDifferentSectionsStillNeedTheCurrentEtag) {
  CreateRealisticPlan();
  MustAddTeam(alice_, crisis_.name(), "crisis support");
  v1::CarePlan read_by_alice = GetAs(alice_);
  v1::CarePlan read_by_bob = GetAs(bob_);
  Write(alice_, Goals({"Go back to pottery."}), {"goals"},
        read_by_alice.etag());
  const Snapshot before = Take();
  v1::CarePlan out;
  EXPECT_THAT(
      Update(bob_,
             UpdateRequest(WhatHelps("Music."), {"crisis_plan"},
                           read_by_bob.etag()),
             &out),
      HasCodeAndMessage(grpc::StatusCode::ABORTED, StartsWith("etag: ")));
  ExpectUnchanged(before);

  // Re-read and retry: both changes are kept.
  v1::CarePlan retried = Write(bob_, WhatHelps("Music."),
                               {"crisis_plan.what_helps"}, GetAs(bob_).etag());
  EXPECT_EQ(retried.crisis_plan().what_helps(), "Music.");
  ASSERT_THAT(retried.goals(), SizeIs(1));
  EXPECT_EQ(retried.goals(0).description(), "Go back to pottery.");
}

TEST_F(CarePlanTest, RetryWithSameRequestIdReturnsTheVersionItMade) {
  v1::CarePlan plan = CreateRealisticPlan();
  v1::CarePlan content = WhatHelps("A hot drink.");
  content.mutable_crisis_plan()->set_triggers("Loud arguments.");
  v1::UpdateCarePlanRequest request =
      UpdateRequest(content, {"crisis_plan.what_helps", "crisis_plan.triggers"},
                    plan.etag(), "Ada's words.");
  request.set_request_id("cmht-2026-0001");
  v1::CarePlan first;
  ASSERT_GRPC_OK(Update(alice_, request, &first));
  ASSERT_EQ(first.version(), 2);

  // The response was lost; the client retries as it was.
  server_.clock().Advance(absl::Seconds(30));
  v1::CarePlan retry;
  ASSERT_GRPC_OK(Update(alice_, request, &retry));
  EXPECT_THAT(retry, EqualsProto(first));

  // A colleague in the same team retries after the plan moved on, with the
  // paths in another order (the mask is a set) and the etag now stale.
  Write(alice_, Goals({"Sleep."}), {"goals"}, "2");
  request.mutable_update_mask()->clear_paths();
  request.mutable_update_mask()->add_paths("crisis_plan.triggers");
  request.mutable_update_mask()->add_paths("crisis_plan.what_helps");
  const Snapshot before = Take();
  ASSERT_GRPC_OK(Update(carol_, request, &retry));
  EXPECT_EQ(retry.name(), plan_);
  EXPECT_EQ(retry.version(), 2);
  EXPECT_EQ(retry.etag(), "2");
  EXPECT_THAT(retry, EqualsProto(first));
  ExpectUnchanged(before);
}

TEST_F(CarePlanTest, RequestIdReusedForADifferentChangeIsAlreadyExists) {
  v1::CarePlan plan = CreateRealisticPlan();
  v1::UpdateCarePlanRequest request = UpdateRequest(
      WhatHelps("A hot drink."), {"crisis_plan.what_helps"}, plan.etag());
  request.set_request_id("r1");
  v1::CarePlan first;
  ASSERT_GRPC_OK(Update(alice_, request, &first));
  const Snapshot before = Take();

  const std::string reused =
      "request_id: r1 was already used for a different change (version 2)";
  v1::UpdateCarePlanRequest other_content = request;
  other_content.mutable_care_plan()->mutable_crisis_plan()->set_what_helps(
      "Cold water.");
  other_content.set_etag(first.etag());
  v1::CarePlan out;
  EXPECT_THAT(Update(alice_, other_content, &out),
              HasCodeAndMessage(grpc::StatusCode::ALREADY_EXISTS, reused));
  v1::UpdateCarePlanRequest other_reason = request;
  other_reason.set_reason("Another reason.");
  EXPECT_THAT(Update(alice_, other_reason, &out),
              HasCodeAndMessage(grpc::StatusCode::ALREADY_EXISTS, reused));
  v1::UpdateCarePlanRequest other_mask = request;
  other_mask.mutable_update_mask()->set_paths(0, "crisis_plan");
  EXPECT_THAT(Update(alice_, other_mask, &out),
              HasCodeAndMessage(grpc::StatusCode::ALREADY_EXISTS, reused));
  ExpectUnchanged(before);
}

TEST_F(CarePlanTest, RequestIdsBelongToTheTeam) {
  v1::CarePlan plan = CreateRealisticPlan();
  MustAddTeam(alice_, crisis_.name(), "crisis support");
  v1::UpdateCarePlanRequest request =
      UpdateRequest(WhatHelps("A hot drink."), {"crisis_plan.what_helps"}, "2");
  request.set_request_id("r1");
  v1::CarePlan by_alice;
  ASSERT_GRPC_OK(Update(alice_, request, &by_alice));
  EXPECT_EQ(by_alice.version(), 3);

  // Crisis team's own r1, a different change: not the community team's.
  v1::UpdateCarePlanRequest bobs = request;
  bobs.mutable_care_plan()->mutable_crisis_plan()->set_what_helps("Music.");
  bobs.set_etag(by_alice.etag());
  v1::CarePlan by_bob;
  ASSERT_GRPC_OK(Update(bob_, bobs, &by_bob));
  EXPECT_EQ(by_bob.version(), 4);
  EXPECT_EQ(by_bob.crisis_plan().what_helps(), "Music.");
  EXPECT_EQ(by_bob.change().actor(), "members/bob");
}

}  // namespace
}  // namespace carebridge::careplan

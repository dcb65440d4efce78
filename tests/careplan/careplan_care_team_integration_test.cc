// The care team over real gRPC: adding teams, ending involvement and the
// lead team's rules (exactly one lead while anyone is involved; only the
// lead passes the lead on; the lead cannot leave others without one).

#include <string>
#include <vector>

#include "tests/careplan/careplan_test_fixture.h"

namespace carebridge::careplan {
namespace {

TEST_F(CarePlanTest, FirstTeamAddedCreatesThePlanAndLeads) {
  v1::CarePlan plan =
      MustAddTeam(alice_, community_.name(), "care coordination");
  EXPECT_EQ(plan.name(), plan_);
  EXPECT_EQ(plan.version(), 1);
  EXPECT_EQ(plan.etag(), "1");
  EXPECT_EQ(plan.change().kind(), v1::Change::CARE_TEAM_CHANGED);
  EXPECT_THAT(plan.change().sections(), ElementsAre(v1::CARE_TEAM));
  EXPECT_EQ(plan.change().reason(), "Joining Ada's care.");
  ASSERT_THAT(plan.care_team(), SizeIs(1));
  EXPECT_EQ(plan.care_team(0).team(), community_.name());
  EXPECT_TRUE(plan.care_team(0).lead());
  EXPECT_EQ(plan.lead_team(), community_.name());
  EXPECT_THAT(plan.goals(), IsEmpty());
  const v1::SectionStamp* stamp = StampFor(plan, v1::CARE_TEAM);
  ASSERT_NE(stamp, nullptr);
  EXPECT_EQ(stamp->version(), 1);
  EXPECT_THAT(GetAs(alice_), EqualsProto(plan));
}

TEST_F(CarePlanTest, FirstTeamInvolvedLeadsEvenWhenAddedByAService) {
  // As an accepted referral will add its receiving team.
  v1::CarePlan plan = MustAddTeam(service_, crisis_.name(), "crisis support");
  EXPECT_EQ(plan.lead_team(), crisis_.name());
  ASSERT_THAT(plan.care_team(), SizeIs(1));
  EXPECT_EQ(plan.care_team(0).role(), "crisis support");
  ExpectOneLeadWhileAnyoneIsInvolved(plan);
}

TEST_F(CarePlanTest, APlanNobodyLooksAfterIsPickedUpOnlyByOnesOwnTeam) {
  // Adding another team would hand Alice a plan she may not read.
  MustAddTeam(alice_, community_.name(), "care coordination");
  MustEndTeam(alice_, community_.name());
  const Snapshot before = Take();
  v1::CarePlan out;
  EXPECT_THAT(AddTeam(alice_, crisis_.name(), "crisis support", &out),
              HasCodeAndMessage(grpc::StatusCode::PERMISSION_DENIED,
                                HasSubstr("may only pick it up itself")));
  EXPECT_THAT(SetLead(alice_, crisis_.name(), &out),
              HasCodeAndMessage(grpc::StatusCode::PERMISSION_DENIED,
                                HasSubstr("may only pick it up itself")));
  ExpectUnchanged(before);
}

TEST_F(CarePlanTest, LaterTeamsJoinWithoutTheLead) {
  CreateRealisticPlan();
  server_.clock().Advance(absl::Hours(3));
  v1::CarePlan plan = MustAddTeam(alice_, crisis_.name(), "crisis support");
  EXPECT_EQ(plan.version(), 2);
  EXPECT_EQ(plan.lead_team(), community_.name());
  ASSERT_THAT(plan.care_team(), SizeIs(2));
  const v1::CareTeamMember& crisis = plan.care_team(1);
  EXPECT_EQ(crisis.team(), crisis_.name());
  EXPECT_EQ(crisis.role(), "crisis support");
  EXPECT_EQ(FromProtoTimestamp(crisis.start_time()), Now());
  EXPECT_FALSE(crisis.has_end_time());
  EXPECT_FALSE(crisis.lead());
  EXPECT_EQ(plan.change().kind(), v1::Change::CARE_TEAM_CHANGED);
  EXPECT_EQ(plan.change().actor(), "members/alice");
  // Other teams on the care team may add teams too.
  v1::CarePlan by_bob = MustAddTeam(bob_, voluntary_.name(), "peer support");
  EXPECT_EQ(by_bob.lead_team(), community_.name());
  EXPECT_THAT(Involved(by_bob), SizeIs(3));
}

TEST_F(CarePlanTest, AddingAnInvolvedTeamIsAlreadyExists) {
  CreateRealisticPlan();
  MustAddTeam(alice_, crisis_.name(), "crisis support");
  const Snapshot before = Take();
  v1::CarePlan out;
  EXPECT_THAT(AddTeam(alice_, crisis_.name(), "again", &out),
              HasCodeAndMessage(grpc::StatusCode::ALREADY_EXISTS,
                                HasSubstr(crisis_.name())));
  EXPECT_THAT(AddTeam(alice_, community_.name(), "again", &out),
              HasCodeAndMessage(grpc::StatusCode::ALREADY_EXISTS,
                                HasSubstr(community_.name())));
  ExpectUnchanged(before);
}

TEST_F(CarePlanTest, CareTeamRequestsAreChecked) {
  CreateRealisticPlan();
  const Snapshot before = Take();
  v1::CarePlan out;
  const auto invalid = [](const std::string& field) {
    return HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                             StartsWith(field + ": "));
  };
  EXPECT_THAT(AddTeam(alice_, "", "crisis support", &out),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                "team: must be set"));
  EXPECT_THAT(AddTeam(alice_, "crisis", "crisis support", &out),
              invalid("team"));
  EXPECT_THAT(AddTeam(alice_, crisis_.name(), "", &out),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                "role: must be set"));
  EXPECT_THAT(AddTeam(alice_, crisis_.name(), std::string(201, 'r'), &out),
              invalid("role"));
  EXPECT_THAT(AddTeam(alice_, crisis_.name(), "crisis support", &out, "", ""),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                "reason: must be set"));
  EXPECT_THAT(AddTeam(alice_, crisis_.name(), "crisis support", &out, "",
                      std::string(501, 'r')),
              invalid("reason"));

  EXPECT_THAT(EndTeam(alice_, "", &out),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                "team: must be set"));
  EXPECT_THAT(EndTeam(alice_, "teams/", &out), invalid("team"));
  EXPECT_THAT(EndTeam(alice_, crisis_.name(), &out, "", ""),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                "reason: must be set"));

  EXPECT_THAT(SetLead(alice_, "", &out),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                "team: must be set"));
  EXPECT_THAT(SetLead(alice_, "persons/x", &out), invalid("team"));
  EXPECT_THAT(SetLead(alice_, crisis_.name(), &out, std::string(201, 'r')),
              invalid("role"));
  EXPECT_THAT(SetLead(alice_, crisis_.name(), &out, "", "", ""),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                "reason: must be set"));

  // Teams the directory does not know.
  const auto unknown_team = HasCodeAndMessage(
      grpc::StatusCode::NOT_FOUND,
      AllOf(HasSubstr("teams/nowhere"), HasSubstr("not found")));
  EXPECT_THAT(AddTeam(alice_, "teams/nowhere", "support", &out), unknown_team);
  EXPECT_THAT(SetLead(alice_, "teams/nowhere", &out), unknown_team);
  ExpectUnchanged(before);
}

TEST_F(CarePlanTest, StaleEtagOnCareTeamChangesIsAborted) {
  CreateRealisticPlan();
  Write(alice_, WhatHelps("Tea."), {"crisis_plan.what_helps"}, "1");
  const Snapshot before = Take();
  v1::CarePlan out;
  const auto stale =
      HasCodeAndMessage(grpc::StatusCode::ABORTED,
                        AllOf(StartsWith("etag: "), HasSubstr("version 2")));
  EXPECT_THAT(AddTeam(alice_, crisis_.name(), "crisis support", &out, "1"),
              stale);
  EXPECT_THAT(SetLead(alice_, crisis_.name(), &out, "", "1"), stale);
  EXPECT_THAT(EndTeam(alice_, community_.name(), &out, "1"), stale);
  ExpectUnchanged(before);
  // The current etag, or none, is accepted.
  v1::CarePlan added;
  ASSERT_GRPC_OK(
      AddTeam(alice_, crisis_.name(), "crisis support", &added, "2"));
  EXPECT_EQ(added.version(), 3);
}

TEST_F(CarePlanTest, EndingTheLeadWhileOthersRemainNeedsAHandover) {
  CreateRealisticPlan();
  MustAddTeam(alice_, crisis_.name(), "crisis support");
  const Snapshot before = Take();
  v1::CarePlan out;
  EXPECT_THAT(EndTeam(alice_, community_.name(), &out),
              HasCodeAndMessage(grpc::StatusCode::FAILED_PRECONDITION,
                                AllOf(HasSubstr(community_.name()),
                                      HasSubstr("hand the lead over"))));
  ExpectUnchanged(before);
}

TEST_F(CarePlanTest, ATeamEndsItsOwnInvolvement) {
  CreateRealisticPlan();
  MustAddTeam(alice_, crisis_.name(), "crisis support");
  server_.clock().Advance(absl::Hours(10 * 24));
  v1::CarePlan plan = MustEndTeam(bob_, crisis_.name());
  EXPECT_EQ(plan.version(), 3);
  EXPECT_EQ(plan.change().kind(), v1::Change::CARE_TEAM_CHANGED);
  EXPECT_THAT(plan.change().sections(), ElementsAre(v1::CARE_TEAM));
  EXPECT_EQ(plan.change().reason(), "Support finished.");
  ASSERT_THAT(plan.care_team(), SizeIs(2));
  EXPECT_EQ(FromProtoTimestamp(plan.care_team(1).end_time()), Now());
  EXPECT_FALSE(plan.care_team(1).lead());
  EXPECT_EQ(plan.lead_team(), community_.name());
  ExpectOneLeadWhileAnyoneIsInvolved(plan);
}

TEST_F(CarePlanTest, TheLeadEndsAnotherTeamsInvolvementButOthersMayNot) {
  CreateRealisticPlan();
  MustAddTeam(alice_, crisis_.name(), "crisis support");
  MustAddTeam(alice_, voluntary_.name(), "peer support");
  const Snapshot before = Take();
  v1::CarePlan out;
  EXPECT_THAT(EndTeam(val_, crisis_.name(), &out), DeniedTo(val_));
  EXPECT_THAT(EndTeam(val_, community_.name(), &out), DeniedTo(val_));
  EXPECT_THAT(EndTeam(otto_, crisis_.name(), &out), DeniedTo(otto_));
  ExpectUnchanged(before);

  v1::CarePlan plan = MustEndTeam(carol_, crisis_.name());
  EXPECT_TRUE(plan.care_team(1).has_end_time());
  EXPECT_THAT(Involved(plan), SizeIs(2));
}

TEST_F(CarePlanTest, EndingATeamThatIsNotInvolvedIsNotFound) {
  CreateRealisticPlan();
  MustAddTeam(alice_, crisis_.name(), "crisis support");
  MustEndTeam(bob_, crisis_.name());
  const Snapshot before = Take();
  v1::CarePlan out;
  for (const std::string& team : {housing_.name(), crisis_.name()}) {
    EXPECT_THAT(EndTeam(alice_, team, &out),
                HasCodeAndMessage(grpc::StatusCode::NOT_FOUND,
                                  AllOf(HasSubstr(team), HasSubstr(person_))))
        << team;
  }
  ExpectUnchanged(before);
}

TEST_F(CarePlanTest, EndingTheLastTeamLeavesNoLead) {
  CreateRealisticPlan();
  v1::CarePlan plan = MustEndTeam(alice_, community_.name());
  EXPECT_EQ(plan.lead_team(), "");
  EXPECT_THAT(Involved(plan), IsEmpty());
  ASSERT_THAT(plan.care_team(), SizeIs(1));
  EXPECT_FALSE(plan.care_team(0).lead());
  ExpectOneLeadWhileAnyoneIsInvolved(plan);
  EXPECT_THAT(Get(), EqualsProto(plan));
}

TEST_F(CarePlanTest, ATeamThatRejoinsGetsANewEntry) {
  CreateRealisticPlan();
  MustAddTeam(alice_, crisis_.name(), "crisis support");
  MustEndTeam(bob_, crisis_.name());
  server_.clock().Advance(absl::Hours(30 * 24));
  v1::CarePlan plan = MustAddTeam(alice_, crisis_.name(), "home treatment");
  ASSERT_THAT(plan.care_team(), SizeIs(3));
  EXPECT_EQ(plan.care_team(1).team(), crisis_.name());
  EXPECT_TRUE(plan.care_team(1).has_end_time());
  EXPECT_EQ(plan.care_team(2).team(), crisis_.name());
  EXPECT_EQ(plan.care_team(2).role(), "home treatment");
  EXPECT_EQ(FromProtoTimestamp(plan.care_team(2).start_time()), Now());
  EXPECT_FALSE(plan.care_team(2).has_end_time());
  EXPECT_THAT(GetAs(bob_), EqualsProto(plan));
}

TEST_F(CarePlanTest, AnyTeamMayNameALeadWhenThereIsNone) {
  CreateRealisticPlan();
  v1::CarePlan ended = MustEndTeam(alice_, community_.name());
  server_.clock().Advance(absl::Hours(1));
  v1::CarePlan plan = MustSetLead(val_, voluntary_.name());
  EXPECT_EQ(plan.version(), ended.version() + 1);
  EXPECT_EQ(plan.change().kind(), v1::Change::LEAD_CHANGED);
  EXPECT_THAT(plan.change().sections(), ElementsAre(v1::CARE_TEAM));
  EXPECT_EQ(plan.lead_team(), voluntary_.name());
  ASSERT_THAT(plan.care_team(), SizeIs(2));
  EXPECT_EQ(plan.care_team(1).team(), voluntary_.name());
  EXPECT_EQ(plan.care_team(1).role(), "care coordination");
  EXPECT_TRUE(plan.care_team(1).lead());
  ExpectOneLeadWhileAnyoneIsInvolved(plan);
}

TEST_F(CarePlanTest, SetLeadOnAPlanNotWrittenYetCreatesIt) {
  v1::CarePlan plan = MustSetLead(bob_, crisis_.name(), "crisis coordination");
  EXPECT_EQ(plan.version(), 1);
  EXPECT_EQ(plan.lead_team(), crisis_.name());
  ASSERT_THAT(plan.care_team(), SizeIs(1));
  EXPECT_EQ(plan.care_team(0).role(), "crisis coordination");
  EXPECT_EQ(plan.change().kind(), v1::Change::LEAD_CHANGED);
}

TEST_F(CarePlanTest, RefusedCareTeamWritesBeforeTheFirstCreateNothing) {
  v1::CarePlan out;
  // Nobody is involved yet: there is no involvement to end.
  EXPECT_THAT(
      EndTeam(alice_, community_.name(), &out),
      HasCodeAndMessage(grpc::StatusCode::NOT_FOUND, HasSubstr(person_)));
  // An etag names a version; there is none yet.
  const auto no_plan_yet = HasCodeAndMessage(
      grpc::StatusCode::ABORTED,
      AllOf(StartsWith("etag: "), HasSubstr("no care plan yet")));
  EXPECT_THAT(
      AddTeam(alice_, community_.name(), "care coordination", &out, "1"),
      no_plan_yet);
  EXPECT_THAT(SetLead(alice_, community_.name(), &out, "", "1"), no_plan_yet);
  EXPECT_THAT(TryGet(alice_, plan_, &out),
              HasCodeAndMessage(grpc::StatusCode::NOT_FOUND,
                                HasSubstr("no care plan yet")));
}

TEST_F(CarePlanTest, OnlyTheLeadPassesTheLeadOn) {
  CreateRealisticPlan();
  MustAddTeam(alice_, crisis_.name(), "crisis support");
  const Snapshot before = Take();
  v1::CarePlan out;
  // Involved but not the lead: told who leads.
  EXPECT_THAT(SetLead(bob_, crisis_.name(), &out),
              HasCodeAndMessage(grpc::StatusCode::FAILED_PRECONDITION,
                                HasSubstr(community_.name())));
  // Not involved at all: no access.
  EXPECT_THAT(SetLead(otto_, housing_.name(), &out), DeniedTo(otto_));
  EXPECT_THAT(SetLead(admin_, crisis_.name(), &out), DeniedTo(admin_));
  // The lead passing the lead to itself.
  EXPECT_THAT(SetLead(alice_, community_.name(), &out),
              HasCodeAndMessage(grpc::StatusCode::FAILED_PRECONDITION,
                                HasSubstr(community_.name())));
  ExpectUnchanged(before);

  server_.clock().Advance(absl::Hours(1));
  v1::CarePlan plan = MustSetLead(carol_, crisis_.name());
  EXPECT_EQ(plan.version(), 3);
  EXPECT_EQ(plan.lead_team(), crisis_.name());
  EXPECT_EQ(plan.change().kind(), v1::Change::LEAD_CHANGED);
  EXPECT_THAT(plan.change().sections(), ElementsAre(v1::CARE_TEAM));
  EXPECT_EQ(plan.change().actor(), "members/carol");
  ASSERT_THAT(plan.care_team(), SizeIs(2));
  EXPECT_FALSE(plan.care_team(0).lead());
  EXPECT_FALSE(plan.care_team(0).has_end_time());  // still involved
  EXPECT_TRUE(plan.care_team(1).lead());
  ExpectOneLeadWhileAnyoneIsInvolved(plan);

  // Now the community team is the one that may not.
  EXPECT_THAT(SetLead(alice_, community_.name(), &out),
              HasCodeAndMessage(grpc::StatusCode::FAILED_PRECONDITION,
                                HasSubstr(crisis_.name())));
  // And it may leave, the lead having moved.
  v1::CarePlan left = MustEndTeam(alice_, community_.name());
  EXPECT_EQ(left.lead_team(), crisis_.name());
}

TEST_F(CarePlanTest, PassingTheLeadToATeamNotInvolvedMakesItJoin) {
  CreateRealisticPlan();
  v1::CarePlan plan =
      MustSetLead(alice_, voluntary_.name(), "peer-led coordination");
  EXPECT_EQ(plan.lead_team(), voluntary_.name());
  ASSERT_THAT(plan.care_team(), SizeIs(2));
  EXPECT_EQ(plan.care_team(1).team(), voluntary_.name());
  EXPECT_EQ(plan.care_team(1).role(), "peer-led coordination");
  EXPECT_TRUE(plan.care_team(1).lead());
  EXPECT_FALSE(plan.care_team(0).lead());
  ExpectOneLeadWhileAnyoneIsInvolved(plan);
}

TEST_F(CarePlanTest, ServicesManageTheCareTeam) {
  CreateRealisticPlan();
  v1::CarePlan added = MustAddTeam(service_, crisis_.name(), "crisis support");
  EXPECT_EQ(added.change().actor(), "services/record");
  EXPECT_EQ(added.change().actor_team(), "");
  const v1::SectionStamp* stamp = StampFor(added, v1::CARE_TEAM);
  ASSERT_NE(stamp, nullptr);
  EXPECT_EQ(stamp->updated_by(), "services/record");
  EXPECT_EQ(stamp->updated_by_team(), "");
  v1::CarePlan ended = MustEndTeam(service_, crisis_.name());
  EXPECT_THAT(Involved(ended), SizeIs(1));
  v1::CarePlan out;
  EXPECT_THAT(AddTeam(admin_, crisis_.name(), "crisis support", &out),
              DeniedTo(admin_));
  EXPECT_THAT(EndTeam(admin_, community_.name(), &out), DeniedTo(admin_));
}

TEST_F(CarePlanTest, EveryVersionHasOneLeadWhileAnyoneIsInvolved) {
  CreateRealisticPlan();
  v1::CarePlan out;
  MustAddTeam(alice_, crisis_.name(), "crisis support");
  MustAddTeam(bob_, voluntary_.name(), "peer support");
  EXPECT_FALSE(EndTeam(alice_, community_.name(), &out).ok());
  MustSetLead(alice_, crisis_.name());
  EXPECT_FALSE(EndTeam(bob_, crisis_.name(), &out).ok());
  MustEndTeam(bob_, community_.name());
  EXPECT_FALSE(SetLead(val_, voluntary_.name(), &out).ok());
  MustSetLead(bob_, voluntary_.name());
  MustEndTeam(val_, crisis_.name());
  MustEndTeam(val_, voluntary_.name());  // the last one
  MustSetLead(otto_, housing_.name());
  MustAddTeam(otto_, community_.name(), "care coordination");
  MustSetLead(otto_, community_.name());

  const std::vector<v1::CarePlan> versions = ListAllVersions();
  ASSERT_THAT(versions, SizeIs(11));
  for (const v1::CarePlan& version : versions) {
    ExpectOneLeadWhileAnyoneIsInvolved(version);
  }
  EXPECT_EQ(versions.front().lead_team(), community_.name());
  EXPECT_THAT(Involved(versions.front()), SizeIs(2));
  EXPECT_EQ(versions[3].lead_team(), "");  // after the voluntary team left
}

}  // namespace
}  // namespace carebridge::careplan

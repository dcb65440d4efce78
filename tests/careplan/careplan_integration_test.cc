// CarePlanService over real gRPC channels, with the directory it asks hosted
// in the same server: creating and reading a plan, names, plans that do not
// exist, and who may read and write.

#include <functional>
#include <string>
#include <vector>

#include "tests/careplan/careplan_test_fixture.h"

namespace carebridge::careplan {
namespace {

TEST_F(CarePlanTest, FirstWriteCreatesVersionOneWithTheWritersTeamAsLead) {
  v1::CarePlan goals = Goals({"Feel safe at home.", "Sleep better."});
  goals.mutable_goals(1)->set_status(v1::Goal::PAUSED);
  v1::CarePlan plan =
      Write(alice_, goals, {"goals"}, /*etag=*/"", "First talk with Ada.");

  EXPECT_EQ(plan.name(), plan_);
  EXPECT_EQ(plan.person(), person_);
  EXPECT_EQ(plan.version(), 1);
  EXPECT_EQ(plan.etag(), "1");
  EXPECT_EQ(FromProtoTimestamp(plan.create_time()), Now());
  EXPECT_EQ(FromProtoTimestamp(plan.update_time()), Now());
  ASSERT_THAT(plan.goals(), SizeIs(2));
  EXPECT_EQ(plan.goals(0).id(), "g1-1");
  EXPECT_EQ(plan.goals(0).description(), "Feel safe at home.");
  EXPECT_EQ(plan.goals(0).status(), v1::Goal::ACTIVE);  // from UNSPECIFIED
  EXPECT_EQ(plan.goals(1).id(), "g1-2");
  EXPECT_EQ(plan.goals(1).status(), v1::Goal::PAUSED);

  ASSERT_THAT(plan.care_team(), SizeIs(1));
  EXPECT_EQ(plan.care_team(0).team(), community_.name());
  EXPECT_EQ(plan.care_team(0).role(), "care coordination");
  EXPECT_EQ(FromProtoTimestamp(plan.care_team(0).start_time()), Now());
  EXPECT_FALSE(plan.care_team(0).has_end_time());
  EXPECT_TRUE(plan.care_team(0).lead());
  EXPECT_EQ(plan.lead_team(), community_.name());
  EXPECT_FALSE(plan.agreed());
  EXPECT_FALSE(plan.has_agreement());

  EXPECT_EQ(plan.change().kind(), v1::Change::CONTENT_UPDATED);
  EXPECT_THAT(plan.change().sections(),
              UnorderedElementsAre(v1::GOALS, v1::CARE_TEAM));
  EXPECT_EQ(plan.change().reason(), "First talk with Ada.");
  EXPECT_EQ(plan.change().actor(), "members/alice");
  EXPECT_EQ(plan.change().actor_team(), community_.name());
  EXPECT_EQ(FromProtoTimestamp(plan.change().time()), Now());

  EXPECT_THAT(plan.section_stamps(), SizeIs(2));
  for (v1::Section section : {v1::GOALS, v1::CARE_TEAM}) {
    const v1::SectionStamp* stamp = StampFor(plan, section);
    ASSERT_NE(stamp, nullptr) << section;
    EXPECT_EQ(stamp->version(), 1);
    EXPECT_EQ(stamp->updated_by(), "members/alice");
    EXPECT_EQ(stamp->updated_by_team(), community_.name());
    EXPECT_EQ(FromProtoTimestamp(stamp->update_time()), Now());
  }

  server_.clock().Advance(absl::Minutes(5));
  EXPECT_THAT(GetAs(alice_), EqualsProto(plan));
}

TEST_F(CarePlanTest, RealisticPlanIsStoredSectionBySection) {
  const v1::CarePlan sent = RealisticCarePlan();
  v1::CarePlan written = CreateRealisticPlan();
  EXPECT_THAT(written.change().sections(),
              UnorderedElementsAre(v1::GOALS, v1::ACTIONS, v1::CRISIS_PLAN,
                                   v1::COMMUNICATION_PREFERENCES,
                                   v1::REVIEW_DATE, v1::CARE_TEAM));
  server_.clock().Advance(absl::Hours(1));
  v1::CarePlan plan = GetAs(alice_);
  EXPECT_THAT(plan, EqualsProto(written));

  ASSERT_THAT(plan.goals(), SizeIs(10));
  for (int k = 0; k < 10; ++k) {
    v1::Goal expected = sent.goals(k);
    expected.set_id(absl::StrCat("g1-", k + 1));
    EXPECT_THAT(plan.goals(k), EqualsProto(expected));
  }
  ASSERT_THAT(plan.actions(), SizeIs(20));
  for (int k = 0; k < 20; ++k) {
    v1::Action expected = sent.actions(k);
    expected.set_id(absl::StrCat("a1-", k + 1));
    EXPECT_THAT(plan.actions(k), EqualsProto(expected));
  }
  EXPECT_THAT(plan.crisis_plan(), EqualsProto(sent.crisis_plan()));
  EXPECT_THAT(plan.communication_preferences(),
              EqualsProto(sent.communication_preferences()));
  EXPECT_THAT(plan.review_date(), EqualsProto(sent.review_date()));
}

// One call of each RPC, each a request that would succeed for alice.
std::vector<std::function<grpc::Status(v1::CarePlanService::Stub&,
                                       grpc::ClientContext*)>>
EveryRpc(const std::string& plan, const std::string& team) {
  return {
      [plan](auto& stub, auto* c) {
        v1::GetCarePlanRequest q;
        q.set_name(plan);
        v1::CarePlan r;
        return stub.GetCarePlan(c, q, &r);
      },
      [plan](auto& stub, auto* c) {
        v1::UpdateCarePlanRequest q;
        q.mutable_care_plan()->set_name(plan);
        q.mutable_care_plan()->mutable_crisis_plan()->set_what_helps("Tea.");
        q.mutable_update_mask()->add_paths("crisis_plan");
        q.set_reason("Talked it through.");
        v1::CarePlan r;
        return stub.UpdateCarePlan(c, q, &r);
      },
      [plan](auto& stub, auto* c) {
        v1::ListCarePlanVersionsRequest q;
        q.set_parent(plan);
        v1::ListCarePlanVersionsResponse r;
        return stub.ListCarePlanVersions(c, q, &r);
      },
      [plan](auto& stub, auto* c) {
        v1::GetCarePlanVersionRequest q;
        q.set_name(plan + "/versions/1");
        v1::CarePlan r;
        return stub.GetCarePlanVersion(c, q, &r);
      },
      [plan](auto& stub, auto* c) {
        v1::DiffCarePlanVersionsRequest q;
        q.set_name(plan);
        q.set_from_version(1);
        v1::CarePlanDiff r;
        return stub.DiffCarePlanVersions(c, q, &r);
      },
      [plan](auto& stub, auto* c) {
        v1::RecordAgreementRequest q;
        q.set_name(plan);
        q.set_version(1);
        v1::CarePlan r;
        return stub.RecordAgreement(c, q, &r);
      },
      [plan, team](auto& stub, auto* c) {
        v1::AddCareTeamMemberRequest q;
        q.set_name(plan);
        q.set_team(team);
        q.set_role("peer support");
        q.set_reason("Ada asked for peer support.");
        v1::CarePlan r;
        return stub.AddCareTeamMember(c, q, &r);
      },
      [plan, team](auto& stub, auto* c) {
        v1::EndCareTeamInvolvementRequest q;
        q.set_name(plan);
        q.set_team(team);
        q.set_reason("Support finished.");
        v1::CarePlan r;
        return stub.EndCareTeamInvolvement(c, q, &r);
      },
      [plan, team](auto& stub, auto* c) {
        v1::SetLeadTeamRequest q;
        q.set_name(plan);
        q.set_team(team);
        q.set_reason("Agreed at the review.");
        v1::CarePlan r;
        return stub.SetLeadTeam(c, q, &r);
      },
  };
}

TEST_F(CarePlanTest, EveryRpcRefusesAnUnauthenticatedCall) {
  const auto calls = EveryRpc(plan_, voluntary_.name());
  for (size_t i = 0; i < calls.size(); ++i) {
    auto anonymous = server_.AnonymousContext();
    EXPECT_THAT(calls[i](*stub_, anonymous.get()),
                HasCode(grpc::StatusCode::UNAUTHENTICATED))
        << "call " << i;
    auto forged = server_.AnonymousContext();
    forged->AddMetadata("authorization", "Bearer cb1.forged.token");
    EXPECT_THAT(calls[i](*stub_, forged.get()),
                HasCode(grpc::StatusCode::UNAUTHENTICATED))
        << "call " << i;
    Principal expired = alice_;
    expired.expire_time = Now() - absl::Seconds(1);
    auto late = server_.ContextAs(expired);
    EXPECT_THAT(calls[i](*stub_, late.get()),
                HasCode(grpc::StatusCode::UNAUTHENTICATED))
        << "call " << i;
  }
  v1::CarePlan out;
  EXPECT_THAT(TryGet(service_, plan_, &out),
              HasCodeAndMessage(grpc::StatusCode::NOT_FOUND,
                                HasSubstr("no care plan yet")));
}

TEST_F(CarePlanTest, UnknownPersonIsNotFoundNamingThePerson) {
  const std::string unknown = "persons/nobody";
  const auto not_found = HasCodeAndMessage(
      grpc::StatusCode::NOT_FOUND,
      AllOf(HasSubstr(unknown), Not(HasSubstr("no care plan yet"))));
  const auto calls = EveryRpc(PlanName(unknown), community_.name());
  for (size_t i = 0; i < calls.size(); ++i) {
    auto context = server_.ContextAs(alice_);
    EXPECT_THAT(calls[i](*stub_, context.get()), not_found) << "call " << i;
  }
  // Also a first write that would otherwise create the plan.
  v1::UpdateCarePlanRequest request =
      UpdateRequest(Goals({"Feel safe."}), {"goals"}, /*etag=*/"");
  request.mutable_care_plan()->set_name(PlanName(unknown));
  v1::CarePlan out;
  EXPECT_THAT(Update(alice_, request, &out), not_found);
}

TEST_F(CarePlanTest, KnownPersonWithoutAPlanIsNotFoundSayingNoPlanYet) {
  const auto no_plan_yet = HasCodeAndMessage(
      grpc::StatusCode::NOT_FOUND,
      AllOf(HasSubstr(person_), HasSubstr("no care plan yet")));
  v1::CarePlan plan;
  grpc::Status get = TryGet(alice_, plan_, &plan);
  EXPECT_THAT(get, no_plan_yet);
  // Any team may ask: there is no care team to be on yet.
  EXPECT_THAT(TryGet(otto_, plan_, &plan), no_plan_yet);

  v1::ListCarePlanVersionsRequest list;
  list.set_parent(plan_);
  v1::ListCarePlanVersionsResponse versions;
  EXPECT_THAT(Call(&Stub::ListCarePlanVersions, alice_, list, &versions),
              no_plan_yet);
  EXPECT_THAT(GetVersion(alice_, VersionName(1), &plan), no_plan_yet);
  v1::CarePlanDiff diff;
  EXPECT_THAT(Diff(alice_, 1, 0, &diff), no_plan_yet);

  // Distinguishable from a person the directory does not know.
  grpc::Status unknown = TryGet(alice_, "persons/nobody/carePlan", &plan);
  EXPECT_THAT(unknown, HasCodeAndMessage(grpc::StatusCode::NOT_FOUND,
                                         HasSubstr("persons/nobody")));
  EXPECT_NE(unknown.error_message(), get.error_message());
}

TEST_F(CarePlanTest, MalformedNamesAreInvalidArgumentNamingTheField) {
  CreateRealisticPlan();
  const Snapshot before = Take();
  const std::vector<std::string> bad_plan_names = {"",
                                                   person_,
                                                   "persons/ada/careplan",
                                                   "persons//carePlan",
                                                   "teams/x/carePlan",
                                                   VersionName(1),
                                                   plan_ + "/"};
  v1::CarePlan out;
  for (const std::string& name : bad_plan_names) {
    SCOPED_TRACE(name);
    const auto invalid_name = HasCodeAndMessage(
        grpc::StatusCode::INVALID_ARGUMENT, StartsWith("name: "));
    EXPECT_THAT(TryGet(alice_, name, &out), invalid_name);

    v1::ListCarePlanVersionsRequest list;
    list.set_parent(name);
    v1::ListCarePlanVersionsResponse versions;
    EXPECT_THAT(Call(&Stub::ListCarePlanVersions, alice_, list, &versions),
                HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                  StartsWith("parent: ")));

    v1::UpdateCarePlanRequest update =
        UpdateRequest(WhatHelps("Tea."), {"crisis_plan"}, "1");
    update.mutable_care_plan()->set_name(name);
    EXPECT_THAT(Update(alice_, update, &out),
                HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                  StartsWith("care_plan.name: ")));

    v1::DiffCarePlanVersionsRequest diff_request;
    diff_request.set_name(name);
    diff_request.set_from_version(1);
    v1::CarePlanDiff diff;
    EXPECT_THAT(Call(&Stub::DiffCarePlanVersions, alice_, diff_request, &diff),
                invalid_name);

    v1::RecordAgreementRequest agree;
    agree.set_name(name);
    agree.set_version(1);
    EXPECT_THAT(Call(&Stub::RecordAgreement, alice_, agree, &out),
                invalid_name);

    v1::AddCareTeamMemberRequest add;
    add.set_name(name);
    add.set_team(crisis_.name());
    add.set_role("crisis support");
    add.set_reason("Ada asked.");
    EXPECT_THAT(Call(&Stub::AddCareTeamMember, alice_, add, &out),
                invalid_name);

    v1::EndCareTeamInvolvementRequest end;
    end.set_name(name);
    end.set_team(community_.name());
    end.set_reason("Done.");
    EXPECT_THAT(Call(&Stub::EndCareTeamInvolvement, alice_, end, &out),
                invalid_name);

    v1::SetLeadTeamRequest lead;
    lead.set_name(name);
    lead.set_team(crisis_.name());
    lead.set_reason("Agreed.");
    EXPECT_THAT(Call(&Stub::SetLeadTeam, alice_, lead, &out), invalid_name);
  }
  for (const std::string& name :
       {std::string(""), plan_, plan_ + "/versions/0", plan_ + "/versions/-1",
        plan_ + "/versions/one", plan_ + "/versions/", plan_ + "/versions/1/x",
        std::string("persons/ada/careplan/versions/1")}) {
    EXPECT_THAT(GetVersion(alice_, name, &out),
                HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                  StartsWith("name: ")))
        << name;
  }
  ExpectUnchanged(before);
}

TEST_F(CarePlanTest, UninvolvedTeamCanNeitherReadNorWrite) {
  CreateRealisticPlan();
  const Snapshot before = Take();
  const auto denied = HasCodeAndMessage(
      grpc::StatusCode::PERMISSION_DENIED,
      AllOf(HasSubstr(housing_.name()), HasSubstr("care team")));
  v1::CarePlan out;
  EXPECT_THAT(TryGet(otto_, plan_, &out), denied);
  v1::ListCarePlanVersionsRequest list;
  list.set_parent(plan_);
  v1::ListCarePlanVersionsResponse versions;
  EXPECT_THAT(Call(&Stub::ListCarePlanVersions, otto_, list, &versions),
              denied);
  EXPECT_THAT(GetVersion(otto_, VersionName(1), &out), denied);
  v1::CarePlanDiff diff;
  EXPECT_THAT(Diff(otto_, 1, 0, &diff), denied);

  const auto refused = DeniedTo(otto_);
  EXPECT_THAT(
      Update(otto_, UpdateRequest(WhatHelps("Tea."), {"crisis_plan"}, "1"),
             &out),
      refused);
  EXPECT_THAT(Agree(otto_, 1, &out), refused);
  EXPECT_THAT(AddTeam(otto_, housing_.name(), "housing support", &out),
              refused);
  EXPECT_THAT(SetLead(otto_, housing_.name(), &out), refused);
  EXPECT_THAT(EndTeam(otto_, community_.name(), &out), refused);
  ExpectUnchanged(before);
}

TEST_F(CarePlanTest, AdminsHaveNoAccessToPlans) {
  CreateRealisticPlan();
  const Snapshot before = Take();
  for (const std::string& plan :
       {plan_, std::string("persons/nobody/carePlan")}) {
    const auto calls = EveryRpc(plan, crisis_.name());
    for (size_t i = 0; i < calls.size(); ++i) {
      auto context = server_.ContextAs(admin_);
      EXPECT_THAT(calls[i](*stub_, context.get()), DeniedTo(admin_))
          << plan << " call " << i;
    }
  }
  ExpectUnchanged(before);
}

TEST_F(CarePlanTest, ServiceIdentitiesReadButDoNotWriteContent) {
  CreateRealisticPlan();
  const Snapshot before = Take();
  v1::CarePlan out;
  ASSERT_GRPC_OK(TryGet(service_, plan_, &out));
  EXPECT_THAT(out, EqualsProto(GetAs(alice_)));
  ASSERT_GRPC_OK(GetVersion(service_, VersionName(1), &out));
  v1::CarePlanDiff diff;
  ASSERT_GRPC_OK(Diff(service_, 1, 0, &diff));
  EXPECT_THAT(ListAllVersions(), SizeIs(1));

  EXPECT_THAT(
      Update(service_, UpdateRequest(WhatHelps("Tea."), {"crisis_plan"}, "1"),
             &out),
      DeniedTo(service_));
  EXPECT_THAT(Agree(service_, 1, &out), DeniedTo(service_));
  ExpectUnchanged(before);
}

TEST_F(CarePlanTest, EveryInvolvedTeamReadsAndWrites) {
  CreateRealisticPlan();
  MustAddTeam(alice_, crisis_.name(), "crisis support");
  v1::CarePlan added = MustAddTeam(alice_, voluntary_.name(), "peer support");
  EXPECT_THAT(GetAs(bob_), EqualsProto(added));
  // The voluntary-sector team reads the same version, as the person's
  // sharing choices (here its sector's default) show it
  // (careplan_sharing_integration_test.cc).
  const v1::CarePlan val_sees = GetAs(val_);
  EXPECT_EQ(val_sees.etag(), added.etag());
  EXPECT_THAT(val_sees.withheld(),
              ElementsAre(v1::SHARED_ALL_ACTIONS, v1::SHARED_CRISIS_PLAN));

  server_.clock().Advance(absl::Minutes(1));
  v1::CarePlan by_val =
      Write(val_, WhatHelps("Walking the dog with Jo."),
            {"crisis_plan.what_helps"}, added.etag(), "Ada told Jo this.");
  EXPECT_EQ(by_val.version(), added.version() + 1);
  EXPECT_EQ(by_val.change().actor(), "members/val");
  EXPECT_EQ(by_val.change().actor_team(), voluntary_.name());
  EXPECT_EQ(by_val.crisis_plan().what_helps(), "Walking the dog with Jo.");

  v1::CarePlan by_bob =
      Write(bob_, Goals({"Stay out of hospital."}), {"goals"}, by_val.etag());
  EXPECT_EQ(by_bob.change().actor_team(), crisis_.name());
  v1::CarePlan by_carol = Write(carol_, WhatHelps("Music."),
                                {"crisis_plan.what_helps"}, by_bob.etag());
  EXPECT_EQ(by_carol.change().actor(), "members/carol");
  EXPECT_EQ(by_carol.version(), by_bob.version() + 1);
}

TEST_F(CarePlanTest, ATeamThatLeftLosesAccessEvenToOldVersions) {
  CreateRealisticPlan();
  MustAddTeam(alice_, crisis_.name(), "crisis support");
  v1::CarePlan involved = GetAs(bob_);
  MustEndTeam(bob_, crisis_.name());

  v1::CarePlan out;
  EXPECT_THAT(TryGet(bob_, plan_, &out),
              HasCodeAndMessage(grpc::StatusCode::PERMISSION_DENIED,
                                HasSubstr(crisis_.name())));
  // Need to know is about now: the version bob's team could read then is
  // closed to it too.
  EXPECT_THAT(GetVersion(bob_, VersionName(involved.version()), &out),
              DeniedTo(bob_));
  EXPECT_THAT(
      Update(bob_,
             UpdateRequest(WhatHelps("Tea."), {"crisis_plan"}, Get().etag()),
             &out),
      DeniedTo(bob_));
}

TEST_F(CarePlanTest, AnyTeamWritingWhenNobodyIsInvolvedJoinsAsLead) {
  CreateRealisticPlan();
  v1::CarePlan ended = MustEndTeam(alice_, community_.name());
  EXPECT_THAT(Involved(ended), IsEmpty());
  EXPECT_EQ(ended.lead_team(), "");
  v1::CarePlan out;
  EXPECT_THAT(TryGet(alice_, plan_, &out), DeniedTo(alice_));

  server_.clock().Advance(absl::Hours(2));
  v1::CarePlan plan = Write(val_, WhatHelps("Peer group on Tuesdays."),
                            {"crisis_plan.what_helps"}, ended.etag());
  EXPECT_EQ(plan.version(), ended.version() + 1);
  EXPECT_EQ(plan.change().kind(), v1::Change::CONTENT_UPDATED);
  EXPECT_THAT(plan.change().sections(),
              UnorderedElementsAre(v1::CRISIS_PLAN, v1::CARE_TEAM));
  EXPECT_EQ(plan.lead_team(), voluntary_.name());
  ASSERT_THAT(plan.care_team(), SizeIs(2));
  EXPECT_EQ(plan.care_team(0).team(), community_.name());
  EXPECT_TRUE(plan.care_team(0).has_end_time());
  EXPECT_EQ(plan.care_team(1).team(), voluntary_.name());
  EXPECT_EQ(plan.care_team(1).role(), "care coordination");
  EXPECT_EQ(FromProtoTimestamp(plan.care_team(1).start_time()), Now());
  EXPECT_TRUE(plan.care_team(1).lead());
  ExpectOneLeadWhileAnyoneIsInvolved(plan);
  const v1::SectionStamp* stamp = StampFor(plan, v1::CARE_TEAM);
  ASSERT_NE(stamp, nullptr);
  EXPECT_EQ(stamp->version(), plan.version());
  EXPECT_EQ(stamp->updated_by(), "members/val");
}

TEST_F(CarePlanTest, RecordingAgreementWhenNobodyIsInvolvedJoinsAsLead) {
  CreateRealisticPlan();
  v1::CarePlan ended = MustEndTeam(alice_, community_.name());
  v1::CarePlan plan = MustAgree(bob_, ended.version(), "Yes, that is right.");
  EXPECT_TRUE(plan.agreed());
  EXPECT_EQ(plan.lead_team(), crisis_.name());
  EXPECT_THAT(plan.change().sections(), Contains(v1::AGREEMENT));
  EXPECT_THAT(plan.change().sections(), Contains(v1::CARE_TEAM));
  ExpectOneLeadWhileAnyoneIsInvolved(plan);
}

}  // namespace
}  // namespace carebridge::careplan

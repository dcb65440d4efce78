// RecordAgreement over real gRPC: the person's agreement is recorded against
// the current version, cleared by any later change to content and kept
// through care team changes.

#include <string>

#include "tests/careplan/careplan_test_fixture.h"

namespace carebridge::careplan {
namespace {

TEST_F(CarePlanTest, RecordAgreementMakesAVersionMarkedAgreed) {
  v1::CarePlan plan = CreateRealisticPlan();
  server_.clock().Advance(absl::Hours(1));
  v1::CarePlan agreed =
      MustAgree(carol_, plan.version(), "This is what I said. Thank you.");

  EXPECT_EQ(agreed.version(), 2);
  EXPECT_EQ(agreed.etag(), "2");
  EXPECT_TRUE(agreed.agreed());
  EXPECT_EQ(agreed.agreement().agreed_version(), VersionName(1));
  EXPECT_EQ(FromProtoTimestamp(agreed.agreement().agree_time()), Now());
  EXPECT_EQ(agreed.agreement().recorded_by(), "members/carol");
  EXPECT_EQ(agreed.agreement().recorded_by_team(), community_.name());
  EXPECT_EQ(agreed.agreement().person_comment(),
            "This is what I said. Thank you.");
  EXPECT_EQ(agreed.change().kind(), v1::Change::AGREEMENT_RECORDED);
  EXPECT_THAT(agreed.change().sections(), ElementsAre(v1::AGREEMENT));
  EXPECT_EQ(agreed.change().actor(), "members/carol");
  EXPECT_EQ(agreed.change().actor_team(), community_.name());
  EXPECT_EQ(FromProtoTimestamp(agreed.update_time()), Now());
  const v1::SectionStamp* stamp = StampFor(agreed, v1::AGREEMENT);
  ASSERT_NE(stamp, nullptr);
  EXPECT_EQ(stamp->version(), 2);
  EXPECT_EQ(stamp->updated_by(), "members/carol");
  // Nothing else changed.
  EXPECT_THAT(ContentOf(agreed), EqualsProto(ContentOf(plan)));
  ASSERT_THAT(agreed.care_team(), SizeIs(plan.care_team_size()));
  EXPECT_THAT(agreed.care_team(0), EqualsProto(plan.care_team(0)));
  EXPECT_EQ(agreed.lead_team(), plan.lead_team());
  EXPECT_THAT(*StampFor(agreed, v1::GOALS),
              EqualsProto(*StampFor(plan, v1::GOALS)));
  EXPECT_THAT(GetAs(alice_), EqualsProto(agreed));
}

TEST_F(CarePlanTest, ContentChangeClearsAgreementButKeepsTheRecord) {
  v1::CarePlan plan = CreateRealisticPlan();
  v1::CarePlan agreed = MustAgree(alice_, plan.version(), "Yes.");
  for (const std::string& path : AllContentPaths()) {
    SCOPED_TRACE(path);
    v1::CarePlan current = Get();
    if (!current.agreed()) current = MustAgree(alice_, current.version());
    ASSERT_TRUE(current.agreed());
    // Change just this section.
    v1::CarePlan content = ContentOf(current);
    if (path == "goals") {
      content.mutable_goals(0)->set_status(v1::Goal::ACHIEVED);
    } else if (path == "actions") {
      content.mutable_actions(0)->set_status(v1::Action::COMPLETED);
    } else if (path == "crisis_plan") {
      content.mutable_crisis_plan()->set_what_helps("Something new.");
    } else if (path == "communication_preferences") {
      content.mutable_communication_preferences()->set_other("New too.");
    } else {
      *content.mutable_review_date() = MakeDate(2026, 9, 30);
    }
    v1::CarePlan changed = Write(alice_, content, {path}, current.etag());
    EXPECT_EQ(changed.version(), current.version() + 1);
    EXPECT_FALSE(changed.agreed());
    // The record of the last agreement stays, as history.
    EXPECT_THAT(changed.agreement(), EqualsProto(current.agreement()));
    EXPECT_FALSE(Get().agreed());
  }
  EXPECT_EQ(agreed.agreement().agreed_version(), VersionName(1));
}

TEST_F(CarePlanTest, CareTeamChangesDoNotClearAgreement) {
  v1::CarePlan plan = CreateRealisticPlan();
  v1::CarePlan agreed = MustAgree(alice_, plan.version(), "Yes.");
  v1::CarePlan added = MustAddTeam(alice_, crisis_.name(), "crisis support");
  EXPECT_TRUE(added.agreed());
  EXPECT_THAT(added.agreement(), EqualsProto(agreed.agreement()));
  v1::CarePlan passed = MustSetLead(alice_, crisis_.name());
  EXPECT_TRUE(passed.agreed());
  v1::CarePlan ended = MustEndTeam(bob_, community_.name());
  EXPECT_TRUE(ended.agreed());
  EXPECT_THAT(ended.agreement(), EqualsProto(agreed.agreement()));
  EXPECT_TRUE(GetAs(bob_).agreed());
}

TEST_F(CarePlanTest, AgreementOnAStaleVersionIsAborted) {
  v1::CarePlan plan = CreateRealisticPlan();
  Write(alice_, WhatHelps("Tea."), {"crisis_plan.what_helps"}, plan.etag());
  const Snapshot before = Take();
  v1::CarePlan out;
  for (int64_t version : {int64_t{1}, int64_t{3}, int64_t{99}}) {
    EXPECT_THAT(Agree(alice_, version, &out, "Yes."),
                HasCodeAndMessage(
                    grpc::StatusCode::ABORTED,
                    AllOf(StartsWith("version: "), HasSubstr("version 2"))))
        << version;
  }
  ExpectUnchanged(before);
}

TEST_F(CarePlanTest, AgreementRequestIsChecked) {
  CreateRealisticPlan();
  const Snapshot before = Take();
  v1::CarePlan out;
  EXPECT_THAT(Agree(alice_, 0, &out),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                "version: must be set"));
  EXPECT_THAT(Agree(alice_, -2, &out),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                StartsWith("version: ")));
  EXPECT_THAT(Agree(alice_, 1, &out, std::string(2001, 'c')),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                StartsWith("person_comment: ")));
  ExpectUnchanged(before);
}

TEST_F(CarePlanTest, AgreementCanBeRecordedAgainWithANewComment) {
  v1::CarePlan plan = CreateRealisticPlan();
  v1::CarePlan first = MustAgree(alice_, plan.version(), "Yes.");
  MustAddTeam(alice_, voluntary_.name(), "peer support");
  server_.clock().Advance(absl::Hours(24));
  v1::CarePlan again = MustAgree(val_, 3, "Still yes, and Jo read it to me.");
  EXPECT_EQ(again.version(), 4);
  EXPECT_TRUE(again.agreed());
  EXPECT_EQ(again.agreement().agreed_version(), VersionName(3));
  EXPECT_EQ(again.agreement().recorded_by(), "members/val");
  EXPECT_EQ(again.agreement().recorded_by_team(), voluntary_.name());
  EXPECT_EQ(again.agreement().person_comment(),
            "Still yes, and Jo read it to me.");
  EXPECT_EQ(FromProtoTimestamp(again.agreement().agree_time()), Now());
  // The first agreement is in the history.
  v1::CarePlan version2;
  ASSERT_GRPC_OK(GetVersion(alice_, VersionName(2), &version2));
  EXPECT_THAT(version2.agreement(), EqualsProto(first.agreement()));
}

TEST_F(CarePlanTest, AgreementOnAPlanNotWrittenYetCreatesNothing) {
  // There is nothing to agree to before the first write.
  const auto no_plan_yet = HasCodeAndMessage(
      grpc::StatusCode::NOT_FOUND,
      AllOf(HasSubstr(person_), HasSubstr("no care plan yet")));
  v1::CarePlan out;
  EXPECT_THAT(Agree(alice_, 1, &out), no_plan_yet);
  EXPECT_THAT(TryGet(alice_, plan_, &out), no_plan_yet);
}

}  // namespace
}  // namespace carebridge::careplan

// Break-glass (issue 11): a clinician not on the person's care team opens
// their crisis plan in an emergency with a stated reason; the access lasts 4
// hours, shows the crisis plan alone, is audited with its reason, and is
// listed for the lead team and the person to review.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/careplan/careplan_break_glass_fixture.h"

namespace carebridge::careplan {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

TEST_F(CarePlanBreakGlassTest, OpensTheCrisisPlanAloneForFourHours) {
  v1::CarePlan out;
  EXPECT_EQ(TryGet(nina_, plan_, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  v1::BreakGlassAccess access;
  ASSERT_GRPC_OK(Break(nina_, kReason, &access));
  EXPECT_THAT(access.crisis_plan(), EqualsProto(full_.crisis_plan()));
  EXPECT_THAT(access.withheld(), IsEmpty());
  EXPECT_EQ(access.person(), person_);
  EXPECT_EQ(access.member(), nina_.subject);
  EXPECT_EQ(access.team(), out_of_hours_.name());
  EXPECT_EQ(access.reason(), kReason);
  EXPECT_EQ(access.lead_team(), community_.name());
  EXPECT_EQ(access.plan_version(), full_.version());
  EXPECT_EQ(FromProtoTimestamp(access.expire_time()) -
                FromProtoTimestamp(access.start_time()),
            absl::Hours(4));
  EXPECT_THAT(access.name(), HasSubstr(person_ + "/breakGlassAccesses/"));

  // Within the window she reads the plan: the crisis plan and nothing else.
  server_.clock().Advance(absl::Hours(3) + absl::Minutes(59));
  ASSERT_GRPC_OK(TryGet(nina_, plan_, &out));
  EXPECT_THAT(out.crisis_plan(), EqualsProto(full_.crisis_plan()));
  EXPECT_THAT(out.goals(), IsEmpty());
  EXPECT_THAT(out.actions(), IsEmpty());
  EXPECT_FALSE(out.has_communication_preferences());
  EXPECT_THAT(out.care_team(), IsEmpty());
  EXPECT_EQ(out.lead_team(), community_.name());
  // Everything but the crisis plan (and what helps, within it).
  EXPECT_THAT(out.withheld(), SizeIs(7));
  // The current crisis plan only: not its history, nor the person's
  // sharing choices.
  v1::CarePlan version;
  EXPECT_EQ(GetVersion(nina_, VersionName(1), &version).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::CarePlanDiff diff;
  EXPECT_EQ(Diff(nina_, 1, 0, &diff).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::GetSharingChoicesRequest sharing_request;
  sharing_request.set_name(person_ + "/sharingChoices");
  v1::SharingChoices sharing;
  EXPECT_EQ(Call(&Stub::GetSharingChoices, nina_, sharing_request, &sharing)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // It is hers, not her team's.
  EXPECT_EQ(TryGet(omar_, plan_, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Nor does it let her write.
  EXPECT_EQ(Update(nina_,
                   UpdateRequest(RealisticCarePlan(), {"goals"}, full_.etag(),
                                 "Not hers to change."),
                   &out)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // Past its window it is closed, and says so.
  server_.clock().Advance(absl::Minutes(1));
  const size_t logged = AuditLog().size();
  const int64_t head = FeedHead();
  grpc::Status ended = TryGet(nina_, plan_, &out);
  EXPECT_EQ(ended.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(ended.error_message(),
              HasSubstr("break-glass access to " + person_ + " ended at"));
  // The refused read is audited with its outcome, and changes nothing: no
  // access renewed, nothing on the feed.
  EXPECT_THAT(
      Recorded("carebridge.careplan.v1.GetCarePlan", logged),
      ElementsAre(nina_.subject + " " + person_ + " PERMISSION_DENIED"));
  EXPECT_THAT(ReadFeed(service_, head), IsEmpty());
  EXPECT_EQ(Listed(), 1);
  EXPECT_THAT(Get(), EqualsProto(full_));
}

TEST_F(CarePlanBreakGlassTest, WithoutAReasonOrByTheWrongCallerItIsRefused) {
  const size_t logged = AuditLog().size();
  const int64_t head = FeedHead();
  v1::BreakGlassAccess access;
  grpc::Status status = Break(nina_, "", &access);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("reason: must be set"));
  status = Break(nina_, std::string(501, 'r'), &access);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("reason"));
  for (const Principal& as : {admin_, service_, ada_}) {
    EXPECT_EQ(Break(as, kReason, &access).error_code(),
              grpc::StatusCode::PERMISSION_DENIED)
        << as.subject;
  }
  status = Break(alice_, kReason, &access);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("without breaking glass"));
  EXPECT_EQ(Listed(), 0);
  v1::CarePlan out;
  EXPECT_EQ(TryGet(nina_, plan_, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // A person with no plan has nothing to open.
  v1::BreakGlassRequest request;
  const std::string bea = MakePerson("Bea", "Adeyemi");
  request.set_name(PlanName(bea));
  request.set_reason(kReason);
  EXPECT_EQ(Call(&Stub::BreakGlass, nina_, request, &access).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // Every refusal is audited, under the person, with its outcome...
  const std::string refused_as = " " + person_ + " PERMISSION_DENIED";
  EXPECT_THAT(
      Recorded("carebridge.careplan.v1.BreakGlass", logged),
      ElementsAre(nina_.subject + " " + person_ + " INVALID_ARGUMENT",
                  nina_.subject + " " + person_ + " INVALID_ARGUMENT",
                  admin_.subject + refused_as, service_.subject + refused_as,
                  ada_.subject + refused_as,
                  alice_.subject + " " + person_ + " FAILED_PRECONDITION",
                  nina_.subject + " " + bea + " NOT_FOUND"));
  EXPECT_THAT(Recorded("carebridge.careplan.v1.GetCarePlan", logged),
              ElementsAre(nina_.subject + refused_as));
  // A refused attempt with a good reason keeps why it was asked, whoever
  // asked (the admin, the service and the person too).
  const std::vector<AuditRecord> log = AuditLog();
  int refused_with_reason = 0;
  for (size_t i = logged; i < log.size(); ++i) {
    if (log[i].method != "carebridge.careplan.v1.BreakGlass" ||
        log[i].outcome == "INVALID_ARGUMENT") {
      continue;
    }
    EXPECT_EQ(log[i].reason, absl::StrCat("break-glass: ", kReason))
        << log[i].actor;
    ++refused_with_reason;
  }
  EXPECT_EQ(refused_with_reason, 5);
  EXPECT_TRUE(Verify().intact());
  // ...and changes nothing: no access listed, no break-glass event (nor any
  // other) on the feed.
  EXPECT_EQ(Listed(), 0);
  EXPECT_THAT(ReadFeed(service_, head), IsEmpty());
}

TEST_F(CarePlanBreakGlassTest, ListedForTheLeadTeamAndThePersonAndAudited) {
  v1::BreakGlassAccess access;
  ASSERT_GRPC_OK(Break(nina_, kReason, &access));
  v1::CarePlan out;
  ASSERT_GRPC_OK(TryGet(nina_, plan_, &out));

  for (const Principal& as : {alice_, ada_, admin_}) {
    v1::ListBreakGlassAccessesResponse listed;
    ASSERT_GRPC_OK(List(as, &listed));
    ASSERT_THAT(listed.accesses(), SizeIs(1)) << as.subject;
    EXPECT_EQ(listed.accesses(0).name(), access.name());
    EXPECT_EQ(listed.accesses(0).member(), nina_.subject);
    EXPECT_EQ(listed.accesses(0).reason(), kReason);
    // Who, when and why; never the plan.
    EXPECT_FALSE(listed.accesses(0).has_crisis_plan());
  }
  MustAddTeam(alice_, crisis_.name(), "crisis support");
  for (const Principal& as : {bob_, nina_}) {
    v1::ListBreakGlassAccessesResponse listed;
    EXPECT_EQ(List(as, &listed).error_code(),
              grpc::StatusCode::PERMISSION_DENIED)
        << as.subject;
  }

  // The access and the read it allowed carry the reason in the audit log.
  const std::vector<AuditRecord> log = AuditLog();
  const std::vector<AuditRecord> broke =
      Of(log, "carebridge.careplan.v1.BreakGlass");
  ASSERT_THAT(broke, SizeIs(1));
  EXPECT_EQ(broke[0].actor, nina_.subject);
  EXPECT_EQ(broke[0].person, person_);
  EXPECT_EQ(broke[0].outcome, "OK");
  EXPECT_EQ(broke[0].reason, std::string("break-glass: ") + kReason);
  bool read_recorded = false;
  for (const AuditRecord& record :
       Of(log, "carebridge.careplan.v1.GetCarePlan")) {
    if (record.actor == nina_.subject && record.outcome == "OK") {
      read_recorded = true;
      EXPECT_EQ(record.reason, std::string("break-glass: ") + kReason);
    }
  }
  EXPECT_TRUE(read_recorded);
  EXPECT_TRUE(Verify().intact());
}

TEST_F(CarePlanBreakGlassTest, TheReviewListPagesNewestFirst) {
  for (const Principal& as : {nina_, omar_, nina_}) {
    v1::BreakGlassAccess access;
    ASSERT_GRPC_OK(Break(as, kReason, &access));
    server_.clock().Advance(absl::Minutes(5));
  }
  std::vector<std::string> members;
  std::string token;
  do {
    v1::ListBreakGlassAccessesResponse page;
    ASSERT_GRPC_OK(List(alice_, &page, 2, token));
    EXPECT_LE(page.accesses_size(), 2);
    for (const v1::BreakGlassAccess& a : page.accesses()) {
      members.push_back(a.member());
    }
    token = page.next_page_token();
  } while (!token.empty());
  EXPECT_EQ(members, (std::vector<std::string>{nina_.subject, omar_.subject,
                                               nina_.subject}));
}

TEST_F(CarePlanBreakGlassTest, ThePersonsSharingChoicesStillHold) {
  // The person shares only what helps with the out-of-hours line.
  v1::SharingChoices choices;
  ASSERT_GRPC_OK(
      Share(ada_, {TeamRule(out_of_hours_.name(), {v1::SHARED_WHAT_HELPS})},
            &choices));
  v1::BreakGlassAccess access;
  ASSERT_GRPC_OK(Break(nina_, kReason, &access));
  EXPECT_EQ(access.crisis_plan().what_helps(),
            full_.crisis_plan().what_helps());
  EXPECT_EQ(access.crisis_plan().what_to_avoid(),
            full_.crisis_plan().what_to_avoid());
  EXPECT_EQ(access.crisis_plan().triggers(), "");
  EXPECT_EQ(access.crisis_plan().contacts_size(), 0);
  EXPECT_THAT(access.withheld(), ElementsAre(v1::SHARED_CRISIS_PLAN));
  v1::CarePlan out;
  ASSERT_GRPC_OK(TryGet(nina_, plan_, &out));
  EXPECT_EQ(out.crisis_plan().what_helps(), full_.crisis_plan().what_helps());
  EXPECT_EQ(out.crisis_plan().triggers(), "");
  EXPECT_EQ(out.goals_size(), 0);

  // Kept from the crisis plan altogether: breaking glass is refused, and
  // an open access shows nothing of it either.
  ASSERT_GRPC_OK(Share(
      ada_, {TeamRule(out_of_hours_.name(), {v1::SHARED_GOALS})}, &choices));
  grpc::Status emptied = TryGet(nina_, plan_, &out);
  EXPECT_EQ(emptied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(emptied.error_message(),
              HasSubstr("sharing choices keep the crisis plan from " +
                        out_of_hours_.name()));
  const int listed = Listed();
  grpc::Status refused = Break(omar_, kReason, &access);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(refused.error_message(),
              HasSubstr("sharing choices keep the crisis plan from " +
                        out_of_hours_.name()));
  EXPECT_EQ(Listed(), listed) << "nothing recorded";
}

TEST_F(CarePlanBreakGlassTest, ATeamThePersonRestrictedCannotLeaveAndBreakIn) {
  MustAddTeam(alice_, out_of_hours_.name(), "Out-of-hours cover");
  v1::SharingChoices choices;
  ASSERT_GRPC_OK(Share(
      ada_, {TeamRule(out_of_hours_.name(), {v1::SHARED_GOALS})}, &choices));
  MustEndTeam(nina_, out_of_hours_.name());
  v1::BreakGlassAccess access;
  EXPECT_EQ(Break(nina_, kReason, &access).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Listed(), 0);
}

TEST_F(CarePlanBreakGlassTest, ALongestReasonIsKeptWhole) {
  const std::string reason(500, 'r');
  v1::BreakGlassAccess access;
  ASSERT_GRPC_OK(Break(nina_, reason, &access));
  v1::ListBreakGlassAccessesResponse listed;
  ASSERT_GRPC_OK(List(ada_, &listed));
  ASSERT_THAT(listed.accesses(), SizeIs(1));
  EXPECT_EQ(listed.accesses(0).reason(), reason);
}

TEST_F(CarePlanBreakGlassTest, AFullLastPageSaysThereIsNoMore) {
  // Another person's access takes the first number.
  const std::string other = MakePerson("Bea", "Adeyemi");
  v1::UpdateCarePlanRequest write =
      UpdateRequest(Goals({"Sleep through the night"}), {"goals"}, "");
  write.mutable_care_plan()->set_name(PlanName(other));
  v1::CarePlan written;
  ASSERT_GRPC_OK(Update(alice_, write, &written));
  v1::BreakGlassRequest request;
  request.set_name(PlanName(other));
  request.set_reason(kReason);
  v1::BreakGlassAccess access;
  ASSERT_GRPC_OK(Call(&Stub::BreakGlass, nina_, request, &access));
  ASSERT_GRPC_OK(Break(nina_, kReason, &access));
  ASSERT_GRPC_OK(Break(omar_, kReason, &access));
  v1::ListBreakGlassAccessesResponse page;
  ASSERT_GRPC_OK(List(alice_, &page, 2));
  EXPECT_THAT(page.accesses(), SizeIs(2));
  EXPECT_EQ(page.next_page_token(), "");
  ASSERT_GRPC_OK(List(alice_, &page, 1));
  EXPECT_THAT(page.accesses(), SizeIs(1));
  EXPECT_NE(page.next_page_token(), "");
}

TEST_F(CarePlanBreakGlassTest, TheFeedTellsTheLeadTeamWithoutThePlan) {
  const int64_t before =
      ReadFeed(service_).empty() ? 0 : ReadFeed(service_).back().sequence();
  v1::BreakGlassAccess access;
  ASSERT_GRPC_OK(Break(nina_, kReason, &access));
  std::vector<events::v1::Event> events = ReadFeed(alice_, before);
  ASSERT_THAT(events, SizeIs(1));
  const events::v1::Event& event = events[0];
  EXPECT_EQ(event.type(), "careplan.break_glass");
  EXPECT_EQ(event.subject(), access.name());
  EXPECT_EQ(event.person(), person_);
  EXPECT_EQ(event.actor(), nina_.subject);
  EXPECT_THAT(event.teams(), ElementsAre(community_.name()));
  v1::BreakGlassAccess carried;
  ASSERT_TRUE(event.payload().UnpackTo(&carried));
  EXPECT_EQ(carried.reason(), kReason);
  EXPECT_FALSE(carried.has_crisis_plan()) << "the event carries no plan";
  // The access is the member's, not her team's; a team off the care team
  // is not told either.
  EXPECT_THAT(ReadFeed(omar_, before), IsEmpty());
  EXPECT_THAT(ReadFeed(bob_, before), IsEmpty());
  // Nor is a lead team that has since left the care team.
  MustAddTeam(alice_, crisis_.name(), "crisis support");
  MustSetLead(alice_, crisis_.name());
  MustEndTeam(alice_, community_.name());
  for (const events::v1::Event& left : ReadFeed(alice_, before)) {
    EXPECT_NE(left.type(), "careplan.break_glass");
  }
}

}  // namespace
}  // namespace carebridge::careplan

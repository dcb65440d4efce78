// Protecting the person's record, as the record shows it (issue 11): a team
// that joins the care team through a referral or handover no team on the
// care team sent is on the lead team's work list and the person's plan
// until the lead team or the person reviews the join, or the person objects
// and the team's access ends; break-glass and sharing changes are on the
// care team's timeline, break-glass in the lead team's inbox.

#include "absl/strings/match.h"
#include "carebridge/careplan/v1/careplan.grpc.pb.h"
#include "tests/record/record_test_fixture.h"
#include "tests/support/proto_matchers.h"

namespace carebridge::record::testing {
namespace {

namespace cp = ::carebridge::careplan::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class RecordProtectionTest : public RecordTest {
 protected:
  void SetUp() override {
    RecordTest::SetUp();
    careplan_ = cp::CarePlanService::NewStub(server_.Channel());
    cy_ = MakePerson("Cy");
    person_.subject = cy_;
    person_.role = Role::kPerson;
    person_.expire_time = server_.clock().Now() + absl::Hours(24 * 365);
    // The crisis team takes Cy on (the first team: it leads).
    Accept(Refer(cy_, crisis_).name(), bob_);
    EXPECT_TRUE(Eventually([&] { return Plan(bob_).lead_team() == crisis_; }));
  }

  cp::CarePlan Plan(const Principal& as) {
    cp::GetCarePlanRequest request;
    request.set_name(cy_ + "/carePlan");
    cp::CarePlan plan;
    auto context = server_.ContextAs(as);
    (void)careplan_->GetCarePlan(context.get(), request, &plan);
    return plan;
  }

  static const cp::CareTeamMember* Entry(const cp::CarePlan& plan,
                                         const std::string& team) {
    for (const cp::CareTeamMember& member : plan.care_team()) {
      if (member.team() == team && !member.has_end_time()) return &member;
    }
    return nullptr;
  }

  // The open gaps of `kind` on `team`'s list (by default JOIN_NOT_REVIEWED:
  // a crisis team without a crisis plan puts others there too).
  std::vector<v1::CareGap> OpenGaps(const Principal& as,
                                    const std::string& team,
                                    v1::GapKind kind = v1::JOIN_NOT_REVIEWED) {
    v1::ListCareGapsResponse response;
    grpc::Status status = Gaps(as, team, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<v1::CareGap> found;
    for (const v1::CareGap& gap : response.gaps()) {
      if (gap.kind() == kind) found.push_back(gap);
    }
    return found;
  }

  // `team` joins through a referral the voluntary team (not on the care
  // team) sends and `by` accepts.
  std::string JoinFromOutside(const std::string& team, const Principal& by) {
    const std::string referral = ReferAs(val_, cy_, team).name();
    Accept(referral, by);
    EXPECT_TRUE(Eventually([&] { return Entry(Plan(bob_), team) != nullptr; }));
    return referral;
  }

  std::unique_ptr<cp::CarePlanService::Stub> careplan_;
  std::string cy_;
  Principal person_;
};

TEST_F(RecordProtectionTest, TheLeadTeamAndThePersonAreShownUntilItIsReviewed) {
  // A referral the care team sent needs no review.
  EXPECT_FALSE(Entry(Plan(bob_), crisis_)->unreviewed());

  const std::string referral = JoinFromOutside(housing_, otto_);
  const cp::CarePlan with_housing = Plan(bob_);
  const cp::CareTeamMember* joined = Entry(with_housing, housing_);
  ASSERT_NE(joined, nullptr);
  EXPECT_TRUE(joined->unreviewed());
  EXPECT_EQ(joined->joined_through(), referral);
  // The person sees it on their own plan.
  ASSERT_NE(Entry(Plan(person_), housing_), nullptr);
  EXPECT_TRUE(Entry(Plan(person_), housing_)->unreviewed());

  // On the lead team's work list, not the joining or referring team's.
  std::vector<v1::CareGap> gaps;
  ASSERT_TRUE(Eventually([&] {
    gaps = OpenGaps(bob_, crisis_);
    return gaps.size() == 1;
  }));
  EXPECT_EQ(gaps[0].kind(), v1::JOIN_NOT_REVIEWED);
  EXPECT_EQ(gaps[0].subject(), referral);
  EXPECT_THAT(gaps[0].teams(), ElementsAre(crisis_));
  EXPECT_THAT(gaps[0].detail(), HasSubstr(housing_ + " joined the care team"));
  EXPECT_THAT(OpenGaps(otto_, housing_), IsEmpty());
  EXPECT_THAT(OpenGaps(val_, voluntary_), IsEmpty());
  v1::CareSummary summary;
  ASSERT_TRUE(Summary(bob_, cy_, &summary).ok());
  bool marked = false;
  for (const v1::CareTeamMember& member : summary.care_team()) {
    if (member.team() == housing_) marked = member.unreviewed();
  }
  EXPECT_TRUE(marked);
  // The timeline says how it joined.
  bool told = false;
  for (const v1::TimelineEntry& entry : Timeline(bob_, cy_)) {
    told = told || absl::StrContains(
                       entry.summary(),
                       housing_ + " (accepted referral) through " + referral +
                           ", which no team on the care team sent");
  }
  EXPECT_TRUE(told);

  // The joining team cannot wave itself through; the lead team reviews.
  cp::ReviewCareTeamJoinRequest review;
  review.set_name(cy_ + "/carePlan");
  review.set_team(housing_);
  review.set_reason("Cy wants the housing support; agreed at the review");
  cp::CarePlan reviewed;
  auto context = server_.ContextAs(otto_);
  EXPECT_EQ(careplan_->ReviewCareTeamJoin(context.get(), review, &reviewed)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  context = server_.ContextAs(bob_);
  grpc::Status status =
      careplan_->ReviewCareTeamJoin(context.get(), review, &reviewed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(Entry(reviewed, housing_)->unreviewed());
  ASSERT_TRUE(Eventually([&] { return OpenGaps(bob_, crisis_).empty(); }));
  v1::ListCareGapsResponse closed;
  ASSERT_TRUE(Gaps(bob_, crisis_, &closed, /*include_closed=*/true).ok());
  int joins = 0;
  for (const v1::CareGap& gap : closed.gaps()) {
    if (gap.kind() != v1::JOIN_NOT_REVIEWED) continue;
    ++joins;
    EXPECT_EQ(gap.close_reason(),
              "the join was reviewed, or the team left the care team");
  }
  EXPECT_EQ(joins, 1);
}

TEST_F(RecordProtectionTest, ThePersonObjectsAndTheTeamsAccessEnds) {
  JoinFromOutside(community_, alice_);
  ASSERT_TRUE(Eventually([&] { return OpenGaps(bob_, crisis_).size() == 1; }));
  EXPECT_EQ(Plan(alice_).version(), Plan(bob_).version()) << "it reads now";

  cp::EndCareTeamInvolvementRequest object;
  object.set_name(cy_ + "/carePlan");
  object.set_team(community_);
  object.set_reason("I did not ask for this team and do not want it");
  cp::CarePlan ended;
  auto context = server_.ContextAs(person_);
  grpc::Status status =
      careplan_->EndCareTeamInvolvement(context.get(), object, &ended);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Entry(ended, community_), nullptr);
  EXPECT_EQ(ended.change().actor(), cy_);

  cp::GetCarePlanRequest get;
  get.set_name(cy_ + "/carePlan");
  cp::CarePlan plan;
  context = server_.ContextAs(alice_);
  EXPECT_EQ(careplan_->GetCarePlan(context.get(), get, &plan).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Eventually([&] { return OpenGaps(bob_, crisis_).empty(); }));

  // The person may not end the lead team's involvement.
  object.set_team(crisis_);
  context = server_.ContextAs(person_);
  status = careplan_->EndCareTeamInvolvement(context.get(), object, &ended);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("but the lead team's"));
  EXPECT_NE(Entry(Plan(bob_), crisis_), nullptr);
}

// The lead team, the only one involved, ends its involvement without
// handing over: nobody looks after Cy's plan. That is on the list of the
// team that led (before, it was on no team's list, as the lead leaves
// last), in its inbox, and on no other team's; it closes when a team leads
// again.
TEST_F(RecordProtectionTest, NobodyLeadingIsOnTheListOfTheTeamThatLed) {
  auto no_lead = [&](const Principal& as, const std::string& team) {
    return OpenGaps(as, team, v1::NO_LEAD);
  };
  const int64_t inbox_before =
      Inbox(bob_).empty() ? 0 : Inbox(bob_).back().sequence();
  cp::EndCareTeamInvolvementRequest end;
  end.set_name(cy_ + "/carePlan");
  end.set_team(crisis_);
  end.set_reason("Crisis resolved; discharged");
  cp::CarePlan ended;
  auto context = server_.ContextAs(bob_);
  grpc::Status status =
      careplan_->EndCareTeamInvolvement(context.get(), end, &ended);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(ended.lead_team(), "");

  std::vector<v1::CareGap> gaps;
  ASSERT_TRUE(Eventually([&] {
    gaps = no_lead(bob_, crisis_);
    return !gaps.empty();
  }));
  ASSERT_THAT(gaps, SizeIs(1));
  EXPECT_EQ(gaps[0].person(), cy_);
  EXPECT_THAT(gaps[0].detail(), HasSubstr("without handing over"));
  EXPECT_THAT(no_lead(otto_, housing_), IsEmpty());
  EXPECT_THAT(no_lead(alice_, community_), IsEmpty());
  bool told = false;
  ASSERT_TRUE(Eventually([&] {
    for (const events::v1::Event& item : Inbox(bob_, inbox_before)) {
      if (item.type() == "inbox.gap_opened" &&
          absl::StrContains(item.subject(), "/careGaps/no_lead-")) {
        told = true;
      }
    }
    return told;
  }));

  // The crisis team picks the plan up again: the gap closes, as history.
  cp::SetLeadTeamRequest lead;
  lead.set_name(cy_ + "/carePlan");
  lead.set_team(crisis_);
  lead.set_reason("Cy called again; we take the lead back");
  cp::CarePlan led;
  context = server_.ContextAs(bob_);
  status = careplan_->SetLeadTeam(context.get(), lead, &led);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(Eventually([&] { return no_lead(bob_, crisis_).empty(); }));
  v1::ListCareGapsResponse history;
  ASSERT_TRUE(Gaps(bob_, crisis_, &history, /*include_closed=*/true).ok());
  bool closed = false;
  for (const v1::CareGap& gap : history.gaps()) {
    if (gap.kind() == v1::NO_LEAD && gap.has_close_time()) closed = true;
  }
  EXPECT_TRUE(closed);
}

TEST_F(RecordProtectionTest, BreakGlassIsOnTheTimelineAndInTheLeadsInbox) {
  const int64_t inbox_before =
      Inbox(bob_).empty() ? 0 : Inbox(bob_).back().sequence();
  cp::BreakGlassRequest request;
  request.set_name(cy_ + "/carePlan");
  request.set_reason("Cy called the housing line in crisis at 2am");
  cp::BreakGlassAccess access;
  auto context = server_.ContextAs(otto_);
  grpc::Status status = careplan_->BreakGlass(context.get(), request, &access);
  ASSERT_TRUE(status.ok()) << status.error_message();

  // Other items may arrive meanwhile (the record follows the feeds on its
  // own time, e.g. a care gap it notices): the break-glass one is there,
  // once.
  std::vector<events::v1::Event> inbox;
  ASSERT_TRUE(Eventually([&] {
    inbox.clear();
    for (events::v1::Event& event : Inbox(bob_, inbox_before)) {
      if (event.type() == "inbox.break_glass") inbox.push_back(event);
    }
    return !inbox.empty();
  }));
  ASSERT_THAT(inbox, SizeIs(1));
  v1::InboxItem item;
  ASSERT_TRUE(inbox[0].payload().UnpackTo(&item));
  EXPECT_EQ(item.team(), crisis_);
  EXPECT_EQ(item.resource(), access.name());
  EXPECT_THAT(item.summary(),
              HasSubstr("Crisis plan opened by break-glass by members/otto "
                        "of " +
                        housing_));

  v1::TimelineEntry entry;
  for (const v1::TimelineEntry& e : Timeline(bob_, cy_)) {
    if (e.kind() == v1::BREAK_GLASS) entry = e;
  }
  EXPECT_EQ(entry.resource(), access.name());
  EXPECT_EQ(entry.actor(), "members/otto");
  EXPECT_EQ(entry.actor_team(), housing_);
  EXPECT_EQ(entry.reason(), "Cy called the housing line in crisis at 2am");
  // Breaking glass is no contact with Cy's care.
  v1::CareSummary summary;
  ASSERT_TRUE(Summary(bob_, cy_, &summary).ok());
  for (const v1::LastContact& contact : summary.last_contacts()) {
    EXPECT_NE(contact.team(), housing_);
  }
  // The team that broke glass is not on the care team: it reads no
  // timeline of Cy's.
  for (const v1::TimelineEntry& e : Timeline(otto_, cy_)) {
    EXPECT_NE(e.kind(), v1::BREAK_GLASS);
  }
}

TEST_F(RecordProtectionTest, ABreakGlassReviewIsOnTheLeadTeamsTimeline) {
  cp::BreakGlassRequest request;
  request.set_name(cy_ + "/carePlan");
  request.set_reason("Cy called the housing line in crisis at 2am");
  cp::BreakGlassAccess access;
  auto context = server_.ContextAs(otto_);
  grpc::Status status = careplan_->BreakGlass(context.get(), request, &access);
  ASSERT_TRUE(status.ok()) << status.error_message();
  cp::ReviewBreakGlassAccessRequest review;
  review.set_name(access.name());
  review.set_outcome(cp::BreakGlassReview::NOT_JUSTIFIED);
  review.set_reason("No emergency: a routine enquiry");
  cp::BreakGlassAccess reviewed;
  context = server_.ContextAs(bob_);
  status = careplan_->ReviewBreakGlassAccess(context.get(), review, &reviewed);
  ASSERT_TRUE(status.ok()) << status.error_message();

  // The record takes the review in (a care plan event whose payload is an
  // access, not a plan) and shows it after the access.
  std::vector<v1::TimelineEntry> entries;
  ASSERT_TRUE(Eventually([&] {
    entries.clear();
    for (const v1::TimelineEntry& e : Timeline(bob_, cy_)) {
      if (e.kind() == v1::BREAK_GLASS) entries.push_back(e);
    }
    return entries.size() == 2;
  }));
  const v1::TimelineEntry& entry =
      entries[0].type() == "careplan.break_glass_reviewed" ? entries[0]
                                                           : entries[1];
  EXPECT_EQ(entry.resource(), access.name());
  EXPECT_EQ(entry.actor(), bob_.subject);
  EXPECT_EQ(entry.actor_team(), crisis_);
  EXPECT_EQ(entry.reason(), "No emergency: a routine enquiry");
  EXPECT_EQ(entry.summary(), "Break-glass access by members/otto of " +
                                 housing_ + " reviewed: not justified");
  // The team that broke glass reads neither.
  for (const v1::TimelineEntry& e : Timeline(otto_, cy_)) {
    EXPECT_NE(e.kind(), v1::BREAK_GLASS);
  }
}

TEST_F(RecordProtectionTest, ASharingChangeIsOnTheCareTeamsTimeline) {
  cp::UpdateSharingChoicesRequest request;
  request.mutable_sharing_choices()->set_name(cy_ + "/sharingChoices");
  cp::SharingRule& rule = *request.mutable_sharing_choices()->add_rules();
  rule.set_sector(directory::v1::VOLUNTARY_SECTOR);
  rule.add_parts(cp::SHARED_GOALS);
  request.set_reason("Only my goals with peer groups");
  cp::SharingChoices choices;
  auto context = server_.ContextAs(person_);
  grpc::Status status =
      careplan_->UpdateSharingChoices(context.get(), request, &choices);
  ASSERT_TRUE(status.ok()) << status.error_message();
  v1::TimelineEntry entry;
  ASSERT_TRUE(Eventually([&] {
    for (const v1::TimelineEntry& e : Timeline(bob_, cy_)) {
      if (e.kind() == v1::SHARING_CHOICES) entry = e;
    }
    return entry.kind() == v1::SHARING_CHOICES;
  }));
  EXPECT_EQ(entry.actor(), cy_);
  EXPECT_THAT(entry.summary(), HasSubstr("by the person"));
  // That the choices changed, and who changed them; not why (the person's
  // words), which the lead team reads in the care plan service.
  EXPECT_EQ(entry.reason(), "");
  EXPECT_FALSE(entry.detailed());

  // Changed again by the lead team at Cy's request: on the timeline with
  // the team, and still no contact with Cy's care (the crisis team's last
  // contact stays the referral it accepted).
  v1::CareSummary before;
  ASSERT_TRUE(Summary(bob_, cy_, &before).ok());
  request.mutable_sharing_choices()->clear_rules();
  request.set_reason("Cy asked us to share everything again");
  context = server_.ContextAs(bob_);
  status = careplan_->UpdateSharingChoices(context.get(), request, &choices);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(choices.version(), 2);
  v1::TimelineEntry by_team;
  ASSERT_TRUE(Eventually([&] {
    for (const v1::TimelineEntry& e : Timeline(bob_, cy_)) {
      if (e.kind() == v1::SHARING_CHOICES && e.actor() == bob_.subject) {
        by_team = e;
      }
    }
    return by_team.kind() == v1::SHARING_CHOICES;
  }));
  EXPECT_EQ(by_team.actor_team(), crisis_);
  EXPECT_EQ(by_team.reason(), "");
  v1::CareSummary summary;
  ASSERT_TRUE(Summary(bob_, cy_, &summary).ok());
  bool crisis_contact = false;
  for (const v1::LastContact& contact : summary.last_contacts()) {
    EXPECT_NE(contact.type(), "careplan.sharing_changed");
    if (contact.team() == crisis_) crisis_contact = true;
  }
  EXPECT_TRUE(crisis_contact);
  ASSERT_EQ(summary.last_contacts_size(), before.last_contacts_size());
  for (int i = 0; i < summary.last_contacts_size(); ++i) {
    EXPECT_THAT(summary.last_contacts(i),
                carebridge::testing::EqualsProto(before.last_contacts(i)));
  }
}

}  // namespace
}  // namespace carebridge::record::testing

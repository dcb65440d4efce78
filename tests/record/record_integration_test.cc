// The record service end to end in one server: the timeline and care
// summary built from the other services' feeds, need to know per entry,
// paging and filters, bad input, care gaps and the inbox stream. (The team
// report, escalation, more of the inbox, bad input to gaps and reports, and
// a rebuild from the feeds' start: record_*_integration_test.cc.)

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "carebridge/events/v1/events.pb.h"
#include "carebridge/handover/v1/handover.grpc.pb.h"
#include "tests/record/record_test_fixture.h"
#include "tests/support/status_matchers.h"

namespace carebridge::record::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// Ada: registered; referred to crisis (declined with an onward route), to
// the voluntary team (accepted: it joins her care team and leads), and to
// housing (still waiting). A minute passes between steps.
class RecordTimelineTest : public RecordTest {
 protected:
  void SetUp() override {
    RecordTest::SetUp();
    ada_ = MakePerson("Ada");
    Step();
    to_crisis_ = Refer(ada_, crisis_).name();
    Step();
    Decline(to_crisis_, bob_);
    Step();
    to_voluntary_ = Refer(ada_, voluntary_).name();
    Step();
    Accept(to_voluntary_, val_);
    // The care plan's effect (its own version) before the clock moves on.
    ASSERT_TRUE(RecordShows(ada_, 6));
    Step();
    to_housing_ = Refer(ada_, housing_, ref::ROUTINE).name();
    ASSERT_TRUE(RecordShows(ada_, 7));
  }

  void Step() { server_.clock().Advance(absl::Minutes(1)); }

  std::string ada_, to_crisis_, to_voluntary_, to_housing_;
};

TEST_F(RecordTimelineTest, AServiceSeesEveryStepInTimeOrder) {
  std::vector<v1::TimelineEntry> entries = Timeline(Service(), ada_);
  EXPECT_THAT(
      Types(entries),
      ElementsAre("person.created", "referral.created", "referral.declined",
                  "referral.created", "referral.accepted",
                  "careplan.care_team_changed", "referral.created"));
  for (size_t i = 1; i < entries.size(); ++i) {
    EXPECT_LE(entries[i - 1].time().seconds(), entries[i].time().seconds());
  }
  EXPECT_EQ(entries[0].kind(), v1::PERSON);
  EXPECT_EQ(entries[0].resource(), ada_);
  const v1::TimelineEntry& declined = entries[2];
  EXPECT_EQ(declined.kind(), v1::REFERRAL);
  EXPECT_EQ(declined.resource(), to_crisis_);
  EXPECT_EQ(declined.actor(), "members/bob");
  EXPECT_EQ(declined.actor_team(), crisis_);
  EXPECT_EQ(declined.summary(), "Referral declined by " + crisis_);
  EXPECT_THAT(declined.reason(), HasSubstr("Not in crisis now"));
  EXPECT_THAT(declined.reason(), HasSubstr("suggested " + voluntary_));
  EXPECT_TRUE(declined.detailed());
  EXPECT_THAT(declined.name(), HasSubstr(ada_ + "/timeline/referral-"));
  EXPECT_THAT(declined.event(), HasSubstr("referral/"));
  const v1::TimelineEntry& joined = entries[5];
  EXPECT_EQ(joined.kind(), v1::CARE_TEAM);
  EXPECT_THAT(joined.summary(), HasSubstr(voluntary_ + " ("));
  EXPECT_THAT(joined.summary(), HasSubstr("joined the care team"));
  EXPECT_THAT(joined.resource(), HasSubstr(ada_ + "/carePlan/versions/1"));
}

TEST_F(RecordTimelineTest, EachTeamSeesWhatItMaySeeInTheSourceServices) {
  // Crisis: the referral it declined; not the others, not the plan.
  EXPECT_THAT(
      Types(Timeline(bob_, ada_)),
      ElementsAre("person.created", "referral.created", "referral.declined"));
  // Voluntary: its referral and the care plan it is now on.
  EXPECT_THAT(Types(Timeline(val_, ada_)),
              ElementsAre("person.created", "referral.created",
                          "referral.accepted", "careplan.care_team_changed"));
  // Housing: only what was sent to it.
  EXPECT_THAT(Types(Timeline(otto_, ada_)),
              ElementsAre("person.created", "referral.created"));
  // Community sent every referral but is not on the care team.
  EXPECT_THAT(
      Types(Timeline(alice_, ada_)),
      ElementsAre("person.created", "referral.created", "referral.declined",
                  "referral.created", "referral.accepted", "referral.created"));

  // Admins see nothing of a person.
  v1::ListTimelineEntriesRequest request;
  request.set_parent(ada_);
  v1::ListTimelineEntriesResponse response;
  EXPECT_EQ(List(carebridge::testing::TestServer::Admin(), request, &response)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(RecordTimelineTest, PagesFiltersAndOrder) {
  const std::vector<v1::TimelineEntry> all = Timeline(Service(), ada_);
  const std::vector<v1::TimelineEntry> paged = Timeline(Service(), ada_, 2);
  ASSERT_THAT(paged, SizeIs(all.size()));
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(paged[i].name(), all[i].name());
  }
  // Paged as a team that sees only some: the same as unpaged.
  EXPECT_EQ(Types(Timeline(val_, ada_, 1)), Types(Timeline(val_, ada_)));

  v1::ListTimelineEntriesRequest request;
  request.set_parent(ada_);
  request.add_kinds(v1::CARE_TEAM);
  request.add_kinds(v1::PERSON);
  v1::ListTimelineEntriesResponse response;
  ASSERT_TRUE(List(Service(), request, &response).ok());
  ASSERT_THAT(response.entries(), SizeIs(2));
  EXPECT_EQ(response.entries(1).kind(), v1::CARE_TEAM);

  request.clear_kinds();
  request.set_newest_first(true);
  request.set_page_size(1);
  ASSERT_TRUE(List(Service(), request, &response).ok());
  ASSERT_THAT(response.entries(), SizeIs(1));
  EXPECT_EQ(response.entries(0).name(), all.back().name());

  // A time window: the referral steps between the decline and the
  // acceptance (inclusive start, exclusive end).
  request = v1::ListTimelineEntriesRequest();
  request.set_parent(ada_);
  *request.mutable_start_time() = all[2].time();
  *request.mutable_end_time() = all[4].time();
  ASSERT_TRUE(List(Service(), request, &response).ok());
  EXPECT_THAT(response.entries(), SizeIs(2));
  EXPECT_TRUE(response.freshness().caught_up());
  EXPECT_THAT(response.freshness().feeds(), SizeIs(4));
}

TEST_F(RecordTimelineTest, BadInputIsRefusedNamingTheField) {
  auto expect_invalid = [&](const v1::ListTimelineEntriesRequest& request,
                            const std::string& field) {
    v1::ListTimelineEntriesResponse response;
    grpc::Status status = List(Service(), request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << field;
    EXPECT_THAT(status.error_message(), HasSubstr(field));
  };
  v1::ListTimelineEntriesRequest request;
  expect_invalid(request, "parent");
  request.set_parent("people/x");
  expect_invalid(request, "parent");
  request.set_parent(ada_);
  request.set_page_token("not-a-token");
  expect_invalid(request, "page_token");
  request.clear_page_token();
  request.add_kinds(static_cast<v1::EntryKind>(42));
  expect_invalid(request, "kinds");
  request.clear_kinds();
  request.set_page_size(-1);
  expect_invalid(request, "page_size");
  request.set_page_size(0);
  request.mutable_start_time()->set_seconds(2000);
  request.mutable_end_time()->set_seconds(1000);
  expect_invalid(request, "end_time");

  // A token from other filters is refused, not misapplied.
  v1::ListTimelineEntriesRequest first;
  first.set_parent(ada_);
  first.set_page_size(1);
  v1::ListTimelineEntriesResponse page;
  ASSERT_TRUE(List(Service(), first, &page).ok());
  first.set_page_token(page.next_page_token());
  first.set_newest_first(true);
  expect_invalid(first, "page_token");

  request = v1::ListTimelineEntriesRequest();
  request.set_parent("persons/nobody");
  v1::ListTimelineEntriesResponse response;
  EXPECT_EQ(List(Service(), request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);

  v1::CareSummary summary;
  EXPECT_EQ(Summary(Service(), "persons/nobody", &summary).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::GetCareSummaryRequest bad;
  bad.set_name(ada_);
  auto context = server_.ContextAs(Service());
  grpc::Status status = record_->GetCareSummary(context.get(), bad, &summary);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("name"));
}

TEST_F(RecordTimelineTest, TheCareSummarySaysWhoLeadsAndWhatIsOpen) {
  v1::CareSummary summary;
  ASSERT_TRUE(Summary(val_, ada_, &summary).ok());
  EXPECT_EQ(summary.name(), ada_ + "/careSummary");
  EXPECT_TRUE(summary.care_plan_visible());
  EXPECT_EQ(summary.lead_team(), voluntary_);
  EXPECT_TRUE(summary.has_lead_since());
  ASSERT_THAT(summary.care_team(), SizeIs(1));
  EXPECT_EQ(summary.care_team(0).team(), voluntary_);
  EXPECT_TRUE(summary.care_team(0).lead());
  EXPECT_EQ(summary.care_plan_version(), 1);
  EXPECT_FALSE(summary.agreed());
  // The housing referral is community's and housing's business.
  EXPECT_THAT(summary.open_loops(), IsEmpty());
  // Newest first: voluntary accepting (the care team change that followed
  // was the care plan service's), then community sending.
  ASSERT_THAT(summary.last_contacts(), SizeIs(2));
  EXPECT_EQ(summary.last_contacts(0).team(), voluntary_);
  EXPECT_EQ(summary.last_contacts(0).type(), "referral.accepted");
  EXPECT_EQ(summary.last_contacts(1).team(), community_);
  EXPECT_TRUE(summary.freshness().caught_up());

  // Community: not on the care team, so no plan; its open referral.
  ASSERT_TRUE(Summary(alice_, ada_, &summary).ok());
  EXPECT_FALSE(summary.care_plan_visible());
  EXPECT_EQ(summary.lead_team(), "");
  EXPECT_THAT(summary.care_team(), IsEmpty());
  ASSERT_THAT(summary.open_loops(), SizeIs(1));
  const v1::OpenLoop& loop = summary.open_loops(0);
  EXPECT_EQ(loop.resource(), to_housing_);
  EXPECT_EQ(loop.kind(), v1::REFERRAL);
  EXPECT_EQ(loop.receiving_team(), housing_);
  EXPECT_EQ(loop.state(), "SENT");
  EXPECT_EQ(loop.urgency(), ref::ROUTINE);
  EXPECT_TRUE(loop.has_due_time());
  EXPECT_FALSE(loop.overdue());
  // Newest first: the last step each team took that community may see.
  std::vector<std::string> teams;
  for (const v1::LastContact& contact : summary.last_contacts()) {
    teams.push_back(contact.team());
  }
  EXPECT_THAT(teams, ElementsAre(community_, voluntary_, crisis_));

  // Past its deadline the referral shows overdue.
  server_.clock().Advance(absl::Hours(24 * 60));
  ASSERT_TRUE(Summary(otto_, ada_, &summary).ok());
  ASSERT_THAT(summary.open_loops(), SizeIs(1));
  EXPECT_TRUE(summary.open_loops(0).overdue());

  // Answered, the loop closes.
  Accept(to_housing_, otto_);
  ASSERT_TRUE(Eventually([&] {
    return Summary(otto_, ada_, &summary).ok() &&
           summary.open_loops_size() == 0;
  }));
}

// A shared-care handover from the voluntary team (now leading) to the
// crisis team: its steps are the two teams' business, and once the crisis
// team is on the care team it sees the plan's whole history, as in the
// care plan service (need to know is about now).
TEST_F(RecordTimelineTest, HandoverStepsAndJoiningTheCareTeam) {
  auto handovers = handover::v1::HandoverService::NewStub(server_.Channel());
  handover::v1::CreateHandoverRequest create;
  handover::v1::Handover* h = create.mutable_handover();
  h->set_person(ada_);
  h->set_receiving_team(crisis_);
  h->set_kind(handover::v1::SHARED_CARE);
  h->set_urgency(ref::URGENT);
  h->set_situation("Evenings are hard again since the anniversary.");
  h->set_assessment("Sleeping badly; her sister helps.");
  h->set_recommendation("Evening check-ins for two weeks.");
  h->set_illness_severity(handover::v1::WATCHER);
  handover::v1::Handover created;
  Step();
  auto context = server_.ContextAs(val_);
  grpc::Status status =
      handovers->CreateHandover(context.get(), create, &created);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(RecordShows(ada_, 8));

  // Crisis sees the handover it was sent, and the plan not yet.
  std::vector<v1::TimelineEntry> seen = Timeline(bob_, ada_);
  EXPECT_THAT(Types(seen),
              ElementsAre("person.created", "referral.created",
                          "referral.declined", "handover.created"));
  EXPECT_EQ(seen.back().kind(), v1::HANDOVER);
  EXPECT_EQ(seen.back().resource(), created.name());
  EXPECT_THAT(seen.back().summary(), HasSubstr("shared care"));
  EXPECT_THAT(seen.back().reason(), HasSubstr("anniversary"));
  v1::CareSummary summary;
  ASSERT_TRUE(Summary(bob_, ada_, &summary).ok());
  EXPECT_FALSE(summary.care_plan_visible());
  ASSERT_THAT(summary.open_loops(), SizeIs(1));
  EXPECT_EQ(summary.open_loops(0).kind(), v1::HANDOVER);
  EXPECT_EQ(summary.open_loops(0).state(), "PENDING");
  // Housing has nothing to do with it.
  EXPECT_THAT(Types(Timeline(otto_, ada_)),
              ElementsAre("person.created", "referral.created"));

  Step();
  handover::v1::AcceptHandoverRequest accept;
  accept.set_name(created.name());
  accept.mutable_read_back()->set_summary("Evenings hard; sister helps.");
  accept.mutable_read_back()->add_actions_taken_on("Evening calls");
  handover::v1::Handover accepted;
  context = server_.ContextAs(bob_);
  status = handovers->AcceptHandover(context.get(), accept, &accepted);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(RecordShows(ada_, 10));

  seen = Timeline(bob_, ada_);
  EXPECT_THAT(
      Types(seen),
      ElementsAre("person.created", "referral.created", "referral.declined",
                  "careplan.care_team_changed", "handover.created",
                  "handover.accepted", "careplan.care_team_changed"));
  EXPECT_THAT(seen.back().summary(), HasSubstr(crisis_));
  ASSERT_TRUE(Summary(bob_, ada_, &summary).ok());
  EXPECT_TRUE(summary.care_plan_visible());
  EXPECT_THAT(summary.care_team(), SizeIs(2));
  EXPECT_EQ(summary.lead_team(), voluntary_);
  EXPECT_THAT(summary.open_loops(), IsEmpty());

  // The crisis team's part ends: it keeps its own referral and handover
  // steps and sees that its involvement ended, without the reason; nothing
  // else of the plan.
  Step();
  auto careplans = careplan::v1::CarePlanService::NewStub(server_.Channel());
  careplan::v1::EndCareTeamInvolvementRequest end;
  end.set_name(ada_ + "/carePlan");
  end.set_team(crisis_);
  end.set_reason("Evenings settled; back to the voluntary team alone.");
  careplan::v1::CarePlan ended;
  context = server_.ContextAs(bob_);
  status = careplans->EndCareTeamInvolvement(context.get(), end, &ended);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(RecordShows(ada_, 11));
  seen = Timeline(bob_, ada_);
  EXPECT_THAT(Types(seen),
              ElementsAre("person.created", "referral.created",
                          "referral.declined", "handover.created",
                          "handover.accepted", "careplan.care_team_changed"));
  EXPECT_FALSE(seen.back().detailed());
  EXPECT_EQ(seen.back().reason(), "");
  // Only what the event's metadata says: not who else is on the team.
  EXPECT_EQ(seen.back().summary(), "Care team changed");
  ASSERT_TRUE(Summary(bob_, ada_, &summary).ok());
  EXPECT_FALSE(summary.care_plan_visible());
  // The voluntary team sees why.
  EXPECT_THAT(Timeline(val_, ada_).back().reason(),
              HasSubstr("Evenings settled"));
}

// Bo is referred to three teams; each declines or redirects. Nobody has
// taken Bo on: the referring team's work list says so, with why and since
// when, until a team accepts.
TEST_F(RecordTest, APersonRefusedByThreeTeamsIsOnTheReferrersWorkList) {
  const std::string bo = MakePerson("Bo");
  const std::string to_crisis = Refer(bo, crisis_).name();
  const std::string to_voluntary = Refer(bo, voluntary_).name();
  const std::string to_housing = Refer(bo, housing_).name();
  server_.clock().Advance(absl::Hours(1));
  Decline(to_crisis, bob_);
  Decline(to_voluntary, val_, housing_);
  ref::RedirectReferralRequest redirect;
  redirect.set_name(to_housing);
  redirect.set_new_receiving_team(crisis_);
  redirect.set_reason("Out of hours support is the crisis team's");
  ref::RedirectReferralResponse redirected;
  auto context = server_.ContextAs(otto_);
  grpc::Status status =
      referral_->RedirectReferral(context.get(), redirect, &redirected);
  ASSERT_TRUE(status.ok()) << status.error_message();
  // Registered, three sent, three refused, the redirect's new referral.
  ASSERT_TRUE(RecordShows(bo, 8));

  auto list = [&](const Principal& as, const std::string& parent,
                  v1::ListCareGapsResponse* response,
                  bool include_closed = false) {
    return Gaps(as, parent, response, include_closed);
  };
  v1::ListCareGapsResponse gaps;
  ASSERT_TRUE(list(alice_, community_, &gaps).ok());
  ASSERT_THAT(gaps.gaps(), SizeIs(1));
  const v1::CareGap bounced = gaps.gaps(0);
  EXPECT_EQ(bounced.kind(), v1::BOUNCED);
  EXPECT_EQ(bounced.person(), bo);
  EXPECT_THAT(bounced.name(), HasSubstr(bo + "/careGaps/bounced-"));
  EXPECT_THAT(bounced.detail(), HasSubstr("by 3 teams"));
  // Which teams refused is not the community team's to read, nor which
  // other teams' lists the gap is on.
  EXPECT_EQ(bounced.detail().find(crisis_), std::string::npos);
  EXPECT_THAT(bounced.teams(), ElementsAre(community_));
  EXPECT_THAT(bounced.detail(), HasSubstr("no referral accepted since"));
  EXPECT_FALSE(bounced.has_close_time());
  // The teams that declined are not asked to chase it.
  ASSERT_TRUE(list(bob_, crisis_, &gaps).ok());
  EXPECT_THAT(gaps.gaps(), IsEmpty());
  // Only one's own team's list; every team's is for services.
  EXPECT_EQ(list(bob_, community_, &gaps).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(list(carebridge::testing::TestServer::Admin(), "teams/-", &gaps)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(list(Service(), "teams/-", &gaps).ok());
  EXPECT_THAT(gaps.gaps(), SizeIs(1));
  v1::CareSummary summary;
  ASSERT_TRUE(Summary(alice_, bo, &summary).ok());
  ASSERT_THAT(summary.gaps(), SizeIs(1));
  EXPECT_EQ(summary.gaps(0).name(), bounced.name());

  // The redirected referral to the crisis team waits past its deadline:
  // both teams see it.
  server_.clock().Advance(absl::Hours(24 * 20));
  ASSERT_TRUE(list(bob_, crisis_, &gaps).ok());
  ASSERT_THAT(gaps.gaps(), SizeIs(1));
  EXPECT_EQ(gaps.gaps(0).kind(), v1::ANSWER_OVERDUE);
  EXPECT_EQ(gaps.gaps(0).subject(), redirected.created().name());
  ASSERT_TRUE(list(alice_, community_, &gaps).ok());
  EXPECT_THAT(gaps.gaps(), SizeIs(2));

  // The crisis team takes Bo on: both gaps close themselves, and stay as
  // history.
  Accept(redirected.created().name(), bob_);
  ASSERT_TRUE(Eventually([&] {
    return list(alice_, community_, &gaps).ok() && gaps.gaps_size() == 0;
  }));
  ASSERT_TRUE(list(alice_, community_, &gaps, /*include_closed=*/true).ok());
  ASSERT_THAT(gaps.gaps(), SizeIs(2));
  for (const v1::CareGap& gap : gaps.gaps()) {
    EXPECT_TRUE(gap.has_close_time()) << gap.name();
    EXPECT_FALSE(gap.close_reason().empty());
  }
  EXPECT_EQ(gaps.gaps(0).name(), bounced.name());
  EXPECT_EQ(gaps.gaps(0).close_reason(), "a referral was accepted");

  v1::ListCareGapsRequest bad;
  bad.set_parent(community_);
  bad.add_kinds(static_cast<v1::GapKind>(99));
  context = server_.ContextAs(alice_);
  status = record_->ListCareGaps(context.get(), bad, &gaps);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("kinds"));
}

// Each team's inbox stream: what needs its attention, as it happens.
TEST_F(RecordTest, TheInboxStreamBringsEachTeamItsOwnItems) {
  auto inbox = [&](const Principal& as) { return Inbox(as); };
  const std::string dee = MakePerson("Dee");
  const std::string referral = Refer(dee, crisis_).name();
  Decline(referral, bob_);
  ASSERT_TRUE(RecordShows(dee, 3));

  std::vector<events::v1::Event> bobs = inbox(bob_);
  ASSERT_THAT(bobs, SizeIs(1));
  EXPECT_EQ(bobs[0].type(), "inbox.referral_received");
  EXPECT_EQ(bobs[0].feed(), "record");
  v1::InboxItem item;
  ASSERT_TRUE(bobs[0].payload().UnpackTo(&item));
  EXPECT_EQ(item.team(), crisis_);
  EXPECT_EQ(item.person(), dee);
  EXPECT_EQ(item.resource(), referral);
  EXPECT_THAT(item.summary(), HasSubstr("Referral sent by " + community_));
  EXPECT_THAT(item.entry(), HasSubstr(dee + "/timeline/referral-"));

  std::vector<events::v1::Event> alices = inbox(alice_);
  ASSERT_THAT(alices, SizeIs(1));
  EXPECT_EQ(alices[0].type(), "inbox.referral_answered");
  // Every item is about a person: admins see none of them.
  EXPECT_THAT(inbox(carebridge::testing::TestServer::Admin()), IsEmpty());

  // Live, resumed after what it has: two more declines (three teams have
  // now refused Dee) put the referrals' answers and the bounce in the
  // community team's inbox as they happen.
  events::v1::SubscribeRequest live;
  live.set_after_sequence(alices.back().sequence());
  live.add_type_prefixes("inbox.");
  auto context = server_.ContextAs(alice_);
  auto reader = record_->Subscribe(context.get(), live);
  Decline(Refer(dee, voluntary_).name(), val_, housing_);
  Decline(Refer(dee, housing_).name(), otto_);
  std::vector<std::string> types;
  events::v1::SubscribeResponse response;
  while (types.size() < 3 && reader->Read(&response)) {
    for (const events::v1::Event& event : response.events()) {
      types.push_back(event.type());
    }
  }
  context->TryCancel();
  while (reader->Read(&response)) {
  }
  reader->Finish();
  EXPECT_THAT(types,
              ElementsAre("inbox.referral_answered", "inbox.referral_answered",
                          "inbox.gap_opened"));
}

// The longest texts the services take (a 4,000-character referral reason, a
// 2,000-character decline reason and signposting, in multi-byte
// characters) reach the timeline and the inbox whole.
TEST_F(RecordTest, TheLongestTextsReachTheTimelineWhole) {
  auto text = [](size_t chars) {
    std::string out;
    for (size_t i = 0; i < chars; ++i) out += (i % 2 == 0) ? "\xC3\xA9" : "x";
    return out;
  };
  const std::string ev = MakePerson("Ev");
  ref::CreateReferralRequest create;
  create.mutable_referral()->set_person(ev);
  create.mutable_referral()->set_receiving_team(crisis_);
  create.mutable_referral()->set_urgency(ref::URGENT);
  create.mutable_referral()->set_reason(text(4000));
  create.mutable_referral()->set_person_wishes(text(4000));
  create.mutable_referral()->set_risk_summary(text(4000));
  ref::Referral referral;
  auto context = server_.ContextAs(alice_);
  grpc::Status status =
      referral_->CreateReferral(context.get(), create, &referral);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ref::DeclineReferralRequest decline;
  decline.set_name(referral.name());
  decline.set_reason(text(2000));
  decline.mutable_onward_route()->set_signposting(text(2000));
  decline.mutable_onward_route()->set_suggested_team(voluntary_);
  context = server_.ContextAs(bob_);
  status = referral_->DeclineReferral(context.get(), decline, &referral);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(RecordShows(ev, 3));

  std::vector<v1::TimelineEntry> entries = Timeline(alice_, ev);
  ASSERT_THAT(entries, SizeIs(3));
  EXPECT_EQ(entries[1].reason(), text(4000));
  EXPECT_THAT(entries[2].reason(), HasSubstr(text(2000)));
  EXPECT_THAT(entries[2].reason(), HasSubstr("signposted: " + text(2000)));
  v1::CareSummary summary;
  ASSERT_TRUE(Summary(alice_, ev, &summary).ok());
  EXPECT_THAT(summary.last_contacts(), SizeIs(2));
}

}  // namespace
}  // namespace carebridge::record::testing
